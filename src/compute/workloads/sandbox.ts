// The sandbox that runs workloads with time and memory limits, away from the caller's heap:
// - wasm and train run in worker threads (V8 heap capped by resourceLimits; wasm memory capped by patching the
//   module's memory maximum; train's buffers checked against the limit before it starts);
// - onnx runs in a child process (onnxruntime's native memory is outside V8's limits), whose resident memory
//   is sampled from /proc and killed past the limit, and which is killed on timeout.
// Workers and children are started from source text with no TypeScript loader (as src/provenance/merkle/jobs.ts
// does), with an empty environment, and kept warm between runs: a sandbox returns to a small idle pool after a
// run that ended with an answer from it (an output, or an error it caught, such as a trap), and is discarded
// after a timeout, a memory kill or a death, so a trivial run costs a message round trip.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { sha256Hex } from './bundle.ts';
import { WorkloadError, type WorkloadErrorCode } from './errors.ts';
import { runWasmKernel, trainMlpKernel, type TrainResult } from './kernels.ts';
import type { Tensor } from './tensors.ts';

/** Idle sandboxes kept per (kind, memory limit). */
const MAX_IDLE = 4;
/** Idle sandboxes kept in all (memory limits come from jobs, so pools per limit could otherwise add up). */
const MAX_IDLE_TOTAL = 8;
/** A sandbox that is not ready after this long is broken (the run's own timeout starts once it is ready). */
const START_TIMEOUT_MS = 20_000;
/** How often a running onnx child's resident memory is sampled. */
const RSS_SAMPLE_MS = 10;

/** A failure the sandbox caught and reported itself (deterministic unless `transient`). */
type Failure = { ok: false; code: WorkloadErrorCode; field?: string; message: string; transient?: boolean };
type WorkerJob =
  | { kind: 'wasm'; key: string; module: Uint8Array; input: Uint8Array; capBytes: number }
  | { kind: 'train'; spec: Parameters<typeof trainMlpKernel>[0]; x: Float64Array; n: number; f: number; y: Int32Array };

// The kernels travel as source; tsx's esbuild wraps some names in __name(), which the worker defines as a no-op.
const WORKER_SOURCE = `
  const { parentPort } = require('node:worker_threads');
  const __name = (target) => target;
  ${runWasmKernel.toString()}
  ${trainMlpKernel.toString()}
  const modules = new Map();
  parentPort.on('message', (job) => {
    try {
      if (job.kind === 'wasm') {
        let mod = modules.get(job.key);
        if (!mod) {
          try {
            mod = new WebAssembly.Module(job.module);
          } catch (e) {
            parentPort.postMessage({ ok: false, code: 'invalid-bundle', field: 'module', message: 'does not compile: ' + e.message });
            return;
          }
          modules.set(job.key, mod);
          if (modules.size > 16) modules.delete(modules.keys().next().value);
        }
        const output = runWasmKernel(mod, job.input, job.capBytes);
        parentPort.postMessage({ ok: true, output }, [output.buffer]);
      } else {
        const r = trainMlpKernel(job.spec, job.x, job.n, job.f, job.y);
        parentPort.postMessage({ ok: true, train: r }, [r.w1.buffer, r.b1.buffer, r.w2.buffer, r.b2.buffer, r.loss.buffer]);
      }
    } catch (e) {
      const code = e && e.workloadCode ? e.workloadCode : 'crashed';
      parentPort.postMessage({ ok: false, code, field: e && e.field, message: e && e.message ? e.message : String(e), transient: !(e && e.workloadCode) });
    }
  });
  parentPort.postMessage({ ready: true });
`;

// The onnx child: CommonJS from -e, onnxruntime-node required by absolute path. One session cached (by key).
// Graph optimisation stays at 'basic' (constant folding, dead nodes): the higher levels fuse and re-layout
// nodes per CPU instruction set, which would make outputs differ between providers' machines.
const ONNX_CHILD_SOURCE = `
  const ort = require(process.env.MACHINA_ORT_PATH);
  const options = { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'basic', enableCpuMemArena: false, enableMemPattern: false, logSeverityLevel: 3 };
  let cached;
  const fail = (code, field, message) => Object.assign(new Error(message), { workloadCode: code, field });
  process.on('message', async (job) => {
    try {
      if (!cached || cached.key !== job.key) {
        if (cached) await cached.session.release();
        cached = undefined;
        if (!job.model) throw Object.assign(fail('crashed', undefined, 'model not sent'), { transient: true });
        let session;
        try {
          session = await ort.InferenceSession.create(job.model, options);
        } catch (e) {
          throw fail('invalid-bundle', 'model', 'onnxruntime cannot load it: ' + String(e && e.message || e).split('\\n')[0]);
        }
        cached = { key: job.key, session };
      }
      const session = cached.session;
      const given = new Map(job.tensors.map((t) => [t.name, t]));
      const feeds = {};
      for (const name of session.inputNames) {
        const t = given.get(name);
        if (!t) throw fail('invalid-input', 'input.' + name, 'the model needs an input tensor "' + name + '" (given: ' + [...given.keys()].join(', ') + ')');
        feeds[name] = new ort.Tensor('float32', t.data, t.dims);
      }
      for (const name of given.keys()) if (!session.inputNames.includes(name)) throw fail('invalid-input', 'input.' + name, 'the model has no input named "' + name + '" (inputs: ' + session.inputNames.join(', ') + ')');
      let out;
      try {
        out = await session.run(feeds);
      } catch (e) {
        throw fail('crashed', undefined, 'onnxruntime: ' + String(e && e.message || e).split('\\n')[0]);
      }
      const outputs = session.outputNames.map((name) => {
        const t = out[name];
        if (t.type !== 'float32') throw fail('invalid-bundle', 'model.outputs.' + name, 'is ' + t.type + '; onnx workloads produce float32 outputs');
        return { name, dims: t.dims.map(Number), data: t.data };
      });
      process.send({ ok: true, outputs });
    } catch (e) {
      process.send({ ok: false, code: e.workloadCode || 'crashed', field: e.field, message: String(e && e.message || e), transient: !!e.transient || !e.workloadCode });
    }
  });
  // The parent is gone (or closed the channel): nothing more will come.
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true });
`;

/** A view's own bytes: structured clone copies a view's whole underlying buffer, which may be far larger. */
const compact = (b: Uint8Array): Uint8Array => (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : b.slice());

const idleWorkers = new Map<number, Worker[]>();
const idleChildren = new Map<number, OnnxChild[]>();

function toError(f: Failure): WorkloadError {
  // What the workload itself did (a trap, an error code, an ORT refusal, memory exhausted at the module's cap) is
  // the same on every machine; an exception the sandbox did not classify is not.
  return new WorkloadError(f.code, f.message, { field: f.field, deterministic: !f.transient });
}

function spawnWorker(memoryMB: number): Promise<Worker> {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    execArgv: [],
    env: {},
    resourceLimits: { maxOldGenerationSizeMb: Math.max(16, memoryMB), maxYoungGenerationSizeMb: Math.min(32, Math.max(4, memoryMB / 8)), stackSizeMb: 4 },
  });
  worker.unref();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(new WorkloadError('crashed', `the sandbox worker did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    worker.once('message', () => {
      clearTimeout(timer);
      resolve(worker);
    });
    worker.once('error', (e) => {
      clearTimeout(timer);
      reject(new WorkloadError('crashed', `the sandbox worker failed to start: ${e.message}`, { cause: e }));
    });
  });
}

async function takeWorker(memoryMB: number): Promise<Worker> {
  return idleWorkers.get(memoryMB)?.pop() ?? spawnWorker(memoryMB);
}

const idleTotal = () => [...idleWorkers.values(), ...idleChildren.values()].reduce((n, xs) => n + xs.length, 0);

function releaseWorker(memoryMB: number, worker: Worker): void {
  const idle = idleWorkers.get(memoryMB) ?? [];
  idleWorkers.set(memoryMB, idle);
  if (idle.length < MAX_IDLE && idleTotal() < MAX_IDLE_TOTAL) idle.push(worker);
  else void worker.terminate();
}

/** Runs one job on a warm worker; the worker goes back to the pool only if the run succeeded. */
async function onWorker<T>(job: WorkerJob, timeoutMs: number, memoryMB: number, transfer: ArrayBuffer[] = []): Promise<T> {
  const worker = await takeWorker(memoryMB);
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    // A failure the worker reported itself leaves it healthy (every run starts a fresh instance); any other
    // (timeout, heap limit, exit) discards it.
    const finish = (err: WorkloadError | undefined, value?: T, healthy = !err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
      if (healthy) releaseWorker(memoryMB, worker);
      else void worker.terminate();
      if (err) reject(err);
      else resolve(value as T);
    };
    const onMessage = (m: { ok: true } | Failure) => (m.ok ? finish(undefined, m as T) : finish(toError(m), undefined, m.code !== 'memory'));
    const onError = (e: Error & { code?: string }) =>
      finish(
        e.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new WorkloadError('memory', `the workload exceeded the ${memoryMB} MB heap limit`, { cause: e })
          : new WorkloadError('crashed', `the sandbox worker failed: ${e.message}`, { cause: e }),
      );
    const onExit = (code: number) => finish(new WorkloadError('crashed', `the sandbox worker exited (code ${code})`));
    const timer = setTimeout(() => finish(new WorkloadError('timeout', `the workload ran longer than ${timeoutMs} ms and was stopped`)), timeoutMs);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage(job, transfer);
  });
}

/** Runs a (memory-capped) wasm module on `input`; see wasm.ts for the ABI. */
export async function runWasmSandboxed(module: Uint8Array, input: Uint8Array, capBytes: number, timeoutMs: number, memoryMB: number): Promise<Uint8Array> {
  const key = sha256Hex(module);
  const r = await onWorker<{ output: Uint8Array }>({ kind: 'wasm', key, module: compact(module), input: compact(input), capBytes }, timeoutMs, memoryMB);
  return r.output;
}

/** Runs the MLP trainer in a worker. */
export async function runTrainSandboxed(job: Omit<Extract<WorkerJob, { kind: 'train' }>, 'kind'>, timeoutMs: number, memoryMB: number): Promise<TrainResult> {
  const r = await onWorker<{ train: TrainResult }>({ kind: 'train', ...job }, timeoutMs, memoryMB, [job.x.buffer as ArrayBuffer, job.y.buffer as ArrayBuffer]);
  return r.train;
}

// ---- onnx: child processes ----

type OnnxChild = { proc: ChildProcess; baselineRss: number; modelKey: string | undefined; stderr: string };

let ortPath: string | undefined;
function onnxRuntimePath(): string {
  ortPath ??= createRequire(import.meta.url).resolve('onnxruntime-node');
  return ortPath;
}

/** Resident set size of a process in bytes, from /proc (undefined where there is no /proc). */
function residentBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const pages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    return Number.isFinite(pages) ? pages * 4096 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Peak resident set size of a process in bytes (VmHWM), so an allocation between two samples is not missed.
 * A reused child's peak stays under the cap of its pool (a run over it kills the child), so the peak is
 * the current run's whenever it matters.
 */
function peakResidentBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : residentBytes(pid);
  } catch {
    return undefined;
  }
}

/** Working directories of live onnx children, removed when they exit (or, at the latest, when this process does). */
const childDirs = new Set<string>();
let exitHook = false;

function spawnOnnxChild(memoryMB: number): Promise<OnnxChild> {
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const d of childDirs) rmSync(d, { recursive: true, force: true });
    });
  }
  // An empty working directory of its own (removed when it exits): nothing for a model to find next to it, and a
  // minimal environment: no inherited keys or passwords (MACHINA_PRIVATE_KEY, keystore passwords, tokens).
  const cwd = mkdtempSync(join(tmpdir(), 'machina-onnx-'));
  const proc = spawn(process.execPath, [`--max-old-space-size=${Math.max(64, memoryMB)}`, '-e', ONNX_CHILD_SOURCE], {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'advanced',
    env: { MACHINA_ORT_PATH: onnxRuntimePath(), OMP_NUM_THREADS: '1' },
  });
  childDirs.add(cwd);
  const removeCwd = () => {
    childDirs.delete(cwd);
    rmSync(cwd, { recursive: true, force: true });
  };
  proc.once('exit', removeCwd);
  proc.once('error', removeCwd);
  const child: OnnxChild = { proc, baselineRss: 0, modelKey: undefined, stderr: '' };
  proc.stderr?.on('data', (d: Buffer) => (child.stderr = (child.stderr + d.toString()).slice(-2000)));
  proc.unref();
  (proc.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  (proc.channel as unknown as { unref?: () => void } | undefined)?.unref?.();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new WorkloadError('crashed', `the onnx sandbox did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    proc.once('message', () => {
      clearTimeout(timer);
      child.baselineRss = residentBytes(proc.pid) ?? 0;
      resolve(child);
    });
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new WorkloadError('crashed', `the onnx sandbox exited at start (${signal ?? `code ${code}`}): ${child.stderr.trim().split('\n').pop() ?? ''}`));
    });
    proc.once('error', (e) => {
      clearTimeout(timer);
      reject(new WorkloadError('crashed', `cannot start the onnx sandbox: ${e.message}`, { cause: e }));
    });
  });
}

/** Runs an ONNX model on float32 tensors in a child process; returns the outputs in the model's output order. */
export async function runOnnxSandboxed(model: Uint8Array, tensors: Tensor[], timeoutMs: number, memoryMB: number): Promise<Tensor[]> {
  const child = idleChildren.get(memoryMB)?.pop() ?? (await spawnOnnxChild(memoryMB));
  const key = sha256Hex(model);
  const capBytes = child.baselineRss + memoryMB * 1048576;
  return new Promise<Tensor[]>((resolve, reject) => {
    let settled = false;
    // As for workers: a failure the child reported itself leaves it usable; timeouts, memory and deaths do not.
    const finish = (err: WorkloadError | undefined, value?: Tensor[], healthy = !err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(sampler);
      child.proc.off('message', onMessage);
      child.proc.off('exit', onExit);
      const rss = healthy ? residentBytes(child.proc.pid) : undefined;
      const idle = idleChildren.get(memoryMB) ?? [];
      idleChildren.set(memoryMB, idle);
      // A child whose memory has grown by half the limit is not worth keeping.
      if (healthy && idle.length < MAX_IDLE && idleTotal() < MAX_IDLE_TOTAL && (rss === undefined || rss < child.baselineRss + (memoryMB * 1048576) / 2)) idle.push(child);
      else child.proc.kill('SIGKILL');
      if (err) reject(err);
      else resolve(value!);
    };
    const checkMemory = () => {
      const rss = peakResidentBytes(child.proc.pid);
      if (rss !== undefined && rss > capBytes) finish(new WorkloadError('memory', `the onnx workload used ${Math.round((rss - child.baselineRss) / 1048576)} MB, over the ${memoryMB} MB limit`));
    };
    const onMessage = (m: { ok: true; outputs: Tensor[] } | Failure) => {
      checkMemory();
      if (m.ok) finish(undefined, m.outputs);
      else finish(toError(m), undefined, true);
    };
    const onExit = (code: number | null, signal: string | null) => {
      const last = child.stderr.trim().split('\n').pop() ?? '';
      const oom = /heap out of memory|std::bad_alloc/i.test(child.stderr);
      finish(new WorkloadError(oom ? 'memory' : 'crashed', `the onnx sandbox died (${signal ?? `code ${code}`})${last ? `: ${last}` : ''}`));
    };
    const timer = setTimeout(() => finish(new WorkloadError('timeout', `the workload ran longer than ${timeoutMs} ms and was stopped`)), timeoutMs);
    const sampler = setInterval(checkMemory, RSS_SAMPLE_MS);
    sampler.unref();
    child.proc.on('message', onMessage);
    child.proc.on('exit', onExit);
    const send = child.modelKey === key ? { key, tensors } : { key, model: compact(model), tensors };
    child.modelKey = key;
    child.proc.send(send);
  });
}

/**
 * Starts sandboxes ahead of the first run (a cold worker costs ~40 ms, a cold onnx child ~150 ms).
 * @example await warmSandboxes({ memoryMB: 512 }, ['wasm', 'onnx'])
 */
export async function warmSandboxes(limits: { memoryMB: number }, kinds: readonly ('wasm' | 'train' | 'onnx')[] = ['wasm']): Promise<void> {
  const m = limits.memoryMB;
  const jobs: Promise<void>[] = [];
  if ((kinds.includes('wasm') || kinds.includes('train')) && !(idleWorkers.get(m)?.length)) jobs.push(spawnWorker(m).then((w) => releaseWorker(m, w)));
  if (kinds.includes('onnx') && !(idleChildren.get(m)?.length)) {
    jobs.push(
      spawnOnnxChild(m).then((c) => {
        const idle = idleChildren.get(m) ?? [];
        idleChildren.set(m, idle);
        idle.push(c);
      }),
    );
  }
  await Promise.all(jobs);
}

/**
 * Stops every idle sandbox (runs in flight finish on their own).
 * @example after(() => closeSandboxes())
 */
export async function closeSandboxes(): Promise<void> {
  const workers = [...idleWorkers.values()].flat();
  const children = [...idleChildren.values()].flat();
  idleWorkers.clear();
  idleChildren.clear();
  for (const c of children) c.proc.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.terminate()));
}

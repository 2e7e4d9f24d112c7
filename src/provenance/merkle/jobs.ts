// Batch work split over two cores while the API stays synchronous: a job is a list of phases (hash leaves,
// build one tree level, ...), each cut into chunks that this thread and one worker thread claim from counters
// in the shared wasm memory. A phase is complete before the next one starts, since a tree level reads the
// level below. This thread never waits for the worker to start: it claims whatever is left, and waits
// (Atomics.wait) only for chunks the worker has claimed and is hashing.
import { availableParallelism } from 'node:os';
import { isMainThread, Worker } from 'node:worker_threads';
import { CONTROL, CONTROL_SLOTS, WORKER_SCRATCH, wasmModule, type KeccakExports, type Workspace } from './wasm.ts';

/** One step of a job over items [from, to), `chunks` chunks of `chunk` items. */
export type Phase =
  /** The n digests in the leaf area `area` become their standard leaves, reversed (items pair slots i, n-1-i). */
  | { op: 'leaves'; area: number; n: number; from: number; to: number; chunk: number; chunks: number }
  /** The n leaf hashes in the leaf area are reversed. */
  | { op: 'reverse'; area: number; n: number; from: number; to: number; chunk: number; chunks: number }
  /** Inner nodes [from, to) of one tree level. */
  | { op: 'nodes'; tree: number; from: number; to: number; chunk: number; chunks: number };

/** Below this many items a phase runs on this thread alone (a message to the worker costs ~0.1 ms). */
const PARALLEL_MIN = 16_384;
const CHUNK = 4096;
/** Longest wait for a chunk the worker claimed: one chunk takes a few ms, so this means the worker died. */
const STALL_MS = 60_000;

/**
 * The phase runner, as source text so that this thread and the worker (started from a string, with no
 * TypeScript loader) run the very same code. Each phase has two counters in `ctl`: claimed and done, tagged
 * in their high bits with the job number, so that a late worker can never claim a chunk of a newer job.
 * Returns false when it found a newer job's tag (the worker then just stops).
 */
const RUN_PHASES = `
  const tag = (job & 0x7fff) << 16;
  for (let k = 0; k < phases.length; k++) {
    const p = phases[k], claimed = 2 * k, done = 2 * k + 1;
    for (;;) {
      const v = Atomics.load(ctl, claimed);
      if ((v & ~0xffff) !== tag) return false;
      const c = v & 0xffff;
      if (c >= p.chunks) break;
      if (Atomics.compareExchange(ctl, claimed, v, v + 1) !== v) continue;
      const lo = p.from + c * p.chunk, hi = Math.min(p.to, lo + p.chunk);
      if (p.op === 'nodes') wasm.buildNodes(p.tree, lo, hi);
      else if (p.op === 'leaves') wasm.digestLeavesMirrored(p.area, p.n, lo, hi);
      else wasm.reverseNodes(p.area, p.n, lo, hi);
      Atomics.add(ctl, done, 1);
      Atomics.notify(ctl, done);
    }
    for (;;) {
      const d = Atomics.load(ctl, done);
      if ((d & ~0xffff) !== tag) return false;
      if ((d & 0xffff) >= p.chunks) break;
      if (Atomics.wait(ctl, done, d, stallMs) === 'timed-out' && !isWorker) {
        throw new Error('merkle: the worker thread stopped in the middle of a chunk');
      }
    }
  }
  return true;
`;
type RunPhases = (wasm: KeccakExports, ctl: Int32Array, job: number, phases: Phase[], isWorker: boolean, stallMs: number) => boolean;
const runPhases = new Function('wasm', 'ctl', 'job', 'phases', 'isWorker', 'stallMs', RUN_PHASES) as RunPhases;

const WORKER_SOURCE = `
  const { parentPort, workerData } = require('node:worker_threads');
  const runPhases = new Function('wasm', 'ctl', 'job', 'phases', 'isWorker', 'stallMs', workerData.runPhases);
  parentPort.on('message', ({ memory, job, phases }) => {
    const wasm = new WebAssembly.Instance(workerData.module, { env: { memory } }).exports;
    wasm.setScratch(${WORKER_SCRATCH});
    runPhases(wasm, new Int32Array(memory.buffer, ${CONTROL}, ${CONTROL_SLOTS}), job, phases, true, ${STALL_MS});
  });
`;

let threads = isMainThread ? Math.min(2, availableParallelism()) : 1;
const fromEnv = Number(process.env.MACHINA_MERKLE_THREADS);
if (Number.isInteger(fromEnv) && fromEnv >= 1) threads = Math.min(2, fromEnv);

let worker: Worker | undefined;
let jobs = 0;

/**
 * Use one or two threads for big trees (default: two when the machine has two cores, one inside worker
 * threads); returns the previous setting. MACHINA_MERKLE_THREADS=1 in the environment sets 1 at start.
 * @example const before = setMerkleThreads(1); try { ... } finally { setMerkleThreads(before); }
 */
export function setMerkleThreads(n: 1 | 2): 1 | 2 {
  const before: 1 | 2 = threads >= 2 ? 2 : 1;
  threads = n;
  if (n === 1 && worker) {
    void worker.terminate();
    worker = undefined;
  }
  return before;
}

function helper(): Worker | undefined {
  if (threads < 2) return undefined;
  if (!worker) {
    // Plain JS: no loader flags (such as tsx's) needed, so none inherited.
    const w = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { module: wasmModule, runPhases: RUN_PHASES } });
    w.unref(); // never keeps the process alive
    // A dead worker is replaced next time; chunks it had claimed surface as the stall error above.
    w.on('error', () => worker === w && (worker = undefined));
    w.on('exit', () => worker === w && (worker = undefined));
    worker = w;
  }
  return worker;
}

/** Split [from, to) into chunks of at least CHUNK items (and at most 0xffff chunks, the counter's width). */
function chunked<P extends { from: number; to: number }>(p: P): P & { chunk: number; chunks: number } {
  const len = p.to - p.from;
  const chunk = Math.max(CHUNK, Math.ceil(len / 0xfff0));
  return { ...p, chunk, chunks: Math.ceil(len / chunk) };
}

/**
 * Complete the heap array of 2n-1 nodes at `tree`, whose last n slots (the leaf area) hold the n items in
 * their given order: digests when `hashLeaves`, else leaf hashes. Leaves end up reversed there, as
 * OpenZeppelin places them, and every inner node is built.
 */
export function buildTree(w: Workspace, tree: number, n: number, hashLeaves: boolean): void {
  const area = tree + 32 * (n - 1);
  const phases: Phase[] = [chunked({ op: hashLeaves ? 'leaves' : 'reverse', area, n, from: 0, to: Math.ceil(n / 2) })];
  // Levels of inner nodes, deepest first: level d holds nodes [2^d - 1, 2^(d+1) - 1), inner ones below n - 1.
  let top = n - 1;
  for (let d = 31 - Math.clz32(Math.max(1, n - 1)); d >= 0 && top > 0; d--) {
    const from = 2 ** d - 1;
    if (top - from < PARALLEL_MIN) break;
    phases.push(chunked({ op: 'nodes', tree, from, to: top }));
    top = from;
  }
  const parallel = n >= PARALLEL_MIN ? helper() : undefined;
  const job = ++jobs & 0x7fff;
  for (let k = 0; k < phases.length; k++) {
    Atomics.store(w.control, 2 * k, job << 16);
    Atomics.store(w.control, 2 * k + 1, job << 16);
  }
  parallel?.postMessage({ memory: w.memory, job, phases });
  runPhases(w.wasm, w.control, job, phases, false, STALL_MS);
  // The small top levels: one thread, highest index first.
  w.wasm.buildNodes(tree, 0, top);
}

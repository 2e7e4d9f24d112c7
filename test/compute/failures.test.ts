// Deterministic failures and job-defined limits: a workload that fails the same way everywhere gives one canonical
// failure record (so honest replicas agree); timeouts do not; limits come from the job, not from who runs it;
// concurrent runs share one process-wide slot pool; onnx models with external data are refused; one seeded RNG.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import wabtInit from 'wabt';
import { dataUri } from '../../src/compute/blobs.ts';
import { DEFAULT_JOB_MEMORY_MB, DEFAULT_JOB_TIMEOUT_MS, executeJob, jobLimits, workBudgetMs } from '../../src/compute/provider/execute.ts';
import type { PostedJob } from '../../src/compute/provider/logs.ts';
import { seededRng as pricingRng } from '../../src/compute/provider/pricing.ts';
import {
  closeSandboxes,
  computeSlotStats,
  decodeBundle,
  decodeFailureRecord,
  demoWorkload,
  deterministicFailure,
  encodeBundle,
  failureDigest,
  failureRecord,
  mlpWeights,
  runWorkload,
  seededBytes,
  seededRng,
  setComputeConcurrency,
  sha256Hex,
  WorkloadError,
} from '../../src/compute/workloads/index.ts';

after(() => closeSandboxes());

let wabtModule: ReturnType<typeof wabtInit> | undefined;
async function wat(source: string): Promise<Uint8Array> {
  const wabt = await (wabtModule ??= wabtInit());
  const mod = wabt.parseWat('test.wat', source);
  try {
    mod.validate();
    return new Uint8Array(mod.toBinary({ log: false }).buffer);
  } finally {
    mod.destroy();
  }
}
const abiModule = (memory: string, run: string) => `(module
  (memory (export "memory") ${memory})
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "output_ptr") (result i32) (i32.const 0))
  (func (export "run") (param $ptr i32) (param $len i32) (result i32) ${run}))`;

/** A posted job whose bytes travel as data: URIs. */
function postedJob(bundle: Uint8Array, input: Uint8Array, minMemoryMB = 0, deadlineInS = 600): PostedJob {
  return {
    jobId: 1n,
    workloadDigest: sha256Hex(bundle),
    inputDigest: sha256Hex(input),
    workloadURI: dataUri(bundle),
    inputURI: dataUri(input),
    mode: 'optimistic',
    direct: false,
    replicas: 1,
    deadline: Math.floor(Date.now() / 1000) + deadlineInS,
    bidWindow: 0,
    units: 1,
    maxPricePerUnit: 1n,
    needs: { deviceKind: '0x', minMemoryMB, region: '0x' },
    postedBlock: 1n,
  };
}

async function failureOf(p: Promise<unknown>): Promise<WorkloadError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof WorkloadError, String(e));
    return e;
  }
  assert.fail('expected a WorkloadError');
}

describe('failure records', () => {
  it('are canonical bytes of code and field, and decode back', () => {
    const rec = failureRecord('invalid-bundle', 'module.exports.run');
    assert.equal(new TextDecoder().decode(rec), 'machina/failure/v1\ninvalid-bundle\nmodule.exports.run');
    assert.equal(failureDigest('invalid-bundle', 'module.exports.run'), sha256Hex(rec));
    assert.equal(failureDigest('crashed'), sha256Hex(new TextEncoder().encode('machina/failure/v1\ncrashed\n')));
    assert.notEqual(failureDigest('crashed'), failureDigest('memory'));
    assert.deepEqual(decodeFailureRecord(rec), { code: 'invalid-bundle', field: 'module.exports.run' });
    assert.equal(decodeFailureRecord(new TextEncoder().encode('hello')), null);
    assert.throws(() => failureRecord('nope' as never));
  });

  it('traps, error codes, memory at the limit and bad bundles are deterministic; timeouts are not', async () => {
    const trap = await failureOf(runWorkload(encodeBundle({ kind: 'wasm', module: await wat(abiModule('1', 'unreachable')) }), new Uint8Array(4), { timeoutMs: 10_000, memoryMB: 16 }));
    assert.deepEqual(deterministicFailure(trap), { code: 'crashed', field: '' });
    const negative = await failureOf(runWorkload(encodeBundle({ kind: 'wasm', module: await wat(abiModule('1', '(i32.const -3)')) }), new Uint8Array(4), { timeoutMs: 10_000, memoryMB: 16 }));
    assert.deepEqual(deterministicFailure(negative), { code: 'crashed', field: '' });
    const hog = await wat(abiModule('1', `(loop $l (br_if $l (i32.ne (memory.grow (i32.const 1)) (i32.const -1)))) unreachable`));
    const mem = await failureOf(runWorkload(encodeBundle({ kind: 'wasm', module: hog }), new Uint8Array(), { timeoutMs: 10_000, memoryMB: 16 }));
    assert.deepEqual(deterministicFailure(mem), { code: 'memory', field: '' });
    const big = await failureOf(runWorkload(encodeBundle({ kind: 'wasm', module: await wat(abiModule('1024', '(i32.const 0)')) }), new Uint8Array(), { timeoutMs: 10_000, memoryMB: 16 }));
    assert.deepEqual(deterministicFailure(big), { code: 'memory', field: '' });
    const bad = await failureOf(runWorkload(new Uint8Array([1, 2, 3]), new Uint8Array(), { timeoutMs: 10_000, memoryMB: 16 }));
    assert.deepEqual(deterministicFailure(bad), { code: 'invalid-bundle', field: 'header' });
    const loop = await failureOf(runWorkload(encodeBundle({ kind: 'wasm', module: await wat(abiModule('1', '(loop $l (br $l)) (i32.const 0)')) }), new Uint8Array(), { timeoutMs: 200, memoryMB: 16 }));
    assert.equal(loop.code, 'timeout');
    assert.equal(deterministicFailure(loop), null);
  });

  it('executeJob turns a deterministic failure into the failure record, the same on every run', async () => {
    const trap = encodeBundle({ kind: 'wasm', module: await wat(abiModule('1', 'unreachable')) });
    const job = postedJob(trap, new Uint8Array(4));
    const a = await executeJob(job);
    const b = await executeJob(job, { cutToDeadline: true });
    assert.deepEqual(a.failure, { code: 'crashed', field: '' });
    assert.equal(a.outputDigest, failureDigest('crashed'));
    assert.equal(b.outputDigest, a.outputDigest);
    assert.deepEqual(decodeFailureRecord(a.output), a.failure);
    // A bundle that is not one: the record names the field.
    const notBundle = await executeJob(postedJob(new Uint8Array([9, 9, 9]), new Uint8Array()));
    assert.equal(notBundle.outputDigest, failureDigest('invalid-bundle', 'header'));
    // A fetch failure is not a failure record: it throws (and the provider retries).
    await assert.rejects(executeJob({ ...job, inputDigest: sha256Hex(new Uint8Array([1])) }), /sha256/);
  });
});

describe('job-defined limits', () => {
  it('memory is the job\'s minMemoryMB (a protocol default when 0); time is the protocol timeout, cut to the deadline for a provider', () => {
    assert.deepEqual(jobLimits({ needs: { minMemoryMB: 0 } }), { timeoutMs: DEFAULT_JOB_TIMEOUT_MS, memoryMB: DEFAULT_JOB_MEMORY_MB });
    assert.equal(jobLimits({ needs: { minMemoryMB: 1024 } }).memoryMB, 1024);
    assert.equal(jobLimits({ needs: { minMemoryMB: 2 ** 32 - 1 } }).memoryMB, 65_536);
    const now = Date.now();
    const cut = jobLimits({ needs: { minMemoryMB: 0 } }, { deadline: Math.floor(now / 1000) + 20, nowMs: now });
    assert.ok(cut.timeoutMs <= 20_000 - 5_000 && cut.timeoutMs > 10_000, `cut to ${cut.timeoutMs} ms, keeping a commit margin`);
    assert.ok(workBudgetMs(Math.floor(now / 1000) - 1, now) < 0);
  });

  it('a module whose output depends on memory.grow gives the same output to every executor of the same job', async () => {
    // Output byte: 1 if growing by 128 MiB succeeds, else 0.
    const probe = await wat(abiModule('1', `(i32.store8 (i32.const 0) (i32.ne (memory.grow (i32.const 2048)) (i32.const -1))) (i32.const 1)`));
    const bundle = encodeBundle({ kind: 'wasm', module: probe });
    const small = postedJob(bundle, new Uint8Array(), 64);
    const large = postedJob(bundle, new Uint8Array(), 512);
    // Provider (cut to the deadline) and validator/arbiter (full time) agree, whatever memory they have themselves.
    const [p1, v1, p2, v2] = await Promise.all([executeJob(small, { cutToDeadline: true }), executeJob(small), executeJob(large, { cutToDeadline: true }), executeJob(large)]);
    assert.deepEqual([...p1.output], [0]);
    assert.equal(v1.outputDigest, p1.outputDigest);
    assert.deepEqual([...p2.output], [1]);
    assert.equal(v2.outputDigest, p2.outputDigest);
  });
});

describe('compute slots', () => {
  it('concurrent runs queue for the process-wide slots instead of each starting a sandbox', async () => {
    const before = computeSlotStats().limit;
    setComputeConcurrency(1);
    try {
      computeSlotStats(true);
      const { bundle, input } = demoWorkload();
      const jobs = Array.from({ length: 6 }, () => executeJob(postedJob(bundle, input)));
      await new Promise((r) => setImmediate(r));
      assert.ok(computeSlotStats().queued >= 1, 'the others wait');
      const results = await Promise.all([...jobs, runWorkload(bundle, input, { timeoutMs: 10_000, memoryMB: 64 })]);
      assert.equal(new Set(results.map((r) => r.outputDigest)).size, 1);
      const s = computeSlotStats();
      assert.equal(s.peak, 1, 'never more than one at once');
      assert.equal(s.acquired, 7, 'a job holds one slot for its fetch and its run (not a second one for the run)');
      assert.equal(s.active, 0);
    } finally {
      setComputeConcurrency(before);
    }
  });
});

describe('onnx external data', () => {
  // Minimal protobuf writer for hand-made models.
  const varint = (n: number): number[] => {
    const out: number[] = [];
    do {
      let b = n % 128;
      n = Math.floor(n / 128);
      if (n > 0) b |= 0x80;
      out.push(b);
    } while (n > 0);
    return out;
  };
  const ld = (field: number, bytes: number[]) => [...varint(field * 8 + 2), ...varint(bytes.length), ...bytes];
  const vi = (field: number, v: number) => [...varint(field * 8), ...varint(v)];
  const str = (field: number, s: string) => ld(field, [...new TextEncoder().encode(s)]);
  const model = (tensor: number[]) => Uint8Array.from([...vi(1, 8), ...ld(7, [...str(2, 'g'), ...ld(5, tensor)])]);

  it('refuses a model whose initializer lives in an external file, naming the tensor', () => {
    const external = model([...vi(1, 1), ...vi(2, 1), ...str(8, 'w'), ...ld(13, [...str(1, 'location'), ...str(2, 'secret.txt')]), ...vi(14, 1)]);
    assert.throws(() => encodeBundle({ kind: 'onnx', model: external }), (e: WorkloadError) => e.code === 'invalid-bundle' && e.field === 'model.graph[0].initializer[0].external_data');
    const located = model([...vi(1, 1), ...vi(2, 1), ...str(8, 'w'), ...vi(14, 1)]);
    assert.throws(() => encodeBundle({ kind: 'onnx', model: located }), (e: WorkloadError) => e.field === 'model.graph[0].initializer[0].data_location');
    // Inside a subgraph attribute too (If/Loop bodies).
    const nested = Uint8Array.from([...vi(1, 8), ...ld(7, [...ld(1, [...str(4, 'If'), ...ld(5, [...str(1, 'then_branch'), ...ld(6, ld(5, [...str(8, 'w'), ...vi(14, 1)]))])])])]);
    assert.throws(() => encodeBundle({ kind: 'onnx', model: nested }), (e: WorkloadError) => e.field === 'model.graph[0].node[0].attribute[0].g[0].initializer[0].data_location');
    // The same tensor with its data inside is fine; decodeBundle checks too.
    const inline = model([...vi(1, 1), ...vi(2, 1), ...str(8, 'w'), ...ld(9, [0, 0, 128, 63]), ...vi(14, 0)]);
    const bytes = encodeBundle({ kind: 'onnx', model: inline });
    assert.equal(decodeBundle(bytes).kind, 'onnx');
    assert.throws(() => decodeBundle(encodeBundleUnchecked(external)), (e: WorkloadError) => e.code === 'invalid-bundle');
  });
});

/** Bundle bytes built by hand (no encodeBundle checks), to see decodeBundle refuse them. */
function encodeBundleUnchecked(model: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode('{}');
  const out = new Uint8Array(14 + json.length + model.length);
  const view = new DataView(out.buffer);
  out.set([0x4d, 0x43, 0x57, 0x42, 1, 2]);
  view.setUint32(6, json.length, true);
  out.set(json, 10);
  view.setUint32(10 + json.length, model.length, true);
  out.set(model, 14 + json.length);
  return out;
}

describe('one seeded generator', () => {
  it('seededRng, seededBytes and the pricing re-export are the same mulberry32', () => {
    assert.equal(pricingRng, seededRng);
    const word = Math.floor(seededRng(5)() * 2 ** 32);
    const bytes = seededBytes(5, 4);
    assert.equal(new DataView(bytes.buffer).getUint32(0, true), word);
    // mlpWeights draws from it too: same seed, same weights.
    assert.deepEqual(mlpWeights(3, 2, 2, 2).w1, mlpWeights(3, 2, 2, 2).w1);
  });
});

// Workload bundles and the sandbox: every kind runs and is deterministic, outputs match independent
// references, bad bundles are refused naming the field, and the time and memory limits hold.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, describe, it } from 'node:test';
import wabtInit from 'wabt';
import {
  capWasmMemory,
  closeSandboxes,
  decodeBundle,
  decodeTensors,
  demoWasmBytes,
  demoWorkload,
  encodeBundle,
  encodeTensors,
  EXAMPLE_TRAIN_SPEC,
  exampleOnnxWorkload,
  exampleTrainWorkload,
  exampleWasmWorkload,
  mlpForward,
  onnxModelBytes,
  runWorkload,
  sha256Hex,
  trainMlpKernel,
  WorkloadError,
  type WorkloadErrorCode,
} from '../../src/compute/workloads/index.ts';
import { compileDemoWasm, demoModulePath, demoWasmModule } from '../../scripts/build-wasm.js';
import { readFileSync } from 'node:fs';

const LIMITS = { timeoutMs: 10_000, memoryMB: 64 };

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

const wasmBundle = (module: Uint8Array) => encodeBundle({ kind: 'wasm', module });

/** Asserts a WorkloadError with this code (and field, when given). */
async function rejectsWith(p: Promise<unknown> | (() => unknown), code: WorkloadErrorCode, field?: string): Promise<WorkloadError> {
  let caught: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof WorkloadError, `expected a WorkloadError ${code}, got ${caught === undefined ? 'success' : String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (field !== undefined) assert.equal(caught.field, field, caught.message);
  assert.ok(caught.message.length > 10);
  return caught;
}

/** The ABI boilerplate around a `run` body. */
const abiModule = (memory: string, run: string, extra = '') => `(module
  (memory (export "memory") ${memory})
  (func (export "alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "output_ptr") (result i32) (i32.const 0))
  (func (export "run") (param $ptr i32) (param $len i32) (result i32) ${run})
  ${extra})`;

describe('bundles', () => {
  it('round-trips every kind, and the digest is the sha256 of the bytes', () => {
    for (const { bundle } of [demoWorkload(), exampleOnnxWorkload(), exampleTrainWorkload()]) {
      const decoded = decodeBundle(bundle);
      assert.deepEqual(encodeBundle(decoded), bundle);
      assert.equal(sha256Hex(bundle), `0x${createHash('sha256').update(bundle).digest('hex')}`);
    }
    assert.deepEqual(decodeBundle(exampleTrainWorkload().bundle), { kind: 'train', name: 'mlp on three blobs', train: EXAMPLE_TRAIN_SPEC });
    // Key order does not change the bytes.
    const a = encodeBundle({ kind: 'train', train: { ...EXAMPLE_TRAIN_SPEC } });
    const b = encodeBundle({ kind: 'train', train: { seed: 42, learningRate: 0.1, batchSize: 32, steps: 300, classes: 3, hidden: 16, model: 'mlp' } });
    assert.deepEqual(a, b);
  });

  it('refuses malformed bundles naming the field', async () => {
    const good = demoWorkload().bundle;
    const patch = (at: number, v: number) => {
      const c = good.slice();
      c[at] = v;
      return c;
    };
    await rejectsWith(() => decodeBundle(patch(0, 0x58)), 'invalid-bundle', 'magic');
    await rejectsWith(() => decodeBundle(patch(4, 9)), 'invalid-bundle', 'version');
    await rejectsWith(() => decodeBundle(patch(5, 7)), 'invalid-bundle', 'kind');
    await rejectsWith(() => decodeBundle(good.subarray(0, 10)), 'invalid-bundle', 'header');
    await rejectsWith(() => decodeBundle(good.subarray(0, good.length - 1)), 'invalid-bundle', 'module');
    await rejectsWith(() => decodeBundle(Uint8Array.from([...good, 0])), 'invalid-bundle', 'trailing');
    await rejectsWith(() => encodeBundle({ kind: 'wasm', module: new Uint8Array(20) }), 'invalid-bundle', 'module');
    await rejectsWith(() => encodeBundle({ kind: 'gpu' } as never), 'invalid-bundle', 'kind');
    await rejectsWith(() => encodeBundle({ kind: 'onnx', model: new Uint8Array() }), 'invalid-bundle', 'model');
    await rejectsWith(() => encodeBundle({ kind: 'wasm', name: 'x'.repeat(65), module: demoWasmBytes }), 'invalid-bundle', 'name');
    for (const [field, value] of [
      ['hidden', 0],
      ['classes', 1],
      ['steps', 1.5],
      ['batchSize', -1],
      ['learningRate', Number.POSITIVE_INFINITY],
      ['seed', 2 ** 32],
      ['model', 'cnn'],
    ] as const) {
      await rejectsWith(() => encodeBundle({ kind: 'train', train: { ...EXAMPLE_TRAIN_SPEC, [field]: value } }), 'invalid-bundle', `train.${field}`);
    }
    // A hand-made train bundle with an unknown meta field.
    const meta = new TextEncoder().encode(JSON.stringify({ train: EXAMPLE_TRAIN_SPEC, extra: 1 }));
    const raw = new Uint8Array(14 + meta.length);
    raw.set([0x4d, 0x43, 0x57, 0x42, 1, 3]);
    new DataView(raw.buffer).setUint32(6, meta.length, true);
    raw.set(meta, 10);
    await rejectsWith(() => decodeBundle(raw), 'invalid-bundle', 'meta.extra');
    // runWorkload refuses the same way, before any sandbox starts.
    await rejectsWith(runWorkload(patch(0, 0), new Uint8Array(), LIMITS), 'invalid-bundle', 'magic');
  });

  it('refuses wasm modules that break the ABI, naming the part', async () => {
    const noRun = await wat(`(module (memory (export "memory") 1) (func (export "alloc") (param i32) (result i32) (i32.const 0)) (func (export "output_ptr") (result i32) (i32.const 0)))`);
    await rejectsWith(runWorkload(wasmBundle(noRun), new Uint8Array(), LIMITS), 'invalid-bundle', 'module.exports.run');
    const imports = await wat(`(module (import "env" "now" (func (result i32))) (memory (export "memory") 1))`);
    await rejectsWith(runWorkload(wasmBundle(imports), new Uint8Array(), LIMITS), 'invalid-bundle', 'module.imports');
    const noMemory = await wat(`(module (func (export "run") (param i32 i32) (result i32) (i32.const 0)))`);
    await rejectsWith(runWorkload(wasmBundle(noMemory), new Uint8Array(), LIMITS), 'invalid-bundle', 'module.exports.memory');
    // Valid header and a memory section, but a code section that does not compile.
    const broken = Uint8Array.from([...demoWasmBytes.subarray(0, demoWasmBytes.length - 3), 0xff, 0xff, 0xff]);
    await rejectsWith(runWorkload(wasmBundle(broken), new Uint8Array(), LIMITS), 'invalid-bundle', 'module');
  });
});

describe('tensor encoding', () => {
  it('round-trips and refuses bad bytes naming the part', async () => {
    const tensors = [
      { name: 'x', dims: [2, 3], data: new Float32Array([1, -2, 3.5, 0, 1e-7, 6]) },
      { name: 'y', dims: [2], data: new Int32Array([1, -1]) },
      { name: 'z', dims: [], data: new Float64Array([Math.PI]) },
    ];
    const bytes = encodeTensors(tensors);
    assert.deepEqual(decodeTensors(bytes), tensors);
    await rejectsWith(() => decodeTensors(bytes.subarray(0, bytes.length - 1)), 'invalid-input', 'input.tensors[2].data');
    await rejectsWith(() => decodeTensors(Uint8Array.from([...bytes, 1])), 'invalid-input', 'input.trailing');
    await rejectsWith(() => encodeTensors([{ name: 'x', dims: [3], data: new Float32Array(2) }]), 'invalid-input', 'tensors[0].data');
  });
});

describe('wasm workloads', () => {
  it('the committed demoWasm.ts matches demo.wat', async () => {
    assert.equal(readFileSync(demoModulePath, 'utf8'), demoWasmModule(await compileDemoWasm()), 'run node scripts/build-wasm.js');
  });

  it('the demo computes the histogram and Adler-32 of its input, deterministically and fast', async () => {
    const { bundle, input } = demoWorkload();
    const first = await runWorkload(bundle, input, LIMITS);
    const second = await runWorkload(bundle, input, LIMITS);
    assert.equal(first.outputDigest, second.outputDigest);
    assert.deepEqual(first.output, second.output);
    assert.equal(first.outputDigest, sha256Hex(first.output));
    // Reference in plain JS.
    const view = new DataView(first.output.buffer, first.output.byteOffset, first.output.byteLength);
    assert.equal(first.output.length, 1032);
    assert.equal(view.getUint32(0, true), input.length);
    let a = 1;
    let b = 0;
    const counts = new Array<number>(256).fill(0);
    for (const x of input) {
      a = (a + x) % 65521;
      b = (b + a) % 65521;
      counts[x]!++;
    }
    assert.equal(view.getUint32(4, true), ((b << 16) | a) >>> 0);
    for (let i = 0; i < 256; i++) assert.equal(view.getUint32(8 + 4 * i, true), counts[i], `count of byte ${i}`);
    // Warm sandbox: a message round trip, not a sandbox start per run. The goal (< 50 ms) is measured by the bench;
    // here the bound is 5x that, so a loaded 2-core machine cannot fail it while a cold start per run still would.
    const times: number[] = [];
    for (let i = 0; i < 5; i++) times.push((await runWorkload(bundle, input, LIMITS)).ms);
    assert.ok(Math.min(...times) < 250, `demo runs took ${times.map((t) => t.toFixed(1)).join(', ')} ms`);
  });

  it('a different input gives a different output', async () => {
    const { bundle, input } = exampleWasmWorkload();
    const r1 = await runWorkload(bundle, input, LIMITS);
    const changed = input.slice();
    changed[100] = changed[100]! ^ 1;
    const r2 = await runWorkload(bundle, changed, LIMITS);
    assert.notEqual(r1.outputDigest, r2.outputDigest);
  });

  it('kills an infinite loop at the time limit, and the next run still works', async () => {
    const loop = await wat(abiModule('1', '(loop $l (br $l)) (i32.const 0)'));
    const t = performance.now();
    await rejectsWith(runWorkload(wasmBundle(loop), new Uint8Array(8), { timeoutMs: 300, memoryMB: 16 }), 'timeout');
    const took = performance.now() - t;
    // Stopped at the limit, not when the loop ends (it never does): a generous bound for a loaded machine.
    assert.ok(took < 300 + 5_000, `stopped after ${took.toFixed(0)} ms`);
    const { bundle, input } = demoWorkload();
    await runWorkload(bundle, input, { timeoutMs: 300, memoryMB: 16 });
  });

  it('caps memory: growing past the limit fails, an initial memory over it is refused', async () => {
    // Grows one page at a time until memory.grow fails, then traps.
    const hog = await wat(abiModule('1', `(loop $l (br_if $l (i32.ne (memory.grow (i32.const 1)) (i32.const -1)))) unreachable`));
    const e = await rejectsWith(runWorkload(wasmBundle(hog), new Uint8Array(), { timeoutMs: 10_000, memoryMB: 16 }), 'memory');
    assert.match(e.message, /16 MB/);
    const big = await wat(abiModule('1024', '(i32.const 0)')); // 64 MiB initial
    await rejectsWith(runWorkload(wasmBundle(big), new Uint8Array(), { timeoutMs: 10_000, memoryMB: 16 }), 'memory');
    // The same module fits a larger limit.
    await runWorkload(wasmBundle(big), new Uint8Array(), { timeoutMs: 10_000, memoryMB: 128 });
    // The cap rewrites only the memory section, keeping a smaller declared maximum.
    const capped = capWasmMemory(await wat(abiModule('1 4', '(i32.const 0)')), 100);
    const mod = new WebAssembly.Module(capped as Uint8Array<ArrayBuffer>);
    const mem = (new WebAssembly.Instance(mod).exports as { memory: WebAssembly.Memory }).memory;
    assert.equal(mem.grow(3), 1);
    assert.throws(() => mem.grow(1));
  });

  it('reports traps and error codes as crashed', async () => {
    const trap = await wat(abiModule('1', 'unreachable'));
    await rejectsWith(runWorkload(wasmBundle(trap), new Uint8Array(4), LIMITS), 'crashed');
    const negative = await wat(abiModule('1', '(i32.const -3)'));
    const e = await rejectsWith(runWorkload(wasmBundle(negative), new Uint8Array(4), LIMITS), 'crashed');
    assert.match(e.message, /-3/);
    const outside = await wat(abiModule('1', '(i32.const 100000)'));
    await rejectsWith(runWorkload(wasmBundle(outside), new Uint8Array(4), LIMITS), 'crashed');
  });
});

describe('onnx workloads', () => {
  it('matches a plain-JS forward pass, byte-identical across runs', async () => {
    const { bundle, input, weights, x, batch } = exampleOnnxWorkload();
    const first = await runWorkload(bundle, input, LIMITS);
    const second = await runWorkload(bundle, input, LIMITS);
    assert.deepEqual(first.output, second.output);
    assert.equal(first.outputDigest, second.outputDigest);
    const [probs, ...rest] = decodeTensors(first.output, 'output');
    assert.equal(rest.length, 0);
    assert.equal(probs!.name, 'probs');
    assert.deepEqual(probs!.dims, [batch, 3]);
    assert.ok(probs!.data instanceof Float32Array);
    const reference = mlpForward(weights, x, batch);
    for (let i = 0; i < reference.length; i++) assert.ok(Math.abs(probs!.data[i]! - reference[i]!) < 1e-5, `row ${Math.floor(i / 3)}: ${probs!.data[i]} vs ${reference[i]}`);
    // Rows are real distributions, not constants.
    assert.ok(new Set(Array.from(probs!.data)).size > batch);
  });

  it('refuses inputs that do not fit the model, naming the tensor', async () => {
    const { bundle } = exampleOnnxWorkload();
    const wrongName = encodeTensors([{ name: 'z', dims: [1, 4], data: new Float32Array(4) }]);
    await rejectsWith(runWorkload(bundle, wrongName, LIMITS), 'invalid-input', 'input.x');
    const wrongType = encodeTensors([{ name: 'x', dims: [1, 4], data: new Int32Array(4) }]);
    await rejectsWith(runWorkload(bundle, wrongType, LIMITS), 'invalid-input', 'input.tensors[0].dtype');
    await rejectsWith(runWorkload(bundle, new Uint8Array([1, 2, 3]), LIMITS), 'invalid-input', 'input.header');
  });

  it('refuses a model that is not protobuf, and one onnxruntime cannot load', async () => {
    await rejectsWith(() => encodeBundle({ kind: 'onnx', model: new TextEncoder().encode('not a protobuf model at all') }), 'invalid-bundle', 'model');
    const unknownOp = onnxModelBytes({ name: 'bad', nodes: [{ op: 'NoSuchOperator', inputs: ['x'], outputs: ['y'] }], initializers: [], inputs: [{ name: 'x', dims: [1] }], outputs: [{ name: 'y', dims: [1] }] });
    const bundle = encodeBundle({ kind: 'onnx', model: unknownOp });
    const e = await rejectsWith(runWorkload(bundle, encodeTensors([{ name: 'x', dims: [1], data: new Float32Array(1) }]), LIMITS), 'invalid-bundle', 'model');
    assert.equal(e.deterministic, true);
  });

  it('kills a model that allocates past the memory limit', async () => {
    // x [1,1] expanded to 8192×8192 floats (256 MiB), then summed.
    const model = onnxModelBytes({
      name: 'hog',
      nodes: [
        { op: 'Expand', inputs: ['x', 'shape'], outputs: ['big'] },
        { op: 'ReduceSum', inputs: ['big'], outputs: ['sum'], attributes: { keepdims: { int: 0 } } },
      ],
      initializers: [{ name: 'shape', dims: [2], data: new BigInt64Array([8192n, 8192n]) }],
      inputs: [{ name: 'x', dims: [1, 1] }],
      outputs: [{ name: 'sum', dims: [] }],
    });
    const input = encodeTensors([{ name: 'x', dims: [1, 1], data: new Float32Array([1]) }]);
    await rejectsWith(runWorkload(encodeBundle({ kind: 'onnx', model }), input, { timeoutMs: 20_000, memoryMB: 64 }), 'memory');
  });
});

describe('train workloads', () => {
  it('trains deterministically, lowers the loss, and matches the in-process trainer', async () => {
    const { bundle, input } = exampleTrainWorkload();
    const first = await runWorkload(bundle, input, LIMITS);
    const second = await runWorkload(bundle, input, LIMITS);
    assert.equal(first.outputDigest, second.outputDigest);
    const out = new Map(decodeTensors(first.output, 'output').map((t) => [t.name, t]));
    assert.deepEqual([...out.keys()], ['w1', 'b1', 'w2', 'b2', 'loss']);
    assert.deepEqual(out.get('w1')!.dims, [2, 16]);
    assert.deepEqual(out.get('w2')!.dims, [16, 3]);
    const [before, afterLoss] = out.get('loss')!.data;
    assert.ok(afterLoss! < before! / 4, `loss ${before} → ${afterLoss}`);
    // The worker ran the same code as this thread.
    const data = decodeTensors(input);
    const x = Float64Array.from(data[0]!.data);
    const local = trainMlpKernel(EXAMPLE_TRAIN_SPEC, x, 300, 2, data[1]!.data as Int32Array);
    assert.deepEqual(out.get('w1')!.data, local.w1);
    assert.deepEqual(out.get('loss')!.data, local.loss);
    // Another seed gives other weights.
    const other = encodeBundle({ kind: 'train', train: { ...EXAMPLE_TRAIN_SPEC, seed: 43 } });
    assert.notEqual((await runWorkload(other, input, LIMITS)).outputDigest, first.outputDigest);
  });

  it('refuses bad data and sizes over the memory limit', async () => {
    const { bundle } = exampleTrainWorkload();
    const badLabel = encodeTensors([
      { name: 'x', dims: [2, 2], data: new Float32Array(4) },
      { name: 'y', dims: [2], data: new Int32Array([0, 3]) },
    ]);
    await rejectsWith(runWorkload(bundle, badLabel, LIMITS), 'invalid-input', 'input.y');
    await rejectsWith(runWorkload(bundle, encodeTensors([{ name: 'y', dims: [1], data: new Int32Array(1) }]), LIMITS), 'invalid-input', 'input.x');
    const huge = encodeBundle({ kind: 'train', train: { ...EXAMPLE_TRAIN_SPEC, hidden: 4096, classes: 1024 } });
    await rejectsWith(runWorkload(huge, exampleTrainWorkload().input, { timeoutMs: 10_000, memoryMB: 16 }), 'memory');
  });

  it('stops a long training run at the time limit', async () => {
    const long = encodeBundle({ kind: 'train', train: { ...EXAMPLE_TRAIN_SPEC, steps: 1_000_000, batchSize: 300 } });
    const t = performance.now();
    const e = await rejectsWith(runWorkload(long, exampleTrainWorkload().input, { timeoutMs: 200, memoryMB: 64 }), 'timeout');
    assert.equal(e.deterministic, false, 'a timeout depends on the machine');
    // A million full-batch steps take minutes: stopping within seconds means the limit held (5x margin for load).
    const took = performance.now() - t;
    assert.ok(took < 7_500, `stopped after ${took.toFixed(0)} ms`);
  });
});

// runWorkload: decode a bundle, check the input against its kind, run it in the sandbox, return the output bytes
// and their digest. The same bundle and input give the same bytes on every run (and every machine running
// the same Node and onnxruntime builds on the same CPU family).
import type { Hex } from 'viem';
import { decodeBundle, sha256Hex, type TrainSpec } from './bundle.ts';
import { invalidInput, memoryRefused, WorkloadError } from './errors.ts';
import { trainMemoryBytes } from './kernels.ts';
import { runOnnxSandboxed, runTrainSandboxed, runWasmSandboxed } from './sandbox.ts';
import { withComputeSlot } from './slots.ts';
import { decodeTensors, encodeTensors, type Tensor } from './tensors.ts';
import { capWasmMemory, WASM_PAGE } from './wasm.ts';

export type RunLimits = {
  /** Wall-clock limit of the run itself, once its sandbox is ready. */
  timeoutMs: number;
  /** wasm: the module's memory maximum, and the worker's V8 heap; train: its buffers and heap; onnx: the child's resident memory above its idle baseline. */
  memoryMB: number;
};

/** Largest output a workload may produce (job-independent, under a node's blob cap); more is 'output-too-large'. */
export const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;

export type RunWorkloadReturnType = { output: Uint8Array; outputDigest: Hex; ms: number };

function checkLimits(l: RunLimits): void {
  if (!l || typeof l !== 'object') throw new WorkloadError('invalid-input', 'limits must be { timeoutMs, memoryMB }', { field: 'limits', deterministic: false });
  if (!Number.isFinite(l.timeoutMs) || l.timeoutMs <= 0) throw new WorkloadError('invalid-input', `must be a positive number of ms, got ${l.timeoutMs}`, { field: 'limits.timeoutMs', deterministic: false });
  if (!Number.isInteger(l.memoryMB) || l.memoryMB < 1 || l.memoryMB > 65_536) throw new WorkloadError('invalid-input', `must be an integer in 1..65536, got ${l.memoryMB}`, { field: 'limits.memoryMB', deterministic: false });
}

/** The train input (tensor list): "x" float32|float64 [n, features], "y" int32 [n] with labels < classes. */
function trainData(input: Uint8Array, spec: TrainSpec) {
  const tensors = decodeTensors(input, 'input');
  const byName = new Map(tensors.map((t) => [t.name, t]));
  for (const t of tensors) if (t.name !== 'x' && t.name !== 'y') throw invalidInput(`input.${t.name}`, 'unexpected tensor (a train input has "x" and "y")');
  const x = byName.get('x');
  const y = byName.get('y');
  if (!x) throw invalidInput('input.x', 'missing (float32 or float64, [examples, features])');
  if (!y) throw invalidInput('input.y', 'missing (int32 labels, [examples])');
  if (x.dims.length !== 2 || x.data instanceof Int32Array) throw invalidInput('input.x', 'must be a float32 or float64 tensor of rank 2');
  const [n, f] = x.dims as [number, number];
  if (n < 1 || f < 1 || f > 65_536) throw invalidInput('input.x', `shape [${n}, ${f}]: needs at least one example and 1..65536 features`);
  if (!(y.data instanceof Int32Array) || y.dims.length !== 1 || y.dims[0] !== n) throw invalidInput('input.y', `must be an int32 tensor of shape [${n}]`);
  const labels = y.data;
  for (let i = 0; i < n; i++) if (labels[i]! < 0 || labels[i]! >= spec.classes) throw invalidInput('input.y', `label ${labels[i]} at ${i} is outside 0..${spec.classes - 1}`);
  for (let i = 0; i < x.data.length; i++) if (!Number.isFinite(x.data[i]!)) throw invalidInput('input.x', `element ${i} is not finite`);
  return { x: Float64Array.from(x.data), y: new Int32Array(labels), n, f };
}

/**
 * Runs a workload bundle on an input in the sandbox, with time and memory limits.
 * Throws WorkloadError: 'invalid-bundle' / 'invalid-input' (naming the field), 'timeout', 'memory', 'crashed' or
 * 'output-too-large'; `deterministic` on the error says whether every machine fails the same way (failure.ts).
 * Holds one process-wide compute slot while it runs (slots.ts).
 * @example
 * const { bundle, input } = demoWorkload()
 * const { output, outputDigest, ms } = await runWorkload(bundle, input, { timeoutMs: 5_000, memoryMB: 64 })
 */
export async function runWorkload(bundle: Uint8Array, input: Uint8Array, limits: RunLimits): Promise<RunWorkloadReturnType> {
  return withComputeSlot(() => runUnslotted(bundle, input, limits));
}

async function runUnslotted(bundle: Uint8Array, input: Uint8Array, limits: RunLimits): Promise<RunWorkloadReturnType> {
  const started = performance.now();
  checkLimits(limits);
  if (!(input instanceof Uint8Array)) throw invalidInput('input', 'must be bytes');
  const b = decodeBundle(bundle);
  const memBytes = limits.memoryMB * 1048576;
  let output: Uint8Array;
  if (b.kind === 'wasm') {
    if (input.length > memBytes) throw memoryRefused(`the input (${input.length} bytes) does not fit in ${limits.memoryMB} MB`);
    const capped = capWasmMemory(b.module, Math.floor(memBytes / WASM_PAGE));
    output = await runWasmSandboxed(capped, input, Math.floor(memBytes / WASM_PAGE) * WASM_PAGE, limits.timeoutMs, limits.memoryMB);
  } else if (b.kind === 'train') {
    const data = trainData(input, b.train);
    const need = trainMemoryBytes(b.train, data.n, data.f);
    if (need > memBytes) throw memoryRefused(`training needs ${Math.ceil(need / 1048576)} MB of buffers, over the ${limits.memoryMB} MB limit`);
    const r = await runTrainSandboxed({ spec: b.train, ...data }, limits.timeoutMs, limits.memoryMB);
    const { hidden: h, classes: c } = b.train;
    output = encodeTensors([
      { name: 'w1', dims: [data.f, h], data: r.w1 },
      { name: 'b1', dims: [h], data: r.b1 },
      { name: 'w2', dims: [h, c], data: r.w2 },
      { name: 'b2', dims: [c], data: r.b2 },
      { name: 'loss', dims: [2], data: r.loss },
    ]);
  } else {
    const tensors = decodeTensors(input, 'input');
    tensors.forEach((t, i) => {
      if (!(t.data instanceof Float32Array)) throw invalidInput(`input.tensors[${i}].dtype`, `"${t.name}" is not float32 (onnx workloads take float32 tensors)`);
    });
    if (b.model.length + input.length > memBytes) throw memoryRefused(`the model and input (${b.model.length + input.length} bytes) exceed the ${limits.memoryMB} MB limit`);
    const outputs: Tensor[] = await runOnnxSandboxed(b.model, tensors, limits.timeoutMs, limits.memoryMB);
    output = encodeTensors(outputs, 'output');
  }
  if (output.length > MAX_OUTPUT_BYTES) throw new WorkloadError('output-too-large', `${output.length} bytes, over the ${MAX_OUTPUT_BYTES}-byte cap`, { field: 'output' });
  return { output, outputDigest: sha256Hex(output), ms: performance.now() - started };
}

// The keccak WebAssembly instance and the workspace in its memory: every call copies its inputs to the
// workspace, runs batch exports, and copies the results out, so no pointer outlives a call. Big batches are
// split into chunks that this thread and one worker thread claim from a shared counter (see jobs.ts).
import { keccakWasmBase64 } from './keccakWasm.ts';

/** The exports of keccak.wat (pointers are byte offsets into the memory). */
export type KeccakExports = {
  setScratch(p: number): void;
  keccak(p: number, len: number, out: number): void;
  digestLeaves(input: number, n: number, out: number): void;
  hashPair(a: number, b: number, out: number): void;
  digestLeavesMirrored(area: number, n: number, from: number, to: number): void;
  reverseNodes(area: number, n: number, from: number, to: number): void;
  buildNodes(tree: number, from: number, to: number): void;
  processProof(leaf: number, proof: number, depth: number, out: number): void;
};

/** Where callers' buffers start. Below: round constants (0), sponges (256 here, 1024 in the worker), job control (4096). */
export const WORKSPACE = 65536;
export const WORKER_SCRATCH = 1024;
export const CONTROL = 4096;
export const CONTROL_SLOTS = 128;
const PAGE = 65536;
/** Above this size the memory is dropped after the call (one 1M-leaf tree must not pin 64 MB for good). */
const KEEP_BYTES = 16 << 20;
/** wasm32 addresses: the exports take i32 pointers. */
const MAX_BYTES = 4 * 1024 * 1024 * 1024 - PAGE;

// Compiled once, synchronously (the module is a few KB); instances, here and in the worker, share its code.
export const wasmModule = new WebAssembly.Module(Buffer.from(keccakWasmBase64, 'base64'));

type Instance = { exports: KeccakExports; memory: WebAssembly.Memory; heap: Uint8Array; control: Int32Array };
let current: Instance | undefined;

function instantiate(): Instance {
  // Shared, so that the worker thread works on the same bytes; the maximum is only reserved address space.
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 65536, shared: true });
  const instance = new WebAssembly.Instance(wasmModule, { env: { memory } });
  const buffer = memory.buffer as unknown as SharedArrayBuffer;
  return {
    exports: instance.exports as unknown as KeccakExports,
    memory,
    heap: new Uint8Array(buffer),
    control: new Int32Array(buffer, CONTROL, CONTROL_SLOTS),
  };
}

/** A view of the workspace, valid for the duration of the callback only (except what `keep` returns). */
export type Workspace = {
  wasm: KeccakExports;
  heap: Uint8Array;
  base: number;
  memory: WebAssembly.Memory;
  control: Int32Array;
  /** Bytes [at, at+len) for the caller to keep: a copy, or the memory itself when this call retires it. */
  keep(at: number, len: number): Uint8Array;
};

/**
 * Run `fn` with at least `bytes` of workspace starting at `base`. Not re-entrant (nothing here awaits).
 */
export function withWorkspace<T>(bytes: number, fn: (w: Workspace) => T): T {
  const need = WORKSPACE + bytes;
  if (need > MAX_BYTES) throw new RangeError(`merkle: ${bytes} bytes of work space exceed WebAssembly's 4 GiB`);
  const inst = (current ??= instantiate());
  if (inst.heap.length < need) {
    inst.memory.grow(Math.ceil((need - inst.heap.length) / PAGE));
    inst.heap = new Uint8Array(inst.memory.buffer as unknown as SharedArrayBuffer);
  }
  // A big call retires the memory, so its result can stay where it is instead of being copied out.
  const retire = inst.heap.length > KEEP_BYTES;
  const keep = (at: number, len: number) => (retire ? inst.heap.subarray(at, at + len) : inst.heap.slice(at, at + len));
  try {
    return fn({ wasm: inst.exports, heap: inst.heap, base: WORKSPACE, memory: inst.memory, control: inst.control, keep });
  } finally {
    if (retire) current = undefined;
  }
}

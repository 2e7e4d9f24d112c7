// The WebAssembly workload ABI, and the one change the sandbox makes to a module before running it: a
// memory maximum equal to the run's memory limit, so `memory.grow` past the limit fails inside the module.
//
// ABI (version 1). A module:
//   - imports nothing (it gets no host functions: pure and deterministic, except for NaN bit patterns,
//     which WebAssembly leaves open; do not let them reach the output);
//   - exports `memory` (one 32-bit memory, not shared) and three functions:
//       alloc(len: i32) -> i32           room for the input: a pointer to `len` writable bytes
//       run(ptr: i32, len: i32) -> i32   process the input at [ptr, ptr+len); returns the output length,
//                                        or a negative error code (reported as 'crashed')
//       output_ptr() -> i32              where the output starts (read after run)
// The host instantiates a fresh instance for every run, calls alloc, copies the input, calls run, then
// output_ptr, and copies [output_ptr, output_ptr + outLen) out. A trap is 'crashed' unless memory is at
// the limit ('memory'); running past the time limit is 'timeout'.
import { demoWasmBase64 } from './demoWasm.ts';
import { invalidBundle, memoryRefused } from './errors.ts';

export const WASM_PAGE = 65536;

/** The demo module (demo.wat): histogram + Adler-32 of the input. */
export const demoWasmBytes: Uint8Array = new Uint8Array(Buffer.from(demoWasmBase64, 'base64'));

function readU32(bytes: Uint8Array, at: number, field: string): { value: number; next: number } {
  let value = 0;
  for (let shift = 0, i = at; i < at + 5; i++, shift += 7) {
    if (i >= bytes.length) throw invalidBundle(field, 'truncated LEB128');
    const b = bytes[i]!;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) {
      if (value > 0xffffffff) throw invalidBundle(field, 'LEB128 value exceeds 32 bits');
      return { value, next: i + 1 };
    }
  }
  throw invalidBundle(field, 'LEB128 longer than 5 bytes');
}

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/**
 * `bytes` with its memory's maximum set to at most `maxPages` (64 KiB pages). Refuses (invalid-bundle) a module
 * with no memory of its own, more than one memory, or a shared / 64-bit memory, and ('memory') one whose
 * initial memory exceeds the limit. Only the memory section is rewritten; the rest is copied as is.
 * @example const capped = capWasmMemory(module, 256 * 1024 * 1024 / WASM_PAGE)
 */
export function capWasmMemory(bytes: Uint8Array, maxPages: number): Uint8Array {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) throw invalidBundle('module', 'is not a WebAssembly binary');
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) throw invalidBundle('module', 'unsupported WebAssembly binary version');
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at]!;
    const size = readU32(bytes, at + 1, 'module');
    const start = size.next;
    const end = start + size.value;
    if (end > bytes.length) throw invalidBundle('module', `section ${id} runs past the end of the module`);
    if (id === 5) {
      const count = readU32(bytes, start, 'module.memory');
      if (count.value !== 1) throw invalidBundle('module.memory', `declares ${count.value} memories; the ABI needs exactly one`);
      const flags = bytes[count.next];
      if (flags !== 0 && flags !== 1) throw invalidBundle('module.memory', 'shared or 64-bit memories are not supported');
      const min = readU32(bytes, count.next + 1, 'module.memory');
      let max = maxPages;
      let after = min.next;
      if (flags === 1) {
        const declared = readU32(bytes, min.next, 'module.memory');
        max = Math.min(declared.value, maxPages);
        after = declared.next;
      }
      if (after !== end) throw invalidBundle('module.memory', 'malformed memory section');
      if (min.value > maxPages) {
        throw memoryRefused(`the module's initial memory (${(min.value * WASM_PAGE) / 1048576} MB) exceeds the ${(maxPages * WASM_PAGE) / 1048576} MB limit`);
      }
      const content = [...leb(1), 1, ...leb(min.value), ...leb(max)];
      const section = [5, ...leb(content.length), ...content];
      const out = new Uint8Array(at + section.length + (bytes.length - end));
      out.set(bytes.subarray(0, at), 0);
      out.set(section, at);
      out.set(bytes.subarray(end), at + section.length);
      return out;
    }
    at = end;
  }
  throw invalidBundle('module.exports.memory', 'the module defines no memory of its own (the ABI needs an exported, non-imported memory)');
}

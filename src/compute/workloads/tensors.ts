// The canonical byte encoding of a list of named tensors: how inputs of 'onnx' and 'train' workloads are
// given and how 'onnx' and 'train' outputs are returned, so equal results are equal bytes (and equal digests).
//
// Layout (all integers little-endian):
//   magic   4 bytes  "MTS1"
//   count   u32      number of tensors
//   then per tensor, in list order:
//     nameLen u16, name (UTF-8, 1..255 bytes, unique in the list)
//     dtype   u8     1 = float32, 6 = int32, 11 = float64 (ONNX's TensorProto numbering)
//     rank    u8     0..8
//     dims    u32 × rank
//     data    product(dims) elements of dtype, little-endian, row-major
// Nothing may follow the last tensor.
import { invalidInput } from './errors.ts';

export type TensorDType = 'float32' | 'int32' | 'float64';
export type TensorData = Float32Array | Int32Array | Float64Array;
export type Tensor = { name: string; dims: number[]; data: TensorData };

const MAGIC = [0x4d, 0x54, 0x53, 0x31]; // "MTS1"
const DTYPE_CODE: Record<TensorDType, number> = { float32: 1, int32: 6, float64: 11 };
const CODE_DTYPE = new Map<number, TensorDType>([
  [1, 'float32'],
  [6, 'int32'],
  [11, 'float64'],
]);
const MAX_RANK = 8;
/** Typed arrays are host-endian; on little-endian hosts (all that Node ships for) data is copied as bytes. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function tensorDType(data: TensorData): TensorDType {
  return data instanceof Float32Array ? 'float32' : data instanceof Int32Array ? 'int32' : 'float64';
}

const elementCount = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/**
 * The canonical bytes of `tensors` (see the layout above).
 * @example encodeTensors([{ name: 'x', dims: [2, 2], data: new Float32Array([1, 2, 3, 4]) }])
 */
export function encodeTensors(tensors: readonly Tensor[], field = 'tensors'): Uint8Array {
  const enc = new TextEncoder();
  const names = new Set<string>();
  let size = 8;
  const parts = tensors.map((t, i) => {
    const f = `${field}[${i}]`;
    const name = enc.encode(t.name);
    if (name.length === 0 || name.length > 255) throw invalidInput(`${f}.name`, 'must be 1..255 bytes of UTF-8');
    if (names.has(t.name)) throw invalidInput(`${f}.name`, `duplicate tensor name "${t.name}"`);
    names.add(t.name);
    if (t.dims.length > MAX_RANK) throw invalidInput(`${f}.dims`, `rank ${t.dims.length} exceeds ${MAX_RANK}`);
    for (const d of t.dims) if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) throw invalidInput(`${f}.dims`, `${d} is not a dimension`);
    if (elementCount(t.dims) !== t.data.length) throw invalidInput(`${f}.data`, `has ${t.data.length} elements, dims ${JSON.stringify(t.dims)} need ${elementCount(t.dims)}`);
    size += 2 + name.length + 2 + 4 * t.dims.length + t.data.byteLength;
    return { name, t };
  });
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(4, tensors.length, true);
  let o = 8;
  for (const { name, t } of parts) {
    view.setUint16(o, name.length, true);
    out.set(name, o + 2);
    o += 2 + name.length;
    view.setUint8(o, DTYPE_CODE[tensorDType(t.data)]);
    view.setUint8(o + 1, t.dims.length);
    o += 2;
    for (const d of t.dims) {
      view.setUint32(o, d, true);
      o += 4;
    }
    const d = t.data;
    if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), o);
      o += d.byteLength;
    } else if (d instanceof Float32Array) for (let i = 0; i < d.length; i++, o += 4) view.setFloat32(o, d[i]!, true);
    else if (d instanceof Int32Array) for (let i = 0; i < d.length; i++, o += 4) view.setInt32(o, d[i]!, true);
    else for (let i = 0; i < d.length; i++, o += 8) view.setFloat64(o, d[i]!, true);
  }
  return out;
}

/**
 * Parses canonical tensor bytes; any deviation is refused naming `field` and the part at fault.
 * @example const [x] = decodeTensors(bytes, 'input')
 */
export function decodeTensors(bytes: Uint8Array, field = 'input'): Tensor[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (o: number, n: number, what: string) => {
    if (o + n > bytes.length) throw invalidInput(`${field}.${what}`, `truncated: needs ${o + n} bytes, has ${bytes.length}`);
  };
  need(0, 8, 'header');
  if (MAGIC.some((b, i) => bytes[i] !== b)) throw invalidInput(`${field}.magic`, 'not a tensor list (expected "MTS1")');
  const count = view.getUint32(4, true);
  if (count > 4096) throw invalidInput(`${field}.count`, `${count} tensors (at most 4096)`);
  const dec = new TextDecoder('utf-8', { fatal: true });
  const tensors: Tensor[] = [];
  const names = new Set<string>();
  let o = 8;
  for (let i = 0; i < count; i++) {
    const f = `tensors[${i}]`;
    need(o, 2, `${f}.name`);
    const len = view.getUint16(o, true);
    need(o + 2, len, `${f}.name`);
    let name: string;
    try {
      name = dec.decode(bytes.subarray(o + 2, o + 2 + len));
    } catch {
      throw invalidInput(`${field}.${f}.name`, 'is not UTF-8');
    }
    if (len === 0 || len > 255) throw invalidInput(`${field}.${f}.name`, 'must be 1..255 bytes');
    if (names.has(name)) throw invalidInput(`${field}.${f}.name`, `duplicate tensor name "${name}"`);
    names.add(name);
    o += 2 + len;
    need(o, 2, `${f}.dtype`);
    const dtype = CODE_DTYPE.get(view.getUint8(o));
    if (!dtype) throw invalidInput(`${field}.${f}.dtype`, `unknown dtype code ${view.getUint8(o)} (1 float32, 6 int32, 11 float64)`);
    const rank = view.getUint8(o + 1);
    if (rank > MAX_RANK) throw invalidInput(`${field}.${f}.dims`, `rank ${rank} exceeds ${MAX_RANK}`);
    o += 2;
    need(o, 4 * rank, `${f}.dims`);
    const dims: number[] = [];
    for (let k = 0; k < rank; k++, o += 4) dims.push(view.getUint32(o, true));
    const n = elementCount(dims);
    const width = dtype === 'float64' ? 8 : 4;
    need(o, n * width, `${f}.data`);
    let data: TensorData;
    if (LITTLE_ENDIAN) {
      const copy = bytes.slice(o, o + n * width).buffer;
      data = dtype === 'float32' ? new Float32Array(copy) : dtype === 'int32' ? new Int32Array(copy) : new Float64Array(copy);
      o += n * width;
    } else if (dtype === 'float32') {
      const a = new Float32Array(n);
      for (let k = 0; k < n; k++, o += 4) a[k] = view.getFloat32(o, true);
      data = a;
    } else if (dtype === 'int32') {
      const a = new Int32Array(n);
      for (let k = 0; k < n; k++, o += 4) a[k] = view.getInt32(o, true);
      data = a;
    } else {
      const a = new Float64Array(n);
      for (let k = 0; k < n; k++, o += 8) a[k] = view.getFloat64(o, true);
      data = a;
    }
    tensors.push({ name, dims, data });
  }
  if (o !== bytes.length) throw invalidInput(`${field}.trailing`, `${bytes.length - o} bytes after the last tensor`);
  return tensors;
}

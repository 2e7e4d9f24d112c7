// A minimal ONNX protobuf writer, enough to build small float32 models in code (no network, no Python):
// ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto (raw_data), ValueInfoProto. Field numbers
// are those of onnx/onnx.proto. Used for the example 'onnx' workload: an MLP Gemm→Relu→Gemm→Softmax.

import { seededRng } from './random.ts';

/** Protobuf wire writer: varints, length-delimited fields, fixed32 floats. */
class ProtoWriter {
  private readonly chunks: number[] = [];

  /** int64 varint: negatives as their 64-bit two's complement (10 bytes), as protobuf encodes them. */
  private varint(n: number): void {
    if (!Number.isSafeInteger(n)) throw new RangeError(`varint ${n}`);
    let v = BigInt.asUintN(64, BigInt(n));
    while (v >= 0x80n) {
      this.chunks.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.chunks.push(Number(v));
  }

  int(field: number, n: number): this {
    this.varint(field * 8);
    this.varint(n);
    return this;
  }

  float(field: number, v: number): this {
    this.varint(field * 8 + 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.chunks.push(...b);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.varint(field * 8 + 2);
    this.varint(b.length);
    for (const x of b) this.chunks.push(x);
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const w = new ProtoWriter();
    build(w);
    return this.bytes(field, w.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

const FLOAT = 1; // TensorProto.DataType.FLOAT
const INT64 = 7;
const ATTR_FLOAT = 1;
const ATTR_INT = 2;

export type OnnxNode = { op: string; inputs: string[]; outputs: string[]; name?: string; attributes?: Record<string, { int: number } | { float: number }> };
/** A constant tensor: float32, or int64 (shapes, axes). */
export type OnnxInitializer = { name: string; dims: number[]; data: Float32Array | BigInt64Array };
/** A graph input or output: float32, dims are sizes or symbolic names (e.g. 'batch'). */
export type OnnxValue = { name: string; dims: (number | string)[] };
export type OnnxGraph = { name: string; nodes: OnnxNode[]; initializers: OnnxInitializer[]; inputs: OnnxValue[]; outputs: OnnxValue[]; opset?: number };

function valueInfo(w: ProtoWriter, v: OnnxValue): void {
  w.string(1, v.name).message(2, (type) =>
    type.message(1, (tensor) =>
      tensor.int(1, FLOAT).message(2, (shape) => {
        for (const d of v.dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      }),
    ),
  );
}

/**
 * The bytes of an ONNX model (IR version 8, default domain at `opset`, 13 if not given).
 * @example const model = onnxModelBytes({ name: 'g', nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], initializers: [], inputs: [{ name: 'x', dims: ['n', 4] }], outputs: [{ name: 'y', dims: ['n', 4] }] })
 */
export function onnxModelBytes(g: OnnxGraph): Uint8Array {
  const model = new ProtoWriter();
  model.int(1, 8); // ir_version
  model.string(2, 'machina'); // producer_name
  model.message(7, (graph) => {
    g.nodes.forEach((n, i) =>
      graph.message(1, (node) => {
        for (const x of n.inputs) node.string(1, x);
        for (const x of n.outputs) node.string(2, x);
        node.string(3, n.name ?? `${n.op}_${i}`);
        node.string(4, n.op);
        for (const [name, a] of Object.entries(n.attributes ?? {})) {
          node.message(5, (attr) => {
            attr.string(1, name);
            if ('int' in a) attr.int(3, a.int).int(20, ATTR_INT);
            else attr.float(2, a.float).int(20, ATTR_FLOAT);
          });
        }
      }),
    );
    graph.string(2, g.name);
    for (const t of g.initializers) {
      graph.message(5, (tensor) => {
        for (const d of t.dims) tensor.int(1, d);
        const int64 = t.data instanceof BigInt64Array;
        tensor.int(2, int64 ? INT64 : FLOAT);
        tensor.string(8, t.name);
        const raw = new Uint8Array(t.data.length * (int64 ? 8 : 4));
        const view = new DataView(raw.buffer);
        if (t.data instanceof BigInt64Array) t.data.forEach((v, i) => view.setBigInt64(8 * i, v, true));
        else t.data.forEach((v, i) => view.setFloat32(4 * i, v, true));
        tensor.bytes(9, raw); // raw_data: little-endian, as ONNX specifies
      });
    }
    for (const v of g.inputs) graph.message(11, (w) => valueInfo(w, v));
    for (const v of g.outputs) graph.message(12, (w) => valueInfo(w, v));
  });
  model.message(8, (opset) => opset.string(1, '').int(2, g.opset ?? 13)); // opset_import
  return model.finish();
}

/** Weights of a two-layer MLP: w1 in×hidden, w2 hidden×out, row-major float32. */
export type MlpWeights = { inputs: number; hidden: number; outputs: number; w1: Float32Array; b1: Float32Array; w2: Float32Array; b2: Float32Array };

/**
 * Seeded MLP weights (mulberry32, uniform in ±1/sqrt(fan-in)), rounded to float32.
 * @example const w = mlpWeights(7, 4, 8, 3)
 */
export function mlpWeights(seed: number, inputs: number, hidden: number, outputs: number): MlpWeights {
  const rand = seededRng(seed);
  const fill = (n: number, bound: number) => Float32Array.from({ length: n }, () => (2 * rand() - 1) * bound);
  return {
    inputs,
    hidden,
    outputs,
    w1: fill(inputs * hidden, 1 / Math.sqrt(inputs)),
    b1: fill(hidden, 0.1),
    w2: fill(hidden * outputs, 1 / Math.sqrt(hidden)),
    b2: fill(outputs, 0.1),
  };
}

/**
 * The ONNX model of `x → Softmax(Relu(x·W1 + b1)·W2 + b2)`, input "x" [batch, inputs], output "probs" [batch, outputs].
 * @example const model = mlpOnnxModel(mlpWeights(7, 4, 8, 3))
 */
export function mlpOnnxModel(w: MlpWeights): Uint8Array {
  return onnxModelBytes({
    name: 'mlp',
    nodes: [
      { op: 'Gemm', inputs: ['x', 'w1', 'b1'], outputs: ['h1'] },
      { op: 'Relu', inputs: ['h1'], outputs: ['a1'] },
      { op: 'Gemm', inputs: ['a1', 'w2', 'b2'], outputs: ['logits'] },
      { op: 'Softmax', inputs: ['logits'], outputs: ['probs'], attributes: { axis: { int: -1 } } },
    ],
    initializers: [
      { name: 'w1', dims: [w.inputs, w.hidden], data: w.w1 },
      { name: 'b1', dims: [w.hidden], data: w.b1 },
      { name: 'w2', dims: [w.hidden, w.outputs], data: w.w2 },
      { name: 'b2', dims: [w.outputs], data: w.b2 },
    ],
    inputs: [{ name: 'x', dims: ['batch', w.inputs] }],
    outputs: [{ name: 'probs', dims: ['batch', w.outputs] }],
  });
}

/**
 * The same MLP computed in plain JS (float64 arithmetic on the float32 weights): the reference the ONNX
 * output is compared with.
 * @example const probs = mlpForward(w, x, 16)
 */
export function mlpForward(w: MlpWeights, x: Float32Array, batch: number): Float64Array {
  const out = new Float64Array(batch * w.outputs);
  const a1 = new Float64Array(w.hidden);
  for (let r = 0; r < batch; r++) {
    for (let j = 0; j < w.hidden; j++) {
      let s = w.b1[j]!;
      for (let k = 0; k < w.inputs; k++) s += x[r * w.inputs + k]! * w.w1[k * w.hidden + j]!;
      a1[j] = Math.max(0, s);
    }
    let max = -Infinity;
    for (let o = 0; o < w.outputs; o++) {
      let s = w.b2[o]!;
      for (let j = 0; j < w.hidden; j++) s += a1[j]! * w.w2[j * w.outputs + o]!;
      out[r * w.outputs + o] = s;
      max = Math.max(max, s);
    }
    let sum = 0;
    for (let o = 0; o < w.outputs; o++) sum += out[r * w.outputs + o] = Math.exp(out[r * w.outputs + o]! - max);
    for (let o = 0; o < w.outputs; o++) out[r * w.outputs + o] = out[r * w.outputs + o]! / sum;
  }
  return out;
}

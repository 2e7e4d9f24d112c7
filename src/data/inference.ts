// Inference with a model trained by compute-to-data: the train workload's output (tensors w1 [features, hidden],
// b1 [hidden], w2 [hidden, classes], b2 [classes], loss [2]) read back and applied to one example, in float64 with
// the same arithmetic as the trainer's forward pass (ReLU, softmax). Pure: no I/O.
import { decodeTensors } from '../compute/workloads/tensors.ts';
import { WorkloadError } from '../compute/workloads/errors.ts';
import { InvalidDataInputError } from './errors.ts';

/** A one-hidden-layer MLP's weights, row-major (w1: features × hidden, w2: hidden × classes). */
export type ModelWeights = {
  features: number;
  hidden: number;
  classes: number;
  w1: Float64Array;
  b1: Float64Array;
  w2: Float64Array;
  b2: Float64Array;
  /** Mean cross-entropy on the training data before and after training, when the weights carry it. */
  loss: { before: number; after: number } | null;
};

export type Prediction = {
  /** The most probable class (the lowest index on a tie). */
  prediction: number;
  /** Softmax probabilities, one per class. */
  probabilities: number[];
};

const toF64 = (d: Float32Array | Float64Array | Int32Array) => (d instanceof Float64Array ? d : Float64Array.from(d));

/**
 * Reads the train workload's output bytes as MLP weights; throws InvalidDataInputError naming the tensor at fault.
 * @example const w = decodeWeights(weightsBytes) // { features: 8, hidden: 16, classes: 2, ... }
 */
export function decodeWeights(bytes: Uint8Array, field = 'weights'): ModelWeights {
  if (!(bytes instanceof Uint8Array)) throw new InvalidDataInputError(field, 'must be bytes (the train workload output)');
  let tensors;
  try {
    tensors = decodeTensors(bytes, field);
  } catch (err) {
    if (err instanceof WorkloadError) throw new InvalidDataInputError(err.field ?? field, `not MLP weights: ${err.message}`);
    throw err;
  }
  const by = new Map(tensors.map((t) => [t.name, t]));
  const get = (name: string, rank: number) => {
    const t = by.get(name);
    if (!t) throw new InvalidDataInputError(`${field}.${name}`, 'missing (MLP weights have w1, b1, w2, b2)');
    if (t.dims.length !== rank || t.data instanceof Int32Array) throw new InvalidDataInputError(`${field}.${name}`, `must be a float tensor of rank ${rank}`);
    for (let i = 0; i < t.data.length; i++) if (!Number.isFinite(t.data[i]!)) throw new InvalidDataInputError(`${field}.${name}`, `element ${i} is not finite`);
    return t;
  };
  const w1 = get('w1', 2);
  const b1 = get('b1', 1);
  const w2 = get('w2', 2);
  const b2 = get('b2', 1);
  const [features, hidden] = w1.dims as [number, number];
  const classes = w2.dims[1]!;
  if (features < 1 || hidden < 1) throw new InvalidDataInputError(`${field}.w1`, `shape [${w1.dims.join(', ')}] is empty`);
  if (b1.dims[0] !== hidden) throw new InvalidDataInputError(`${field}.b1`, `must have ${hidden} elements (w1's columns), has ${b1.dims[0]}`);
  if (w2.dims[0] !== hidden) throw new InvalidDataInputError(`${field}.w2`, `must have ${hidden} rows (w1's columns), has ${w2.dims[0]}`);
  if (classes < 2) throw new InvalidDataInputError(`${field}.w2`, `needs at least 2 classes, has ${classes}`);
  if (b2.dims[0] !== classes) throw new InvalidDataInputError(`${field}.b2`, `must have ${classes} elements (w2's columns), has ${b2.dims[0]}`);
  const l = by.get('loss');
  const loss = l && l.dims.length === 1 && l.dims[0] === 2 && !(l.data instanceof Int32Array) ? { before: l.data[0]!, after: l.data[1]! } : null;
  return { features, hidden, classes, w1: toF64(w1.data), b1: toF64(b1.data), w2: toF64(w2.data), b2: toF64(b2.data), loss };
}

/**
 * The class probabilities and the predicted class of one example `x` (`features` finite numbers).
 * @example
 * const { prediction, probabilities } = predict(decodeWeights(weights), [0.2, 0.5, 1, 0, 0.3, 0.7, 0.1, 0])
 */
export function predict(weights: ModelWeights | Uint8Array, x: readonly number[], field = 'x'): Prediction {
  const w = weights instanceof Uint8Array ? decodeWeights(weights) : weights;
  if (!Array.isArray(x)) throw new InvalidDataInputError(field, `must be a list of ${w.features} numbers`);
  if (x.length !== w.features) throw new InvalidDataInputError(field, `has ${x.length} features, the model takes ${w.features}`);
  for (let k = 0; k < x.length; k++) if (typeof x[k] !== 'number' || !Number.isFinite(x[k])) throw new InvalidDataInputError(`${field}[${k}]`, 'must be a finite number');
  const { features: f, hidden: h, classes: c } = w;
  const a1 = new Float64Array(h);
  for (let j = 0; j < h; j++) {
    let s = w.b1[j]!;
    for (let k = 0; k < f; k++) s += x[k]! * w.w1[k * h + j]!;
    a1[j] = s > 0 ? s : 0;
  }
  const p = new Float64Array(c);
  let max = -Infinity;
  for (let o = 0; o < c; o++) {
    let s = w.b2[o]!;
    for (let j = 0; j < h; j++) s += a1[j]! * w.w2[j * c + o]!;
    p[o] = s;
    if (s > max) max = s;
  }
  let sum = 0;
  for (let o = 0; o < c; o++) {
    p[o] = Math.exp(p[o]! - max);
    sum += p[o]!;
  }
  let best = 0;
  for (let o = 0; o < c; o++) {
    p[o] = p[o]! / sum;
    if (p[o]! > p[best]!) best = o;
  }
  return { prediction: best, probabilities: Array.from(p) };
}

/**
 * The share of examples whose predicted class is their label (0..1).
 * @example accuracy(w, [{ x: [...], y: 1 }]) // 0.87
 */
export function accuracy(weights: ModelWeights | Uint8Array, examples: readonly { x: readonly number[]; y: number }[]): number {
  const w = weights instanceof Uint8Array ? decodeWeights(weights) : weights;
  if (examples.length === 0) return 0;
  let right = 0;
  for (const e of examples) if (predict(w, e.x).prediction === e.y) right++;
  return right / examples.length;
}

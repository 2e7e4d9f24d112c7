// Refuses ONNX models whose tensors live outside the model: onnxruntime resolves an external-data tensor
// (TensorProto.data_location = EXTERNAL, or external_data entries) against files next to the model, i.e. the
// sandbox's working directory, so such a model could read a provider's files into its output. A small protobuf
// walk over the messages that can hold tensors (field numbers from onnx/onnx.proto); everything else is skipped.
import { invalidBundle } from './errors.ts';

type Kind = 'model' | 'graph' | 'node' | 'attribute' | 'tensor' | 'sparse' | 'training' | 'function';

/** The sub-messages worth descending into, per message kind: field number → [kind, name]. */
const CHILDREN: Record<Kind, Record<number, [Kind, string]>> = {
  model: { 7: ['graph', 'graph'], 20: ['training', 'training_info'], 25: ['function', 'functions'] },
  training: { 1: ['graph', 'initialization'], 2: ['graph', 'algorithm'] },
  function: { 7: ['node', 'node'] },
  graph: { 1: ['node', 'node'], 5: ['tensor', 'initializer'], 15: ['sparse', 'sparse_initializer'] },
  node: { 5: ['attribute', 'attribute'] },
  attribute: { 5: ['tensor', 't'], 6: ['graph', 'g'], 10: ['tensor', 'tensors'], 11: ['graph', 'graphs'], 22: ['sparse', 'sparse_tensor'], 23: ['sparse', 'sparse_tensors'] },
  sparse: { 1: ['tensor', 'values'], 2: ['tensor', 'indices'] },
  tensor: {},
};
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;
const MAX_DEPTH = 64;

const malformed = (path: string) => invalidBundle(path, 'is not a valid ONNX protobuf');

function varint(b: Uint8Array, at: number, path: string): [number, number] {
  let value = 0;
  for (let i = 0, shift = 1; i < 10; i++, shift *= 128) {
    if (at + i >= b.length) throw malformed(path);
    const byte = b[at + i]!;
    value += (byte & 0x7f) * shift;
    if ((byte & 0x80) === 0) return [value, at + i + 1];
  }
  throw malformed(path);
}

function walk(b: Uint8Array, start: number, end: number, kind: Kind, path: string, depth: number): void {
  if (depth > MAX_DEPTH) throw invalidBundle(path, `nests deeper than ${MAX_DEPTH} messages`);
  const seen = new Map<number, number>();
  let at = start;
  while (at < end) {
    const [key, next] = varint(b, at, path);
    const field = Math.floor(key / 8);
    const wire = key % 8;
    at = next;
    if (wire === 0) {
      const [value, after] = varint(b, at, path);
      if (kind === 'tensor' && field === TENSOR_DATA_LOCATION && value === 1) throw invalidBundle(`${path}.data_location`, 'refers to external data; an onnx workload must hold all its tensors');
      at = after;
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const [len, after] = varint(b, at, path);
      if (after + len > end) throw malformed(path);
      if (kind === 'tensor' && field === TENSOR_EXTERNAL_DATA) throw invalidBundle(`${path}.external_data`, 'refers to external data; an onnx workload must hold all its tensors');
      const child = CHILDREN[kind][field];
      if (child) {
        const i = seen.get(field) ?? 0;
        seen.set(field, i + 1);
        walk(b, after, after + len, child[0], `${path}.${child[1]}[${i}]`, depth + 1);
      }
      at = after + len;
    } else throw malformed(path);
    if (at > end) throw malformed(path);
  }
}

/**
 * Throws WorkloadError('invalid-bundle') naming the tensor when the model refers to external data, or when it is
 * not protobuf at all.
 * @example checkOnnxModel(modelBytes)
 */
export function checkOnnxModel(model: Uint8Array): void {
  walk(model, 0, model.length, 'model', 'model', 0);
}

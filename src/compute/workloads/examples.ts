// Built-in workloads: the trivial demo (`machina compute submit --demo`) and one example of each kind, with
// everything needed to check their outputs independently.
import { encodeBundle, type TrainSpec } from './bundle.ts';
import { mlpForward, mlpOnnxModel, mlpWeights, type MlpWeights } from './onnxModel.ts';
import { encodeTensors } from './tensors.ts';
import { seededBytes } from './random.ts';
import { demoWasmBytes } from './wasm.ts';

export { seededBytes };

export type ExampleWorkload = { bundle: Uint8Array; input: Uint8Array };

/**
 * The demo: the histogram + Adler-32 wasm module (demo.wat) on a short text. Runs in about a millisecond on a warm sandbox.
 * @example const { bundle, input } = demoWorkload()
 */
export function demoWorkload(): ExampleWorkload {
  return {
    bundle: encodeBundle({ kind: 'wasm', name: 'demo: byte histogram + adler32', module: demoWasmBytes }),
    input: new TextEncoder().encode('Machina demo job: count the bytes of this sentence.'),
  };
}

/**
 * The demo module on 64 KiB of seeded bytes.
 * @example const { bundle, input } = exampleWasmWorkload()
 */
export function exampleWasmWorkload(): ExampleWorkload {
  return { bundle: encodeBundle({ kind: 'wasm', name: 'byte histogram + adler32', module: demoWasmBytes }), input: seededBytes(1, 64 * 1024) };
}

/**
 * Batch inference of a seeded 4→16→3 MLP (Gemm→Relu→Gemm→Softmax) on 32 rows. Returns the weights too,
 * so the output can be checked against mlpForward.
 * @example const { bundle, input, weights, x } = exampleOnnxWorkload()
 */
export function exampleOnnxWorkload(): ExampleWorkload & { weights: MlpWeights; x: Float32Array; batch: number } {
  const weights = mlpWeights(7, 4, 16, 3);
  const batch = 32;
  const x = Float32Array.from({ length: batch * 4 }, (_, i) => Math.round(Math.sin(i * 0.7) * 1000) / 500);
  return {
    bundle: encodeBundle({ kind: 'onnx', name: 'mlp 4-16-3', model: mlpOnnxModel(weights) }),
    input: encodeTensors([{ name: 'x', dims: [batch, 4], data: x }]),
    weights,
    x,
    batch,
  };
}

export { mlpForward };

/**
 * Three Gaussian-ish blobs in 2-D (seeded), labels 0..2, as a train input.
 * @example const input = blobsDataset(3, 300)
 */
export function blobsDataset(seed: number, n: number, classes = 3): Uint8Array {
  const noise = seededBytes(seed, n * 8);
  const x = new Float32Array(n * 2);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    const angle = (2 * Math.PI * c) / classes;
    // sum of two uniforms: a cheap bell shape, no transcendental functions of the noise
    const u = (noise[8 * i]! + noise[8 * i + 1]! - 255) / 255;
    const v = (noise[8 * i + 2]! + noise[8 * i + 3]! - 255) / 255;
    x[2 * i] = 2 * Math.cos(angle) + u;
    x[2 * i + 1] = 2 * Math.sin(angle) + v;
    y[i] = c;
  }
  return encodeTensors([
    { name: 'x', dims: [n, 2], data: x },
    { name: 'y', dims: [n], data: y },
  ]);
}

/** The example training run's hyperparameters. */
export const EXAMPLE_TRAIN_SPEC: TrainSpec = { model: 'mlp', hidden: 16, classes: 3, steps: 300, batchSize: 32, learningRate: 0.1, seed: 42 };

/**
 * 300 SGD steps of a 2→16→3 MLP on 300 seeded points in three blobs.
 * @example const { bundle, input } = exampleTrainWorkload()
 */
export function exampleTrainWorkload(): ExampleWorkload {
  return { bundle: encodeBundle({ kind: 'train', name: 'mlp on three blobs', train: EXAMPLE_TRAIN_SPEC }), input: blobsDataset(3, 300) };
}

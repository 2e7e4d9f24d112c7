// Compute workloads: bundles (wasm, onnx, train), their canonical tensor encoding, the sandbox that runs them,
// and the built-in examples.
export { decodeBundle, encodeBundle, MAX_BUNDLE_BYTES, sha256Hex, validateTrainSpec, WORKLOAD_KINDS, type TrainSpec, type WorkloadBundle, type WorkloadKind } from './bundle.ts';
export { WORKLOAD_ERROR_CODES, WorkloadError, type WorkloadErrorCode } from './errors.ts';
export { decodeFailureRecord, deterministicFailure, FAILURE_RECORD_PREFIX, failureDigest, failureRecord, type WorkloadFailure } from './failure.ts';
export { checkOnnxModel } from './onnxCheck.ts';
export { mulberry32, seededBytes, seededRng } from './random.ts';
export { computeSlotStats, setComputeConcurrency, withComputeSlot, type ComputeSlotStats } from './slots.ts';
export { blobsDataset, demoWorkload, EXAMPLE_TRAIN_SPEC, exampleOnnxWorkload, exampleTrainWorkload, exampleWasmWorkload, type ExampleWorkload } from './examples.ts';
export { trainMlpKernel, type TrainResult } from './kernels.ts';
export { mlpForward, mlpOnnxModel, mlpWeights, onnxModelBytes, type MlpWeights, type OnnxGraph } from './onnxModel.ts';
export { MAX_OUTPUT_BYTES, runWorkload, type RunLimits, type RunWorkloadReturnType } from './run.ts';
export { closeSandboxes, warmSandboxes } from './sandbox.ts';
export { decodeTensors, encodeTensors, type Tensor, type TensorData, type TensorDType } from './tensors.ts';
export { capWasmMemory, demoWasmBytes, WASM_PAGE } from './wasm.ts';
export { DataJobNotResolvableError, DATA_REFERENCE_KIND, encodeDataReference, FEATURE_ADAPTERS, isDataReference, MAX_REFERENCE_DATASETS, parseDataReference, type DataReference, type FeatureAdapterName } from './dataRef.ts';

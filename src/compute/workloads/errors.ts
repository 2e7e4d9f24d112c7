// Why a workload did not produce an output: the sandbox's verdicts, each with a stable code that the
// provider daemon and the buyer can act on (a timeout is not a wrong result; an invalid bundle is the poster's fault).
import { MachinaError } from '../../errors/index.ts';

export const WORKLOAD_ERROR_CODES = ['timeout', 'memory', 'invalid-bundle', 'invalid-input', 'crashed'] as const;
/**
 * - `timeout`: the run took longer than `limits.timeoutMs` and was killed.
 * - `memory`: the run needed more than `limits.memoryMB` (refused up front, or killed).
 * - `invalid-bundle`: the bundle bytes (or the module/model inside) are malformed; `field` names the part.
 * - `invalid-input`: the input bytes do not fit the workload; `field` names the part.
 * - `crashed`: the workload trapped, threw or its sandbox died.
 */
export type WorkloadErrorCode = (typeof WORKLOAD_ERROR_CODES)[number];

export class WorkloadError extends MachinaError {
  override name = 'WorkloadError';
  override readonly code: WorkloadErrorCode;

  constructor(code: WorkloadErrorCode, message: string, options: { field?: string | undefined; details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(options.field ? `${options.field}: ${message}` : message, { code, field: options.field, details: options.details, cause: options.cause });
    this.code = code;
  }
}

/** A malformed bundle, naming the field at fault. */
export const invalidBundle = (field: string, reason: string) => new WorkloadError('invalid-bundle', reason, { field });
/** Input bytes that do not fit the workload, naming the field at fault. */
export const invalidInput = (field: string, reason: string) => new WorkloadError('invalid-input', reason, { field });

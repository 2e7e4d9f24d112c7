// Why a workload did not produce an output: the sandbox's verdicts, each with a stable code that the
// provider daemon and the buyer can act on (a timeout is not a wrong result; an invalid bundle is the poster's fault).
import { MachinaError } from '../../errors/index.ts';

export const WORKLOAD_ERROR_CODES = ['timeout', 'memory', 'invalid-bundle', 'invalid-input', 'crashed', 'output-too-large'] as const;
/**
 * - `timeout`: the run took longer than `limits.timeoutMs` and was killed.
 * - `memory`: the run needed more than `limits.memoryMB` (refused up front, or killed).
 * - `invalid-bundle`: the bundle bytes (or the module/model inside) are malformed; `field` names the part.
 * - `invalid-input`: the input bytes do not fit the workload; `field` names the part.
 * - `crashed`: the workload trapped, threw or its sandbox died.
 * - `output-too-large`: the output is over MAX_OUTPUT_BYTES.
 */
export type WorkloadErrorCode = (typeof WORKLOAD_ERROR_CODES)[number];

/** Codes that are always deterministic: the same bundle and input fail the same way on every machine. */
const ALWAYS_DETERMINISTIC: readonly WorkloadErrorCode[] = ['invalid-bundle', 'invalid-input', 'output-too-large'];

export class WorkloadError extends MachinaError {
  override name = 'WorkloadError';
  override readonly code: WorkloadErrorCode;
  /**
   * True when every honest machine running the same bundle and input under the same limits fails the same way
   * (a malformed bundle or input, a trap or error code the workload itself reported, memory refused or exhausted
   * at the job's limit, an output over the cap): a provider then commits the failure record (see failure.ts).
   * False for what depends on the machine or the moment: a timeout, a sandbox that died or did not start, a
   * V8 heap or resident-memory kill.
   */
  readonly deterministic: boolean;

  constructor(
    code: WorkloadErrorCode,
    message: string,
    options: { field?: string | undefined; details?: Record<string, unknown>; cause?: unknown; deterministic?: boolean } = {},
  ) {
    super(options.field ? `${options.field}: ${message}` : message, { code, field: options.field, details: options.details, cause: options.cause });
    this.code = code;
    this.deterministic = options.deterministic ?? ALWAYS_DETERMINISTIC.includes(code);
  }
}

/** A malformed bundle, naming the field at fault. */
export const invalidBundle = (field: string, reason: string) => new WorkloadError('invalid-bundle', reason, { field });
/** Input bytes that do not fit the workload, naming the field at fault. */
export const invalidInput = (field: string, reason: string) => new WorkloadError('invalid-input', reason, { field });
/** Memory refused at the job's limit before or while running (the same on every machine). */
export const memoryRefused = (message: string) => new WorkloadError('memory', message, { deterministic: true });

// The canonical failure record: what a provider commits when a job fails the same way on every honest machine
// (a deterministic WorkloadError). Replicas that agree on a failure agree on its digest and are paid like any
// other agreeing result; a validator computes the same record, so a random digest committed for a failing job is
// caught. The record holds the code and the field only: no message (V8 and onnxruntime texts change between
// versions) and nothing about the machine.
//
// Record bytes (UTF-8): "machina/failure/v1\n" + code + "\n" + field   (field '' when the error names none)
import type { Hex } from 'viem';
import { sha256Hex } from './bundle.ts';
import { WORKLOAD_ERROR_CODES, WorkloadError, type WorkloadErrorCode } from './errors.ts';

export const FAILURE_RECORD_PREFIX = 'machina/failure/v1\n';

export type WorkloadFailure = { code: WorkloadErrorCode; field: string };

/**
 * The bytes of the failure record for `code` and `field`.
 * @example new TextDecoder().decode(failureRecord('invalid-bundle', 'module')) // 'machina/failure/v1\ninvalid-bundle\nmodule'
 */
export function failureRecord(code: WorkloadErrorCode, field?: string | null): Uint8Array {
  if (!WORKLOAD_ERROR_CODES.includes(code)) throw new TypeError(`unknown workload error code ${JSON.stringify(code)}`);
  const f = field ?? '';
  if (/[\n\r]/.test(f)) throw new TypeError('a failure field has no line breaks');
  return new TextEncoder().encode(`${FAILURE_RECORD_PREFIX}${code}\n${f}`);
}

/**
 * The sha256 of the failure record: the output digest committed for a job that fails deterministically.
 * @example failureDigest('crashed') // 0x…
 */
export function failureDigest(code: WorkloadErrorCode, field?: string | null): Hex {
  return sha256Hex(failureRecord(code, field));
}

/** The code and field of a deterministic workload failure, or null for any other error (timeouts, fetches, RPC). */
export function deterministicFailure(err: unknown): WorkloadFailure | null {
  if (!(err instanceof WorkloadError) || !err.deterministic) return null;
  return { code: err.code, field: err.field ?? '' };
}

/**
 * The failure an output holds, if it is a failure record; else null (a buyer reads its result with it).
 * @example decodeFailureRecord(output) // { code: 'crashed', field: '' } or null
 */
export function decodeFailureRecord(output: Uint8Array): WorkloadFailure | null {
  if (output.length > 256) return null;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(output);
  } catch {
    return null;
  }
  if (!text.startsWith(FAILURE_RECORD_PREFIX)) return null;
  const rest = text.slice(FAILURE_RECORD_PREFIX.length);
  const nl = rest.indexOf('\n');
  if (nl < 0) return null;
  const code = rest.slice(0, nl) as WorkloadErrorCode;
  const field = rest.slice(nl + 1);
  if (!WORKLOAD_ERROR_CODES.includes(code) || /[\n\r]/.test(field)) return null;
  return { code, field };
}

// The API's one error shape, {"error":{code,message,field}}, and the mapping from anything thrown
// (validation issues, Machina errors, contract reverts) to a status code and that shape.
import type { Context } from 'hono';
import type { ZodError } from 'zod';
import { MachinaError, formatError, redact } from '../../errors/index.ts';

export type ApiErrorBody = { error: { code: string; message: string; field: string | null } };

/** An error the API answers with a given status; `field` names the input at fault. */
export class ApiError extends MachinaError {
  override name = 'ApiError';
  readonly status: number;
  constructor(status: number, code: string, message: string, field?: string | undefined, headers?: Record<string, string>) {
    super(message, { code, field, details: headers ? { headers } : undefined });
    this.status = status;
  }
}

/**
 * The JSON body of an error answer; every message passes through `redact`.
 * @example
 * errorBody('NOT_FOUND', 'agent 9 not found', 'agentId') // { error: { code: 'NOT_FOUND', message: 'agent 9 not found', field: 'agentId' } }
 */
export function errorBody(code: string, message: string, field: string | null | undefined): ApiErrorBody {
  return { error: { code, message: redact(message), field: field ?? null } };
}

/**
 * Answers `status` with the error shape.
 * @example
 * return errorResponse(405, 'METHOD_NOT_ALLOWED', 'PUT is not allowed on /v1/agents', 'method', { allow: 'GET, POST' })
 */
export function errorResponse(status: number, code: string, message: string, field?: string | null, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(errorBody(code, message, field)), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

/**
 * A zod issue path as a field name, `root` when the path is empty.
 * @example
 * fieldOf(['services', 1, 'endpoint'], 'body') // 'services[1].endpoint'
 */
export function fieldOf(path: ReadonlyArray<PropertyKey>, root: string): string {
  if (path.length === 0) return root;
  return path.reduce<string>((acc, p, i) => (typeof p === 'number' ? `${acc}[${p}]` : i === 0 ? String(p) : `${acc}.${String(p)}`), '');
}

const TARGET_ROOT: Record<string, string> = { json: 'body', query: 'query', param: 'path', header: 'headers' };

/**
 * The first zod issue as a 400 naming its field (`limit`, `services[0].name`, an unknown key ...).
 * @example
 * if (!result.success) throw validationError(result.error, 'query') // 400 INVALID_ARGUMENT, field 'limit'
 */
export function validationError(error: ZodError, target: string): ApiError {
  const issue = error.issues[0]!;
  const root = TARGET_ROOT[target] ?? target;
  let field = fieldOf(issue.path, root);
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    field = issue.path.length ? `${field}.${key}` : key;
    message = 'unknown field';
  } else if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input: expected')) {
    // zod's default says what it expected; say where too.
    message = issue.message.replace('Invalid input: ', '');
  }
  return new ApiError(400, 'INVALID_ARGUMENT', `${field}: ${message}`, field);
}

// Contract custom errors that a write can hit, as API answers. Anything else reverted is a 422.
const REVERTS: Record<string, { status: number; code: string; field: string | undefined }> = {
  AgentNotFound: { status: 404, code: 'NOT_FOUND', field: 'agentId' },
  ERC721NonexistentToken: { status: 404, code: 'NOT_FOUND', field: 'agentId' },
  SelfFeedbackNotAllowed: { status: 409, code: 'SELF_FEEDBACK', field: 'agentId' },
  NotAgentOwnerOrOperator: { status: 403, code: 'NOT_AGENT_OWNER', field: 'agentId' },
  RequestAlreadyExists: { status: 409, code: 'ALREADY_EXISTS', field: 'requestHash' },
  ZeroAddress: { status: 400, code: 'INVALID_ARGUMENT', field: undefined },
  ValueOutOfRange: { status: 400, code: 'INVALID_ARGUMENT', field: 'value' },
  ValueDecimalsTooLarge: { status: 400, code: 'INVALID_ARGUMENT', field: 'value' },
};

/**
 * What a failed chain write means for the caller: a known revert maps to its status, any other
 * revert to 422, an unreachable chain to 503. The message is one redacted line.
 * @example
 * try { await writer.giveFeedback(p) } catch (err) { throw writeError(err) } // AgentNotFound -> 404, field 'agentId'
 */
export function writeError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const line = formatError(err);
  const revert = /reverted: (\w+)/.exec(line);
  if (revert) {
    const known = REVERTS[revert[1]!];
    if (known) return new ApiError(known.status, known.code, line, known.field);
    return new ApiError(422, 'REVERTED', line);
  }
  if (err instanceof MachinaError) {
    if (err.code === 'TX_REVERTED') return new ApiError(422, 'REVERTED', line);
    if (err.code === 'INVALID_ARGUMENT' || err.code === 'INVALID_SETTING') return new ApiError(400, 'INVALID_ARGUMENT', line, err.field);
    if (err.code === 'NOT_FOUND') return new ApiError(404, 'NOT_FOUND', line, err.field);
  }
  return new ApiError(503, 'CHAIN_UNAVAILABLE', `the chain did not accept the transaction: ${line}`);
}

/**
 * The answer for anything a handler threw; unexpected errors are logged and answered 500 without detail.
 * @example
 * app.onError((err, c) => toErrorResponse(err, c, log))
 */
export function toErrorResponse(err: unknown, c: Context, log: (line: string) => void): Response {
  if (err instanceof ApiError) {
    const headers = err.details?.headers as Record<string, string> | undefined;
    return errorResponse(err.status, err.code, err.message, err.field, headers);
  }
  // Hono's own HTTP exceptions (e.g. a body stream that broke mid-read).
  const status = (err as { status?: unknown })?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return errorResponse(status, status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST', formatError(err), status === 413 ? 'body' : null);
  }
  log(`node: ${c.req.method} ${c.req.path} failed: ${formatError(err)}`);
  return errorResponse(500, 'INTERNAL', 'internal error (see the node log)', null);
}

// One line per failure, for CLIs and logs: the Machina message if there is one, otherwise the
// shortest useful message of the underlying error (viem errors carry a `shortMessage`).
import { MachinaError } from './base.ts';
import { redact } from './secrets.ts';

/** Formats any thrown value as one redacted line. */
export function formatError(error: unknown): string {
  if (error instanceof MachinaError) return redact(error.message);
  if (error && typeof error === 'object') {
    const e = error as { shortMessage?: unknown; message?: unknown; metaMessages?: unknown; cause?: unknown };
    // viem: a contract revert's decoded custom error sits in the cause chain.
    const revert = findRevert(error);
    if (revert) return redact(revert);
    if (typeof e.shortMessage === 'string') return redact(e.shortMessage);
    if (typeof e.message === 'string') return redact(e.message.split('\n')[0] ?? e.message);
  }
  return redact(String(error));
}

function findRevert(error: unknown): string | undefined {
  let cur: unknown = error;
  for (let depth = 0; cur && typeof cur === 'object' && depth < 8; depth++) {
    const c = cur as { name?: string; data?: { errorName?: string; args?: readonly unknown[] }; reason?: string; cause?: unknown };
    if (c.name === 'ContractFunctionRevertedError') {
      if (c.data?.errorName) {
        const args = (c.data.args ?? []).map((a) => (typeof a === 'bigint' ? a.toString() : JSON.stringify(a)));
        return `reverted: ${c.data.errorName}(${args.join(', ')})`;
      }
      if (c.reason) return `reverted: ${c.reason}`;
    }
    cur = c.cause;
  }
  return undefined;
}

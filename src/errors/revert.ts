// A contract's custom-error revert as a Machina error: the decoded error found in a viem error's cause chain,
// and the one readable line (`<function> reverted: <sentence> (<ErrorName>)`) each domain builds from its own
// table of sentences. Shared by the compute and the data market's errors.
import { MachinaError, type MachinaErrorParameters } from './base.ts';

/** Readable sentences for a contract's custom errors, by error name; arguments in the order the ABI declares them. */
export type RevertSentences = Record<string, (a: readonly unknown[]) => string>;

/** A decoded revert argument as text: bigints in decimal, strings as they are, anything else as JSON. */
export const revertArg = (v: unknown): string => (typeof v === 'bigint' ? v.toString() : typeof v === 'string' ? v : JSON.stringify(v));

/** The decoded custom error of a viem revert somewhere in `error`'s cause chain. */
export function revertOf(error: unknown): { errorName: string; args: readonly unknown[] } | undefined {
  let cur: unknown = error;
  for (let depth = 0; cur && typeof cur === 'object' && depth < 8; depth++) {
    const c = cur as { name?: string; data?: { errorName?: string; args?: readonly unknown[] }; cause?: unknown };
    if (c.name === 'ContractFunctionRevertedError' && c.data?.errorName) return { errorName: c.data.errorName, args: c.data.args ?? [] };
    cur = c.cause;
  }
  return undefined;
}

/**
 * The MachinaError message and parameters for `functionName` reverting with `errorName(args)`: the sentence
 * `sentences` has for it, or the error written out when it has none.
 * @example
 * super(...revertErrorParameters('COMPUTE_REVERTED', sentences, functionName, errorName, args, cause))
 */
export function revertErrorParameters(
  code: string,
  sentences: RevertSentences,
  functionName: string,
  errorName: string,
  args: readonly unknown[],
  cause?: unknown,
): [message: string, parameters: MachinaErrorParameters] {
  const sentence = sentences[errorName]?.(args) ?? `${errorName}(${args.map(revertArg).join(', ')})`;
  return [`${functionName} reverted: ${sentence} (${errorName})`, { code, details: { functionName, errorName, args: args.map(revertArg) }, cause }];
}

/**
 * `error` made into a domain's revert error by `make` when it is a decoded contract revert; Machina errors and
 * anything else unchanged.
 * @example
 * return asRevertError(error, (r) => new ComputeRevertError(functionName, r.errorName, r.args, error))
 */
export function asRevertError(error: unknown, make: (revert: { errorName: string; args: readonly unknown[] }) => MachinaError): unknown {
  if (error instanceof MachinaError) return error;
  const r = revertOf(error);
  return r ? make(r) : error;
}

/**
 * True when `name` (a domain's revert error's name, else the one decoded from `error`) is one of `names`, or any
 * name when none is given.
 * @example
 * isRevertNamed(error instanceof ComputeRevertError ? error.errorName : undefined, error, ['WrongStatus'])
 */
export function isRevertNamed(known: string | undefined, error: unknown, names: readonly string[]): boolean {
  const name = known ?? revertOf(error)?.errorName;
  return name !== undefined && (names.length === 0 || names.includes(name));
}

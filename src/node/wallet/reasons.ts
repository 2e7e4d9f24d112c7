// Names of the agent account's enums as the index, the API and the dashboard show them
// (index = the Solidity enum value, see contracts/src/wallet/interfaces/IAgentAccount.sol).
import { conditionOps } from '../../wallet/policy.ts';
import { refusalReasons } from '../../wallet/refusal.ts';

/** IAgentAccount.Refusal, by value (the wallet library's list). */
export const REFUSAL_REASONS = refusalReasons;

/** IAgentAccount.PendingStatus, by value. */
export const PENDING_STATUSES = ['none', 'queued', 'approved', 'rejected', 'expired'] as const;

/** IAgentAccount.ConditionOp, by value (the wallet library's list). */
export const CONDITION_OPS = conditionOps;

/**
 * The refusal's name for its enum value ("Refusal(99)" for a value this node does not know).
 * @example
 * refusalName(12) // 'WindowCapExceeded'
 */
export function refusalName(value: number): string {
  return REFUSAL_REASONS[value] ?? `Refusal(${value})`;
}

/** Well-known selectors, so that policies and activity read as names. */
export const KNOWN_SELECTORS: Record<string, string> = {
  '0x00000000': 'value',
  '0xa9059cbb': 'transfer',
  '0x095ea7b3': 'approve',
  '0x23b872dd': 'transferFrom',
  '0xe3ee160e': 'transferWithAuthorization',
  '0xcf092995': 'transferWithAuthorization',
  '0xef55bec6': 'receiveWithAuthorization',
  '0x88b7ab63': 'receiveWithAuthorization',
  '0xd505accf': 'permit',
};

// Agent wallets: smart-contract accounts whose agent keys act only inside the policy their owner sets.
export { agentAccountAbi, agentAccountFactoryAbi, agentPaymasterAbi, entryPointAbi } from './abi.ts';
export {
  encodeKeyPolicy,
  decodeKeyPolicy,
  SELECTORS,
  UINT128_MAX,
  DEFAULT_PENDING_TTL,
  type SpendLimitInput,
  type CallRuleInput,
  type KeyPolicyInput,
  type KeyPolicyStruct,
  type SelectorName,
  type ConditionOpName,
} from './policy.ts';
export { refusalReasons, PolicyRefusedError, refusalError, assetInfo, formatAmount, formatDuration, type RefusalReason, type AssetInfo } from './refusal.ts';
export {
  predictAgentAccount,
  createAgentAccount,
  readAgentAccount,
  setAgentKey,
  revokeAgentKey,
  freezeAccount,
  unfreezeAccount,
  approvePending,
  rejectPending,
  getPendingAction,
  PENDING_STATUS,
  type AgentAccountState,
  type PendingAction,
} from './account.ts';
export { hashCalls, findQueuedCalls, type Call } from './calls.ts';
export { executeAsAgent, authorizeTokenSignature, waitForPending, previewAgentCalls, tokenAuthorizationCall, type AuthorizeTokenSignatureParameters, type Preview } from './agent.ts';
export { signAsAccountOwner, bindAgentWallet, agentAccountMessageDigest, AGENT_ACCOUNT_EIP712 } from './signatures.ts';
export { sendAgentUserOperation, DEFAULT_USER_OP_GAS, type PackedUserOperation } from './userOp.ts';
export { readerOf } from './client.ts';
export { readAgentKey, listAgentKeys, type AgentKeyInfo } from './keys.ts';
export { parseAmount, parseDuration, parseCap, parseRate } from './parse.ts';

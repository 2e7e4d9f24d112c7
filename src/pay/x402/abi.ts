// ABIs of the settlement token (EIP-3009 USDC stand-in) and X402Settlement, from the generated artifacts.
export { settlementTokenAbi, settlementTokenBytecode } from '../../chain/artifacts/SettlementToken.ts';
export { x402SettlementAbi, x402SettlementBytecode } from '../../chain/artifacts/X402Settlement.ts';

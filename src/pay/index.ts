// Payments: the settlement token, x402 (client, protocol, receipts, facilitator) and the batch proofs.
export { createPayingFetch, type CreatePayingFetchParameters, type Payer, type PayingFetch, type PayingFetchEvent } from './x402/client.ts';
export type { PaymentReceipt, PaymentStatus } from './x402/receipt.ts';
export { signReceipt, verifyReceipt, receiptTypedData } from './x402/receipt.ts';
export {
  buildRequirements,
  paymentRequired,
  readPaymentHeader,
  receiptFromHeader,
  paymentIdHash,
  HEADER_REQUIRED,
  HEADER_RESPONSE,
  HEADER_SIGNATURE,
  HEADER_V1,
  RECEIPT_EXTENSION,
} from './x402/protocol.ts';
export { createFacilitator, facilitatorSigner, evmNetwork } from './x402/facilitator.ts';
export {
  SETTLEMENT_TOKEN,
  faucet,
  tokenBalance,
  parseTokenAmount,
  formatTokenAmount,
  signTransferAuthorization,
  transferAuthorizationDigest,
  transferAuthorizationTypedData,
  randomNonce,
} from './token.ts';

// The settlement token (USDC stand-in, 6 decimals, EIP-3009): balances, the devnet faucet, amounts
// in whole tokens, and EIP-3009 transfer authorizations signed by an EOA.
import { erc20Abi, formatUnits, getAddress, hashTypedData, toHex, type Abi, type Address, type Hex } from 'viem';
import type { MachinaPublicClient, MachinaWalletClient } from '../chain/clients.ts';
import { writeAndWait } from '../chain/write.ts';
import { InvalidArgumentError, MachinaError } from '../errors/index.ts';
import { readerOf, sendWrite } from '../wallet/client.ts';
import { settlementTokenAbi } from './x402/abi.ts';

/** The settlement token's decimals and EIP-712 domain (SettlementToken.sol). */
export const SETTLEMENT_TOKEN = { decimals: 6, name: 'Machina USD', version: '2', symbol: 'mUSD' } as const;

/** Most the devnet faucet gives per call: 1,000,000 tokens. */
export const FAUCET_MAX = 1_000_000n * 10n ** 6n;

/** The EIP-3009 `TransferWithAuthorization` type. */
export const transferWithAuthorizationTypes = {
  TransferWithAuthorization: [
    { name: 'from', type: 'address' },
    { name: 'to', type: 'address' },
    { name: 'value', type: 'uint256' },
    { name: 'validAfter', type: 'uint256' },
    { name: 'validBefore', type: 'uint256' },
    { name: 'nonce', type: 'bytes32' },
  ],
} as const;

export type TransferAuthorization = { from: Address; to: Address; value: bigint; validAfter: bigint; validBefore: bigint; nonce: Hex };
export type TokenDomain = { token: Address; chainId: number; name?: string; version?: string };

/**
 * Parses a token amount given in whole tokens ("1.5", "0.000001") into base units.
 * @example
 * parseTokenAmount('1.25') // 1250000n
 */
export function parseTokenAmount(value: string, field = 'amount', decimals: number = SETTLEMENT_TOKEN.decimals): bigint {
  const m = /^(\d{1,30})(?:\.(\d{1,78}))?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(field, `must be a decimal number of tokens such as "1.5" (got "${value.slice(0, 40)}")`);
  const frac = m[2] ?? '';
  if (frac.length > decimals) throw new InvalidArgumentError(field, `has more than ${decimals} decimals (got "${value.slice(0, 40)}")`);
  return BigInt(m[1]!) * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, '0') || '0');
}

/**
 * Formats base units as whole tokens.
 * @example
 * formatTokenAmount(1250000n) // '1.25'
 */
export function formatTokenAmount(units: bigint, decimals: number = SETTLEMENT_TOKEN.decimals): string {
  return formatUnits(units, decimals);
}

/**
 * Token balance of `owner` in base units.
 * @example
 * const units = await tokenBalance(client, { token, owner })
 */
export async function tokenBalance(client: MachinaPublicClient, { token, owner }: { token: Address; owner: Address }): Promise<bigint> {
  return client.readContract({ address: token, abi: settlementTokenAbi, functionName: 'balanceOf', args: [owner] });
}

/**
 * Drips `amount` base units (at most 1,000,000 tokens) from the devnet faucet to `to`.
 * @example
 * await faucet(client, wallet, { token, to: '0xabc…', amount: parseTokenAmount('100') })
 */
export async function faucet(client: MachinaPublicClient, wallet: MachinaWalletClient, { token, to, amount }: { token: Address; to: Address; amount: bigint }): Promise<{ txHash: Hex }> {
  if (amount <= 0n) throw new InvalidArgumentError('amount', 'must be greater than zero');
  if (amount > FAUCET_MAX) throw new InvalidArgumentError('amount', `at most ${formatTokenAmount(FAUCET_MAX)} tokens per call`);
  const enabled = await client.readContract({ address: token, abi: settlementTokenAbi, functionName: 'faucetEnabled' }).catch(() => false);
  if (!enabled) throw new MachinaError(`the faucet is off on chain ${client.chain.id} (it exists only on the devnet)`, { code: 'FAUCET_DISABLED', field: 'faucet' });
  const { hash } = await writeAndWait(client, wallet, { address: token, abi: settlementTokenAbi, functionName: 'faucet', args: [to, amount] });
  return { txHash: hash };
}

/**
 * Makes sure `spender` may pull `amount` of `token` from the wallet: approves exactly `amount` when the allowance is
 * short, and does nothing otherwise. `asError` maps a failed approval to the caller's domain error. Markets call it
 * under `underWalletLock` together with the write that spends the allowance.
 * @example
 * await ensureAllowance(wallet, { token, spender: market, amount: 5_000_000n })
 */
export async function ensureAllowance(
  wallet: MachinaWalletClient,
  p: { token: Address; spender: Address; amount: bigint },
  asError: (err: unknown) => unknown = (err) => err,
): Promise<{ txHash: Hex | null }> {
  const allowance = await readerOf(wallet).readContract({ address: p.token, abi: erc20Abi, functionName: 'allowance', args: [wallet.account.address, p.spender] });
  if (allowance >= p.amount) return { txHash: null };
  try {
    const { hash } = await sendWrite(wallet, { address: p.token, abi: settlementTokenAbi as unknown as Abi, functionName: 'approve', args: [p.spender, p.amount] });
    return { txHash: hash };
  } catch (err) {
    throw asError(err);
  }
}

/** A fresh random EIP-3009 nonce. */
export function randomNonce(): Hex {
  return toHex(crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * The EIP-712 typed data of an EIP-3009 transfer authorization on `token`.
 * @example
 * const typed = transferAuthorizationTypedData({ token, chainId: 31337 }, auth)
 */
export function transferAuthorizationTypedData(domain: TokenDomain, auth: TransferAuthorization) {
  return {
    domain: { name: domain.name ?? SETTLEMENT_TOKEN.name, version: domain.version ?? SETTLEMENT_TOKEN.version, chainId: domain.chainId, verifyingContract: getAddress(domain.token) },
    types: transferWithAuthorizationTypes,
    primaryType: 'TransferWithAuthorization' as const,
    message: { ...auth, from: getAddress(auth.from), to: getAddress(auth.to) },
  };
}

/**
 * The digest an EIP-3009 authorization signs (what an ERC-1271 account approves).
 * @example
 * const digest = transferAuthorizationDigest({ token, chainId }, auth)
 */
export function transferAuthorizationDigest(domain: TokenDomain, auth: TransferAuthorization): Hex {
  return hashTypedData(transferAuthorizationTypedData(domain, auth));
}

/**
 * Signs an EIP-3009 `TransferWithAuthorization` with an EOA wallet (the wallet is `from`).
 * @example
 * const { authorization, signature } = await signTransferAuthorization(wallet, { token, to, value: 10_000n, validBefore })
 */
export async function signTransferAuthorization(
  wallet: MachinaWalletClient,
  p: { token: Address; to: Address; value: bigint; validAfter?: bigint; validBefore: bigint; nonce?: Hex; name?: string; version?: string },
): Promise<{ authorization: TransferAuthorization; signature: Hex }> {
  const authorization: TransferAuthorization = {
    from: wallet.account.address,
    to: getAddress(p.to),
    value: p.value,
    validAfter: p.validAfter ?? 0n,
    validBefore: p.validBefore,
    nonce: p.nonce ?? randomNonce(),
  };
  const typed = transferAuthorizationTypedData({ token: p.token, chainId: wallet.chain.id, name: p.name, version: p.version }, authorization);
  const signature = await wallet.signTypedData({ account: wallet.account, ...typed });
  return { authorization, signature };
}

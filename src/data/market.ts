// Typed chain actions and reads of the DataMarket: listings (publish, terms, delist), consent (by transaction or
// by an EIP-712 signature anyone relays, revocation), licences (quote, buy, bind to a compute job), model
// royalties (register, route revenue) and credits. Every input is checked before anything is sent; reverts become
// DataRevertError with a sentence; writes go through `sendWrite`, so agent accounts work the same way.
import { erc721Abi, zeroAddress, zeroHash, type Abi, type Address, type Hex, type TransactionReceipt } from 'viem';
import { getEip712Domain, signTypedData } from 'viem/actions';
import { dataMarketAbi, modelRevenueVaultAbi, settlementTokenAbi } from '../chain/artifacts/index.ts';
import type { MachinaPublicClient, MachinaWalletClient } from '../chain/clients.ts';
import { underWalletLock } from '../chain/serial.ts';
import { eventOf } from '../chain/write.ts';
import { chainNow } from '../compute/market.ts';
import { findEventBackward } from '../compute/chainLogs.ts';
import { ensureAllowance } from '../pay/token.ts';
import { readerOf, sendWrite } from '../wallet/client.ts';
import { asDataError, DataRevertError, InvalidDataInputError, isDataRevert, LICENCE_KINDS } from './errors.ts';
import {
  address,
  bytes32,
  decodeTerms,
  encodeContributors,
  encodeTerms,
  licenceKindIndex,
  maskToPurposes,
  positiveId,
  purposesToMask,
  scopeToNames,
  SCOPE_COMMERCIAL,
  SCOPE_TRAINING,
  type ContributorInput,
  type LicenceKindName,
  type TermsInput,
  type TermsState,
  type TermsStruct,
} from './terms.ts';

/** A client that can read: a public client, or a wallet client on the same transport. */
type ReadClient = MachinaPublicClient | MachinaWalletClient;

/** A write's outcome: its transaction hash. */
export type TxOutcome = { txHash: Hex };

export type ConsentState = {
  documentDigest: Hex;
  scope: number;
  /** The scope's names: purposes, then `training` / `commercial`. */
  scopeNames: string[];
  purposes: string[];
  training: boolean;
  commercial: boolean;
  givenAt: number;
  /** 0 while in force. */
  revokedAt: number;
  inForce: boolean;
};

export type ContributorState = { index: number; account: Address; shareBps: number; recordsRoot: Hex; consent: ConsentState | null };

export type ListingState = {
  listingId: bigint;
  root: Hex;
  /** null for a first version. */
  parentId: bigint | null;
  owner: Address;
  agentOwned: boolean;
  ownerAgentId: bigint | null;
  active: boolean;
  consentEpoch: number;
  createdAt: number;
  sales: bigint;
  revenue: bigint;
  royalties: bigint;
  terms: TermsState;
  contributors: ContributorState[];
};

export type LicenceState = {
  licenceId: bigint;
  listingId: bigint;
  holder: Address;
  kind: LicenceKindName;
  purposes: string[];
  purposesMask: number;
  commercial: boolean;
  royaltyBps: number;
  issuedAt: number;
  /** 0 = no end. */
  expiresAt: number;
  consentEpoch: number;
  includedMask: bigint;
  price: bigint;
  /** Training: the bound compute job and provider, null until bound. */
  jobId: bigint | null;
  providerId: bigint | null;
  /** Training: the model it was used for, null until used. */
  model: Hex | null;
  valid: boolean;
};

export type ModelRoyaltyState = {
  weightsDigest: Hex;
  vault: Address;
  agentId: bigint;
  beneficiary: Address;
  revenue: bigint;
  datasets: { listingId: bigint; royaltyBps: number; paid: bigint }[];
};

// The market's ABI with the token's and the vault's errors, so a revert inside them decodes too.
const marketAbi = [
  ...dataMarketAbi,
  ...settlementTokenAbi.filter((x) => x.type === 'error'),
  ...modelRevenueVaultAbi.filter((x) => x.type === 'error' && !(dataMarketAbi as readonly { type: string; name?: string }[]).some((y) => y.type === 'error' && y.name === x.name)),
] as unknown as Abi;

/** EIP-712 type of a contributor's consent (the contract's CONSENT_TYPEHASH). */
export const consentTypes = {
  Consent: [
    { name: 'listingId', type: 'uint256' },
    { name: 'account', type: 'address' },
    { name: 'documentDigest', type: 'bytes32' },
    { name: 'scope', type: 'uint32' },
    { name: 'deadline', type: 'uint256' },
  ],
} as const;

const UINT32_MAX = 2 ** 32 - 1;

function scopeOf(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0 || v > UINT32_MAX) throw new InvalidDataInputError(field, `must be a non-zero uint32 consent scope (got ${String(v)}); build it with consentScope()`);
  return v;
}

function purposesArg(field: string, v: unknown): number {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0 || v >= 1 << 30) throw new InvalidDataInputError(field, `must be purpose names or a mask of the low 30 bits (got ${v})`);
    return v;
  }
  const mask = purposesToMask(v as string[], field);
  if (mask === 0) throw new InvalidDataInputError(field, 'name at least one purpose');
  return mask;
}

function market(v: unknown) {
  return address('market', v);
}

// ------------------------------------------------------------------------------------------------ writes

async function write(wallet: MachinaWalletClient, at: Address, functionName: string, args: readonly unknown[]) {
  try {
    return await sendWrite(wallet, { address: at, abi: marketAbi, functionName, args });
  } catch (err) {
    throw asDataError(err, functionName);
  }
}

/**
 * Lists a dataset version registered in the ProvenanceRegistry by the wallet: terms and contributors are checked
 * first (shares summing to 10,000 bps, purposes known, expiry ahead). `owner.agentId` lists it for an ERC-8004
 * agent the wallet owns; `parentId` is the listing of the provenance parent.
 * @example
 * const { listingId } = await publishListing(wallet, { market, root, terms, contributors })
 */
export async function publishListing(
  wallet: MachinaWalletClient,
  p: { market: Address; root: Hex; parentId?: bigint; owner?: { agentId: bigint }; terms: TermsInput; contributors: ContributorInput[] },
): Promise<TxOutcome & { listingId: bigint }> {
  const at = market(p.market);
  const params = {
    root: bytes32('root', p.root, true),
    parentId: p.parentId === undefined || p.parentId === 0n ? 0n : positiveId('parentId', p.parentId),
    agentOwned: p.owner !== undefined,
    ownerAgentId: p.owner === undefined ? 0n : positiveId('owner.agentId', p.owner?.agentId),
    terms: encodeTerms(p.terms, await chainNow(wallet)),
    contributors: encodeContributors(p.contributors),
  };
  const { hash, receipt } = await write(wallet, at, 'publish', [params]);
  return { txHash: hash, listingId: eventOf(dataMarketAbi, receipt, 'ListingPublished', at).args.listingId };
}

/**
 * Replaces a listing's terms (owner only); licences already sold keep theirs.
 * @example
 * await setTerms(wallet, { market, listingId, terms: { ...terms, accessPrice: 2_000_000n } })
 */
export async function setTerms(wallet: MachinaWalletClient, p: { market: Address; listingId: bigint; terms: TermsInput }): Promise<TxOutcome> {
  const at = market(p.market);
  const { hash } = await write(wallet, at, 'setTerms', [positiveId('listingId', p.listingId), encodeTerms(p.terms, await chainNow(wallet))]);
  return { txHash: hash };
}

/**
 * Lists (true) or delists (false) a listing (owner only); a delisted listing sells nothing.
 * @example
 * await setActive(wallet, { market, listingId, active: false })
 */
export async function setActive(wallet: MachinaWalletClient, p: { market: Address; listingId: bigint; active: boolean }): Promise<TxOutcome> {
  const at = market(p.market);
  if (typeof p.active !== 'boolean') throw new InvalidDataInputError('active', 'must be true or false');
  const { hash } = await write(wallet, at, 'setActive', [positiveId('listingId', p.listingId), p.active]);
  return { txHash: hash };
}

function consentEvent(receipt: TransactionReceipt, at: Address) {
  const a = eventOf(dataMarketAbi, receipt, 'ConsentGiven', at).args;
  return { index: Number(a.index), epoch: Number(a.epoch) };
}

/**
 * The wallet (a contributor of the listing) consents to the use of its records under `scope`
 * (see `consentScope`), citing the consent document's digest.
 * @example
 * const { index, epoch } = await giveConsent(wallet, { market, listingId, documentDigest, scope: consentScope({ purposes: ['research'], training: true, commercial: false }) })
 */
export async function giveConsent(
  wallet: MachinaWalletClient,
  p: { market: Address; listingId: bigint; documentDigest: Hex; scope: number },
): Promise<TxOutcome & { index: number; epoch: number }> {
  const at = market(p.market);
  const { hash, receipt } = await write(wallet, at, 'giveConsent', [positiveId('listingId', p.listingId), bytes32('documentDigest', p.documentDigest, true), scopeOf('scope', p.scope)]);
  return { txHash: hash, ...consentEvent(receipt, at) };
}

/**
 * The EIP-712 typed data of a consent, for any signer; the domain is read from the market (ERC-5267).
 * @example
 * const typed = await consentTypedData(client, { market, listingId, account, documentDigest, scope, deadline })
 */
export async function consentTypedData(
  client: ReadClient,
  p: { market: Address; listingId: bigint; account: Address; documentDigest: Hex; scope: number; deadline: bigint | number },
) {
  const at = market(p.market);
  const message = {
    listingId: positiveId('listingId', p.listingId),
    account: address('account', p.account),
    documentDigest: bytes32('documentDigest', p.documentDigest, true),
    scope: scopeOf('scope', p.scope),
    deadline: deadlineOf(p.deadline),
  };
  let eip712;
  try {
    eip712 = await getEip712Domain(readerOf(client), { address: at });
  } catch (err) {
    throw asDataError(err, 'eip712Domain');
  }
  // ERC-5267: `fields` says which domain members the contract uses (name, version, chainId, verifyingContract,
  // salt); a member it does not use must not be signed, or the digest differs.
  const f = Number(eip712.fields);
  const d = eip712.domain;
  const domain = {
    ...(f & 1 ? { name: d.name } : {}),
    ...(f & 2 ? { version: d.version } : {}),
    ...(f & 4 ? { chainId: d.chainId } : {}),
    ...(f & 8 ? { verifyingContract: d.verifyingContract } : {}),
    ...(f & 16 ? { salt: d.salt } : {}),
  };
  return { domain, types: consentTypes, primaryType: 'Consent' as const, message };
}

function deadlineOf(v: unknown): bigint {
  const d = typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : v;
  if (typeof d !== 'bigint' || d <= 0n || d >= 1n << 64n) throw new InvalidDataInputError('deadline', `must be unix seconds (got ${String(v)})`);
  return d;
}

/**
 * The wallet's account (a contributor) signs its consent for someone else to relay with `giveConsentBySig`.
 * @example
 * const { signature } = await signConsent(contributor, { market, listingId, documentDigest, scope, deadline: now + 3600 })
 */
export async function signConsent(
  wallet: MachinaWalletClient,
  p: { market: Address; listingId: bigint; documentDigest: Hex; scope: number; deadline: bigint | number },
): Promise<{ signature: Hex; account: Address; deadline: bigint }> {
  const typed = await consentTypedData(wallet, { ...p, account: wallet.account.address });
  const signature = await signTypedData(wallet, { account: wallet.account, ...typed });
  return { signature, account: wallet.account.address, deadline: typed.message.deadline };
}

/**
 * Relays a contributor's signed consent (anyone may send it; ERC-1271 accounts included).
 * @example
 * await giveConsentBySig(relayer, { market, listingId, account, documentDigest, scope, deadline, signature })
 */
export async function giveConsentBySig(
  wallet: MachinaWalletClient,
  p: { market: Address; listingId: bigint; account: Address; documentDigest: Hex; scope: number; deadline: bigint | number; signature: Hex },
): Promise<TxOutcome & { index: number; epoch: number }> {
  const at = market(p.market);
  const deadline = deadlineOf(p.deadline);
  const now = await chainNow(wallet);
  if (deadline < BigInt(now)) throw new InvalidDataInputError('deadline', `the signature expired at ${deadline} (now ${now})`);
  if (typeof p.signature !== 'string' || !/^0x([0-9a-fA-F]{2})+$/.test(p.signature)) throw new InvalidDataInputError('signature', 'must be 0x-prefixed hex bytes');
  const args = [positiveId('listingId', p.listingId), address('account', p.account), bytes32('documentDigest', p.documentDigest, true), scopeOf('scope', p.scope), deadline, p.signature];
  const { hash, receipt } = await write(wallet, at, 'giveConsentBySig', args);
  return { txHash: hash, ...consentEvent(receipt, at) };
}

/**
 * The wallet (a contributor) revokes its consent; final for this listing. Licences sold before keep their records.
 * @example
 * const { epoch } = await revokeConsent(wallet, { market, listingId })
 */
export async function revokeConsent(wallet: MachinaWalletClient, p: { market: Address; listingId: bigint }): Promise<TxOutcome & { index: number; epoch: number }> {
  const at = market(p.market);
  const { hash, receipt } = await write(wallet, at, 'revokeConsent', [positiveId('listingId', p.listingId)]);
  const a = eventOf(dataMarketAbi, receipt, 'ConsentRevoked', at).args;
  return { txHash: hash, index: Number(a.index), epoch: Number(a.epoch) };
}

/**
 * The price and covered contributors of a sale now, with the consent epoch to pass to `buyLicence`.
 * @example
 * const { price, includedMask, consentEpoch } = await quote(client, { market, listingId, kind: 'access', purposes: ['research'] })
 */
export async function quote(
  client: ReadClient,
  p: { market: Address; listingId: bigint; kind: LicenceKindName; purposes: string[] | number },
): Promise<{ price: bigint; includedMask: bigint; consentEpoch: number }> {
  const [price, includedMask, consentEpoch] = await read<readonly [bigint, bigint, number]>(client, market(p.market), 'quote', [
    positiveId('listingId', p.listingId),
    licenceKindIndex(p.kind),
    purposesArg('purposes', p.purposes),
  ]);
  return { price, includedMask, consentEpoch: Number(consentEpoch) };
}

/** What `buyLicence` returns: the licence, and whether an unused one already held was returned instead of buying. */
export type BuyLicenceReturnType = TxOutcome & {
  licenceId: bigint;
  /** Paid by this call: 0n when `reused`. */
  price: bigint;
  includedMask: bigint;
  consentEpoch: number;
  expiresAt: number;
  /** true: the buyer already held a valid, unused licence of this listing, kind and purposes; nothing was bought (txHash is its purchase). */
  reused: boolean;
};

/**
 * Buys a licence: quotes (unless `expectedConsentEpoch` is given, which is then checked against the quote before
 * anything is sent), approves exactly the price, buys. A consent given or revoked since the quote is refused
 * (ConsentChanged); so is a price above `maxPrice` (default: the quoted price). With `reuse: true` a valid licence
 * the buyer already holds for the same listing, kind and purposes, not yet bound to a compute job nor used for a
 * model, is returned instead (`reused: true`, `price: 0n`): a retry after a timeout does not buy twice.
 * @example
 * const { licenceId } = await buyLicence(wallet, { market, token, listingId, kind: 'training', purposes: ['research'], reuse: true })
 */
export async function buyLicence(
  wallet: MachinaWalletClient,
  p: { market: Address; token: Address; listingId: bigint; kind: LicenceKindName; purposes: string[] | number; maxPrice?: bigint | undefined; expectedConsentEpoch?: number | undefined; reuse?: boolean | undefined },
): Promise<BuyLicenceReturnType> {
  const at = market(p.market);
  const token = address('token', p.token);
  const listingId = positiveId('listingId', p.listingId);
  const kind = licenceKindIndex(p.kind);
  const purposes = purposesArg('purposes', p.purposes);
  if (p.maxPrice !== undefined && (typeof p.maxPrice !== 'bigint' || p.maxPrice < 0n)) throw new InvalidDataInputError('maxPrice', 'must be a non-negative bigint amount');
  if (p.expectedConsentEpoch !== undefined && (!Number.isSafeInteger(p.expectedConsentEpoch) || p.expectedConsentEpoch < 0)) {
    throw new InvalidDataInputError('expectedConsentEpoch', 'must be the consentEpoch of a quote');
  }
  if (p.reuse !== undefined && typeof p.reuse !== 'boolean') throw new InvalidDataInputError('reuse', 'must be true or false');
  // Under the wallet's lock: a second call of this process waits for the first purchase, then finds its licence.
  return underWalletLock(wallet, async (): Promise<BuyLicenceReturnType> => {
    if (p.reuse) {
      const held = await findHeldLicence(wallet, { market: at, holder: wallet.account.address, listingId, kind: p.kind, purposes });
      if (held) return { txHash: held.txHash, licenceId: held.licenceId, price: 0n, includedMask: held.includedMask, consentEpoch: held.consentEpoch, expiresAt: held.expiresAt, reused: true };
    }
    const q = await quote(wallet, { market: at, listingId, kind: p.kind, purposes });
    const epoch = p.expectedConsentEpoch ?? q.consentEpoch;
    // Refused here rather than after an approval: the contract would refuse the same way.
    if (epoch !== q.consentEpoch) throw new DataRevertError('buy', 'ConsentChanged', [listingId, epoch, q.consentEpoch]);
    const maxPrice = p.maxPrice ?? q.price;
    if (q.price > maxPrice) throw new DataRevertError('buy', 'PriceAboveMax', [q.price, maxPrice]);
    if (q.price > 0n) await ensureAllowance(wallet, { token, spender: at, amount: q.price }, (err) => asDataError(err, 'approve'));
    const { hash, receipt } = await write(wallet, at, 'buy', [listingId, kind, purposes, maxPrice, epoch]);
    const a = eventOf(dataMarketAbi, receipt, 'LicenceIssued', at).args;
    return { txHash: hash, licenceId: a.licenceId, price: a.price, includedMask: a.includedMask, consentEpoch: Number(a.consentEpoch), expiresAt: Number(a.expiresAt), reused: false };
  });
}

/** Most licences of one (listing, holder, kind, purposes) read on chain when looking for an unused one. */
const MAX_HELD_CHECKS = 16;

/**
 * A valid licence `holder` holds for `listingId` with exactly this kind and purposes, not bound to a compute job nor
 * used for a model (newest first), or null. Cheap when the holder has no licence at all (one balance read); else
 * it reads the LicenceIssued logs of (listing, holder) back to the listing's creation, MAX_LOG_RANGE blocks a call.
 * @example
 * const held = await findHeldLicence(client, { market, holder, listingId: 1n, kind: 'access', purposes: ['research'] })
 */
export async function findHeldLicence(
  client: ReadClient,
  p: { market: Address; holder: Address; listingId: bigint; kind: LicenceKindName; purposes: string[] | number },
): Promise<(LicenceState & { txHash: Hex }) | null> {
  const at = market(p.market);
  const holder = address('holder', p.holder);
  const listingId = positiveId('listingId', p.listingId);
  const kind = licenceKindIndex(p.kind);
  const purposes = purposesArg('purposes', p.purposes);
  const nft = await read<Address>(client, at, 'licences');
  const balance = await readerOf(client).readContract({ address: nft, abi: erc721Abi, functionName: 'balanceOf', args: [holder] });
  if (balance === 0n) return null;
  const listing = await orNull(read<ListingStruct>(client, at, 'getListing', [listingId]), 'UnknownListing');
  if (!listing || listing.root === zeroHash) return null;
  type Issued = { args: { licenceId: bigint; kind: number; purposes: number }; transactionHash: Hex };
  const issued: Issued[] = [];
  await findEventBackward<Issued, never>(
    client,
    { address: at, abi: dataMarketAbi as unknown as Abi, eventName: 'LicenceIssued', args: { listingId, holder }, notBefore: Number(listing.createdAt) },
    (logs) => {
      issued.push(...logs);
      return undefined;
    },
  );
  const candidates = issued
    .filter((l) => Number(l.args.kind) === kind && Number(l.args.purposes) >>> 0 === purposes)
    .sort((x, y) => (x.args.licenceId > y.args.licenceId ? -1 : 1))
    .slice(0, MAX_HELD_CHECKS);
  for (const c of candidates) {
    const lic = await readLicence(client, { market: at, licenceId: c.args.licenceId });
    if (lic && lic.valid && lic.holder.toLowerCase() === holder.toLowerCase() && lic.jobId === null && lic.model === null) return { ...lic, txHash: c.transactionHash };
  }
  return null;
}

/**
 * Binds a Training licence to the holder's direct compute job on a provider the terms allow and the job was offered
 * to (or assigned): the seller's node then delivers the data to that provider's operator only. Once per licence.
 * @example
 * await bindTrainingRun(wallet, { market, licenceId, jobId, providerId })
 */
export async function bindTrainingRun(wallet: MachinaWalletClient, p: { market: Address; licenceId: bigint; jobId: bigint; providerId: bigint }): Promise<TxOutcome> {
  const at = market(p.market);
  const { hash } = await write(wallet, at, 'bindTrainingRun', [positiveId('licenceId', p.licenceId), positiveId('jobId', p.jobId), positiveId('providerId', p.providerId)]);
  return { txHash: hash };
}

/**
 * Registers the revenue split of a model registered in the ProvenanceRegistry (the trainer's owner or agentWallet):
 * one unused Training licence per listed dataset of its lineage. Deploys its vault, which registers the serving
 * agent with `agentURI`; x402 payments to that agent land in the vault.
 * @example
 * const { vault, agentId } = await registerModelRoyalty(wallet, { market, weightsDigest, licenceIds: [3n], beneficiary, agentURI })
 */
export async function registerModelRoyalty(
  wallet: MachinaWalletClient,
  p: { market: Address; weightsDigest: Hex; licenceIds: bigint[]; beneficiary: Address; agentURI: string },
): Promise<TxOutcome & { vault: Address; agentId: bigint; listingIds: bigint[]; royaltyBps: number[] }> {
  const at = market(p.market);
  const weightsDigest = bytes32('weightsDigest', p.weightsDigest, true);
  if (!Array.isArray(p.licenceIds)) throw new InvalidDataInputError('licenceIds', 'must be a list of licence ids');
  const licenceIds = p.licenceIds.map((x, i) => positiveId(`licenceIds[${i}]`, x));
  const dup = licenceIds.findIndex((x, i) => licenceIds.indexOf(x) !== i);
  if (dup >= 0) throw new InvalidDataInputError(`licenceIds[${dup}]`, `licence ${licenceIds[dup]} is given twice`);
  if (typeof p.agentURI !== 'string' || p.agentURI === '') throw new InvalidDataInputError('agentURI', 'must be the serving agent\'s registration URI');
  const { hash, receipt } = await write(wallet, at, 'registerModelRoyalty', [weightsDigest, licenceIds, address('beneficiary', p.beneficiary), p.agentURI]);
  const a = eventOf(dataMarketAbi, receipt, 'ModelRoyaltyRegistered', at).args;
  return { txHash: hash, vault: a.vault, agentId: a.agentId, listingIds: [...a.listingIds], royaltyBps: a.royaltyBps.map(Number) };
}

/**
 * Moves a model vault's whole balance into the market and credits its datasets (→ their contributors) and the
 * beneficiary, exactly (see `routeRevenueCredits`). Anyone may call; routing an empty vault credits nothing.
 * @example
 * const { amount, toDatasets, toBeneficiary } = await routeRevenue(wallet, { market, weightsDigest })
 */
export async function routeRevenue(
  wallet: MachinaWalletClient,
  p: { market: Address; weightsDigest: Hex },
): Promise<TxOutcome & { amount: bigint; toDatasets: bigint; toBeneficiary: bigint }> {
  const at = market(p.market);
  const { hash, receipt } = await write(wallet, at, 'routeRevenue', [bytes32('weightsDigest', p.weightsDigest, true)]);
  try {
    const a = eventOf(dataMarketAbi, receipt, 'RevenueRouted', at).args;
    return { txHash: hash, amount: a.amount, toDatasets: a.toDatasets, toBeneficiary: a.toBeneficiary };
  } catch {
    return { txHash: hash, amount: 0n, toDatasets: 0n, toBeneficiary: 0n };
  }
}

/**
 * Sends the wallet's withdrawable data-market credit (sales, royalties, model revenue) to `to` (default: the wallet);
 * residual dust held for it stays (see `readDataCreditParts`).
 * @example
 * const { amount } = await withdrawDataCredit(wallet, { market })
 */
export async function withdrawDataCredit(wallet: MachinaWalletClient, p: { market: Address; to?: Address }): Promise<TxOutcome & { amount: bigint }> {
  const at = market(p.market);
  const { hash, receipt } =
    p.to === undefined ? await write(wallet, at, 'withdraw', []) : await write(wallet, at, 'withdrawTo', [address('to', p.to)]);
  return { txHash: hash, amount: eventOf(dataMarketAbi, receipt, 'Withdrawn', at).args.amount };
}

// ------------------------------------------------------------------------------------------------ reads

async function read<T>(client: ReadClient, at: Address, functionName: string, args: readonly unknown[] = []): Promise<T> {
  try {
    return (await readerOf(client).readContract({ address: at, abi: marketAbi, functionName, args } as never)) as T;
  } catch (err) {
    throw asDataError(err, functionName);
  }
}

/** Reads that revert for an unknown id (or return the zero struct) both mean "none". */
async function orNull<T>(task: Promise<T>, ...unknownErrors: string[]): Promise<T | null> {
  try {
    return await task;
  } catch (err) {
    if (isDataRevert(err, ...unknownErrors)) return null;
    throw err;
  }
}

type ListingStruct = {
  root: Hex;
  parentId: bigint;
  owner: Address;
  agentOwned: boolean;
  ownerAgentId: bigint;
  active: boolean;
  contributorCount: number;
  consentEpoch: number;
  createdAt: number;
  sales: bigint;
  revenue: bigint;
  royalties: bigint;
};
type ConsentStruct = { documentDigest: Hex; scope: number; givenAt: number; revokedAt: number };

/**
 * A consent as a readable state, or null when never given.
 * @example
 * consentStateOf({ documentDigest, scope, givenAt: 1760000000, revokedAt: 0 }).inForce // true
 */
export function consentStateOf(c: ConsentStruct): ConsentState | null {
  if (Number(c.givenAt) === 0) return null;
  const scope = Number(c.scope) >>> 0;
  return {
    documentDigest: c.documentDigest,
    scope,
    scopeNames: scopeToNames(scope),
    purposes: maskToPurposes(scope),
    training: (scope & SCOPE_TRAINING) >>> 0 !== 0,
    commercial: (scope & SCOPE_COMMERCIAL) !== 0,
    givenAt: Number(c.givenAt),
    revokedAt: Number(c.revokedAt),
    inForce: Number(c.revokedAt) === 0,
  };
}

/**
 * A listing with its terms (purposes as names), contributors and their consents, or null if it does not exist.
 * @example
 * const l = await readListing(client, { market, listingId: 1n })
 */
export async function readListing(client: ReadClient, p: { market: Address; listingId: bigint }): Promise<ListingState | null> {
  const at = market(p.market);
  const listingId = positiveId('listingId', p.listingId);
  const l = await orNull(read<ListingStruct>(client, at, 'getListing', [listingId]), 'UnknownListing');
  if (!l || l.root === zeroHash) return null;
  const [terms, contributors] = await Promise.all([
    read<TermsStruct>(client, at, 'getTerms', [listingId]),
    read<readonly { account: Address; shareBps: number; recordsRoot: Hex }[]>(client, at, 'getContributors', [listingId]),
  ]);
  const consents = await Promise.all(contributors.map((_, i) => read<ConsentStruct>(client, at, 'getConsent', [listingId, BigInt(i)])));
  return {
    listingId,
    root: l.root,
    parentId: l.parentId === 0n ? null : l.parentId,
    owner: l.owner,
    agentOwned: l.agentOwned,
    ownerAgentId: l.agentOwned ? l.ownerAgentId : null,
    active: l.active,
    consentEpoch: Number(l.consentEpoch),
    createdAt: Number(l.createdAt),
    sales: BigInt(l.sales),
    revenue: l.revenue,
    royalties: l.royalties,
    terms: decodeTerms(terms),
    contributors: contributors.map((c, i) => ({ index: i, account: c.account, shareBps: Number(c.shareBps), recordsRoot: c.recordsRoot, consent: consentStateOf(consents[i]!) })),
  };
}

type LicenceStruct = {
  listingId: bigint;
  kind: number;
  purposes: number;
  commercial: boolean;
  royaltyBps: number;
  issuedAt: number;
  expiresAt: number;
  consentEpoch: number;
  includedMask: bigint;
  price: bigint;
  jobId: bigint;
  providerId: bigint;
  model: Hex;
};

/**
 * A licence with its holder and whether it is valid now, or null if it does not exist.
 * @example
 * const lic = await readLicence(client, { market, licenceId: 3n })
 */
export async function readLicence(client: ReadClient, p: { market: Address; licenceId: bigint }): Promise<LicenceState | null> {
  const at = market(p.market);
  const licenceId = positiveId('licenceId', p.licenceId);
  const l = await orNull(read<LicenceStruct>(client, at, 'getLicence', [licenceId]), 'UnknownLicence');
  if (!l || l.listingId === 0n) return null;
  const [holder, valid] = await Promise.all([
    orNull(read<Address>(client, at, 'holderOf', [licenceId]), 'UnknownLicence', 'ERC721NonexistentToken'),
    read<boolean>(client, at, 'isLicenceValid', [licenceId]),
  ]);
  const mask = Number(l.purposes) >>> 0;
  return {
    licenceId,
    listingId: l.listingId,
    holder: holder ?? zeroAddress,
    kind: LICENCE_KINDS[Number(l.kind)] ?? 'access',
    purposes: maskToPurposes(mask),
    purposesMask: mask,
    commercial: l.commercial,
    royaltyBps: Number(l.royaltyBps),
    issuedAt: Number(l.issuedAt),
    expiresAt: Number(l.expiresAt),
    consentEpoch: Number(l.consentEpoch),
    includedMask: l.includedMask,
    price: l.price,
    jobId: l.jobId === 0n ? null : l.jobId,
    providerId: l.providerId === 0n ? null : l.providerId,
    model: l.model === zeroHash ? null : l.model,
    valid,
  };
}

/**
 * A model's royalty split (vault, serving agent, beneficiary, revenue routed, per-dataset royalty and paid), or null.
 * @example
 * const r = await readModelRoyalty(client, { market, weightsDigest })
 */
export async function readModelRoyalty(client: ReadClient, p: { market: Address; weightsDigest: Hex }): Promise<ModelRoyaltyState | null> {
  const at = market(p.market);
  const weightsDigest = bytes32('weightsDigest', p.weightsDigest, true);
  type Struct = { vault: Address; agentId: bigint; beneficiary: Address; revenue: bigint; listingIds: readonly bigint[]; royaltyBps: readonly number[]; paid: readonly bigint[] };
  const r = await orNull(read<Struct>(client, at, 'getModelRoyalty', [weightsDigest]), 'UnknownModelRoyalty');
  if (!r || r.vault === zeroAddress) return null;
  return {
    weightsDigest,
    vault: r.vault,
    agentId: r.agentId,
    beneficiary: r.beneficiary,
    revenue: r.revenue,
    datasets: r.listingIds.map((listingId, j) => ({ listingId, royaltyBps: Number(r.royaltyBps[j] ?? 0), paid: r.paid[j] ?? 0n })),
  };
}

/**
 * What the data market owes `account` (its exact share of everything split; see `readDataCreditParts` for what it
 * may withdraw now).
 * @example
 * const credit = await readDataCredit(client, { market, account })
 */
export async function readDataCredit(client: ReadClient, p: { market: Address; account: Address }): Promise<bigint> {
  return read<bigint>(client, market(p.market), 'creditOf', [address('account', p.account)]);
}

/**
 * An account's credit in parts: `withdrawable` (what `withdrawDataCredit` pays now) and `held` (residual dust of
 * cumulative royalty splits, kept for it until the other parties' floors catch up); `credit` = their sum.
 * @example
 * const { withdrawable, held } = await readDataCreditParts(client, { market, account })
 */
export async function readDataCreditParts(client: ReadClient, p: { market: Address; account: Address }): Promise<{ credit: bigint; withdrawable: bigint; held: bigint }> {
  const at = market(p.market);
  const account = address('account', p.account);
  const [withdrawable, held] = await Promise.all([read<bigint>(client, at, 'withdrawableOf', [account]), read<bigint>(client, at, 'heldOf', [account])]);
  return { credit: withdrawable + held, withdrawable, held };
}

/**
 * The listing of a dataset root, or null when it is not listed.
 * @example
 * const listingId = await listingOfRoot(client, { market, root })
 */
export async function listingOfRoot(client: ReadClient, p: { market: Address; root: Hex }): Promise<bigint | null> {
  const id = await read<bigint>(client, market(p.market), 'listingOfRoot', [bytes32('root', p.root, true)]);
  return id === 0n ? null : id;
}

/**
 * Cumulative royalty credited to contributor `index` of a listing.
 * @example
 * const paid = await readRoyaltyPaid(client, { market, listingId, index: 0 })
 */
export async function readRoyaltyPaid(client: ReadClient, p: { market: Address; listingId: bigint; index: number }): Promise<bigint> {
  if (!Number.isSafeInteger(p.index) || p.index < 0 || p.index > 255) throw new InvalidDataInputError('index', `must be a contributor index (got ${String(p.index)})`);
  return read<bigint>(client, market(p.market), 'royaltyPaidTo', [positiveId('listingId', p.listingId), BigInt(p.index)]);
}

/**
 * Counters and wiring of the market: listings, licences, the credits it owes (= its token balance), and the
 * licence token's address.
 * @example
 * const { listingCount, totalCredits } = await readDataMarketInfo(client, { market })
 */
export async function readDataMarketInfo(client: ReadClient, p: { market: Address }): Promise<{ listingCount: bigint; licenceCount: bigint; totalCredits: bigint; licences: Address; token: Address }> {
  const at = market(p.market);
  const [listingCount, licenceCount, totalCredits, licences, token] = await Promise.all([
    read<bigint>(client, at, 'listingCount'),
    read<bigint>(client, at, 'licenceCount'),
    read<bigint>(client, at, 'totalCredits'),
    read<Address>(client, at, 'licences'),
    read<Address>(client, at, 'token'),
  ]);
  return { listingCount, licenceCount, totalCredits, licences, token };
}


// Typed chain actions of the provenance registries: anchor batch roots and verify proofs against
// them (AnchorRegistry), register dataset versions and trainer-signed model records (ProvenanceRegistry).
// Writes simulate first, so a revert surfaces as the contract's decoded custom error before any gas is
// spent; reads return `undefined` for what was never recorded instead of an all-zero struct.
import { isAddress, isHex, zeroHash, type Account, type Address, type Hex } from 'viem';
import { getBlock, readContract, signTypedData } from 'viem/actions';
import { anchorRegistryAbi, provenanceRegistryAbi } from '../chain/artifacts/index.ts';
import type { MachinaPublicClient, MachinaWalletClient } from '../chain/clients.ts';
import { eventOf } from '../chain/write.ts';
import { sendWrite } from '../wallet/client.ts';
import { ProvenanceError } from './errors.ts';

/** A client that can read: a public client, or a wallet client on the same transport. */
type ReadClient = MachinaPublicClient | MachinaWalletClient;

/** EIP-712 domain name and version of the ProvenanceRegistry (chainId and contract are added per call). */
export const PROVENANCE_EIP712 = { name: 'Machina Provenance', version: '1' } as const;

/** The trainer's signed type; `metrics` itself is not signed, its keccak256 (`metricsDigest`) is. */
export const modelRecordTypes = {
  ModelRecord: [
    { name: 'weightsDigest', type: 'bytes32' },
    { name: 'trainerAgentId', type: 'uint256' },
    { name: 'configDigest', type: 'bytes32' },
    { name: 'metricsDigest', type: 'bytes32' },
    { name: 'baseModel', type: 'bytes32' },
    { name: 'computeJobId', type: 'uint256' },
    { name: 'datasetRoots', type: 'bytes32[]' },
    { name: 'name', type: 'string' },
    { name: 'uri', type: 'string' },
  ],
} as const;

export type ModelInput = {
  weightsDigest: Hex;
  trainerAgentId: bigint;
  configDigest: Hex;
  /** keccak256 of the UTF-8 bytes of `metrics`. */
  metricsDigest: Hex;
  /** Weights digest of the model this one was fine-tuned from, or zeroHash. */
  baseModel: Hex;
  /** Compute market job that trained it, or 0n. */
  computeJobId: bigint;
  datasetRoots: readonly Hex[];
  name: string;
  /** Evaluation metrics as UTF-8 JSON. */
  metrics: string;
  uri: string;
};

export type DatasetVersion = {
  root: Hex;
  /** zeroHash for a first version. */
  parent: Hex;
  registrant: Address;
  /** Unix seconds of the registering block. */
  timestamp: number;
  version: number;
  fileCount: bigint;
  totalBytes: bigint;
  name: string;
  uri: string;
};

export type ModelRecord = {
  weightsDigest: Hex;
  trainerAgentId: bigint;
  configDigest: Hex;
  metricsDigest: Hex;
  baseModel: Hex;
  computeJobId: bigint;
  /** Who signed for the agent: its owner or its agentWallet at registration time. */
  signer: Address;
  /** Who sent the transaction (may be a relayer). */
  registrant: Address;
  timestamp: number;
  datasetRoots: Hex[];
  name: string;
  uri: string;
};

export type AnchorRecord = { submitter: Address; timestamp: number; blockNumber: bigint };

export type AnchorResult = { txHash: Hex; blockNumber: bigint; blockHash: Hex; timestamp: number; submitter: Address };

// ------------------------------------------------------------------------------------------------ checks

function bytes32(field: string, value: unknown): Hex {
  if (typeof value !== 'string' || !isHex(value) || value.length !== 66) throw new ProvenanceError(field, `must be a 0x-prefixed 32-byte hex string, got ${JSON.stringify(value)}`);
  return value.toLowerCase() as Hex;
}

function address(field: string, value: unknown): Address {
  if (typeof value !== 'string' || !isAddress(value, { strict: false })) throw new ProvenanceError(field, `must be an address, got ${JSON.stringify(value)}`);
  return value as Address;
}

function uint(field: string, value: unknown, bits: number): bigint {
  if (typeof value !== 'bigint' || value < 0n || value >= 1n << BigInt(bits)) throw new ProvenanceError(field, `must be a bigint in [0, 2^${bits}), got ${String(value)}`);
  return value;
}

// ------------------------------------------------------------------------------------------------ anchors

/**
 * Anchors a batch root holding `size` digests and waits for it to be mined. Reverts (before sending)
 * with `RootAlreadyAnchored` if anyone anchored the root before: check `getAnchor` first to resume.
 * @example
 * const a = await anchorRoot(wallet, { registry: deployment.contracts.AnchorRegistry!.address, root: tree.root, size: 1000n })
 */
export async function anchorRoot(wallet: MachinaWalletClient, p: { registry: Address; root: Hex; size: bigint | number }): Promise<AnchorResult> {
  const root = bytes32('root', p.root);
  const size = uint('size', BigInt(p.size), 64);
  if (size === 0n) throw new ProvenanceError('size', 'a batch holds at least one digest');
  const { hash, receipt } = await sendWrite(wallet, { address: address('registry', p.registry), abi: anchorRegistryAbi, functionName: 'anchor', args: [root, size] });
  const block = await getBlock(wallet, { blockHash: receipt.blockHash });
  return { txHash: hash, blockNumber: receipt.blockNumber, blockHash: receipt.blockHash, timestamp: Number(block.timestamp), submitter: wallet.account.address };
}

/**
 * The anchor record of `root`, or `undefined` if it was never anchored.
 * @example
 * const a = await getAnchor(client, { registry, root })
 */
export async function getAnchor(client: ReadClient, p: { registry: Address; root: Hex; blockNumber?: bigint }): Promise<AnchorRecord | undefined> {
  const a = await readContract(client, {
    address: address('registry', p.registry),
    abi: anchorRegistryAbi,
    functionName: 'anchorOf',
    args: [bytes32('root', p.root)],
    ...(p.blockNumber !== undefined ? { blockNumber: p.blockNumber } : {}),
  });
  if (a.timestamp === 0) return undefined;
  return { submitter: a.submitter, timestamp: a.timestamp, blockNumber: BigInt(a.blockNumber) };
}

/**
 * Asks the contract whether `proof` proves `digest` (as a standard-tree leaf) under an anchored `root`.
 * False for an unanchored root as well as for a wrong proof.
 * @example
 * const ok = await verifyOnChain(client, { registry, root: r.batch.root, digest: r.digest, proof: r.batch.proof })
 */
export async function verifyOnChain(client: ReadClient, p: { registry: Address; root: Hex; digest: Hex; proof: readonly Hex[] }): Promise<boolean> {
  const proof = p.proof.map((x, i) => bytes32(`proof[${i}]`, x));
  return readContract(client, { address: address('registry', p.registry), abi: anchorRegistryAbi, functionName: 'verify', args: [proof, bytes32('root', p.root), bytes32('digest', p.digest)] });
}

// ------------------------------------------------------------------------------------------------ datasets

/**
 * Registers a dataset version (its manifest root) and waits for it; `version` is 1 without a parent,
 * the parent's version + 1 otherwise. The contract rejects an unknown parent and a root registered before.
 * @example
 * const { version } = await registerDataset(wallet, { registry, name: 'patients', root: m.root, parent: v1, fileCount: 40n, totalBytes: 1234n, uri })
 */
export async function registerDataset(
  wallet: MachinaWalletClient,
  p: { registry: Address; name: string; root: Hex; parent?: Hex | undefined; fileCount: bigint | number; totalBytes: bigint | number | string; uri: string },
): Promise<{ txHash: Hex; version: number; blockNumber: bigint }> {
  if (typeof p.name !== 'string' || p.name === '') throw new ProvenanceError('name', 'must be a non-empty string');
  if (typeof p.uri !== 'string') throw new ProvenanceError('uri', 'must be a string (may be empty)');
  const fileCount = uint('fileCount', BigInt(p.fileCount), 64);
  if (fileCount === 0n) throw new ProvenanceError('fileCount', 'a dataset holds at least one file');
  const args = [p.name, bytes32('root', p.root), bytes32('parent', p.parent ?? zeroHash), fileCount, uint('totalBytes', BigInt(p.totalBytes), 128), p.uri] as const;
  const registry = address('registry', p.registry);
  const { hash, receipt } = await sendWrite(wallet, { address: registry, abi: provenanceRegistryAbi, functionName: 'registerDataset', args });
  const { version } = eventOf(provenanceRegistryAbi, receipt, 'DatasetRegistered', registry).args;
  return { txHash: hash, version, blockNumber: receipt.blockNumber };
}

/**
 * The dataset version registered under `root`, or `undefined`.
 * @example
 * const d = await getDataset(client, { registry, root })
 */
export async function getDataset(client: ReadClient, p: { registry: Address; root: Hex }): Promise<DatasetVersion | undefined> {
  const root = bytes32('root', p.root);
  const d = await readContract(client, { address: address('registry', p.registry), abi: provenanceRegistryAbi, functionName: 'datasetOf', args: [root] });
  if (d.version === 0) return undefined;
  return { root, parent: d.parent, registrant: d.registrant, timestamp: d.timestamp, version: d.version, fileCount: d.fileCount, totalBytes: d.totalBytes, name: d.name, uri: d.uri };
}

// ------------------------------------------------------------------------------------------------ models

function checkedInput(input: ModelInput) {
  if (!input || typeof input !== 'object') throw new ProvenanceError('input', 'must be a model input object');
  if (!Array.isArray(input.datasetRoots) || input.datasetRoots.length === 0) throw new ProvenanceError('input.datasetRoots', 'must name at least one dataset root');
  for (const [field, v] of [['name', input.name], ['metrics', input.metrics], ['uri', input.uri]] as const) {
    if (typeof v !== 'string') throw new ProvenanceError(`input.${field}`, 'must be a string');
  }
  return {
    weightsDigest: bytes32('input.weightsDigest', input.weightsDigest),
    trainerAgentId: uint('input.trainerAgentId', input.trainerAgentId, 256),
    configDigest: bytes32('input.configDigest', input.configDigest),
    metricsDigest: bytes32('input.metricsDigest', input.metricsDigest),
    baseModel: bytes32('input.baseModel', input.baseModel ?? zeroHash),
    computeJobId: uint('input.computeJobId', input.computeJobId ?? 0n, 256),
    datasetRoots: input.datasetRoots.map((r, i) => bytes32(`input.datasetRoots[${i}]`, r)),
    name: input.name,
    metrics: input.metrics,
    uri: input.uri,
  };
}

/**
 * The EIP-712 typed data a trainer signs for `input` on the ProvenanceRegistry at `registry`: pass it
 * to any `signTypedData` (viem account, wallet client, or an ERC-1271 account's signer).
 * @example
 * const signature = await account.signTypedData(modelTypedData(chainId, registry, input))
 */
export function modelTypedData(chainId: number, registry: Address, input: ModelInput) {
  const m = checkedInput(input);
  return {
    domain: { ...PROVENANCE_EIP712, chainId, verifyingContract: address('registry', registry) },
    types: modelRecordTypes,
    primaryType: 'ModelRecord' as const,
    message: {
      weightsDigest: m.weightsDigest,
      trainerAgentId: m.trainerAgentId,
      configDigest: m.configDigest,
      metricsDigest: m.metricsDigest,
      baseModel: m.baseModel,
      computeJobId: m.computeJobId,
      datasetRoots: m.datasetRoots,
      name: m.name,
      uri: m.uri,
    },
  };
}

/**
 * Signs `input` as the trainer (the agent's owner or agentWallet): with a wallet client's account, or
 * a local viem account.
 * @example
 * const signature = await signModel(wallet, { chainId: client.chain.id, registry, input })
 */
export async function signModel(signer: MachinaWalletClient | Account, p: { chainId: number; registry: Address; input: ModelInput }): Promise<Hex> {
  const typed = modelTypedData(p.chainId, p.registry, p.input);
  if (signer.type === 'walletClient') {
    const w = signer as MachinaWalletClient;
    return signTypedData(w, { account: w.account, ...typed });
  }
  // A viem account: local accounts sign themselves; json-rpc accounts need a wallet client.
  const account = signer as { signTypedData?: (t: typeof typed) => Promise<Hex> };
  if (!account.signTypedData) throw new ProvenanceError('signer', 'this account cannot sign typed data locally; pass a wallet client');
  return account.signTypedData(typed);
}

/**
 * Registers a trainer-signed model record and waits for it; anyone may relay it. `signer` is the
 * agent's owner or agentWallet that produced `signature` (ECDSA, or ERC-1271 for contract accounts).
 * @example
 * await registerModel(wallet, { registry, input, signer: owner.address, signature })
 */
export async function registerModel(
  wallet: MachinaWalletClient,
  p: { registry: Address; input: ModelInput; signer: Address; signature: Hex },
): Promise<{ txHash: Hex; blockNumber: bigint }> {
  const m = checkedInput(p.input);
  if (typeof p.signature !== 'string' || !isHex(p.signature)) throw new ProvenanceError('signature', 'must be 0x-prefixed hex');
  const { hash, receipt } = await sendWrite(wallet, {
    address: address('registry', p.registry),
    abi: provenanceRegistryAbi,
    functionName: 'registerModel',
    args: [m, address('signer', p.signer), p.signature],
  });
  return { txHash: hash, blockNumber: receipt.blockNumber };
}

/**
 * The model record registered under `weightsDigest`, or `undefined`.
 * @example
 * const m = await getModel(client, { registry, weightsDigest })
 */
export async function getModel(client: ReadClient, p: { registry: Address; weightsDigest: Hex }): Promise<ModelRecord | undefined> {
  const weightsDigest = bytes32('weightsDigest', p.weightsDigest);
  const r = await readContract(client, { address: address('registry', p.registry), abi: provenanceRegistryAbi, functionName: 'modelOf', args: [weightsDigest] });
  if (r.timestamp === 0) return undefined;
  return {
    weightsDigest,
    trainerAgentId: r.trainerAgentId,
    configDigest: r.configDigest,
    metricsDigest: r.metricsDigest,
    baseModel: r.baseModel,
    computeJobId: r.computeJobId,
    signer: r.signer,
    registrant: r.registrant,
    timestamp: r.timestamp,
    datasetRoots: [...r.datasetRoots],
    name: r.name,
    uri: r.uri,
  };
}

/** The EIP-712 digest the contract expects the trainer to sign for `input` (a cross-check for signers). */
export async function modelDigestOnChain(client: ReadClient, p: { registry: Address; input: ModelInput }): Promise<Hex> {
  return readContract(client, { address: address('registry', p.registry), abi: provenanceRegistryAbi, functionName: 'modelDigest', args: [checkedInput(p.input)] });
}

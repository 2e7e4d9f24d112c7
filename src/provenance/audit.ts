// Auditing a model's lineage: the model record on chain, its base models, the dataset versions it was
// trained on and their parents. Each dataset must be registered, its manifest must recompute to the
// registered root, and the files where it lives must still hash to the manifest, so a training file
// changed after registration is named with its dataset and version. The trainer's signature is
// re-checked from the registering transaction.
import { decodeFunctionData, getAbiItem, hashTypedData, keccak256, parseAbiItem, recoverTypedDataAddress, stringToHex, toFunctionSelector, type Address, type Hex } from 'viem';
import { provenanceRegistryAbi } from '../chain/artifacts/ProvenanceRegistry.ts';
import type { MachinaPublicClient } from '../chain/clients.ts';
import type { Deployment } from '../chain/deployments.ts';
import { formatError } from '../errors/index.ts';
import { getDataset, getModel, modelTypedData, type DatasetVersion, type ModelRecord } from './actions.ts';
import type { AuditFinding, AuditReport, AuditVerdict, Manifest } from './types.ts';

export type AuditProgress = { dataset: string; files: number; totalFiles: number; bytes: bigint; totalBytes: bigint };

export type AuditModelParameters = {
  client: MachinaPublicClient;
  deployment: Deployment;
  /** The model's id: its weights digest. */
  modelId: Hex;
  /** Where a dataset version's manifest (and the folder holding its files) can be found. */
  manifests: (root: Hex) => Promise<{ manifest: unknown; location?: string | undefined } | undefined>;
  /**
   * This machine's folder for a dataset version's files, preferred to the location `manifests` gives
   * (a node's location is a path on the machine that uploaded the manifest).
   */
  locate?: ((root: Hex) => string | undefined) | undefined;
  /** Re-hashing progress, per dataset. */
  onProgress?: ((p: AuditProgress) => void) | undefined;
};

const MODEL_REGISTERED = getAbiItem({ abi: provenanceRegistryAbi, name: 'ModelRegistered' });
const REGISTER_MODEL = getAbiItem({ abi: provenanceRegistryAbi, name: 'registerModel' });
const ERC1271 = parseAbiItem('function isValidSignature(bytes32 hash, bytes signature) view returns (bytes4)');
const REGISTER_MODEL_SELECTOR = toFunctionSelector(REGISTER_MODEL).slice(2);
const ZERO = `0x${'0'.repeat(64)}` as Hex;

type Link = AuditReport['links'][number];
type ModelLike = { trainerAgentId: bigint; configDigest: Hex; metricsDigest: Hex; baseModel: Hex; computeJobId: bigint; signer: Address; datasetRoots: readonly Hex[]; name: string; uri: string };
type DatasetLike = { parent: Hex; version: number; fileCount: bigint; totalBytes: bigint; name: string; uri: string };

/**
 * Walks a model's lineage and verifies every link; the first problem found decides the verdict
 * (see AUDIT_VERDICTS for exit codes), `findings` lists them all. Never throws for a tampered or
 * missing input; throws only when the chain cannot be read at all.
 * @example
 * const report = await auditModel({ client, deployment, modelId, manifests: (root) => fetchManifest(nodeUrl, root) })
 * if (!report.ok) console.error(report.findings.map((f) => `${f.verdict}: ${f.message}`).join('\n'))
 */
export async function auditModel(p: AuditModelParameters): Promise<AuditReport> {
  const registry = p.deployment.contracts.ProvenanceRegistry?.address;
  const modelId = p.modelId.toLowerCase() as Hex;
  const links: Link[] = [];
  const findings: AuditFinding[] = [];
  const report = (): AuditReport => {
    const verdict: AuditVerdict = findings[0]?.verdict ?? 'intact';
    return { verdict, ok: verdict === 'intact', model: modelId, links, findings };
  };
  if (!registry) {
    findings.push({ verdict: 'model-unknown', message: `chain ${p.deployment.chainId} has no ProvenanceRegistry deployed, so model ${modelId} cannot be known`, model: modelId });
    return report();
  }

  const seenModels = new Set<string>();
  const seenDatasets = new Set<string>();
  /** Folders already re-hashed, and for which dataset versions. */
  const hashedLocations = new Map<string, Hex[]>();
  /** Dataset records read so far (null: not registered), for the walks up parent links. */
  const records = new Map<Hex, DatasetLike | null>();
  const readDataset = async (root: Hex): Promise<DatasetLike | undefined> => {
    if (!records.has(root)) {
      const raw = await getDataset(p.client, { registry, root });
      records.set(root, raw ? normalizeDataset(raw) : null);
    }
    return records.get(root) ?? undefined;
  };
  /** Whether `ancestor` is reached from `root` by following parent links. */
  const isAncestor = async (ancestor: Hex, root: Hex): Promise<boolean> => {
    const seen = new Set<Hex>();
    for (let at = (await readDataset(root))?.parent; at && at !== ZERO && !seen.has(at); at = (await readDataset(at))?.parent) {
      if (at === ancestor) return true;
      seen.add(at);
    }
    return false;
  };
  const datasetQueue: Hex[] = [];

  const modelQueue: Hex[] = [modelId];
  while (modelQueue.length) {
    const id = modelQueue.shift()!;
    if (seenModels.has(id)) continue;
    seenModels.add(id);
    const raw = await getModel(p.client, { registry, weightsDigest: id });
    if (!raw) {
      links.push({ kind: 'model', id, name: '(unknown)', ok: false });
      findings.push({ verdict: 'model-unknown', message: id === modelId ? `model ${id} is not registered at ${registry} on chain ${p.deployment.chainId}` : `base model ${id} is not registered`, model: id });
      continue;
    }
    const model = normalizeModel(raw);
    const signature = await recheckSignature(p.client, { registry, deployment: p.deployment, weightsDigest: id, model });
    links.push({ kind: 'model', id, name: model.name, ok: signature.ok });
    if (!signature.ok) findings.push({ verdict: 'signature-invalid', message: `model ${model.name} (${id}): ${signature.reason}`, model: id });
    if (model.baseModel !== ZERO) modelQueue.push(model.baseModel);
    datasetQueue.push(...model.datasetRoots);
  }

  while (datasetQueue.length) {
    const root = datasetQueue.shift()!.toLowerCase() as Hex;
    if (seenDatasets.has(root)) continue;
    seenDatasets.add(root);
    const ds = await readDataset(root);
    if (!ds) {
      links.push({ kind: 'dataset', id: root, name: '(unregistered)', ok: false });
      findings.push({ verdict: 'dataset-unregistered', message: `dataset version ${root} is not registered at ${registry}` });
      continue;
    }
    const where = { root, name: ds.name, version: ds.version };
    const label = `dataset ${ds.name} v${ds.version}`;
    const link: Link = { kind: 'dataset', id: root, name: ds.name, version: ds.version, ok: false };
    links.push(link);
    if (ds.parent !== ZERO) datasetQueue.push(ds.parent);

    let source: Awaited<ReturnType<AuditModelParameters['manifests']>>;
    try {
      source = await p.manifests(root);
    } catch (err) {
      findings.push({ verdict: 'manifest-unavailable', message: `${label}: its manifest could not be fetched (${formatError(err)})`, dataset: where });
      continue;
    }
    if (!source) {
      findings.push({ verdict: 'manifest-unavailable', message: `${label}: no manifest for root ${root} (upload it with \`machina dataset register\`, or keep it in the local cache)`, dataset: where });
      continue;
    }
    const { parseManifest } = await import('./manifest.ts');
    let manifest: Manifest;
    try {
      manifest = parseManifest(source.manifest);
    } catch (err) {
      findings.push({ verdict: 'manifest-mismatch', message: `${label}: the manifest is not valid (${formatError(err)})`, dataset: where });
      continue;
    }
    if (manifest.root.toLowerCase() !== root) {
      findings.push({ verdict: 'manifest-mismatch', message: `${label}: the manifest recomputes to root ${manifest.root}, but the registered root is ${root}`, dataset: where, expected: root, actual: manifest.root });
      continue;
    }
    if (BigInt(manifest.files.length) !== ds.fileCount || BigInt(manifest.totalBytes) !== ds.totalBytes) {
      findings.push({ verdict: 'manifest-mismatch', message: `${label}: the manifest holds ${manifest.files.length} files, ${manifest.totalBytes} bytes; registered were ${ds.fileCount} files, ${ds.totalBytes} bytes`, dataset: where });
      continue;
    }
    link.files = manifest.files.length;

    // This machine's knowledge first: the node's location is a path on the uploader's machine.
    const location = p.locate?.(root) ?? source.location;
    if (!location) {
      findings.push({ verdict: 'file-missing', message: `${label}: nowhere to find its ${manifest.files.length} files (no location on the node or in the local cache)`, dataset: where });
      continue;
    }
    const hashedHere = hashedLocations.get(location) ?? [];
    let superseded = false;
    for (const later of hashedHere) {
      superseded = await isAncestor(root, later);
      if (superseded) break;
    }
    if (superseded) {
      // The folder now holds a later version derived from this one (checked there); this version's
      // files are its manifest, whose root was just recomputed against the chain. Any other dataset
      // at the same folder (unrelated, or a location planted on the node) is checked on its own.
      link.ok = true;
      continue;
    }
    hashedLocations.set(location, [...hashedHere, root]);
    const { checkDirectory } = await import('./diff.ts');
    let check: Awaited<ReturnType<typeof checkDirectory>>;
    try {
      const progress = p.onProgress;
      check = await checkDirectory(location, manifest, progress ? { onProgress: (x: { files: number; totalFiles: number; bytes: bigint; totalBytes: bigint }) => progress({ dataset: label, ...x }) } : undefined);
    } catch (err) {
      findings.push({ verdict: 'file-missing', message: `${label}: cannot read its files at ${location} (${formatError(err)})`, dataset: where });
      continue;
    }
    for (const c of check.changed) {
      findings.push({ verdict: 'file-tampered', message: `${c.path} in ${label} (expected ${c.expected}, found ${c.actual})`, dataset: where, path: c.path, expected: c.expected, actual: c.actual });
    }
    for (const path of check.missing) {
      const entry = manifest.files.find((f) => f.path === path);
      findings.push({ verdict: 'file-missing', message: `${path} in ${label} is missing from ${location}${entry ? ` (expected ${entry.root})` : ''}`, dataset: where, path, expected: entry?.root });
    }
    // Extra files were not part of the registered version, so they did not train the model as
    // registered; they are listed but do not fail the audit.
    link.ok = check.changed.length === 0 && check.missing.length === 0;
  }
  return report();
}

/** Hex in one case, so roots compare as strings. */
function normalizeModel(m: ModelRecord): ModelLike {
  return { ...m, baseModel: lower(m.baseModel), datasetRoots: m.datasetRoots.map(lower) };
}

function normalizeDataset(d: DatasetVersion): DatasetLike {
  return { ...d, parent: lower(d.parent) };
}

const lower = (h: Hex) => h.toLowerCase() as Hex;

/**
 * The contract checked the trainer's signature at registration; this checks it again from the
 * registering transaction's calldata, so that a record can be trusted without trusting the node that
 * serves it: the signed fields must match the record, and the signature must be the signer's
 * (an EOA's ECDSA, or a contract account's ERC-1271 answer).
 */
async function recheckSignature(
  client: MachinaPublicClient,
  p: { registry: Address; deployment: Deployment; weightsDigest: Hex; model: ModelLike },
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const fromBlock = BigInt(p.deployment.contracts.ProvenanceRegistry?.blockNumber ?? 0);
  const logs = await client.getLogs({ address: p.registry, event: MODEL_REGISTERED, args: { weightsDigest: p.weightsDigest }, fromBlock, toBlock: 'latest' });
  const log = logs[0];
  if (!log) return { ok: false, reason: 'no ModelRegistered event for it, so its signature cannot be found' };
  const tx = await client.getTransaction({ hash: log.transactionHash });
  const call = findRegisterModelCall(tx.input, p.weightsDigest);
  if (!call) return { ok: false, reason: `its registering transaction ${log.transactionHash} carries no registerModel call of this model to check` };
  const [input, signer, signature] = call.args;
  const same =
    input.weightsDigest.toLowerCase() === p.weightsDigest &&
    input.trainerAgentId === p.model.trainerAgentId &&
    input.configDigest.toLowerCase() === p.model.configDigest.toLowerCase() &&
    input.metricsDigest.toLowerCase() === p.model.metricsDigest.toLowerCase() &&
    input.metricsDigest.toLowerCase() === keccak256(stringToHex(input.metrics)).toLowerCase() &&
    input.baseModel.toLowerCase() === p.model.baseModel &&
    input.computeJobId === p.model.computeJobId &&
    input.name === p.model.name &&
    input.uri === p.model.uri &&
    input.datasetRoots.length === p.model.datasetRoots.length &&
    input.datasetRoots.every((r, i) => r.toLowerCase() === p.model.datasetRoots[i]);
  if (!same) return { ok: false, reason: `the fields signed in transaction ${log.transactionHash} differ from the record on chain` };
  if (signer.toLowerCase() !== p.model.signer.toLowerCase()) return { ok: false, reason: `signed by ${signer}, but the record names ${p.model.signer}` };
  let valid = false;
  try {
    // As the contract's SignatureChecker does: a contract account answers ERC-1271 for the EIP-712
    // digest; any other signer must have produced an ECDSA signature of it.
    const typed = modelTypedData(p.deployment.chainId, p.registry, input);
    const code = await client.getCode({ address: signer });
    if (code && code !== '0x') {
      const magic = await client
        .readContract({ address: signer, abi: [ERC1271], functionName: 'isValidSignature', args: [hashTypedData(typed), signature] })
        .catch(() => '0x00000000');
      valid = magic === '0x1626ba7e';
    } else {
      valid = (await recoverTypedDataAddress({ ...typed, signature }).catch(() => undefined))?.toLowerCase() === signer.toLowerCase();
    }
  } catch (err) {
    return { ok: false, reason: `the trainer signature could not be checked: ${formatError(err)}` };
  }
  return valid ? { ok: true } : { ok: false, reason: `the trainer signature does not verify for signer ${signer}` };
}

/**
 * The registerModel call of model `weightsDigest` in a transaction's input: direct, or nested in an
 * account's execute or a multicall, which may register other models too.
 */
function findRegisterModelCall(input: Hex, weightsDigest: Hex) {
  const hex = input.slice(2);
  for (let at = hex.indexOf(REGISTER_MODEL_SELECTOR); at >= 0; at = hex.indexOf(REGISTER_MODEL_SELECTOR, at + 1)) {
    if (at % 2 !== 0) continue;
    try {
      const call = decodeFunctionData({ abi: [REGISTER_MODEL], data: `0x${hex.slice(at)}` });
      if (call.args[0].weightsDigest.toLowerCase() === weightsDigest) return call;
    } catch {
      // not a call here; look further
    }
  }
  return undefined;
}

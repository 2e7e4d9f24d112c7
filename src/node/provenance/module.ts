// The provenance domain as a node module: AnchorRegistry's anchored roots and ProvenanceRegistry's
// dataset versions and model records, indexed (journaled, so a reorg undoes them like identity's),
// plus the dataset manifests the node keeps for anyone to fetch (node-written, not journaled).
import { sql, type Kysely, type Migration } from 'kysely';
import { anchorRegistryAbi, provenanceRegistryAbi } from '../../chain/artifacts/index.ts';
import { upsertRows } from '../db/bulk.ts';
import type { BatchContext, IndexedEvent, NodeModule } from '../indexer/module.ts';

const ZERO32 = `0x${'0'.repeat(64)}`;

const migrations: Record<string, Migration> = {
  '0001_provenance': {
    async up(db: Kysely<any>) {
      await sql`
        create table prov_anchors (
          root text primary key,
          submitter text not null,
          size numeric not null,
          anchored_at bigint not null,
          block_number bigint not null,
          block_hash text not null,
          log_index integer not null,
          tx_hash text not null
        );
        create index prov_anchors_recent on prov_anchors (block_number desc, log_index desc);
        create table prov_datasets (
          root text primary key,
          parent text,
          registrant text not null,
          version integer not null,
          file_count numeric not null,
          total_bytes numeric not null,
          name text not null,
          uri text not null,
          registered_at bigint not null,
          block_number bigint not null,
          log_index integer not null,
          tx_hash text not null
        );
        create index prov_datasets_name on prov_datasets (name, version);
        create index prov_datasets_parent on prov_datasets (parent);
        create index prov_datasets_recent on prov_datasets (block_number desc, log_index desc);
        create table prov_models (
          weights_digest text primary key,
          trainer_agent_id numeric not null,
          signer text not null,
          config_digest text not null,
          metrics_digest text not null,
          base_model text,
          compute_job_id numeric not null,
          dataset_roots jsonb not null,
          name text not null,
          metrics text not null,
          uri text not null,
          registered_at bigint not null,
          block_number bigint not null,
          log_index integer not null,
          tx_hash text not null
        );
        create index prov_models_recent on prov_models (block_number desc, log_index desc);
        create index prov_models_base on prov_models (base_model);
        create table prov_manifests (
          root text primary key,
          manifest jsonb not null,
          location text,
          updated_at bigint not null
        );
      `.execute(db);
    },
  },
};

/** Chain-derived (journaled for reorgs, emptied on a re-index); prov_manifests is the node's own. */
export const provenanceTables = [
  { name: 'prov_anchors', primaryKey: ['root'] },
  { name: 'prov_datasets', primaryKey: ['root'] },
  { name: 'prov_models', primaryKey: ['weights_digest'] },
];

const ANCHOR_COLUMNS = ['root', 'submitter', 'size', 'anchored_at', 'block_number', 'block_hash', 'log_index', 'tx_hash'];
const DATASET_COLUMNS = ['root', 'parent', 'registrant', 'version', 'file_count', 'total_bytes', 'name', 'uri', 'registered_at', 'block_number', 'log_index', 'tx_hash'];
const MODEL_COLUMNS = [
  'weights_digest', 'trainer_agent_id', 'signer', 'config_digest', 'metrics_digest', 'base_model', 'compute_job_id', 'dataset_roots', 'name', 'metrics', 'uri',
  'registered_at', 'block_number', 'log_index', 'tx_hash',
];

type Args = Record<string, any>;
const lower = (h: unknown) => (h as string).toLowerCase();
const orNull = (h: unknown) => (lower(h) === ZERO32 ? null : lower(h));

/**
 * Applies a batch of provenance events (chain order) inside the indexer's transaction: each root,
 * dataset version and model is registered once on chain, so every event is a new row.
 * @example
 * await applyProvenanceBatch(tx, events, ctx)
 */
export async function applyProvenanceBatch(tx: Kysely<any>, events: IndexedEvent[], _ctx: BatchContext): Promise<void> {
  const anchors: Record<string, unknown>[] = [];
  const datasets: Record<string, unknown>[] = [];
  const models: Record<string, unknown>[] = [];
  for (const e of events) {
    const a = e.args as Args;
    const at = { block_number: e.blockNumber, log_index: e.logIndex, tx_hash: e.txHash };
    if (e.contract === 'AnchorRegistry' && e.event === 'RootAnchored') {
      anchors.push({ root: lower(a.root), submitter: a.submitter, size: String(a.size), anchored_at: Number(a.timestamp), block_hash: e.blockHash, ...at });
    } else if (e.contract === 'ProvenanceRegistry' && e.event === 'DatasetRegistered') {
      datasets.push({
        root: lower(a.root), parent: orNull(a.parent), registrant: a.registrant, version: Number(a.version), file_count: String(a.fileCount), total_bytes: String(a.totalBytes),
        name: a.name, uri: a.uri, registered_at: e.timestamp, ...at,
      });
    } else if (e.contract === 'ProvenanceRegistry' && e.event === 'ModelRegistered') {
      models.push({
        weights_digest: lower(a.weightsDigest), trainer_agent_id: String(a.trainerAgentId), signer: a.signer, config_digest: lower(a.configDigest), metrics_digest: lower(a.metricsDigest),
        base_model: orNull(a.baseModel), compute_job_id: String(a.computeJobId), dataset_roots: (a.datasetRoots as string[]).map(lower), name: a.name, metrics: a.metrics, uri: a.uri,
        registered_at: e.timestamp, ...at,
      });
    }
  }
  await upsertRows(tx, 'prov_anchors', ['root'], ANCHOR_COLUMNS, anchors);
  await upsertRows(tx, 'prov_datasets', ['root'], DATASET_COLUMNS, datasets);
  await upsertRows(tx, 'prov_models', ['weights_digest'], MODEL_COLUMNS, models);
}

/**
 * The provenance module (needs AnchorRegistry and ProvenanceRegistry in the deployment).
 * @example
 * const store = await openNodeStore({ dataDir, modules: [identityModule(), provenanceModule()] })
 */
export function provenanceModule(): NodeModule {
  return {
    name: 'provenance',
    migrations,
    contracts: [
      { name: 'AnchorRegistry', abi: anchorRegistryAbi },
      { name: 'ProvenanceRegistry', abi: provenanceRegistryAbi },
    ],
    tables: provenanceTables,
    agentIdOf: (e) => (e.event === 'ModelRegistered' && typeof (e.args as Args).trainerAgentId === 'bigint' ? (e.args as Args).trainerAgentId : null),
    applyBatch: applyProvenanceBatch,
  };
}

// Read side of the provenance domain: anchored roots, dataset versions and model records from the
// index, the manifests the node keeps, and the lineage graph (parents, training data, base models,
// and what derives from a node) walked over them. Pages go newest first with an opaque cursor.
import { sql, type Kysely } from 'kysely';
import type { Address, Hex } from 'viem';
import type { Manifest } from '../../provenance/types.ts';

export type AnchorRecord = { root: Hex; chainId: number; registry: Address; txHash: Hex; blockNumber: string; blockHash: Hex; timestamp: number; submitter: Address; size: string };

export type DatasetRecord = {
  root: Hex;
  parent: Hex | null;
  registrant: Address;
  version: number;
  fileCount: string;
  totalBytes: string;
  name: string;
  uri: string;
  registered: { blockNumber: number; txHash: Hex; timestamp: number };
  hasManifest: boolean;
  location: string | null;
};

export type ModelRecordView = {
  weightsDigest: Hex;
  trainerAgentId: string;
  signer: Address;
  configDigest: Hex;
  metricsDigest: Hex;
  baseModel: Hex | null;
  computeJobId: string;
  datasetRoots: Hex[];
  name: string;
  metrics: string;
  uri: string;
  registered: { blockNumber: number; txHash: Hex; timestamp: number };
};

export type LineageNode = { id: Hex; kind: 'dataset' | 'model'; name: string; version?: number | undefined; timestamp: number };
export type LineageEdge = { from: Hex; to: Hex; kind: 'parent' | 'trained-on' | 'base-model' };
export type Lineage = { nodes: LineageNode[]; edges: LineageEdge[]; truncated?: boolean };

export type ProvenanceQueries = {
  listAnchors(p: { limit: number; cursor?: string | undefined }): Promise<{ items: AnchorRecord[]; nextCursor?: string | undefined }>;
  getAnchor(root: Hex): Promise<AnchorRecord | undefined>;
  listDatasets(p: { limit: number; cursor?: string | undefined; name?: string | undefined }): Promise<{ items: DatasetRecord[]; nextCursor?: string | undefined }>;
  getDataset(root: Hex): Promise<DatasetRecord | undefined>;
  listModels(p: { limit: number; cursor?: string | undefined }): Promise<{ items: ModelRecordView[]; nextCursor?: string | undefined }>;
  getModel(id: Hex): Promise<ModelRecordView | undefined>;
  getManifest(root: Hex): Promise<{ manifest: Manifest; location: string | null } | undefined>;
  putManifest(root: Hex, manifest: Manifest, location: string | null): Promise<void>;
  lineage(id: Hex, maxNodes?: number): Promise<Lineage | undefined>;
};

/** A cursor is the (block, log) position of the last item seen, base64url so clients treat it as opaque. */
export function encodeCursor(block: number, log: number): string {
  return Buffer.from(`${block}:${log}`).toString('base64url');
}

/** The position in a cursor, or undefined when it is not one this node made. */
export function decodeCursor(cursor: string): { block: number; log: number } | undefined {
  const m = /^(\d{1,15}):(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return m ? { block: Number(m[1]), log: Number(m[2]) } : undefined;
}

type Pos = { block_number: number | string; log_index: number };
const before = (cursor: string | undefined) => {
  const c = cursor ? decodeCursor(cursor) : undefined;
  return c ? sql`(block_number, log_index) < (${c.block}, ${c.log})` : sql`true`;
};
function paged<R extends Pos, T>(rows: R[], limit: number, map: (r: R) => T): { items: T[]; nextCursor?: string } {
  const items = rows.slice(0, limit).map(map);
  const last = rows[limit - 1];
  return rows.length > limit && last ? { items, nextCursor: encodeCursor(Number(last.block_number), Number(last.log_index)) } : { items };
}

/**
 * The provenance reads over the node's database.
 * @example
 * const q = createProvenanceQueries({ db: store.db, chainId: 31337, registry })
 * const { items } = await q.listDatasets({ limit: 20 })
 */
export function createProvenanceQueries(p: { db: Kysely<any>; chainId: number; registry: Address | undefined }): ProvenanceQueries {
  const { db, chainId } = p;
  const registry = (p.registry ?? '0x0000000000000000000000000000000000000000') as Address;
  const anchorOf = (r: any): AnchorRecord => ({
    root: r.root, chainId, registry, txHash: r.tx_hash, blockNumber: String(r.block_number), blockHash: r.block_hash, timestamp: Number(r.anchored_at), submitter: r.submitter, size: String(r.size),
  });
  const datasetOf = (r: any): DatasetRecord => ({
    root: r.root,
    parent: r.parent,
    registrant: r.registrant,
    version: Number(r.version),
    fileCount: String(r.file_count),
    totalBytes: String(r.total_bytes),
    name: r.name,
    uri: r.uri,
    registered: { blockNumber: Number(r.block_number), txHash: r.tx_hash, timestamp: Number(r.registered_at) },
    hasManifest: r.has_manifest === true,
    location: r.location ?? null,
  });
  const modelOf = (r: any): ModelRecordView => ({
    weightsDigest: r.weights_digest,
    trainerAgentId: String(r.trainer_agent_id),
    signer: r.signer,
    configDigest: r.config_digest,
    metricsDigest: r.metrics_digest,
    baseModel: r.base_model,
    computeJobId: String(r.compute_job_id),
    datasetRoots: typeof r.dataset_roots === 'string' ? JSON.parse(r.dataset_roots) : r.dataset_roots,
    name: r.name,
    metrics: r.metrics,
    uri: r.uri,
    registered: { blockNumber: Number(r.block_number), txHash: r.tx_hash, timestamp: Number(r.registered_at) },
  });
  const datasetSelect = sql`select d.*, m.root is not null as has_manifest, m.location from prov_datasets d left join prov_manifests m on m.root = d.root`;

  const loadDatasets = async (roots: string[]) =>
    roots.length ? (await sql<any>`select root, parent, name, version, registered_at from prov_datasets where root in (${sql.join(roots)})`.execute(db)).rows : [];
  const loadModels = async (ids: string[]) =>
    ids.length ? (await sql<any>`select weights_digest, name, base_model, dataset_roots, registered_at from prov_models where weights_digest in (${sql.join(ids)})`.execute(db)).rows : [];

  return {
    async listAnchors({ limit, cursor }) {
      const { rows } = await sql<any>`select * from prov_anchors where ${before(cursor)} order by block_number desc, log_index desc limit ${limit + 1}`.execute(db);
      return paged(rows, limit, anchorOf);
    },
    async getAnchor(root) {
      const { rows } = await sql<any>`select * from prov_anchors where root = ${root.toLowerCase()}`.execute(db);
      return rows[0] ? anchorOf(rows[0]) : undefined;
    },
    async listDatasets({ limit, cursor, name }) {
      const c = cursor ? decodeCursor(cursor) : undefined;
      const { rows } = await sql<any>`
        ${datasetSelect}
        where ${c ? sql`(d.block_number, d.log_index) < (${c.block}, ${c.log})` : sql`true`} and ${name === undefined ? sql`true` : sql`d.name = ${name}`}
        order by d.block_number desc, d.log_index desc limit ${limit + 1}`.execute(db);
      return paged(rows, limit, datasetOf);
    },
    async getDataset(root) {
      const { rows } = await sql<any>`${datasetSelect} where d.root = ${root.toLowerCase()}`.execute(db);
      return rows[0] ? datasetOf(rows[0]) : undefined;
    },
    async listModels({ limit, cursor }) {
      const { rows } = await sql<any>`select * from prov_models where ${before(cursor)} order by block_number desc, log_index desc limit ${limit + 1}`.execute(db);
      return paged(rows, limit, modelOf);
    },
    async getModel(id) {
      const { rows } = await sql<any>`select * from prov_models where weights_digest = ${id.toLowerCase()}`.execute(db);
      return rows[0] ? modelOf(rows[0]) : undefined;
    },
    async getManifest(root) {
      const { rows } = await sql<any>`select manifest, location from prov_manifests where root = ${root.toLowerCase()}`.execute(db);
      const r = rows[0];
      if (!r) return undefined;
      return { manifest: typeof r.manifest === 'string' ? JSON.parse(r.manifest) : r.manifest, location: r.location ?? null };
    },
    async putManifest(root, manifest, location) {
      await sql`
        insert into prov_manifests (root, manifest, location, updated_at) values (${root.toLowerCase()}, ${JSON.stringify(manifest)}::jsonb, ${location}, ${Date.now()})
        on conflict (root) do update set manifest = excluded.manifest, location = coalesce(excluded.location, prov_manifests.location), updated_at = excluded.updated_at
      `.execute(db);
    },
    async lineage(id, maxNodes = 500) {
      // Breadth-first in both directions: what a node derives from, and what derives from it.
      const nodes = new Map<string, LineageNode>();
      const edges = new Map<string, LineageEdge>();
      const edge = (from: string, to: string, kind: LineageEdge['kind']) => edges.set(`${from}>${to}>${kind}`, { from: from as Hex, to: to as Hex, kind });
      let frontier = [id.toLowerCase()];
      const seen = new Set<string>();
      let truncated = false;
      while (frontier.length > 0) {
        const ids = frontier.filter((x) => !seen.has(x));
        ids.forEach((x) => seen.add(x));
        if (ids.length === 0) break;
        if (nodes.size + ids.length > maxNodes) {
          truncated = true;
          break;
        }
        const next = new Set<string>();
        const [ds, ms] = await Promise.all([loadDatasets(ids), loadModels(ids)]);
        for (const d of ds) {
          nodes.set(d.root, { id: d.root, kind: 'dataset', name: d.name, version: Number(d.version), timestamp: Number(d.registered_at) });
          if (d.parent) {
            edge(d.parent, d.root, 'parent');
            next.add(d.parent);
          }
        }
        for (const m of ms) {
          nodes.set(m.weights_digest, { id: m.weights_digest, kind: 'model', name: m.name, timestamp: Number(m.registered_at) });
          const roots: string[] = typeof m.dataset_roots === 'string' ? JSON.parse(m.dataset_roots) : m.dataset_roots;
          for (const r of roots) {
            edge(r, m.weights_digest, 'trained-on');
            next.add(r);
          }
          if (m.base_model) {
            edge(m.base_model, m.weights_digest, 'base-model');
            next.add(m.base_model);
          }
        }
        // Downstream: versions derived from these datasets, models trained on them or fine-tuned from them.
        const found = [...ds.map((d) => d.root), ...ms.map((m) => m.weights_digest)];
        if (found.length) {
          const [children, trained] = await Promise.all([
            sql<any>`select root, parent from prov_datasets where parent in (${sql.join(found)})`.execute(db),
            sql<any>`select weights_digest, base_model, dataset_roots from prov_models where base_model in (${sql.join(found)}) or dataset_roots ?| array[${sql.join(found)}]::text[]`.execute(db),
          ]);
          for (const c of children.rows) {
            edge(c.parent, c.root, 'parent');
            next.add(c.root);
          }
          for (const m of trained.rows) {
            const roots: string[] = typeof m.dataset_roots === 'string' ? JSON.parse(m.dataset_roots) : m.dataset_roots;
            for (const r of roots) if (found.includes(r)) edge(r, m.weights_digest, 'trained-on');
            if (m.base_model && found.includes(m.base_model)) edge(m.base_model, m.weights_digest, 'base-model');
            next.add(m.weights_digest);
          }
        }
        frontier = [...next];
      }
      if (!nodes.has(id.toLowerCase())) return undefined;
      // Edges to things the index does not hold (an unregistered dataset root) stay out of the picture.
      const kept = [...edges.values()].filter((e) => nodes.has(e.from) && nodes.has(e.to));
      return { nodes: [...nodes.values()], edges: kept, ...(truncated ? { truncated } : {}) };
    },
  };
}

// The node's model audits: an audit walks a model's lineage and may re-hash every training file the
// node holds, so one runs at a time per model and concurrent callers share it, keeping a burst of
// requests from turning into a burst of disk reads. A finished report is not reused by default: an
// audit asked for after a file changed must see the change.
import type { Hex } from 'viem';
import type { MachinaPublicClient } from '../../chain/clients.ts';
import type { Deployment } from '../../chain/deployments.ts';
import { auditModel } from '../../provenance/audit.ts';
import type { AuditReport } from '../../provenance/types.ts';
import type { ProvenanceQueries } from './queries.ts';

/** Audits one model (its weights digest), sharing a running audit and reusing a fresh report. */
export type ModelAuditor = (modelId: Hex) => Promise<AuditReport>;

export type CreateModelAuditorParameters = {
  client: MachinaPublicClient;
  deployment: Deployment;
  queries: Pick<ProvenanceQueries, 'getManifest'>;
  /** How long a finished report answers again (ms); 0 (never) by default. */
  reuseMs?: number;
};

const KEEP_REPORTS = 256;

/**
 * The node's auditor over its stored manifests (and the locations its own machine gave for them).
 * @example
 * const audit = createModelAuditor({ client, deployment, queries })
 * const report = await audit(modelId) // a concurrent second call shares the same run
 */
export function createModelAuditor(p: CreateModelAuditorParameters): ModelAuditor {
  const reuseMs = p.reuseMs ?? 0;
  const running = new Map<string, Promise<AuditReport>>();
  const recent = new Map<string, { report: AuditReport; at: number }>();
  const remember = (id: string, report: AuditReport) => {
    const now = Date.now();
    recent.delete(id);
    recent.set(id, { report, at: now });
    if (recent.size <= KEEP_REPORTS) return;
    for (const [k, v] of recent) if (now - v.at >= reuseMs || recent.size > KEEP_REPORTS) recent.delete(k);
  };
  return (modelId) => {
    const id = modelId.toLowerCase();
    const hit = recent.get(id);
    if (hit && Date.now() - hit.at < reuseMs) return Promise.resolve(hit.report);
    const inFlight = running.get(id);
    if (inFlight) return inFlight;
    const run = auditModel({
      client: p.client,
      deployment: p.deployment,
      modelId: id as Hex,
      manifests: async (root) => {
        const m = await p.queries.getManifest(root);
        return m ? { manifest: m.manifest, location: m.location ?? undefined } : undefined;
      },
    })
      .then((report) => {
        remember(id, report);
        return report;
      })
      .finally(() => running.delete(id));
    running.set(id, run);
    return run;
  };
}

// A model's (or a dataset version's) lineage: for a model, its record (trainer, datasets, base
// model, config, compute job, metrics) and the node's audit of every link; then the lineage picture,
// in which a dataset the audit found tampered is drawn red with the files named. New registrations
// (ProvenanceRegistry events) redraw it; the audit runs again on demand, since it re-reads files.
import { useMemo } from 'react';
import { api, ApiError, nonZero, provenanceApi, type AuditReport, type LineageNode } from '../api.ts';
import { Address, Badge, Card, Empty, ErrorNote, Hash, Loading } from '../components/common.tsx';
import { LineageGraph, type NodeProblem } from '../components/LineageGraph.tsx';
import { DatasetLink, TxLink } from '../components/ProvenanceParts.tsx';
import { dateTime } from '../format.ts';
import { useResource } from '../hooks.ts';
import { useLiveEvents, useReloadOnConnect } from '../live.tsx';
import { href } from '../router.ts';

export function Lineage({ id }: { id: string }) {
  const lineage = useResource((s) => provenanceApi.lineage(id, s), [id]);
  const focus = lineage.data?.nodes.find((n) => n.id.toLowerCase() === id.toLowerCase());
  const isModel = focus?.kind === 'model';
  const model = useResource((s) => (isModel ? provenanceApi.model(id, s) : Promise.resolve(undefined)), [id, isModel]);
  const audit = useResource((s) => (isModel ? provenanceApi.audit(id, s) : Promise.resolve(undefined)), [id, isModel], { throttleMs: 1000 });
  const chainId = useResource((s) => api.contracts(s), []).data?.chainId;
  useLiveEvents((batch) => {
    if (batch.some((e) => e.contract === 'ProvenanceRegistry')) lineage.reload();
  });
  useReloadOnConnect(lineage.reload);
  const problems = useMemo(() => problemsOf(audit.data), [audit.data]);

  if (lineage.error instanceof ApiError && lineage.error.status === 404) {
    return (
      <div className="page" data-testid="lineage-page" data-id={id}>
        <h1>Lineage</h1>
        <Empty>
          Neither a model nor a dataset version {id} is registered (yet). <a href={href('/models')}>All models</a>
        </Empty>
      </div>
    );
  }
  const m = model.data;
  return (
    <div className="page" data-testid="lineage-page" data-id={id}>
      <nav className="crumbs">
        {isModel ? <a href={href('/models')}>Models</a> : <a href={href('/datasets')}>Datasets</a>} / <code>{id.slice(0, 10)}…</code> / lineage
      </nav>
      {lineage.error && <ErrorNote error={lineage.error} />}
      <h1>
        {focus ? title(focus) : 'Lineage'} <span className="muted id">{focus ? `${focus.kind} lineage` : ''}</span>
        {focus?.kind === 'dataset' && (
          <>
            {' '}
            <a className="badge badge-info" href={href(`/datasets/${id}`)}>
              dataset page →
            </a>
          </>
        )}
      </h1>
      {isModel && (
        <div className="columns">
          <Card title="Model record" testId="model-record" className="grow">
            {model.error && <ErrorNote error={model.error} />}
            {!m && !model.error && <Loading what="the model" />}
            {m && (
              <dl className="facts">
                <dt>weights digest</dt>
                <dd>
                  <code className="break">{m.weightsDigest}</code>
                </dd>
                <dt>trainer</dt>
                <dd>
                  <a href={href(`/agents/${m.trainerAgentId}`)}>agent #{m.trainerAgentId}</a>
                  {m.signer && (
                    <>
                      {' · signed by '}
                      <Address value={m.signer} />
                    </>
                  )}
                </dd>
                <dt>trained on</dt>
                <dd data-testid="model-datasets">
                  {m.datasetRoots.map((r) => (
                    <div key={r}>
                      <DatasetLink root={r} />
                    </div>
                  ))}
                </dd>
                <dt>fine-tuned from</dt>
                <dd>{nonZero(m.baseModel) ? <a href={href(`/lineage/${m.baseModel}`)}><Hash value={m.baseModel!} /></a> : <span className="muted">— (trained from scratch)</span>}</dd>
                {nonZero(m.configDigest) && (
                  <>
                    <dt>training config</dt>
                    <dd>
                      <Hash value={m.configDigest!} />
                    </dd>
                  </>
                )}
                {m.computeJobId && m.computeJobId !== '0' && (
                  <>
                    <dt>compute job</dt>
                    <dd>#{m.computeJobId}</dd>
                  </>
                )}
                {m.metrics && (
                  <>
                    <dt>metrics</dt>
                    <dd>
                      <Metrics metrics={m.metrics} />
                    </dd>
                  </>
                )}
                <dt>registered</dt>
                <dd>
                  {dateTime(m.registered.timestamp)} · block {m.registered.blockNumber} · tx{' '}
                  <TxLink hash={m.registered.txHash} chainId={chainId} contract="ProvenanceRegistry" event="ModelRegistered" testId="model-tx" />
                </dd>
                {m.uri && (
                  <>
                    <dt>model card</dt>
                    <dd className="uri">
                      <code>{m.uri}</code>
                    </dd>
                  </>
                )}
              </dl>
            )}
          </Card>
          <AuditCard report={audit.data} error={audit.error} loading={audit.loading} rerun={audit.reload} />
        </div>
      )}
      <Card
        title={
          <>
            Lineage <span className="live-tag">live</span>
          </>
        }
        testId="lineage-card"
      >
        {!lineage.data && !lineage.error && <Loading what="the lineage" />}
        {lineage.data?.truncated && <div className="sub">The lineage is larger than the node walks at once; the picture shows the part nearest to this {focus?.kind ?? 'node'}.</div>}
        {lineage.data && lineage.data.nodes.length > 0 && <LineageGraph nodes={lineage.data.nodes} edges={lineage.data.edges} focus={id} problems={problems} />}
        <div className="legend">
          <span>
            <span className="swatch" style={{ background: 'var(--info-soft)', borderColor: 'var(--info)' }} />
            dataset version
          </span>
          <span>
            <span className="swatch" style={{ background: '#f3e8ff', borderColor: '#7c3aed' }} />
            model
          </span>
          <span>
            <span className="swatch" style={{ background: 'var(--bad-soft)', borderColor: 'var(--bad)' }} />
            the audit found a problem (files named)
          </span>
          <span className="muted">arrows run from what came first to what was made from it; click a node to open it</span>
        </div>
      </Card>
    </div>
  );
}

function title(n: LineageNode): string {
  return n.kind === 'dataset' ? `${n.name} v${n.version ?? '?'}` : n.name;
}

/** The audit's findings by the node they concern (dataset root or model id, lower case). */
export function problemsOf(report: AuditReport | undefined): Map<string, NodeProblem> {
  const out = new Map<string, NodeProblem>();
  for (const f of report?.findings ?? []) {
    const key = (f.dataset?.root ?? f.model)?.toLowerCase();
    if (!key) continue;
    const p = out.get(key) ?? { files: [], messages: [] };
    if (f.path && (f.verdict === 'file-tampered' || f.verdict === 'file-missing')) p.files.push({ path: f.path, verdict: f.verdict });
    else p.messages.push(f.message);
    out.set(key, p);
  }
  return out;
}

function AuditCard({ report, error, loading, rerun }: { report: AuditReport | undefined; error: Error | undefined; loading: boolean; rerun: () => void }) {
  return (
    <Card
      title="Audit"
      testId="audit-card"
      className="grow"
      actions={
        <button className="btn" onClick={rerun} disabled={loading} data-testid="audit-rerun">
          {loading ? 'auditing…' : 'Run the audit again'}
        </button>
      }
    >
      {error && <ErrorNote error={error} />}
      {!report && !error && <Loading what="the audit (re-hashing the training files)" />}
      {report && (
        <div data-testid="audit-report" data-verdict={report.verdict}>
          <p>
            {report.ok ? (
              <Badge tone="good" testId="audit-verdict">
                intact
              </Badge>
            ) : (
              <Badge tone="bad" testId="audit-verdict">
                {report.verdict}
              </Badge>
            )}{' '}
            <span className="muted">
              {report.links.length} link{report.links.length === 1 ? '' : 's'} walked
              {report.links.some((l) => l.files) ? `, ${report.links.reduce((s, l) => s + (l.files ?? 0), 0).toLocaleString('en-US')} files checked` : ''}
            </span>
          </p>
          {report.findings.length > 0 && (
            <ul className="policy findings" data-testid="audit-findings">
              {report.findings.map((f, i) => (
                <li key={i} data-testid="audit-finding" data-verdict={f.verdict} data-path={f.path ?? ''}>
                  <strong className="tone-bad-text">{f.verdict}</strong>: {f.message}
                  {f.dataset && (
                    <div className="sub">
                      in <DatasetLink root={f.dataset.root}>{`${f.dataset.name} v${f.dataset.version}`}</DatasetLink>
                      {f.path && (
                        <>
                          {' · file '}
                          <code>{f.path}</code>
                        </>
                      )}
                    </div>
                  )}
                </li>
              ))}
            </ul>
          )}
          <ul className="policy">
            {report.links.map((l) => (
              <li key={`${l.kind}:${l.id}`}>
                {l.ok ? '✓' : '✗'} {l.kind} {l.name}
                {l.version !== undefined ? ` v${l.version}` : ''} {l.files !== undefined && <span className="muted">({l.files} files)</span>}
              </li>
            ))}
          </ul>
        </div>
      )}
    </Card>
  );
}

function Metrics({ metrics }: { metrics: string | Record<string, unknown> }) {
  let value: unknown = metrics;
  if (typeof metrics === 'string') {
    try {
      value = JSON.parse(metrics);
    } catch {
      return <code>{metrics}</code>;
    }
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    return (
      <span>
        {Object.entries(value as Record<string, unknown>).map(([k, v]) => (
          <span key={k} className="badge">
            {k} {typeof v === 'object' ? JSON.stringify(v) : String(v)}
          </span>
        ))}
      </span>
    );
  }
  return <code>{JSON.stringify(value)}</code>;
}

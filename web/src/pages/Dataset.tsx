// One dataset version: its registry record (name, version, parent, files, bytes, registrant, time),
// its manifest (every file with size and file root, paged and filterable), what changed against its
// parent (or any other version: added, removed, changed), the other versions of the same name, and
// a link to its lineage picture.
import { useEffect, useMemo, useState } from 'react';
import { api, ApiError, nonZero, provenanceApi, type ManifestDiff, type ManifestEntry } from '../api.ts';
import { Address, Badge, Card, Empty, ErrorNote, Hash, Loading } from '../components/common.tsx';
import { DatasetLink, TxLink } from '../components/ProvenanceParts.tsx';
import { bytes, count, dateTime } from '../format.ts';
import { useNow, useResource } from '../hooks.ts';
import { useLiveEvents, useReloadOnConnect } from '../live.tsx';
import { href } from '../router.ts';
import { DatasetTable } from './Datasets.tsx';

const FILES_PAGE = 25;

export function Dataset({ root, against }: { root: string; against: string }) {
  const record = useResource((s) => provenanceApi.dataset(root, s), [root]);
  const chainId = useResource((s) => api.contracts(s), []).data?.chainId;
  useLiveEvents((batch) => {
    if (batch.some((e) => e.contract === 'ProvenanceRegistry')) record.reload();
  });
  useReloadOnConnect(record.reload);

  if (record.error instanceof ApiError && record.error.status === 404) {
    return (
      <div className="page" data-testid="dataset-page" data-root={root}>
        <h1>Dataset</h1>
        <Empty>
          No dataset version with root {root} is registered (yet). <a href={href('/datasets')}>All datasets</a>
        </Empty>
      </div>
    );
  }
  const d = record.data;
  const parent = nonZero(d?.parent);
  const other = against || parent || '';
  return (
    <div className="page" data-testid="dataset-page" data-root={root}>
      <nav className="crumbs">
        <a href={href('/datasets')}>Datasets</a> / {d ? <a href={href('/datasets', { name: d.name })}>{d.name}</a> : '…'} / <code>{root.slice(0, 10)}…</code>
      </nav>
      {record.error && <ErrorNote error={record.error} />}
      {!d ? (
        !record.error && <Loading what="the dataset" />
      ) : (
        <>
          <h1>
            {d.name} <span className="muted id">v{d.version}</span>{' '}
            <a className="badge badge-info" href={href(`/lineage/${root}`)} data-testid="dataset-lineage-link">
              lineage →
            </a>
          </h1>
          <Card title="Registry record" testId="dataset-record">
            <dl className="facts">
              <dt>root</dt>
              <dd>
                <code className="break" data-testid="dataset-root">
                  {d.root}
                </code>
              </dd>
              <dt>version</dt>
              <dd data-testid="dataset-version">{d.version}</dd>
              <dt>derived from</dt>
              <dd data-testid="dataset-parent">{parent ? <DatasetLink root={parent}>v{d.version - 1} · <Hash value={parent} /></DatasetLink> : <span className="muted">nothing (first version)</span>}</dd>
              <dt>files</dt>
              <dd data-testid="dataset-files">{count(Number(d.fileCount))}</dd>
              <dt>size</dt>
              <dd>
                {bytes(d.totalBytes)} <span className="muted">({BigInt(d.totalBytes).toLocaleString('en-US')} bytes)</span>
              </dd>
              <dt>registrant</dt>
              <dd>
                <Address value={d.registrant} full />
              </dd>
              <dt>registered</dt>
              <dd>
                {dateTime(d.registered.timestamp)} · block {d.registered.blockNumber} · tx{' '}
                <TxLink hash={d.registered.txHash} chainId={chainId} contract="ProvenanceRegistry" event="DatasetRegistered" testId="dataset-tx" />
              </dd>
              <dt>manifest at</dt>
              <dd className="uri">{d.uri ? <code>{d.uri}</code> : <span className="muted">—</span>}</dd>
              {d.location && (
                <>
                  <dt>files at</dt>
                  <dd className="uri">
                    <code>{d.location}</code>
                  </dd>
                </>
              )}
            </dl>
          </Card>
          <DiffCard root={root} other={other} isParent={other === parent && !!parent} name={d.name} />
          <FilesCard root={root} available={d.hasManifest !== false} />
          <VersionsCard name={d.name} root={root} />
        </>
      )}
    </div>
  );
}

/** The files of the version, from the manifest the node holds: paged, filterable by path. */
function FilesCard({ root, available }: { root: string; available: boolean }) {
  const manifest = useResource((s) => (available ? provenanceApi.manifest(root, s) : Promise.resolve(undefined)), [root, available]);
  const [filter, setFilter] = useState('');
  const [offset, setOffset] = useState(0);
  const files = useMemo(() => {
    const all = manifest.data?.files ?? [];
    const f = filter.trim().toLowerCase();
    return f ? all.filter((e) => e.path.toLowerCase().includes(f)) : all;
  }, [manifest.data, filter]);
  useEffect(() => setOffset(0), [filter]);
  const shown = files.slice(offset, offset + FILES_PAGE);
  return (
    <Card
      title={manifest.data ? `Manifest: ${count(manifest.data.files.length)} files` : 'Manifest'}
      testId="dataset-manifest"
      actions={<input className="search" placeholder="filter paths" value={filter} onChange={(e) => setFilter(e.target.value)} data-testid="manifest-filter" />}
    >
      {!available && <Empty>The node holds no manifest for this version (register it with the manifest, or PUT /v1/datasets/ROOT/manifest).</Empty>}
      {available && manifest.error instanceof ApiError && manifest.error.status === 404 ? <Empty>The node holds no manifest for this version.</Empty> : manifest.error && <ErrorNote error={manifest.error} />}
      {available && !manifest.data && !manifest.error && <Loading what="the manifest" />}
      {manifest.data && files.length === 0 && <Empty>No file matches.</Empty>}
      {shown.length > 0 && (
        <table className="table" data-testid="manifest-table">
          <thead>
            <tr>
              <th>Path</th>
              <th className="num">Size</th>
              <th>File root</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((f) => (
              <tr key={f.path} data-testid="manifest-row" data-path={f.path}>
                <td className="path">{f.path}</td>
                <td className="num" title={`${f.size} bytes`}>
                  {bytes(f.size)}
                </td>
                <td>
                  <a href={href('/anchors', { q: f.root })} title="look for this file's receipt">
                    <Hash value={f.root} />
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {files.length > FILES_PAGE && (
        <div className="pager">
          <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - FILES_PAGE))}>
            ← Previous
          </button>
          <span className="muted" data-testid="manifest-range">
            {offset + 1}–{Math.min(offset + FILES_PAGE, files.length)} of {count(files.length)}
          </span>
          <button disabled={offset + FILES_PAGE >= files.length} onClick={() => setOffset(offset + FILES_PAGE)}>
            Next →
          </button>
        </div>
      )}
    </Card>
  );
}

/** What changed from `other` (the parent, by default) to this version. */
function DiffCard({ root, other, isParent, name }: { root: string; other: string; isParent: boolean; name: string }) {
  const diff = useResource((s) => (other ? provenanceApi.diff(other, root, s) : Promise.resolve(undefined)), [root, other]);
  const title = isParent ? 'Changes from the parent version' : other ? 'Changes from the chosen version' : 'Changes';
  return (
    <Card title={title} testId="dataset-diff">
      {!other && <Empty>The first version of “{name}”: nothing to compare with. Pick another version below to compare.</Empty>}
      {other && (
        <div className="sub" style={{ marginBottom: 10 }}>
          from <DatasetLink root={other} /> to this version
          {!isParent && (
            <>
              {' · '}
              <a href={href(`/datasets/${root}`)}>compare with the parent instead</a>
            </>
          )}
        </div>
      )}
      {diff.error instanceof ApiError && diff.error.status === 404 ? <Empty>The node lacks the manifest of one of the two versions, so it cannot tell what changed.</Empty> : diff.error && <ErrorNote error={diff.error} />}
      {other && !diff.data && !diff.error && <Loading what="the changes" />}
      {diff.data && <DiffView diff={diff.data} />}
    </Card>
  );
}

const DIFF_ROWS = 200;

function DiffView({ diff }: { diff: ManifestDiff }) {
  const rows: { kind: 'added' | 'removed' | 'changed'; path: string; before?: ManifestEntry; after?: ManifestEntry }[] = [
    ...diff.added.map((e) => ({ kind: 'added' as const, path: e.path, after: e })),
    ...diff.removed.map((e) => ({ kind: 'removed' as const, path: e.path, before: e })),
    ...diff.changed.map((c) => ({ kind: 'changed' as const, path: c.path, before: c.before, after: c.after })),
  ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const tone = { added: 'good', removed: 'bad', changed: 'mid' } as const;
  return (
    <div data-testid="diff-view" data-added={diff.added.length} data-removed={diff.removed.length} data-changed={diff.changed.length}>
      <div className="diff-summary">
        <Badge tone="good">{count(diff.added.length)} added</Badge>
        <Badge tone="bad">{count(diff.removed.length)} removed</Badge>
        <Badge tone="mid">{count(diff.changed.length)} changed</Badge>
        <Badge>{count(diff.unchanged)} unchanged</Badge>
      </div>
      {rows.length === 0 ? (
        <Empty>The two versions hold the same files.</Empty>
      ) : (
        <table className="table" data-testid="diff-table">
          <thead>
            <tr>
              <th>Path</th>
              <th>Change</th>
              <th className="num">Size</th>
              <th>File root</th>
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, DIFF_ROWS).map((r) => (
              <tr key={`${r.kind}:${r.path}`} className={`diff-${r.kind}`} data-testid="diff-row" data-kind={r.kind} data-path={r.path}>
                <td className="path">{r.path}</td>
                <td>
                  <Badge tone={tone[r.kind]}>{r.kind}</Badge>
                </td>
                <td className="num">
                  {r.before && r.after ? (r.before.size === r.after.size ? bytes(r.after.size) : `${bytes(r.before.size)} → ${bytes(r.after.size)}`) : bytes((r.after ?? r.before)!.size)}
                </td>
                <td>
                  {r.before && r.after ? (
                    <>
                      <Hash value={r.before.root} /> → <Hash value={r.after.root} />
                    </>
                  ) : (
                    <Hash value={(r.after ?? r.before)!.root} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {rows.length > DIFF_ROWS && <div className="sub">and {count(rows.length - DIFF_ROWS)} more (`machina diff` lists them all)</div>}
    </div>
  );
}

/** The other versions of the same name, each one click away from a comparison. */
function VersionsCard({ name, root }: { name: string; root: string }) {
  const versions = useResource((s) => provenanceApi.datasets({ name, limit: 50 }, s), [name]);
  const now = useNow();
  const items = versions.data?.items.filter((d) => d.name === name) ?? [];
  return (
    <Card title={`Versions of “${name}”`} testId="dataset-versions">
      {versions.error && <ErrorNote error={versions.error} />}
      {!versions.data && !versions.error && <Loading what="versions" />}
      {versions.data && items.length > 0 && <DatasetTable items={items} now={now} current={root} />}
      {items.length > 1 && (
        <div className="sub">
          Compare this version with:{' '}
          {items
            .filter((d) => d.root.toLowerCase() !== root.toLowerCase())
            .map((d) => (
              <a key={d.root} href={href(`/datasets/${root}`, { against: d.root })} data-testid="compare-link" style={{ marginRight: 8 }}>
                v{d.version}
              </a>
            ))}
        </div>
      )}
    </Card>
  );
}

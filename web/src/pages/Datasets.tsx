// Dataset versions registered on chain: name, version, files, bytes, who registered them and when,
// newest first, filtered by name. DatasetRegistered events refresh the list live.
import { useEffect, useState } from 'react';
import { ApiError, nonZero, provenanceApi, type DatasetRecord } from '../api.ts';
import { Address, Badge, Card, Empty, ErrorNote, Hash, Loading } from '../components/common.tsx';
import { bytes, count, dateTime, timeAgo } from '../format.ts';
import { useDebounced, useLiveResource, useNow } from '../hooks.ts';
import { href, replaceHash } from '../router.ts';

const PAGE = 25;

export function Datasets({ initialName }: { initialName: string }) {
  const [name, setName] = useState(initialName);
  const wanted = useDebounced(name.trim());
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  useEffect(() => replaceHash(href('/datasets', { name: wanted })), [wanted]);
  const datasets = useLiveResource((s) => provenanceApi.datasets({ name: wanted, limit: PAGE, cursor }, s), [wanted, cursor], ['ProvenanceRegistry'], { keepPrevious: true });
  const now = useNow();
  const page = datasets.data;
  return (
    <div className="page" data-testid="datasets-page">
      <h1>Datasets</h1>
      <Card
        title={
          <>
            Dataset versions <span className="live-tag">live</span>
          </>
        }
        actions={
          <input
            className="search"
            placeholder="name"
            value={name}
            onChange={(e) => (setName(e.target.value), setCursors([]))}
            data-testid="datasets-name"
          />
        }
      >
        {datasets.error instanceof ApiError && datasets.error.status === 404 ? <Empty>This node runs no provenance service.</Empty> : datasets.error && <ErrorNote error={datasets.error} />}
        {!page && !datasets.error && <Loading what="datasets" />}
        {page && page.items.length === 0 && <Empty>{wanted ? `No dataset named “${wanted}”.` : 'No dataset registered yet. Try `machina dataset register DIR --name NAME`.'}</Empty>}
        {page && page.items.length > 0 && <DatasetTable items={page.items} now={now} />}
        {(cursors.length > 0 || page?.nextCursor) && (
          <div className="pager">
            <button disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
              ← Newer
            </button>
            <button disabled={!page?.nextCursor} onClick={() => page?.nextCursor && setCursors([...cursors, page.nextCursor])}>
              Older →
            </button>
          </div>
        )}
      </Card>
    </div>
  );
}

export function DatasetTable({ items, now, current }: { items: DatasetRecord[]; now: number; current?: string }) {
  return (
    <table className="table" data-testid="datasets-table">
      <thead>
        <tr>
          <th>Name</th>
          <th className="num">Version</th>
          <th className="num">Files</th>
          <th className="num">Size</th>
          <th>Root</th>
          <th>Registrant</th>
          <th>Registered</th>
        </tr>
      </thead>
      <tbody>
        {items.map((d) => (
          <tr
            key={d.root}
            className="clickable"
            data-testid="dataset-row"
            data-root={d.root}
            data-name={d.name}
            data-version={d.version}
            onClick={() => (location.hash = href(`/datasets/${d.root}`))}
          >
            <td>
              <a href={href(`/datasets/${d.root}`)} className="agent-link">
                {d.name}
              </a>
              {current && d.root.toLowerCase() === current.toLowerCase() && <Badge tone="info">this version</Badge>}
              {nonZero(d.parent) && <div className="sub">derived from v{d.version - 1}</div>}
            </td>
            <td className="num">v{d.version}</td>
            <td className="num">{count(Number(d.fileCount))}</td>
            <td className="num" title={`${d.totalBytes} bytes`}>
              {bytes(d.totalBytes)}
            </td>
            <td>
              <Hash value={d.root} />
            </td>
            <td>
              <Address value={d.registrant} />
            </td>
            <td className="when" title={dateTime(d.registered.timestamp)}>
              {timeAgo(d.registered.timestamp, now)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

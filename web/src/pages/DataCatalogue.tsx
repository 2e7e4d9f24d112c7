// The data marketplace's catalogue: listed dataset versions, searched by name and filtered by the
// purpose a buyer needs, each with its prices per access and per training run, the royalty it asks
// of trained models, how many contributors consent, and what it sold. DataMarket events (and new
// dataset registrations) refresh it live.
import { useEffect, useState } from 'react';
import { ApiError, dataApi, type DataListingRow } from '../api.ts';
import { Address, Badge, Card, Empty, ErrorNote, Loading, Stat } from '../components/common.tsx';
import { Musd } from '../components/ComputeParts.tsx';
import { bps, DataTabs, ListingLink, PURPOSE_NAMES, Purposes, purposeLabel } from '../components/DataParts.tsx';
import { count, dateTime, timeAgo } from '../format.ts';
import { useDebounced, useLiveResource, useNow } from '../hooks.ts';
import { href, replaceHash } from '../router.ts';

const PAGE = 25;
export const DATA_LIVE = ['DataMarket', 'ProvenanceRegistry'];

export function DataCatalogue({ initialQuery, initialPurpose }: { initialQuery: string; initialPurpose: string }) {
  const [q, setQ] = useState(initialQuery);
  const [purpose, setPurpose] = useState(initialPurpose);
  const wanted = useDebounced(q.trim());
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  useEffect(() => replaceHash(href('/data', { q: wanted, purpose })), [wanted, purpose]);
  const listings = useLiveResource((s) => dataApi.listings({ q: wanted, purpose, limit: PAGE, cursor }, s), [wanted, purpose, cursor], DATA_LIVE, { keepPrevious: true });
  const now = useNow();
  const page = listings.data;
  if (listings.error instanceof ApiError && listings.error.status === 404 && !page) {
    return (
      <div className="page" data-testid="data-catalogue">
        <h1>Data market</h1>
        <Empty>This node runs no data marketplace service (the deployment has no DataMarket, or the node predates it).</Empty>
      </div>
    );
  }
  const items = page?.items;
  const sum = (f: (l: DataListingRow) => string) => (items ?? []).reduce((s, l) => s + (/^\d+$/.test(f(l)) ? BigInt(f(l)) : 0n), 0n).toString();
  return (
    <div className="page" data-testid="data-catalogue">
      <h1>Data market</h1>
      <DataTabs current="catalogue" />
      <div className="stats-grid">
        <Stat label={cursors.length || page?.nextCursor ? 'Listings (this page)' : 'Listings'} value={items ? count(items.length) : '—'} testId="data-stat-listings" />
        <Stat label="Licences sold" value={items ? count(items.reduce((s, l) => s + Number(l.sales), 0)) : '—'} testId="data-stat-sales" />
        <Stat label="Licence revenue" value={items ? <Musd amount={sum((l) => l.revenue)} /> : '—'} testId="data-stat-revenue" hint="paid to contributors whose consent covered each sale" />
        <Stat label="Royalties from models" value={items ? <Musd amount={sum((l) => l.royalties)} /> : '—'} testId="data-stat-royalties" />
      </div>
      <Card
        title={
          <>
            Listed datasets <span className="live-tag">live</span>
          </>
        }
        actions={
          <div className="data-filters">
            <input className="search" placeholder="dataset name" value={q} onChange={(e) => (setQ(e.target.value), setCursors([]))} data-testid="data-search" />
            <select value={purpose} onChange={(e) => (setPurpose(e.target.value), setCursors([]))} data-testid="data-purpose">
              <option value="">any purpose</option>
              {PURPOSE_NAMES.map((p) => (
                <option key={p} value={p}>
                  {purposeLabel(p)}
                </option>
              ))}
            </select>
          </div>
        }
        testId="data-listings"
      >
        {listings.error && <ErrorNote error={listings.error} />}
        {!page && !listings.error && <Loading what="listings" />}
        {items && items.length === 0 && (
          <Empty>{wanted || purpose ? `No listing${wanted ? ` named “${wanted}”` : ''}${purpose ? ` allowing ${purposeLabel(purpose)}` : ''}.` : 'No dataset listed yet. Try `machina data publish DIR --name NAME …` or `machina demo data`.'}</Empty>
        )}
        {items && items.length > 0 && <ListingsTable listings={items} now={now} />}
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

export function ListingsTable({ listings, now }: { listings: DataListingRow[]; now: number }) {
  return (
    <table className="table" data-testid="listings-table">
      <thead>
        <tr>
          <th>Dataset</th>
          <th>Purposes</th>
          <th className="num">Access</th>
          <th className="num">Training</th>
          <th className="num">Royalty</th>
          <th className="num">Consenting</th>
          <th className="num">Sales</th>
          <th className="num">Revenue</th>
          <th>Listed</th>
        </tr>
      </thead>
      <tbody>
        {listings.map((l) => {
          const t = l.terms;
          return (
          <tr
            key={l.listingId}
            className="clickable"
            data-testid="listing-row"
            data-listing-id={l.listingId}
            data-name={l.name}
            data-access-price={!t || t.computeOnly ? '' : t.accessPrice}
            data-training-price={t?.trainingAllowed ? t.trainingPrice : ''}
            data-royalty-bps={t?.royaltyBps ?? ''}
            data-consenting={l.consenting}
            data-contributors={l.contributorCount}
            data-sales={l.sales}
            data-revenue={l.revenue}
            data-royalties={l.royalties}
            onClick={() => (location.hash = href(`/data/listings/${l.listingId}`))}
          >
            <td onClick={(e) => e.stopPropagation()}>
              <ListingLink id={l.listingId}>
                {l.name || `listing #${l.listingId}`}
                {l.version !== null && l.version !== undefined ? ` v${l.version}` : ''}
              </ListingLink>{' '}
              {!l.active && <Badge tone="neutral">delisted</Badge>}
              <div className="sub">
                #{l.listingId} · {l.agentOwned && l.ownerAgentId ? <a href={href(`/agents/${l.ownerAgentId}`)}>agent #{l.ownerAgentId}</a> : <Address value={l.owner} />}
              </div>
            </td>
            <td>
              {t ? <Purposes purposes={t.purposes} /> : <span className="muted">terms not indexed yet</span>}
            </td>
            <td className="num" data-testid="listing-access">
              {!t ? '—' : t.computeOnly ? <span className="muted">compute-only</span> : <Musd amount={t.accessPrice} />}
            </td>
            <td className="num" data-testid="listing-training">
              {!t ? '—' : t.trainingAllowed ? <Musd amount={t.trainingPrice} /> : <span className="muted">not allowed</span>}
            </td>
            <td className="num" data-testid="listing-royalty">
              {t?.trainingAllowed ? bps(t.royaltyBps) : <span className="muted">—</span>}
            </td>
            <td className="num" data-testid="listing-consenting">
              {l.consenting} of {l.contributorCount}
              {l.revoked > 0 && <div className="sub tone-bad-text">{l.revoked} revoked</div>}
            </td>
            <td className="num" data-testid="listing-sales">
              {count(Number(l.sales))}
            </td>
            <td className="num">
              <Musd amount={l.revenue} />
              {l.royalties !== '0' && (
                <div className="sub">
                  + <Musd amount={l.royalties} /> royalties
                </div>
              )}
            </td>
            <td className="when" title={l.createdAt ? dateTime(l.createdAt) : undefined}>
              {l.createdAt ? timeAgo(l.createdAt, now) : '—'}
            </td>
          </tr>
          );
        })}
      </tbody>
    </table>
  );
}

// Data licences, by holder: each licence with its dataset, kind (access or one training run),
// purposes, price, whether it is still valid, and for a training licence the compute job (and
// provider) it is bound to and the model it produced. DataMarket events refresh it live.
import { useEffect, useState } from 'react';
import { ApiError, dataApi } from '../api.ts';
import { Card, Empty, ErrorNote, Loading, Stat } from '../components/common.tsx';
import { Musd } from '../components/ComputeParts.tsx';
import { DataTabs, LicencesTable } from '../components/DataParts.tsx';
import { count } from '../format.ts';
import { useDebounced, useLiveResource, useNow } from '../hooks.ts';
import { href, replaceHash } from '../router.ts';

const PAGE = 50;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

export function Licences({ initialHolder, listing }: { initialHolder: string; listing: string }) {
  const [holder, setHolder] = useState(initialHolder);
  const typed = useDebounced(holder.trim());
  const wanted = ADDRESS.test(typed) ? typed : '';
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  useEffect(() => replaceHash(href('/data/licences', { holder: wanted, listing })), [wanted, listing]);
  const licences = useLiveResource((s) => dataApi.licences({ holder: wanted, listing, limit: PAGE, cursor }, s), [wanted, listing, cursor], ['DataMarket'], { keepPrevious: true });
  const now = useNow();
  const page = licences.data;
  const items = page?.items;
  if (licences.error instanceof ApiError && licences.error.status === 404 && !page) {
    return (
      <div className="page" data-testid="licences-page">
        <h1>Data licences</h1>
        <Empty>This node runs no data marketplace service.</Empty>
      </div>
    );
  }
  const valid = items?.filter((l) => l.valid && !(l.expiresAt && l.expiresAt * 1000 <= now)).length;
  const spent = (items ?? []).reduce((s, l) => s + (/^\d+$/.test(l.price) ? BigInt(l.price) : 0n), 0n).toString();
  return (
    <div className="page" data-testid="licences-page" data-holder={wanted}>
      <h1>Data licences</h1>
      <DataTabs current="licences" />
      <div className="stats-grid">
        <Stat label="Licences" value={items ? count(items.length) : '—'} testId="licences-stat-count" />
        <Stat label="Valid now" value={valid === undefined ? '—' : count(valid)} testId="licences-stat-valid" />
        <Stat label="Training runs" value={items ? count(items.filter((l) => l.kind === 'training').length) : '—'} testId="licences-stat-training" />
        <Stat label="Paid" value={items ? <Musd amount={spent} /> : '—'} testId="licences-stat-paid" />
      </div>
      <Card
        title={
          <>
            {wanted ? 'Licences held' : 'All licences'} {listing && <span className="muted">of listing #{listing}</span>} <span className="live-tag">live</span>
          </>
        }
        actions={
          <input className="search wide" placeholder="holder address 0x…" value={holder} onChange={(e) => (setHolder(e.target.value), setCursors([]))} data-testid="licences-holder" />
        }
        testId="licences-card"
      >
        {typed && !wanted && <div className="sub tone-bad-text">“{typed}” is not an address (0x and 40 hex digits).</div>}
        {licences.error && <ErrorNote error={licences.error} />}
        {!page && !licences.error && <Loading what="licences" />}
        {items && items.length === 0 && <Empty>{wanted ? 'This account holds no data licence.' : 'No data licence sold yet.'}</Empty>}
        {items && items.length > 0 && <LicencesTable licences={items} now={now} showHolder={!wanted} />}
        {(cursors.length > 0 || page?.nextCursor) && (
          <div className="pager">
            <button disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
              ← Newer
            </button>
            <button disabled={!page?.nextCursor} onClick={() => page?.nextCursor && setCursors([...cursors, page.nextCursor!])}>
              Older →
            </button>
          </div>
        )}
      </Card>
    </div>
  );
}

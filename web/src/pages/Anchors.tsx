// Anchored batches: each Merkle root the aggregator (or anyone) anchored, how many digests it holds,
// its transaction, block and time; the digests still waiting for the next batch; and a search box
// that turns a pasted digest into its receipt (pending or anchored, with the proof checked here).
// RootAnchored events refresh the list live; the pending count is node-local, so it is also polled.
import { useEffect, useState } from 'react';
import { api, ApiError, provenanceApi, type AnchorBatch } from '../api.ts';
import { Address, Badge, Card, Empty, ErrorNote, Loading, Stat } from '../components/common.tsx';
import { ReceiptView, TxLink } from '../components/ProvenanceParts.tsx';
import { count, dateTime, timeAgo } from '../format.ts';
import { useNow, useResource } from '../hooks.ts';
import { useLiveEvents, useReloadOnConnect } from '../live.tsx';
import { href, replaceHash } from '../router.ts';

const PAGE = 25;
const DIGEST = /^0x[0-9a-fA-F]{64}$/;

export function Anchors({ initialQuery }: { initialQuery: string }) {
  // Cursor paging: the stack holds the cursor of each page we came through.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const anchors = useResource((s) => provenanceApi.anchors({ limit: PAGE, cursor }, s), [cursor], { keepPrevious: true });
  useLiveEvents((batch) => {
    if (batch.some((e) => e.contract === 'AnchorRegistry')) anchors.reload();
  });
  useReloadOnConnect(anchors.reload);
  useEffect(() => {
    const t = setInterval(() => anchors.reload(), 3_000);
    return () => clearInterval(t);
  }, [anchors.reload]);
  const chainId = useResource((s) => api.contracts(s), []).data?.chainId;
  const page = anchors.data;
  const now = useNow();
  const unavailable = anchors.error instanceof ApiError && anchors.error.status === 404;

  return (
    <div className="page" data-testid="anchors-page">
      <h1>Anchors</h1>
      <div className="stats-grid">
        <Stat label="Waiting for a batch" value={page ? count(page.pending) : '—'} testId="anchors-pending" hint="digests accepted by this node's aggregator, not anchored yet" />
        <Stat label="Batches on this page" value={page ? count(page.items.length) : '—'} testId="anchors-count" />
        <Stat
          label="Digests in them"
          value={page ? count(page.items.reduce((n, b) => n + Number(b.size), 0)) : '—'}
          testId="anchors-digests"
        />
      </div>
      <ReceiptSearch initialQuery={initialQuery} />
      <Card
        title={
          <>
            Anchored batches <span className="live-tag">live</span>
          </>
        }
        testId="anchors-batches"
      >
        {unavailable ? <Empty>This node runs no provenance service.</Empty> : anchors.error && <ErrorNote error={anchors.error} />}
        {!page && !anchors.error && <Loading what="batches" />}
        {page && page.items.length === 0 && <Empty>No batch anchored yet. Submit a digest with `machina anchor FILE`.</Empty>}
        {page && page.items.length > 0 && (
          <table className="table" data-testid="anchors-table">
            <thead>
              <tr>
                <th>Batch root</th>
                <th className="num">Digests</th>
                <th>Transaction</th>
                <th className="num">Block</th>
                <th>Submitter</th>
                <th>Anchored</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((b) => (
                <BatchRow key={b.root} b={b} now={now} chainId={b.chainId || chainId} />
              ))}
            </tbody>
          </table>
        )}
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

function BatchRow({ b, now, chainId }: { b: AnchorBatch; now: number; chainId: number | undefined }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <tr className="clickable" data-testid="anchor-row" data-root={b.root} data-tx={b.txHash} onClick={() => setOpen(!open)}>
        <td>
          <code className="break" title={b.root}>
            {b.root}
          </code>
        </td>
        <td className="num" data-testid="anchor-size">
          {count(Number(b.size))}
        </td>
        <td onClick={(e) => e.stopPropagation()}>
          <TxLink hash={b.txHash} chainId={chainId} event="RootAnchored" testId="anchor-tx" />
        </td>
        <td className="num">{String(b.blockNumber)}</td>
        <td>
          <Address value={b.submitter} />
        </td>
        <td className="when" title={dateTime(b.timestamp)}>
          {timeAgo(b.timestamp, now)}
        </td>
      </tr>
      {open && (
        <tr className="event-detail">
          <td colSpan={6}>
            <BatchDetail root={b.root} />
          </td>
        </tr>
      )}
    </>
  );
}

/** One batch in full: its block, the registry, and whether this node's aggregator built it. */
function BatchDetail({ root }: { root: string }) {
  const batch = useResource((s) => provenanceApi.anchor(root, s), [root]);
  if (batch.error) return <ErrorNote error={batch.error} />;
  if (!batch.data) return <Loading what="the batch" />;
  const b = batch.data;
  const sealed = b.batch ? (typeof b.batch.sealedAt === 'number' ? new Date(b.batch.sealedAt).toISOString() : b.batch.sealedAt) : '';
  return (
    <div data-testid="anchor-detail" data-ours={b.batch ? 'true' : 'false'}>
      <dl className="facts">
        <dt>root</dt>
        <dd>
          <code className="break">{b.root}</code>
        </dd>
        <dt>block</dt>
        <dd>
          {String(b.blockNumber)} {b.blockHash && <code className="break muted">{b.blockHash}</code>}
        </dd>
        <dt>registry</dt>
        <dd>
          <Address value={b.registry} full /> <span className="muted">chain {b.chainId}</span>
        </dd>
        <dt>built by</dt>
        <dd data-testid="anchor-origin">
          {b.batch ? (
            <>
              this node's aggregator: batch #{b.batch.no} of {count(b.batch.size)} digest{b.batch.size === 1 ? '' : 's'}, sealed {sealed.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC')} ({b.batch.status})
            </>
          ) : (
            <span className="muted">another submitter (this node holds none of its digests)</span>
          )}
        </dd>
      </dl>
      <div className="sub">Paste one of its digests in “Find a receipt” above for its inclusion proof.</div>
    </div>
  );
}

/** Paste a digest, get its receipt. A pending receipt is asked for again until it is anchored. */
function ReceiptSearch({ initialQuery }: { initialQuery: string }) {
  const [text, setText] = useState(initialQuery);
  const digest = text.trim();
  const valid = DIGEST.test(digest);
  useEffect(() => replaceHash(href('/anchors', { q: digest })), [digest]);
  const receipt = useResource((s) => (valid ? provenanceApi.receipt(digest.toLowerCase(), s) : Promise.resolve(undefined)), [valid ? digest.toLowerCase() : '']);
  // Until it is anchored, ask again: a pending receipt turns final, and a digest not seen yet may be submitted any moment.
  const missing = receipt.error instanceof ApiError && receipt.error.status === 404;
  const waiting = valid && (receipt.data?.status === 'pending' || missing);
  useEffect(() => {
    if (!waiting) return;
    const t = setInterval(() => receipt.reload(), 1_500);
    return () => clearInterval(t);
  }, [waiting, receipt.reload]);
  return (
    <Card title="Find a receipt" testId="receipt-search">
      <div className="search-row">
        <input
          className="search wide"
          placeholder="0x… a file's, dataset's or any 32-byte digest"
          value={text}
          onChange={(e) => setText(e.target.value)}
          spellCheck={false}
          data-testid="receipt-input"
        />
        {digest !== '' && !valid && <Badge tone="bad">not a 32-byte hex digest</Badge>}
      </div>
      {valid && missing && !receipt.data ? (
        <div className="empty" data-testid="receipt-missing">
          This node was never given {digest.slice(0, 10)}…: no receipt. Submit it with `machina anchor --digest {digest.slice(0, 10)}…`.
        </div>
      ) : (
        valid && receipt.error && <ErrorNote error={receipt.error} />
      )}
      {valid && !receipt.data && !receipt.error && <Loading what="the receipt" />}
      {valid && receipt.data && <ReceiptView receipt={receipt.data} />}
    </Card>
  );
}

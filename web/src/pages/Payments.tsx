// x402 payments the node took: payer, payee, amount, status, the settlement transaction and the
// node's signed receipt. Payments are the node's own records (not chain events), so the list also
// refreshes every few seconds besides on live events.
import { useEffect, useState } from 'react';
import { ApiError, walletApi, type PaymentRecord } from '../api.ts';
import { Address, Badge, Card, Empty, ErrorNote, Hash, Loading } from '../components/common.tsx';
import { units } from '../components/WalletParts.tsx';
import { count } from '../format.ts';
import { useResource } from '../hooks.ts';
import { useLiveEvents, useReloadOnConnect } from '../live.tsx';

const PAGE = 25;
const statusTone: Record<PaymentRecord['status'], 'good' | 'bad' | 'mid' | 'neutral'> = { settled: 'good', failed: 'bad', expired: 'mid', pending: 'neutral' };

export function Payments() {
  const [offset, setOffset] = useState(0);
  const [status, setStatus] = useState('');
  const payments = useResource((s) => walletApi.payments({ offset, limit: PAGE, status }, s), [offset, status], { keepPrevious: true });
  useLiveEvents(() => payments.reload());
  useReloadOnConnect(payments.reload);
  useEffect(() => {
    const t = setInterval(() => payments.reload(), 5_000);
    return () => clearInterval(t);
  }, [payments.reload]);
  const page = payments.data;
  return (
    <div className="page" data-testid="payments-page">
      <h1>Payments</h1>
      <Card
        title={page ? `${count(page.total)} payment${page.total === 1 ? '' : 's'}` : 'Payments'}
        actions={
          <select value={status} onChange={(e) => (setStatus(e.target.value), setOffset(0))} data-testid="payments-status">
            <option value="">every status</option>
            <option value="pending">pending</option>
            <option value="settled">settled</option>
            <option value="failed">failed</option>
            <option value="expired">expired</option>
          </select>
        }
      >
        {payments.error instanceof ApiError && payments.error.status === 404 ? (
          <Empty>This node takes no x402 payments (no pay service).</Empty>
        ) : (
          payments.error && <ErrorNote error={payments.error} />
        )}
        {!page && !payments.error && <Loading what="payments" />}
        {page && page.items.length === 0 && <Empty>No x402 payments yet. Try `machina pay` against a priced route.</Empty>}
        {page && page.items.length > 0 && (
          <table className="table" data-testid="payments-table">
            <thead>
              <tr>
                <th>Resource</th>
                <th>Payer</th>
                <th>Paid to</th>
                <th className="num">Amount</th>
                <th>Status</th>
                <th>Settlement</th>
                <th>Receipt</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((p) => (
                <tr key={p.paymentId} data-testid="payment-row" data-payment-id={p.paymentId} data-status={p.status}>
                  <td className="uri">
                    <code>{p.resource}</code>
                    <div className="sub">{p.paymentId}</div>
                  </td>
                  <td>
                    <Address value={p.payer} />
                  </td>
                  <td>
                    <Address value={p.payTo} />
                  </td>
                  <td className="num">{units(p.amount, 6)} mUSD</td>
                  <td>
                    <Badge tone={statusTone[p.status] ?? 'neutral'}>{p.status}</Badge>
                  </td>
                  <td>
                    {p.txHash ? <Hash value={p.txHash} /> : <span className="muted">—</span>}
                    {p.batchId && <div className="sub">batch {p.batchId}</div>}
                  </td>
                  <td>
                    <details>
                      <summary>{p.receiptId ? <Hash value={p.receiptId} /> : 'signed receipt'}</summary>
                      <pre className="receipt">{JSON.stringify(p, null, 2)}</pre>
                    </details>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {page && page.total > PAGE && (
          <div className="pager">
            <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
              ← Newer
            </button>
            <span className="muted">
              {offset + 1}–{Math.min(offset + PAGE, page.total)} of {count(page.total)}
            </span>
            <button disabled={offset + PAGE >= page.total} onClick={() => setOffset(offset + PAGE)}>
              Older →
            </button>
          </div>
        )}
      </Card>
    </div>
  );
}

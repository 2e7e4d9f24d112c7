// Agent accounts: every account the factory created, newest first, with its agent, owner, keys and
// actions waiting for the owner; refetched when an account event arrives.
import { useState } from 'react';
import { walletApi } from '../api.ts';
import { Address, Badge, Card, Empty, ErrorNote, Loading } from '../components/common.tsx';
import { count, dateTime } from '../format.ts';
import { useResource } from '../hooks.ts';
import { useLiveEvents, useReloadOnConnect } from '../live.tsx';
import { href } from '../router.ts';

const PAGE = 25;

export function Wallets() {
  const [offset, setOffset] = useState(0);
  const wallets = useResource((s) => walletApi.wallets({ offset, limit: PAGE }, s), [offset], { keepPrevious: true });
  useLiveEvents((batch) => {
    if (batch.some((e) => e.contract === 'AgentAccount' || e.contract === 'AgentAccountFactory')) wallets.reload();
  });
  useReloadOnConnect(wallets.reload);
  const page = wallets.data;
  return (
    <div className="page" data-testid="wallets-page">
      <h1>Agent wallets</h1>
      <Card title={page ? `${count(page.total)} account${page.total === 1 ? '' : 's'}` : 'Accounts'}>
        {wallets.error && <ErrorNote error={wallets.error} />}
        {!page && !wallets.error && <Loading what="accounts" />}
        {page && page.items.length === 0 && <Empty>No agent accounts yet. Create one with `machina wallet create`.</Empty>}
        {page && page.items.length > 0 && (
          <table className="table" data-testid="wallets-table">
            <thead>
              <tr>
                <th>Account</th>
                <th>Agent</th>
                <th>Owner</th>
                <th className="num">Keys</th>
                <th className="num">Awaiting owner</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((w) => (
                <tr key={w.address} data-testid="wallet-row" data-address={w.address}>
                  <td>
                    <a href={href(`/wallets/${w.address}`)} className="agent-link">
                      <Address value={w.address} />
                    </a>
                    {w.frozen && <Badge tone="bad">frozen</Badge>}
                  </td>
                  <td>
                    <a href={href(`/agents/${w.agentId}`)}>#{w.agentId}</a>
                  </td>
                  <td>
                    <Address value={w.owner} />
                  </td>
                  <td className="num">{w.activeKeys}</td>
                  <td className="num">{w.pendingCount > 0 ? <Badge tone="mid">{w.pendingCount}</Badge> : <span className="muted">0</span>}</td>
                  <td className="when">{dateTime(w.created.timestamp)}</td>
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

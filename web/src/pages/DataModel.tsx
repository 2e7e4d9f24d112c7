// A model's royalties: its revenue vault and serving agent, who gets what is left after royalties,
// and the flow of everything routed so far: revenue → beneficiary and licensed datasets → their
// contributors, drawn to scale. DataMarket events (RevenueRouted, DatasetRoyalty) refresh it live.
import { ApiError, dataApi } from '../api.ts';
import { Address, Card, Empty, ErrorNote, Loading, Stat } from '../components/common.tsx';
import { Musd } from '../components/ComputeParts.tsx';
import { bps, ListingLink } from '../components/DataParts.tsx';
import { DataRoyaltyFlow } from '../components/DataRoyaltyFlow.tsx';
import { useLiveResource } from '../hooks.ts';
import { href } from '../router.ts';

export function DataModel({ digest }: { digest: string }) {
  const flow = useLiveResource((s) => dataApi.modelRoyalties(digest, s), [digest], ['DataMarket']);
  const f = flow.data;
  const short = `${digest.slice(0, 10)}…`;
  if (flow.error instanceof ApiError && flow.error.status === 404) {
    return (
      <div className="page" data-testid="data-model-page" data-digest={digest}>
        <h1>Model royalties</h1>
        <Empty>
          Model {digest} has no royalty registration indexed (yet). <a href={href(`/lineage/${digest}`)}>Its lineage</a>
        </Empty>
      </div>
    );
  }
  return (
    <div className="page" data-testid="data-model-page" data-digest={digest}>
      <nav className="crumbs">
        <a href={href('/data')}>Data market</a> / model <code>{short}</code> / royalties
      </nav>
      {flow.error && <ErrorNote error={flow.error} />}
      {!f ? (
        !flow.error && <Loading what="the model's royalties" />
      ) : (
        <>
          <h1>
            {f.name || `Model ${short}`} <span className="muted id">royalties</span>{' '}
            <a className="badge badge-info" href={href(`/lineage/${digest}`)}>
              lineage →
            </a>
          </h1>
          <div className="stats-grid">
            <Stat label="Revenue routed" value={<Musd amount={f.revenue} testId="model-revenue" />} testId="model-stat-revenue" />
            <Stat label="To datasets" value={<Musd amount={f.datasets.reduce((s, d) => s + BigInt(/^\d+$/.test(d.paid) ? d.paid : '0'), 0n).toString()} />} testId="model-stat-datasets" />
            <Stat label="To the beneficiary" value={<Musd amount={f.toBeneficiary} testId="model-beneficiary" />} testId="model-stat-beneficiary" />
            <Stat label="Royalty total" value={bps(f.datasets.reduce((s, d) => s + d.royaltyBps, 0))} testId="model-stat-bps" />
          </div>
          <Card
            title={
              <>
                Where the revenue went <span className="live-tag">live</span>
              </>
            }
            testId="model-flow"
          >
            <DataRoyaltyFlow flow={f} />
          </Card>
          <div className="columns">
            <Card title="Royalty registration" className="grow" testId="model-royalty-facts">
              <dl className="facts">
                <dt>weights digest</dt>
                <dd>
                  <code className="break">{f.weightsDigest}</code>
                </dd>
                <dt>revenue vault</dt>
                <dd>
                  <Address value={f.vault} full />
                  <div className="sub">owns the serving agent: x402 payments to it land here until routed</div>
                </dd>
                <dt>serving agent</dt>
                <dd>
                  <a href={href(`/agents/${f.agentId}`)}>agent #{f.agentId}</a>
                </dd>
                <dt>beneficiary</dt>
                <dd>
                  <a href={href(`/wallets/${f.beneficiary}`)}>
                    <Address value={f.beneficiary} full />
                  </a>
                </dd>
              </dl>
            </Card>
            <Card title="Licensed datasets" className="grow" testId="model-datasets-card">
              <table className="table">
                <thead>
                  <tr>
                    <th>Dataset</th>
                    <th className="num">Royalty</th>
                    <th className="num">Paid</th>
                    <th className="num">Contributors</th>
                  </tr>
                </thead>
                <tbody>
                  {f.datasets.map((d) => (
                    <tr key={d.listingId} data-testid="model-dataset-row" data-listing-id={d.listingId} data-paid={d.paid}>
                      <td>
                        <ListingLink id={d.listingId}>{d.name || `listing #${d.listingId}`}</ListingLink>
                      </td>
                      <td className="num">{bps(d.royaltyBps)}</td>
                      <td className="num">
                        <Musd amount={d.paid} />
                      </td>
                      <td className="num">{d.contributors.length}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Card>
          </div>
        </>
      )}
    </div>
  );
}

// One listing of the data marketplace: its terms in words, the contributors with their share and the
// state of their consent (a revoked one marked), the versions of the dataset, the licences sold, the
// royalties received from models (each model's flow drawn), and the consent audit: for every
// revocation, the models trained on the data before it. DataMarket events refresh it live.
import { ApiError, dataApi, type DataAudit, type DataContributor, type DataListingDetail } from '../api.ts';
import { Address, Badge, Card, Empty, ErrorNote, Hash, Loading, Stat } from '../components/common.tsx';
import { Musd } from '../components/ComputeParts.tsx';
import { bps, ConsentBadge, ConsentScope, LicencesTable, ListingLink, ModelLink, Purposes, TermsInWords } from '../components/DataParts.tsx';
import { DataRoyaltyFlow } from '../components/DataRoyaltyFlow.tsx';
import { DatasetLink } from '../components/ProvenanceParts.tsx';
import { count, dateTime, timeAgo } from '../format.ts';
import { useLiveResource, useNow } from '../hooks.ts';
import { href } from '../router.ts';
import { DATA_LIVE } from './DataCatalogue.tsx';

export function DataListing({ listingId }: { listingId: string }) {
  const listing = useLiveResource((s) => dataApi.listing(listingId, s), [listingId], DATA_LIVE);
  const audit = useLiveResource((s) => dataApi.audit(listingId, s), [listingId], DATA_LIVE);
  const licences = useLiveResource((s) => dataApi.licences({ listing: listingId, limit: 100 }, s), [listingId], ['DataMarket']);
  const now = useNow();
  if (listing.error instanceof ApiError && listing.error.status === 404) {
    return (
      <div className="page" data-testid="listing-page" data-listing-id={listingId}>
        <h1>Listing #{listingId}</h1>
        <Empty>
          No listing #{listingId} is indexed (yet). <a href={href('/data')}>The catalogue</a>
        </Empty>
      </div>
    );
  }
  const l = listing.data;
  const t = l?.terms;
  const sold = licences.data?.items ?? l?.licences;
  return (
    <div className="page" data-testid="listing-page" data-listing-id={listingId}>
      <nav className="crumbs">
        <a href={href('/data')}>Data market</a> / listing #{listingId}
      </nav>
      {listing.error && <ErrorNote error={listing.error} />}
      {!l ? (
        !listing.error && <Loading what="the listing" />
      ) : (
        <>
          <h1>
            {l.name || `Listing #${l.listingId}`}
            {l.version !== null && l.version !== undefined ? ` v${l.version}` : ''}{' '}
            <span className="muted id">listing #{l.listingId}</span>{' '}
            {l.active ? (
              <Badge tone="good" testId="listing-active">
                on sale
              </Badge>
            ) : (
              <Badge tone="neutral" testId="listing-active">
                delisted
              </Badge>
            )}
          </h1>
          <div className="stats-grid">
            <Stat label="Access" value={!t ? '—' : t.computeOnly ? 'compute-only' : <Musd amount={t.accessPrice} />} testId="listing-stat-access" />
            <Stat label="Training" value={!t ? '—' : t.trainingAllowed ? <Musd amount={t.trainingPrice} /> : 'not allowed'} testId="listing-stat-training" />
            <Stat label="Royalty" value={t?.trainingAllowed ? bps(t.royaltyBps) : '—'} testId="listing-stat-royalty" hint="of the revenue of every model trained on it" />
            <Stat label="Consenting" value={`${l.consenting} of ${l.contributorCount}`} testId="listing-stat-consenting" />
            <Stat label="Licences sold" value={count(Number(l.sales))} testId="listing-stat-sales" />
            <Stat label="Licence revenue" value={<Musd amount={l.revenue} testId="listing-revenue" />} testId="listing-stat-revenue" />
            <Stat label="Royalties received" value={<Musd amount={l.royalties} testId="listing-royalties" />} testId="listing-stat-royalties" />
          </div>
          <div className="columns">
            <Card title="Terms" className="grow" testId="listing-terms">
              {!t ? (
                <Empty>The node has not indexed this listing's terms yet.</Empty>
              ) : (
                <>
                  <p>
                    <Purposes purposes={t.purposes} testId="listing-purposes" />
                  </p>
                  <TermsInWords terms={t} />
                  {t.termsDigest && !/^0x0{64}$/.test(t.termsDigest) && (
                    <div className="sub">
                      licence text digest <Hash value={t.termsDigest} />
                    </div>
                  )}
                </>
              )}
            </Card>
            <Card title="The listing" className="grow" testId="listing-facts">
              <dl className="facts">
                <dt>seller</dt>
                <dd>
                  {l.agentOwned && l.ownerAgentId ? (
                    <>
                      <a href={href(`/agents/${l.ownerAgentId}`)}>agent #{l.ownerAgentId}</a> · owner <Address value={l.owner} />
                    </>
                  ) : (
                    <Address value={l.owner} full />
                  )}
                </dd>
                <dt>dataset</dt>
                <dd>
                  <DatasetLink root={l.root} />
                </dd>
                <dt>consent epoch</dt>
                <dd title="bumped by every consent given or revoked; a sale quoted at another epoch is refused">{l.consentEpoch}</dd>
                {l.parentId && l.parentId !== '0' && (
                  <>
                    <dt>previous version</dt>
                    <dd>
                      <ListingLink id={l.parentId} />
                    </dd>
                  </>
                )}
                <dt>listed</dt>
                <dd>{l.createdAt ? dateTime(l.createdAt) : '—'}</dd>
              </dl>
              <Versions l={l} />
            </Card>
          </div>
          <Card
            title={
              <>
                Contributors ({l.contributors.length}) <span className="live-tag">live</span>
              </>
            }
            testId="listing-contributors"
          >
            <ContributorsTable contributors={l.contributors} now={now} />
            <p className="note">Each contributor's consent names the purposes it covers; a sale pays only the contributors whose consent covers it, in proportion to their shares. A revocation is final for this listing, but keeps the royalties of models trained before it.</p>
          </Card>
          <Card
            title={
              <>
                Licences sold ({sold?.length ?? '…'}) <span className="live-tag">live</span>
              </>
            }
            testId="listing-licences"
          >
            {licences.error && !sold && <ErrorNote error={licences.error} />}
            {!sold && !licences.error && <Loading what="licences" />}
            {sold && sold.length === 0 && <Empty>No licence sold yet.</Empty>}
            {sold && sold.length > 0 && <LicencesTable licences={sold} now={now} showListing={false} />}
          </Card>
          <Card title="Royalties received" testId="listing-models">
            {!l.models || l.models.length === 0 ? (
              <Empty>No model trained on this dataset pays it royalties yet.</Empty>
            ) : (
              l.models.map((m) => <ModelFlow key={m.weightsDigest} digest={m.weightsDigest} name={m.name} royaltyBps={m.royaltyBps} paid={m.paid} listing={l} />)
            )}
          </Card>
          <AuditCard audit={audit.data} error={audit.error} contributors={l.contributors} />
        </>
      )}
    </div>
  );
}

function Versions({ l }: { l: DataListingDetail }) {
  if (!l.versions || l.versions.length <= 1) return null;
  return (
    <>
      <h3>Versions</h3>
      <ul className="policy" data-testid="listing-versions">
        {l.versions.map((v) => (
          <li key={v.root} data-testid="listing-version" data-root={v.root} data-listing-id={v.listingId ?? ''}>
            {v.name} {v.version !== null ? `v${v.version}` : ''} {v.root.toLowerCase() === l.root.toLowerCase() && <Badge tone="info">this version</Badge>}{' '}
            {v.listingId ? v.listingId !== l.listingId && <ListingLink id={v.listingId} /> : <span className="muted">not listed</span>}
            <span className="muted"> · </span>
            <DatasetLink root={v.root} />
          </li>
        ))}
      </ul>
    </>
  );
}

export function ContributorsTable({ contributors, now }: { contributors: DataContributor[]; now: number }) {
  const hasEarnings = contributors.some((c) => c.earnedSales !== undefined || c.earnedRoyalties !== undefined);
  return (
    <table className="table" data-testid="contributors-table">
      <thead>
        <tr>
          <th>#</th>
          <th>Contributor</th>
          <th className="num">Share</th>
          <th>Consent</th>
          <th>Scope</th>
          <th>Since</th>
          {hasEarnings && <th className="num">Earned</th>}
        </tr>
      </thead>
      <tbody>
        {contributors.map((c) => (
          <tr
            key={c.index}
            className={c.consent.state === 'revoked' ? 'revoked-contributor' : ''}
            data-testid="contributor-row"
            data-index={c.index}
            data-account={c.account}
            data-share-bps={c.shareBps}
            data-consent={c.consent.state}
            data-earned-sales={c.earnedSales ?? ''}
            data-earned-royalties={c.earnedRoyalties ?? ''}
          >
            <td className="muted">{c.index}</td>
            <td>
              <a href={href(`/wallets/${c.account}`)}>
                <Address value={c.account} full />
              </a>
              <div className="sub">
                records <Hash value={c.recordsRoot} />
              </div>
            </td>
            <td className="num" data-testid="contributor-share">
              {bps(c.shareBps)}
            </td>
            <td>
              <ConsentBadge consent={c.consent} />
            </td>
            <td>
              <ConsentScope consent={c.consent} />
              {c.consent.documentDigest && !/^0x0{64}$/.test(c.consent.documentDigest) && (
                <div className="sub">
                  document <Hash value={c.consent.documentDigest} />
                </div>
              )}
            </td>
            <td className="when">
              {c.consent.state === 'revoked' && c.consent.revokedAt ? (
                <span title={dateTime(c.consent.revokedAt)} className="tone-bad-text">
                  revoked {timeAgo(c.consent.revokedAt, now)}
                </span>
              ) : c.consent.givenAt ? (
                <span title={dateTime(c.consent.givenAt)}>{timeAgo(c.consent.givenAt, now)}</span>
              ) : (
                '—'
              )}
              {c.consent.state === 'revoked' && c.consent.givenAt ? <div className="sub">given {timeAgo(c.consent.givenAt, now)}</div> : null}
            </td>
            {hasEarnings && (
              <td className="num">
                <Musd amount={c.earnedSales ?? '0'} />
                <div className="sub">
                  + <Musd amount={c.earnedRoyalties ?? '0'} /> royalties
                </div>
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** One model paying this listing: its royalty and the flow of its revenue. */
function ModelFlow({ digest, name, royaltyBps, paid, listing }: { digest: string; name?: string | null | undefined; royaltyBps: number; paid: string; listing: DataListingDetail }) {
  const flow = useLiveResource((s) => dataApi.modelRoyalties(digest, s), [digest], ['DataMarket']);
  // This listing's contributors who revoked are marked in the picture: they keep these royalties.
  const revoked = new Set(listing.contributors.filter((c) => c.consent.state === 'revoked').map((c) => c.index));
  const f = flow.data && {
    ...flow.data,
    datasets: flow.data.datasets.map((d) => (d.listingId === listing.listingId ? { ...d, contributors: d.contributors.map((c) => ({ ...c, revoked: revoked.has(c.index) })) } : d)),
  };
  return (
    <div className="flow-block" data-testid="listing-model" data-digest={digest} data-paid={paid} data-royalty-bps={royaltyBps}>
      <h3>
        <ModelLink digest={digest} name={name} /> · {bps(royaltyBps)} royalty · <Musd amount={paid} /> received
      </h3>
      {flow.error && <ErrorNote error={flow.error} />}
      {!flow.data && !flow.error && <Loading what="the royalty flow" />}
      {f && <DataRoyaltyFlow flow={f} />}
    </div>
  );
}

function AuditCard({ audit, error, contributors }: { audit: DataAudit | undefined; error: Error | undefined; contributors: DataContributor[] }) {
  const revocations = audit?.revocations ?? [];
  return (
    <Card title="Consent audit" testId="consent-audit">
      {error && <ErrorNote error={error} />}
      {!audit && !error && <Loading what="the consent audit" />}
      {audit && revocations.length === 0 && (
        <Empty>
          No contributor has revoked consent. {contributors.filter((c) => c.consent.state === 'given').length} of {contributors.length} consent now.
        </Empty>
      )}
      {revocations.length > 0 && (
        <ul className="policy">
          {revocations.map((r) => (
            <li key={`${r.index}:${r.revokedAt}`} data-testid="audit-revocation" data-index={r.index} data-account={r.account} data-models={r.models.length}>
              <strong>contributor {r.index}</strong> <Address value={r.account} /> revoked consent {r.revokedAt ? `on ${dateTime(r.revokedAt)}` : ''}.{' '}
              {r.models.length === 0 ? (
                <span className="muted">No model was trained on the data before it.</span>
              ) : (
                <>
                  {r.models.length} model{r.models.length === 1 ? ' was' : 's were'} trained on the data before it (their licences stay valid, and the contributor keeps its royalties); none may be trained after:
                  <ul className="audit-models">
                    {r.models.map((m) => (
                      <li key={m.weightsDigest} data-testid="audit-model" data-digest={m.weightsDigest}>
                        <ModelLink digest={m.weightsDigest} name={m.name} />
                        {m.registeredAt ? <span className="muted"> · registered {dateTime(m.registeredAt)}</span> : null}{' '}
                        <a href={href(`/lineage/${m.weightsDigest}`)} className="muted">
                          lineage
                        </a>
                      </li>
                    ))}
                  </ul>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

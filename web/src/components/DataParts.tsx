// Pieces of the data marketplace pages: basis points as percentages, purposes as chips, a listing's
// terms in plain words, consent states, links to listings and models, and the licence table the
// listing and licences pages share.
import type { ReactNode } from 'react';
import type { DataConsent, DataLicenceRow, DataTerms } from '../api.ts';
import { dateTime, timeAgo } from '../format.ts';
import { href } from '../router.ts';
import { Address, Badge, Hash } from './common.tsx';
import { Musd, musd } from './ComputeParts.tsx';
import './DataParts.css';

/** The named purposes (src/data/terms.ts); other bits read `bit:N`. */
export const PURPOSE_NAMES = ['research', 'clinical-care', 'public-health', 'education', 'product-development'] as const;

/** Basis points as a percentage ("1,250" → "12.5%"). */
export function bps(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return `${+(n / 100).toFixed(2)}%`;
}

export function purposeLabel(p: string): string {
  return p.replace(/-/g, ' ');
}

export function Purposes({ purposes, testId = 'purposes' }: { purposes: string[]; testId?: string }) {
  if (purposes.length === 0) return <span className="muted">any purpose</span>;
  return (
    <span className="purpose-list" data-testid={testId} data-purposes={purposes.join(',')}>
      {purposes.map((p) => (
        <span key={p} className="purpose-chip">
          {purposeLabel(p)}
        </span>
      ))}
    </span>
  );
}

/** "a, b or c". */
function either(words: string[], last = 'or'): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} ${last} ${words.at(-1)}`;
}

function span(seconds: number): string {
  if (seconds % 86_400 === 0) return seconds === 86_400 ? '1 day' : `${seconds / 86_400} days`;
  if (seconds % 3600 === 0) return seconds === 3600 ? '1 hour' : `${seconds / 3600} hours`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** The terms as sentences a person can read before buying. */
export function termsInWords(t: DataTerms): string[] {
  const out: string[] = [];
  const purposes = t.purposes.length ? `for ${either(t.purposes.map(purposeLabel))}` : 'for any purpose';
  if (t.computeOnly) out.push(`Compute-only: the data never leaves the seller; no access licence is sold.`);
  else out.push(`An access licence (the data, delivered encrypted to the buyer's key) costs ${musd(t.accessPrice)}, ${purposes}.`);
  if (t.trainingAllowed) {
    const where = t.allowedProviders.length ? ` on compute provider${t.allowedProviders.length === 1 ? '' : 's'} ${t.allowedProviders.map((p) => `#${p}`).join(', ')} only` : ' on any compute provider';
    out.push(`A training licence (one compute-to-data run${where}; only the model leaves) costs ${musd(t.trainingPrice)}${t.computeOnly ? `, ${purposes}` : ''}.`);
    out.push(t.royaltyBps > 0 ? `${bps(t.royaltyBps)} of the revenue of every model trained on it goes back to the dataset and its contributors.` : 'Models trained on it owe no royalty.');
  } else out.push('Training on the data is not allowed.');
  out.push(t.commercialUse ? 'Commercial use is allowed (with contributors who consented to it).' : 'Non-commercial use only.');
  if (t.attribution) out.push('Licensees must credit the dataset.');
  if (t.licenceDuration > 0) out.push(`A licence is valid for ${span(t.licenceDuration)} after purchase${t.expiry ? `, and no later than ${dateTime(t.expiry)}` : ''}.`);
  else out.push(t.expiry ? `Licences are valid until ${dateTime(t.expiry)}.` : 'Licences do not expire.');
  if (t.expiry) out.push(`No sale after ${dateTime(t.expiry)}.`);
  return out;
}

export function TermsInWords({ terms }: { terms: DataTerms }) {
  return (
    <ul className="policy terms" data-testid="terms-words">
      {termsInWords(terms).map((line) => (
        <li key={line}>{line}</li>
      ))}
    </ul>
  );
}

export function ConsentBadge({ consent }: { consent: DataConsent }) {
  if (consent.state === 'revoked')
    return (
      <Badge tone="bad" testId="consent-state" title={consent.revokedAt ? `revoked ${dateTime(consent.revokedAt)}` : undefined}>
        revoked
      </Badge>
    );
  if (consent.state === 'given')
    return (
      <Badge tone="good" testId="consent-state" title={consent.givenAt ? `given ${dateTime(consent.givenAt)}` : undefined}>
        consented
      </Badge>
    );
  return (
    <Badge tone="neutral" testId="consent-state">
      no consent
    </Badge>
  );
}

/** What a consent covers, in words: purposes, training, commercial use. */
export function ConsentScope({ consent }: { consent: DataConsent }) {
  if (consent.state === 'none') return <span className="muted">—</span>;
  const extra = [consent.training ? 'training' : null, consent.commercial ? 'commercial use' : null].filter(Boolean) as string[];
  return (
    <span data-testid="consent-scope" data-scope={consent.scope}>
      {consent.purposes.length ? either(consent.purposes.map(purposeLabel), 'and') : <span className="muted">no purpose</span>}
      {extra.length > 0 && <span className="muted"> · {extra.join(', ')}</span>}
    </span>
  );
}

/** The data market's own tabs: the catalogue and the licences. */
export function DataTabs({ current }: { current: 'catalogue' | 'licences' | null }) {
  return (
    <nav className="data-tabs" data-testid="data-tabs">
      <a href={href('/data')} className={current === 'catalogue' ? 'active' : ''} data-testid="data-tab-catalogue">
        Catalogue
      </a>
      <a href={href('/data/licences')} className={current === 'licences' ? 'active' : ''} data-testid="data-tab-licences">
        Licences
      </a>
    </nav>
  );
}

export function ListingLink({ id, children }: { id: string; children?: ReactNode }) {
  return (
    <a href={href(`/data/listings/${id}`)} data-testid="listing-link" data-listing-id={id}>
      {children ?? `listing #${id}`}
    </a>
  );
}

export function ModelLink({ digest, name }: { digest: string; name?: string | null | undefined }) {
  return (
    <a href={href(`/data/models/${digest}`)} data-testid="data-model-link" data-digest={digest}>
      {name ? name : <Hash value={digest} />}
    </a>
  );
}

export function KindBadge({ kind }: { kind: string }) {
  return (
    <Badge tone={kind === 'training' ? 'info' : 'neutral'} testId="licence-kind">
      {kind}
    </Badge>
  );
}

const bound = (v: string | null | undefined) => !!v && v !== '0';
const ZERO32 = /^0x0{64}$/;

/** Whether a licence can still be used, and until when. */
export function Validity({ l, now }: { l: DataLicenceRow; now: number }) {
  const ends = l.expiresAt ?? 0;
  if (!l.valid || (ends > 0 && ends * 1000 <= now))
    return (
      <span data-testid="licence-validity" data-valid="false">
        <Badge tone="mid">expired</Badge>
        {ends > 0 && <div className="sub">{dateTime(ends)}</div>}
      </span>
    );
  return (
    <span data-testid="licence-validity" data-valid="true">
      <Badge tone="good">valid</Badge>
      <div className="sub">{ends > 0 ? `until ${dateTime(ends)}` : 'no end'}</div>
    </span>
  );
}

/** Licences, newest first: listing, kind, purposes, holder, price, validity, and the compute job a training licence is bound to. */
export function LicencesTable({ licences, now, showListing = true, showHolder = true, names }: { licences: DataLicenceRow[]; now: number; showListing?: boolean; showHolder?: boolean; names?: Map<string, string> }) {
  return (
    <table className="table" data-testid="licences-table">
      <thead>
        <tr>
          <th>Licence</th>
          {showListing && <th>Dataset</th>}
          <th>Kind</th>
          <th>Purposes</th>
          {showHolder && <th>Holder</th>}
          <th className="num">Price</th>
          <th>Validity</th>
          <th>Compute job</th>
          <th>Issued</th>
        </tr>
      </thead>
      <tbody>
        {licences.map((l) => {
          const covered = includedCount(l);
          return (
            <tr key={l.licenceId} data-testid="licence-row" data-licence-id={l.licenceId} data-listing-id={l.listingId} data-kind={l.kind} data-price={l.price} data-holder={l.holder} data-job-id={bound(l.jobId) ? l.jobId! : ''} data-valid={String(l.valid)}>
              <td>
                <strong>#{l.licenceId}</strong>
                {covered !== null && <div className="sub">{covered} contributor{covered === 1 ? '' : 's'} covered</div>}
              </td>
              {showListing && (
                <td>
                  <ListingLink id={l.listingId}>{l.name ?? names?.get(l.listingId) ?? `listing #${l.listingId}`}</ListingLink>
                  <div className="sub">listing #{l.listingId}</div>
                </td>
              )}
              <td>
                <KindBadge kind={l.kind} />
                {l.commercial && <div className="sub">commercial</div>}
              </td>
              <td>
                <Purposes purposes={l.purposes} testId="licence-purposes" />
              </td>
              {showHolder && (
                <td>
                  <a href={href('/data/licences', { holder: l.holder })}>
                    <Address value={l.holder} />
                  </a>
                </td>
              )}
              <td className="num">
                <Musd amount={l.price} />
                {l.royaltyBps > 0 && <div className="sub">royalty {bps(l.royaltyBps)}</div>}
              </td>
              <td>
                <Validity l={l} now={now} />
              </td>
              <td data-testid="licence-job">
                {l.kind !== 'training' ? (
                  <span className="muted">—</span>
                ) : bound(l.jobId) ? (
                  <>
                    <a href={href(`/compute/jobs/${l.jobId}`)} data-testid="licence-job-link">
                      job #{l.jobId}
                    </a>
                    {bound(l.providerId) && (
                      <div className="sub">
                        on <a href={href(`/compute/providers/${l.providerId}`)}>provider #{l.providerId}</a>
                      </div>
                    )}
                    {l.model && !ZERO32.test(l.model) && (
                      <div className="sub">
                        trained <ModelLink digest={l.model} />
                      </div>
                    )}
                  </>
                ) : (
                  <span className="muted">not bound yet</span>
                )}
              </td>
              <td className="when" title={dateTime(l.issuedAt)}>
                {timeAgo(l.issuedAt, now)}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** How many contributors a licence covers, from the mask or the node's list. */
export function includedCount(l: DataLicenceRow): number | null {
  if (l.included) return l.included.length;
  if (!/^\d+$/.test(l.includedMask ?? '')) return null;
  let m = BigInt(l.includedMask);
  let n = 0;
  while (m > 0n) (n += Number(m & 1n)), (m >>= 1n);
  return n;
}

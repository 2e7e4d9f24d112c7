// Hash routing (#/agents/3): works behind any server and base path, needs no fallback route, and
// keeps the dashboard's paths apart from the node's own (/agents/{id}/registration.json).
import { useEffect, useState } from 'react';

export type Route =
  | { page: 'overview' }
  | { page: 'agents'; q: string }
  | { page: 'agent'; agentId: string }
  | { page: 'events'; contract: string; event: string }
  | { page: 'wallets' }
  | { page: 'wallet'; address: string }
  | { page: 'payments' }
  | { page: 'anchors'; q: string }
  | { page: 'datasets'; name: string }
  | { page: 'dataset'; root: string; against: string }
  | { page: 'models' }
  | { page: 'lineage'; id: string }
  | { page: 'compute'; status: string }
  | { page: 'computeJob'; jobId: string }
  | { page: 'computeProvider'; providerId: string }
  | { page: 'dataCatalogue'; q: string; purpose: string }
  | { page: 'dataListing'; listingId: string }
  | { page: 'dataLicences'; holder: string; listing: string }
  | { page: 'dataModel'; digest: string }
  | { page: 'lab' }
  | { page: 'labRun'; runId: string }
  | { page: 'notFound'; path: string };

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

export function parseRoute(hash: string): Route {
  const [rawPath = '', rawQuery = ''] = hash.replace(/^#/, '').split('?');
  const parts = rawPath.split('/').filter(Boolean).map(decodeURIComponent);
  const q = new URLSearchParams(rawQuery);
  if (parts.length === 0) return { page: 'overview' };
  if (parts[0] === 'agents' && parts.length === 1) return { page: 'agents', q: q.get('q') ?? '' };
  if (parts[0] === 'agents' && parts.length === 2 && /^\d+$/.test(parts[1]!)) return { page: 'agent', agentId: parts[1]! };
  if (parts[0] === 'wallets' && parts.length === 1) return { page: 'wallets' };
  if (parts[0] === 'wallets' && parts.length === 2 && /^0x[0-9a-fA-F]{40}$/.test(parts[1]!)) return { page: 'wallet', address: parts[1]! };
  if (parts[0] === 'payments' && parts.length === 1) return { page: 'payments' };
  if (parts[0] === 'anchors' && parts.length === 1) return { page: 'anchors', q: q.get('q') ?? '' };
  if (parts[0] === 'datasets' && parts.length === 1) return { page: 'datasets', name: q.get('name') ?? '' };
  if (parts[0] === 'datasets' && parts.length === 2 && BYTES32.test(parts[1]!)) return { page: 'dataset', root: parts[1]!, against: q.get('against') ?? '' };
  if (parts[0] === 'models' && parts.length === 1) return { page: 'models' };
  if ((parts[0] === 'lineage' || parts[0] === 'models') && parts.length === 2 && BYTES32.test(parts[1]!)) return { page: 'lineage', id: parts[1]! };
  if (parts[0] === 'compute' && parts.length === 1) return { page: 'compute', status: q.get('status') ?? '' };
  if (parts[0] === 'compute' && parts[1] === 'jobs' && parts.length === 3 && /^\d+$/.test(parts[2]!)) return { page: 'computeJob', jobId: parts[2]! };
  if (parts[0] === 'compute' && parts[1] === 'providers' && parts.length === 3 && /^\d+$/.test(parts[2]!)) return { page: 'computeProvider', providerId: parts[2]! };
  if (parts[0] === 'data' && parts.length === 1) return { page: 'dataCatalogue', q: q.get('q') ?? '', purpose: q.get('purpose') ?? '' };
  if (parts[0] === 'data' && parts[1] === 'listings' && parts.length === 3 && /^\d+$/.test(parts[2]!)) return { page: 'dataListing', listingId: parts[2]! };
  if (parts[0] === 'data' && parts[1] === 'licences' && parts.length === 2) return { page: 'dataLicences', holder: q.get('holder') ?? '', listing: q.get('listing') ?? '' };
  if (parts[0] === 'data' && parts[1] === 'models' && parts.length === 3 && BYTES32.test(parts[2]!)) return { page: 'dataModel', digest: parts[2]! };
  if (parts[0] === 'lab' && parts.length === 1) return { page: 'lab' };
  if (parts[0] === 'lab' && parts[1] === 'runs' && parts.length === 3 && /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/.test(parts[2]!)) return { page: 'labRun', runId: parts[2]! };
  if (parts[0] === 'events' && parts.length === 1) return { page: 'events', contract: q.get('contract') ?? '', event: q.get('event') ?? '' };
  return { page: 'notFound', path: rawPath };
}

/** `#/path?k=v` with only the non-empty values. */
export function href(path: string, params: Record<string, string> = {}): string {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== ''));
  const s = q.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}

/** Replaces the URL without a history entry (typing in a search box is not navigation). */
export function replaceHash(target: string): void {
  if (location.hash !== target) history.replaceState(history.state, '', target);
}

export function useRoute(): Route {
  const [hash, setHash] = useState(() => location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return parseRoute(hash);
}

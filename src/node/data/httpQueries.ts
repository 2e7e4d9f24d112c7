// DataQueries' read side over a node's HTTP API (/v1/data), for programs outside the node (`machina mcp`, the CLI).
import { createNodeRequest } from '../../http/nodeRequest.ts';
import type { AccountRoyalties, ConsentAudit, DataLicenceRow, DataListingDetail, DataListingRow, DataQueries, ModelRoyaltyFlow } from './queries.ts';

/** The reads a client of the node uses; the catalogue takes purpose names (the node turns them into bits). */
export type DataReads = Pick<DataQueries, 'getListing' | 'audit' | 'listLicences' | 'getLicence' | 'royalties' | 'modelRoyalties'> & {
  listListings(p: { q?: string | undefined; purposes?: string[] | undefined; owner?: string | undefined; active?: boolean | undefined; limit: number; cursor?: string | undefined }): Promise<{ items: DataListingRow[]; nextCursor?: string | undefined }>;
};

/**
 * Reads the data marketplace through a node's HTTP API; an unknown listing, licence or model reads as `undefined`.
 * @example
 * const data = createHttpDataQueries({ baseUrl: 'http://127.0.0.1:8787' })
 * const listing = await data.getListing(1n)
 */
export function createHttpDataQueries({ baseUrl, timeoutMs = 10_000, fetch: doFetch = globalThis.fetch }: { baseUrl: string; timeoutMs?: number; fetch?: typeof globalThis.fetch }): DataReads {
  const { request } = createNodeRequest({ baseUrl, timeoutMs, fetch: doFetch });
  return {
    listListings: async (p) =>
      (await request<{ items: DataListingRow[]; nextCursor?: string }>('GET', '/v1/data/listings', {
        query: { q: p.q, purpose: p.purposes?.length ? p.purposes.join(',') : undefined, owner: p.owner, active: p.active, limit: p.limit, cursor: p.cursor },
      }))!,
    getListing: (id) => request<DataListingDetail>('GET', `/v1/data/listings/${id}`, { notFound: 'undefined' }),
    audit: (id) => request<ConsentAudit>('GET', `/v1/data/listings/${id}/audit`, { notFound: 'undefined' }),
    listLicences: async (p) => (await request<{ items: DataLicenceRow[]; nextCursor?: string }>('GET', '/v1/data/licences', { query: { holder: p.holder, listing: p.listingId, limit: p.limit, cursor: p.cursor } }))!,
    getLicence: (id) => request<DataLicenceRow>('GET', `/v1/data/licences/${id}`, { notFound: 'undefined' }),
    royalties: async (account) => (await request<AccountRoyalties>('GET', '/v1/data/royalties', { query: { account } }))!,
    modelRoyalties: (digest) => request<ModelRoyaltyFlow>('GET', `/v1/data/models/${digest}/royalties`, { notFound: 'undefined' }),
  };
}

/**
 * The same reads in process over the node's queries (the node's own /mcp).
 * @example
 * const reads = dataReadsOf(data.queries)
 */
export function dataReadsOf(q: DataQueries, toMask: (names: string[]) => number): DataReads {
  return {
    ...q,
    listListings: (p) => q.listListings({ q: p.q, purposesMask: p.purposes?.length ? toMask(p.purposes) : undefined, owner: p.owner as never, active: p.active, limit: p.limit, cursor: p.cursor }),
  };
}

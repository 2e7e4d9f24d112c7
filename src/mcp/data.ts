// The MCP tools of the data marketplace: search the catalogue and read one listing (terms, contributors and
// their consent, licences, royalties) — on the node's /mcp and on stdio — and, on stdio only (they spend from
// and decrypt with the local key), buy a licence and fetch licensed data into the MCP workspace, verified
// against the chain. Results carry ids, digests, amounts, addresses and paths, never a key.
import { mkdir, realpath } from 'node:fs/promises';
import nodePath from 'node:path';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { getAddress, type Address, type Hex } from 'viem';
import { z } from 'zod';
import type { MachinaPublicClient, MachinaWalletClient } from '../chain/clients.ts';
import type { Deployment } from '../chain/deployments.ts';
import type { DataKey } from '../data/crypto.ts';
import { PURPOSES, purposesToMask } from '../data/terms.ts';
import { InvalidArgumentError, MachinaError, NotFoundError } from '../errors/index.ts';
import { dataReadsOf, type DataReads } from '../node/data/httpQueries.ts';
import type { DataListingDetail, DataListingRow } from '../node/data/queries.ts';
import type { NodeData } from '../node/data/routes.ts';
import { formatTokenAmount } from '../pay/token.ts';
import { realWorkspace, workspaceRefusal, type WorkspaceFiles } from './compute.ts';
import { guard, toolResult } from './results.ts';
import { decimal } from './schemas.ts';

export type DataBuyParams = {
  listingId: bigint;
  kind: 'access' | 'training';
  purposes: string[];
  maxPrice?: bigint | undefined;
  /** Return a valid, unused licence of the same listing, kind and purposes the key already holds instead of buying (default true). */
  reuse?: boolean | undefined;
};
export type DataBuyResult = { licenceId: bigint; price: bigint; includedMask: bigint; consentEpoch: number; expiresAt: number; txHash: Hex; holder: Address; reused?: boolean | undefined };
export type DataFetchResult = { listingId: bigint; root: Hex; files: { path: string; size: number }[]; excluded: { index: number; account: Address; files: number }[]; verified: true };

export type DataToolDeps = {
  /** The marketplace's read side (the node's index, in process or over HTTP). */
  data: DataReads;
  /** Buys a licence with the local key (stdio only); without it data_buy is not offered. */
  buy?: ((p: DataBuyParams) => Promise<DataBuyResult>) | undefined;
  /** Fetches a licence's data into `outDir` with the local key, verified (stdio only); without it data_fetch is not offered. */
  fetch?: ((p: { licenceId: bigint; outDir: string }) => Promise<DataFetchResult>) | undefined;
  /** Where data_fetch may write (default: the server's working directory). */
  files?: WorkspaceFiles | undefined;
};

/** Names of the data tools, in the order tools/list shows them (`data_buy` and `data_fetch` only with a signer, on stdio). */
export const DATA_TOOL_NAMES = ['data_catalogue', 'data_listing', 'data_buy', 'data_fetch'] as const;

const PURPOSE_HELP = `purpose names: ${Object.keys(PURPOSES).join(', ')}, or bit:N (N = 5-29)`;

const catalogueOutput = z.looseObject({ items: z.array(z.looseObject({ listingId: z.string(), root: z.string() })), nextCursor: z.string().optional() });
const listingOutput = z.looseObject({ listingId: z.string(), root: z.string(), contributors: z.array(z.looseObject({ index: z.number(), account: z.string() })) });
const buyOutput = z.looseObject({ licenceId: z.string(), listingId: z.string(), price: z.string(), txHash: z.string(), holder: z.string(), reused: z.boolean() });
const fetchOutput = z.looseObject({ licenceId: z.string(), root: z.string(), outDir: z.string(), files: z.array(z.looseObject({ path: z.string(), size: z.number() })), verified: z.boolean() });

const musd = (v: string | bigint) => `${formatTokenAmount(BigInt(v))} mUSD`;

function listingLine(l: DataListingRow): string {
  const t = l.terms;
  const price = !t ? 'no terms' : [t.computeOnly ? null : `access ${musd(t.accessPrice)}`, t.trainingAllowed ? `training ${musd(t.trainingPrice)}` : null].filter(Boolean).join(', ') || 'not for sale';
  return `listing ${l.listingId} "${l.name ?? l.root}"${l.version ? ` v${l.version}` : ''}${l.active ? '' : ' (inactive)'}: ${price}; purposes ${t?.purposes.join(', ') || '-'}; ${l.consenting}/${l.contributorCount} contributor(s) consenting${l.revoked ? `, ${l.revoked} revoked` : ''}; ${l.sales} sale(s), royalties ${musd(l.royalties)}`;
}

function describeListing(l: DataListingDetail): string {
  const t = l.terms;
  const lines = [listingLine(l), `  root ${l.root}, owner ${l.owner}${l.agentOwned ? ` (agent ${l.ownerAgentId})` : ''}, consent epoch ${l.consentEpoch}${l.hasRecords ? ', records on this node' : ''}`];
  if (t) lines.push(`  terms: royalty ${t.royaltyBps / 100}%${t.commercialUse ? ', commercial use' : ''}${t.attribution ? ', attribution' : ''}${t.computeOnly ? ', compute-only' : ''}${t.expiry ? `, until ${new Date(t.expiry * 1000).toISOString()}` : ''}${t.licenceDuration ? `, licences run ${t.licenceDuration} s` : ''}`);
  for (const c of l.contributors) {
    const consent = c.consent.state === 'given' ? `consent ${[...c.consent.purposes, ...(c.consent.training ? ['training'] : []), ...(c.consent.commercial ? ['commercial'] : [])].join(', ')}` : c.consent.state === 'revoked' ? 'REVOKED' : 'no consent yet';
    lines.push(`  #${c.index} ${c.account} ${c.shareBps / 100}%: ${consent}; earned ${musd(c.earnedSales)} sales, ${musd(c.earnedRoyalties)} royalties`);
  }
  for (const m of l.models) lines.push(`  model ${m.name ?? m.weightsDigest}: royalty ${m.royaltyBps / 100}%, paid ${musd(m.paid)}`);
  return lines.join('\n');
}

/**
 * A directory path for data_fetch: inside the workspace (after resolving the symlinks of what exists), not dotted,
 * not in a denied directory; created when missing. Paths come from a model, which a prompt can steer.
 * @example const dir = await workspaceDir({ workspace: process.cwd() }, 'licensed/3', 'out')
 */
export async function workspaceDir(files: WorkspaceFiles, dir: string, field: string): Promise<string> {
  const workspace = await realWorkspace(files);
  const asked = nodePath.resolve(workspace, dir);
  const refuse = (why: string) => new InvalidArgumentError(field, `${why}; give a directory inside the workspace ${workspace} (set MACHINA_MCP_WORKSPACE to change it)`);
  // The deepest part that exists, resolved: a symlink there must not lead out.
  let existing = asked;
  const rest: string[] = [];
  for (;;) {
    try {
      existing = await realpath(existing);
      break;
    } catch {
      const parent = nodePath.dirname(existing);
      if (parent === existing) throw refuse(`${dir} cannot be resolved`);
      rest.unshift(nodePath.basename(existing));
      existing = parent;
    }
  }
  const real = nodePath.join(existing, ...rest);
  const why = await workspaceRefusal(files, workspace, real);
  if (why === 'outside') throw refuse(real === asked ? `${dir} is outside the workspace (or is the workspace itself)` : `${dir} leads outside the workspace (through a symlink)`);
  if (why === 'dotted') throw refuse(`${dir} is a dotted directory or inside one`);
  if (why) throw refuse(`${dir} is in Machina's own data (${why.denied})`);
  await mkdir(real, { recursive: true });
  return real;
}

/**
 * Registers data_catalogue, data_listing (and data_buy / data_fetch when `deps.buy` / `deps.fetch` are given).
 * @example
 * registerDataTools(server, { data: createHttpDataQueries({ baseUrl: nodeUrl }) })
 */
export function registerDataTools(server: McpServer, deps: DataToolDeps): void {
  const read = { readOnlyHint: true, openWorldHint: false } as const;
  const { data } = deps;
  const purposesOf = (names: string[] | undefined, field: string) => {
    if (!names?.length) return undefined;
    purposesToMask(names, field); // names the bad one
    return names;
  };

  server.registerTool(
    'data_catalogue',
    {
      title: 'Search the data catalogue',
      description: `Datasets for sale in the data marketplace, newest first: name and version (from the provenance registry), prices of Access and Training licences, allowed purposes, royalty share, how many contributors consent. Filter by text in the name (q), purposes the terms must allow (${PURPOSE_HELP}), owner; page with cursor (nextCursor of the previous page). Amounts are mUSD base units (6 decimals).`,
      inputSchema: z.object({
        q: z.string().min(1, 'must not be empty').max(200, 'at most 200 characters').optional().describe("text in the dataset's name"),
        purposes: z.array(z.string().max(40, 'at most 40 characters')).max(30, 'at most 30 purposes').optional().describe(`the terms must allow all of these (${PURPOSE_HELP})`),
        owner: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 20-byte hex address').optional().describe("only the seller's listings"),
        activeOnly: z.boolean().optional().describe('only listings for sale now (default true)'),
        limit: z.number().int('must be an integer').min(1, 'must be 1-100').max(100, 'must be 1-100').optional().describe('page size, 1-100 (default 20)'),
        cursor: decimal('nextCursor of the previous page').optional(),
      }),
      outputSchema: catalogueOutput,
      annotations: { title: 'Search the data catalogue', ...read },
    },
    guard(async ({ q, purposes, owner, activeOnly, limit, cursor }) => {
      const page = await data.listListings({ q, purposes: purposesOf(purposes, 'purposes'), owner: owner ? getAddress(owner) : undefined, active: activeOnly === false ? undefined : true, limit: limit ?? 20, cursor });
      const head = page.items.length === 0 ? 'no listings match' : `${page.items.length} listing(s)${page.nextCursor ? ` (more: cursor ${page.nextCursor})` : ''}:`;
      return toolResult([head, ...page.items.map((l) => `  ${listingLine(l)}`)].join('\n'), page);
    }),
  );

  server.registerTool(
    'data_listing',
    {
      title: 'Get a data listing',
      description:
        "One listing of the data marketplace: the dataset (root, name, version, other versions), its terms (prices, purposes by name, royalty, commercial use, attribution, compute-only, expiry, licence duration, allowed providers), every contributor with their share, consent (purposes, training, commercial; given or revoked) and earnings, recent licences, and the models paying it royalties. With audit=true also the consent audit: each revocation with the models registered before it whose lineage holds the data.",
      inputSchema: z.object({ listingId: decimal('the listing id'), audit: z.boolean().optional().describe('add the consent audit') }),
      outputSchema: listingOutput,
      annotations: { title: 'Get a data listing', ...read },
    },
    guard(async ({ listingId, audit }) => {
      const l = await data.getListing(BigInt(listingId));
      if (!l) throw new NotFoundError(`data listing ${listingId}`, 'listingId');
      const a = audit ? await data.audit(BigInt(listingId)) : undefined;
      const lines = [describeListing(l)];
      if (a) {
        if (a.revocations.length === 0) lines.push('  audit: no revocation');
        for (const r of a.revocations) lines.push(`  audit: #${r.index} ${r.account} revoked at ${new Date(r.revokedAt * 1000).toISOString()}; ${r.models.length} model(s) trained before it${r.models.length ? `: ${r.models.map((m) => m.name || m.weightsDigest).join(', ')}` : ''}`);
      }
      return toolResult(lines.join('\n'), { ...l, licences: l.licences.slice(0, 20), ...(a ? { audit: a } : {}) });
    }),
  );

  if (deps.buy) {
    const buy = deps.buy;
    server.registerTool(
      'data_buy',
      {
        title: 'Buy a data licence',
        description: `Buys a licence to a listing, paid from this server's key (mUSD; the exact price is approved): kind access (the data is delivered, encrypted to this key; fetch it with data_fetch) or training (one compute-to-data run: the data goes only to the compute provider it is bound to). purposes: what the data will be used for (${PURPOSE_HELP}); the terms must allow them, and only contributors whose consent covers them are included (the price is split among them). maxPrice (base units) caps the price; a consent given or revoked between the quote and the purchase is refused (quote again). Safe to retry: when this key already holds a valid licence of the same listing, kind and purposes that is not yet bound to a compute job or used for a model, that licence is returned (reused: true, nothing paid); pass again: true to buy another one anyway.`,
        inputSchema: z.object({
          listingId: decimal('the listing id'),
          kind: z.enum(['access', 'training']),
          purposes: z.array(z.string().max(40, 'at most 40 characters')).min(1, 'name at least one purpose').max(30, 'at most 30 purposes').describe(PURPOSE_HELP),
          maxPrice: decimal('highest price accepted, mUSD base units (default: the quoted price)').optional(),
          again: z.boolean().optional().describe('buy another licence even when an unused one of the same listing, kind and purposes is already held (default false: that one is returned)'),
        }),
        outputSchema: buyOutput,
        // Idempotent as called by default: a retry returns the licence the first call bought.
        annotations: { title: 'Buy a data licence', readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      },
      guard(async ({ listingId, kind, purposes, maxPrice, again }) => {
        purposesToMask(purposes, 'purposes');
        const r = await buy({ listingId: BigInt(listingId), kind, purposes, maxPrice: maxPrice === undefined ? undefined : BigInt(maxPrice), reuse: again !== true });
        const out = {
          licenceId: r.licenceId.toString(),
          listingId,
          kind,
          purposes,
          price: r.price.toString(),
          includedMask: r.includedMask.toString(),
          consentEpoch: r.consentEpoch,
          expiresAt: r.expiresAt,
          holder: r.holder,
          txHash: r.txHash,
          reused: r.reused === true,
        };
        const until = r.expiresAt ? `, valid until ${new Date(r.expiresAt * 1000).toISOString()}` : '';
        if (r.reused) {
          return toolResult(
            `you already hold ${kind} licence ${r.licenceId} to listing ${listingId} for these purposes, not yet used (bought in tx ${r.txHash}${until}): returned it, nothing paid now. To buy another one anyway, call data_buy again with again: true.`,
            out,
          );
        }
        return toolResult(`bought ${kind} licence ${r.licenceId} to listing ${listingId} for ${musd(r.price)} (tx ${r.txHash})${until}`, out);
      }),
    );
  }

  if (deps.fetch) {
    const fetchData = deps.fetch;
    server.registerTool(
      'data_fetch',
      {
        title: 'Fetch licensed data',
        description:
          "Fetches the data of an Access licence held by this server's key from the seller's node: the node checks the licence on chain, encrypts each file to this key, and every file is verified against the dataset's root in the provenance registry before anything is written. Files go into `out`, a directory inside this server's workspace (MACHINA_MCP_WORKSPACE, else its working directory; created if missing; default licence-<id>). Contributors the licence does not cover, or who revoked their consent, are left out and listed.",
        inputSchema: z.object({
          licenceId: decimal('the licence id'),
          out: z.string().min(1, 'must not be empty').max(4096, 'at most 4096 characters').optional().describe('directory inside the workspace (default licence-<id>)'),
        }),
        outputSchema: fetchOutput,
        annotations: { title: 'Fetch licensed data', readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      },
      guard(async ({ licenceId, out }) => {
        const dir = await workspaceDir(deps.files ?? { workspace: process.cwd() }, out ?? `licence-${licenceId}`, 'out');
        const r = await fetchData({ licenceId: BigInt(licenceId), outDir: dir });
        const files = r.files.map((f) => ({ path: f.path, size: f.size }));
        const bytes = files.reduce((s, f) => s + f.size, 0);
        const left = r.excluded.length ? `; left out ${r.excluded.map((e) => `contributor ${e.index} (${e.files} file(s))`).join(', ')}` : '';
        return toolResult(`fetched licence ${licenceId}: ${files.length} file(s), ${bytes} bytes into ${dir}, verified against root ${r.root}${left}`, {
          licenceId,
          listingId: r.listingId.toString(),
          root: r.root,
          outDir: dir,
          files: files.slice(0, 1000),
          fileCount: files.length,
          bytes,
          excluded: r.excluded,
          verified: r.verified,
        });
      }),
    );
  }
}

/**
 * Data tool deps for `machina mcp` (stdio): reads through the node's API; with a local key, data_buy buys
 * licences and data_fetch fetches licensed data (decrypted with `dataKey`, the same key's DataKey) into the workspace.
 * @example
 * const data = await dataMcpDeps({ nodeUrl, client, deployment, wallet, dataKey: async () => dataKeyFromPrivateKey(pk), workspace: settings.mcpWorkspace, deny: [settings.dataDir] })
 */
export async function dataMcpDeps(p: {
  nodeUrl: string;
  client?: MachinaPublicClient | undefined;
  deployment?: Deployment | undefined;
  wallet?: MachinaWalletClient | undefined;
  /** The signer's DataKey (its private key stays in the key's closure); without it data_fetch is not offered. */
  dataKey?: (() => Promise<DataKey>) | undefined;
  /** The only directory data_fetch writes into (default: the working directory). */
  workspace?: string | undefined;
  /** Directories never written even inside the workspace (Machina's data directory, the keystore). */
  deny?: readonly (string | undefined)[] | undefined;
}): Promise<DataToolDeps> {
  const { createHttpDataQueries } = await import('../node/data/httpQueries.ts');
  const data = createHttpDataQueries({ baseUrl: p.nodeUrl });
  const market = p.deployment?.contracts.DataMarket?.address;
  const token = p.deployment?.contracts.SettlementToken?.address;
  const provenance = p.deployment?.contracts.ProvenanceRegistry?.address;
  const { client, wallet } = p;
  if (!client || !wallet || !market || !token) return { data };
  const lib = await import('../data/market.ts');
  const deps: DataToolDeps = {
    data,
    files: { workspace: p.workspace ?? process.cwd(), deny: p.deny },
    buy: async (b) => {
      const r = await lib.buyLicence(wallet, { market, token, listingId: b.listingId, kind: b.kind, purposes: b.purposes, maxPrice: b.maxPrice, reuse: b.reuse ?? true });
      return { ...r, holder: wallet.account.address };
    },
  };
  if (p.dataKey && provenance) {
    const dataKey = p.dataKey;
    const { fetchLicensedData } = await import('../data/delivery.ts');
    deps.fetch = async ({ licenceId, outDir }) => {
      const key = await dataKey();
      if (key.address.toLowerCase() !== wallet.account.address.toLowerCase()) throw new MachinaError('the decryption key is not the signer\'s', { code: 'KEY_MISMATCH', field: 'MACHINA_PRIVATE_KEY' });
      const r = await fetchLicensedData({ nodeUrl: p.nodeUrl, client, market, provenance, licenceId, key, outDir });
      return { listingId: r.listingId, root: r.root, files: r.files.map((f) => ({ path: f.path, size: f.size })), excluded: r.excluded, verified: r.verified };
    };
  }
  return deps;
}

/**
 * Data tool deps inside the node (its /mcp): reads from the index in process; no data_buy or data_fetch (the
 * node neither spends nor decrypts for callers).
 * @example
 * mcp: createMcpHttpHandler({ ..., data: data && nodeDataMcpDeps(data) })
 */
export function nodeDataMcpDeps(parts: Pick<NodeData, 'queries'>): DataToolDeps {
  return { data: dataReadsOf(parts.queries, (names) => purposesToMask(names, 'purposes')) };
}

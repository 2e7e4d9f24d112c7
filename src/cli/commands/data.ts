// `machina data publish|consent|buy|fetch|royalties|withdraw|list|show|licences|audit`: the data marketplace from
// the command line. A seller lists a provenance-registered folder with its contributors and terms, contributors
// record (or revoke) their consent, buyers take Access or Training licences, an Access holder fetches the data
// encrypted to its key and checked against the provenance root, and everyone credited withdraws. Every flag is
// checked before a byte is hashed or a transaction sent; heavy modules load inside the actions.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { keccak256, stringToHex, toHex, type Address, type Hex } from 'viem';
import { DEVNET_CHAIN_ID, DEVNET_MNEMONIC } from '../../chain/devnet.ts';
import { InvalidArgumentError, MachinaError, formatError } from '../../errors/index.ts';
import { maskIndexes, PURPOSES, type PurposeName } from '../../data/terms.ts';
import { retryWhileNotIndexed } from '../../http/nodeRequest.ts';
import { formatTokenAmount, parseTokenAmount } from '../../pay/token.ts';
import { collect, parseAddress, parseAgentId, parseBytes32, parseIntIn, parseName } from '../args.ts';
import { openContext, type CommandContext } from '../context.ts';
import { emit, table } from '../output.ts';
import { progressBar } from '../progress.ts';
import { addChainOptions, addJsonOption, addSignerOptions, type GlobalOptions } from './options.ts';
import { addNodeOption, hashPath, nodeFor, pathKind, provenanceContract, short, type NodeOptions } from './provenanceShared.ts';

const mUSD = (units: bigint) => `${formatTokenAmount(units)} mUSD`;

// ───────────────────────────────────────────────────────────────────────────── pure parsers (exported for tests)

/** Purpose names (`bit:N` for the free bits 5..29). */
export const PURPOSE_NAMES = Object.keys(PURPOSES) as PurposeName[];

/** A percentage ("10%", "12.5", "0.01%") as basis points, 0..10,000, at most two decimals. */
export function parsePercentBps(raw: string, field: string, { min = 0, max = 10_000 }: { min?: number; max?: number } = {}): number {
  const m = /^(\d{1,3})(?:\.(\d{1,2}))?%?$/.exec(raw.trim());
  if (!m) throw new InvalidArgumentError(field, `must be a percentage with at most two decimals, e.g. 10% or 12.5% (got "${raw}")`);
  const bps = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  if (bps < min || bps > max) throw new InvalidArgumentError(field, `must be ${fmtPct(min)}-${fmtPct(max)} (got ${fmtPct(bps)})`);
  return bps;
}

/** Basis points as a percentage: 1000 → "10%", 1250 → "12.5%". */
export function fmtPct(bps: number): string {
  return `${(bps / 100).toLocaleString('en-US', { maximumFractionDigits: 2 })}%`;
}

/** A comma-separated list of purposes (and, with `extra`, the consent-scope names training, commercial). */
export function parsePurposeList(raw: string, field: string, extra: readonly string[] = []): string[] {
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw new InvalidArgumentError(field, `must name at least one purpose (${PURPOSE_NAMES.join(', ')}, or bit:N for N 5-29)`);
  const seen = new Set<string>();
  for (const n of names) {
    const bit = /^bit:(\d{1,2})$/.exec(n);
    const ok = (PURPOSE_NAMES as readonly string[]).includes(n) || extra.includes(n) || (bit && Number(bit[1]) >= 5 && Number(bit[1]) <= 29);
    if (!ok) throw new InvalidArgumentError(field, `unknown purpose "${n}": use ${[...PURPOSE_NAMES, ...extra].join(', ')}, or bit:N for N 5-29`);
    if (seen.has(n)) throw new InvalidArgumentError(field, `"${n}" is named twice`);
    seen.add(n);
  }
  return names;
}

export type ContributorSpec = { account: Address; shareBps: number; subdir: string };

/** `ADDR:SHARE%:SUBDIR` (SUBDIR relative to the dataset folder), checked one by one, then together. */
export function parseContributors(raws: readonly string[], field = '--contributor'): ContributorSpec[] {
  if (raws.length === 0) throw new InvalidArgumentError(field, 'give at least one contributor as ADDR:SHARE%:SUBDIR (e.g. 0xabc…:60%:site-a)');
  if (raws.length > 32) throw new InvalidArgumentError(field, `at most 32 contributors (got ${raws.length})`);
  const out = raws.map((raw, i): ContributorSpec => {
    const f = `${field}[${i}]`;
    const parts = raw.split(':');
    if (parts.length < 3) throw new InvalidArgumentError(f, `must be ADDR:SHARE%:SUBDIR, e.g. 0xabc…:60%:site-a (got "${raw.slice(0, 120)}")`);
    const [addr, share, ...rest] = parts as [string, string, ...string[]];
    const subdir = rest.join(':').replace(/\/+$/, '');
    const account = parseAddress(addr, `${f}.account`);
    const shareBps = parsePercentBps(share, `${f}.share`);
    if (shareBps === 0) throw new InvalidArgumentError(`${f}.share`, 'must be greater than 0%');
    if (!subdir || path.isAbsolute(subdir) || subdir.split(/[\\/]/).some((s) => s === '..' || s === '')) {
      throw new InvalidArgumentError(`${f}.subdir`, `must be a folder inside the dataset folder, relative to it, e.g. site-a (got "${subdir}")`);
    }
    return { account, shareBps, subdir: subdir.split(path.sep).join('/').replace(/^\.\//, '') };
  });
  const seen = new Map<string, number>();
  for (const [i, c] of out.entries()) {
    const prev = seen.get(c.account.toLowerCase());
    if (prev !== undefined) throw new InvalidArgumentError(field, `${c.account} is named twice (contributors ${prev} and ${i}); give each contributor once`);
    seen.set(c.account.toLowerCase(), i);
  }
  for (const [i, c] of out.entries()) {
    for (const [j, d] of out.entries()) {
      if (i !== j && (c.subdir === d.subdir || c.subdir.startsWith(`${d.subdir}/`))) {
        throw new InvalidArgumentError(field, `contributor ${i}'s folder ${c.subdir} lies in contributor ${j}'s ${d.subdir}: each file belongs to one contributor`);
      }
    }
  }
  const sum = out.reduce((s, c) => s + c.shareBps, 0);
  if (sum !== 10_000) throw new InvalidArgumentError(field, `shares sum to ${fmtPct(sum)}; they must sum to 100%`);
  return out;
}

/** `--expiry`: 0 (none), unix seconds, or an ISO date; must be in the future. */
export function parseExpiry(raw: string, field: string, now = Math.floor(Date.now() / 1000)): number {
  if (raw === '0' || raw === 'none') return 0;
  let t: number;
  if (/^\d{1,12}$/.test(raw)) t = Number(raw);
  else {
    const ms = Date.parse(raw);
    if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(ms)) throw new InvalidArgumentError(field, `must be 0 (no end), unix seconds or an ISO date such as 2027-01-31 (got "${raw}")`);
    t = Math.floor(ms / 1000);
  }
  if (t <= now) throw new InvalidArgumentError(field, `must be in the future (got ${new Date(t * 1000).toISOString()})`);
  if (t >= 2 ** 40) throw new InvalidArgumentError(field, 'is too far in the future');
  return t;
}

/** `--duration`: 0 (until the expiry), seconds, or a number with s/m/h/d. */
export function parseDuration(raw: string, field: string): number {
  const m = /^(\d{1,10})([smhd]?)$/.exec(raw.trim());
  if (!m) throw new InvalidArgumentError(field, `must be 0 (until the terms' expiry), seconds, or a number with s, m, h or d, e.g. 30d (got "${raw}")`);
  const n = Number(m[1]) * ({ '': 1, s: 1, m: 60, h: 3_600, d: 86_400 } as const)[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  if (n > 2 ** 32 - 1) throw new InvalidArgumentError(field, 'at most 2^32-1 seconds (about 136 years)');
  return n;
}

export function parseListingId(raw: string, field = 'LISTING'): bigint {
  const id = parseAgentId(raw, field);
  if (id === 0n) throw new InvalidArgumentError(field, 'listing ids start at 1');
  return id;
}

export function parseLicenceId(raw: string, field = 'LICENCE'): bigint {
  const id = parseAgentId(raw, field);
  if (id === 0n) throw new InvalidArgumentError(field, 'licence ids start at 1');
  return id;
}

export function parseKind(raw: string, field = '--kind'): 'access' | 'training' {
  if (raw !== 'access' && raw !== 'training') throw new InvalidArgumentError(field, `must be access or training (got "${raw}")`);
  return raw;
}

// ───────────────────────────────────────────────────────────────────────────── shared plumbing

/** The DataMarket of this deployment, or a clear error when the deployment predates it. */
export function dataMarketOf(ctx: CommandContext): Address {
  const c = ctx.deployment.contracts.DataMarket;
  if (!c) throw new MachinaError(`chain ${ctx.client.chain.id} has no DataMarket in its deployment (redeploy with \`machina deploy\`, or restart \`machina up\`)`, { code: 'NO_DEPLOYMENT', field: 'MACHINA_DEPLOYMENTS_DIR' });
  return c.address;
}

/** JSON requests to the node's /v1/data routes. */
export async function dataNode(opts: NodeOptions, ctx?: CommandContext) {
  const [{ createNodeRequest }, { nodeUrlFrom }, { loadSettings }] = await Promise.all([
    import('../../http/nodeRequest.ts'),
    import('../../provenance/nodeClient.ts'),
    import('../../config/settings.ts'),
  ]);
  return createNodeRequest({ baseUrl: nodeUrlFrom(opts.nodeUrl, ctx?.settings ?? loadSettings(opts)), timeoutMs: 30_000, urlSetting: 'MACHINA_NODE_URL / --node-url' });
}

/**
 * The signer's private key, for the ECIES key a delivery is encrypted to (it stays in this process and goes only
 * into the DataKey's closure): MACHINA_PRIVATE_KEY, the keystore, or the devnet development account.
 */
export async function signerPrivateKey(ctx: CommandContext, opts: GlobalOptions): Promise<Hex> {
  if (ctx.settings.privateKey) return ctx.settings.privateKey;
  if (ctx.settings.keystore) {
    const { decryptKeystore } = await import('../../chain/keystore.ts');
    return decryptKeystore(JSON.parse(readFileSync(ctx.settings.keystore, 'utf8')), ctx.settings.keystorePassword ?? '');
  }
  if (ctx.client.chain.id === DEVNET_CHAIN_ID) {
    const { mnemonicToAccount } = await import('viem/accounts');
    const key = mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: opts.account === undefined ? 0 : Number(opts.account) }).getHdKey().privateKey;
    if (key) return toHex(key);
  }
  throw new MachinaError('this command decrypts data for the signer and needs its key (set MACHINA_PRIVATE_KEY or MACHINA_KEYSTORE)', { code: 'NO_SIGNER', field: 'MACHINA_PRIVATE_KEY' });
}

/** Tops a devnet wallet up from the faucet so it holds `amount`. */
async function ensureTokens(ctx: CommandContext, amount: bigint, progress: (l: string) => void) {
  if (ctx.client.chain.id !== DEVNET_CHAIN_ID || amount === 0n) return;
  const { faucet, tokenBalance } = await import('../../pay/token.ts');
  const token = ctx.address('SettlementToken');
  const me = ctx.wallet().account.address;
  const balance = await tokenBalance(ctx.client, { token, owner: me });
  if (balance >= amount) return;
  await faucet(ctx.client, ctx.wallet(), { token, to: me, amount: amount - balance });
  progress(`took ${mUSD(amount - balance)} from the devnet faucet`);
}

const progressTo = (json: boolean) => (line: string) => {
  if (!json) process.stderr.write(`${line}\n`);
};

function consentLine(c: { consent: { givenAt: number; revokedAt: number; scopeNames: string[] } | null }): string {
  if (!c.consent || !c.consent.givenAt) return 'no consent';
  if (c.consent.revokedAt) return `consent revoked ${new Date(c.consent.revokedAt * 1000).toISOString().slice(0, 19)}Z`;
  return `consented (${c.consent.scopeNames.join(', ')})`;
}

type PublishOptions = NodeOptions & {
  name?: string;
  priceAccess?: string;
  priceTraining?: string;
  royalty: string;
  purposes?: string;
  training?: boolean;
  commercial?: boolean;
  attribution?: boolean;
  computeOnly?: boolean;
  expiry: string;
  duration: string;
  provider: string[];
  contributor: string[];
  parent?: string;
  terms?: string;
  agent?: string;
};

/** Everything `data publish` checks before it touches the disk or the chain. */
export function checkPublishFlags(opts: PublishOptions) {
  if (opts.name !== undefined) parseName(opts.name, '--name');
  if (opts.purposes === undefined) throw new InvalidArgumentError('--purposes', `required: the purposes buyers may use the data for, e.g. research,public-health (${PURPOSE_NAMES.join(', ')})`);
  const purposes = parsePurposeList(opts.purposes, '--purposes');
  const contributors = parseContributors(opts.contributor ?? []);
  const royaltyBps = parsePercentBps(opts.royalty, '--royalty');
  const accessPrice = opts.priceAccess === undefined ? 0n : parseTokenAmount(opts.priceAccess, '--price-access');
  const trainingPrice = opts.priceTraining === undefined ? 0n : parseTokenAmount(opts.priceTraining, '--price-training');
  const trainingAllowed = !!opts.training || opts.priceTraining !== undefined;
  const computeOnly = !!opts.computeOnly;
  if (computeOnly && opts.priceAccess !== undefined) throw new InvalidArgumentError('--price-access', 'a --compute-only dataset sells no Access licences: the data never leaves the seller');
  if (computeOnly && !trainingAllowed) throw new InvalidArgumentError('--compute-only', 'sells only Training licences: add --training and --price-training');
  if (!computeOnly && opts.priceAccess === undefined) throw new InvalidArgumentError('--price-access', 'required unless --compute-only: the price of an Access licence in mUSD, e.g. 25');
  if (trainingAllowed && opts.priceTraining === undefined) throw new InvalidArgumentError('--price-training', 'required with --training: the price of one training run in mUSD, e.g. 50');
  if (!trainingAllowed && royaltyBps > 0) throw new InvalidArgumentError('--royalty', 'a royalty flows only from models trained on the data: add --training and --price-training, or leave --royalty out');
  const limit = (v: bigint, f: string) => {
    if (v >= 2n ** 96n) throw new InvalidArgumentError(f, 'is too large');
  };
  limit(accessPrice, '--price-access');
  limit(trainingPrice, '--price-training');
  const expiry = parseExpiry(opts.expiry, '--expiry');
  const licenceDuration = parseDuration(opts.duration, '--duration');
  const allowedProviders = (opts.provider ?? []).map((p, i) => {
    const id = parseAgentId(p, `--provider[${i}]`);
    if (id === 0n) throw new InvalidArgumentError(`--provider[${i}]`, 'provider ids start at 1');
    return id;
  });
  if (new Set(allowedProviders.map(String)).size !== allowedProviders.length) throw new InvalidArgumentError('--provider', 'a provider is named twice');
  if (computeOnly && allowedProviders.length === 0) {
    throw new InvalidArgumentError('--provider', 'required with --compute-only: name the compute provider(s) allowed to train on the data, e.g. --provider 3 (repeatable)');
  }
  const parentId = opts.parent === undefined ? 0n : parseListingId(opts.parent, '--parent');
  const ownerAgentId = opts.agent === undefined ? undefined : parseAgentId(opts.agent, '--agent');
  return {
    purposes,
    contributors,
    parentId,
    ownerAgentId,
    terms: { accessPrice, trainingPrice, royaltyBps, trainingAllowed, commercialUse: !!opts.commercial, attribution: !!opts.attribution, computeOnly, purposes, expiry, licenceDuration, allowedProviders },
  };
}

/** The human-readable licence text whose digest the listing records when no --terms file is given. */
export function defaultTermsText(t: ReturnType<typeof checkPublishFlags>['terms']): string {
  return [
    'Machina data licence',
    `purposes: ${t.purposes.join(', ')}`,
    `access: ${t.computeOnly ? 'not offered (compute-to-data only)' : `${formatTokenAmount(t.accessPrice)} mUSD`}`,
    `training: ${t.trainingAllowed ? `${formatTokenAmount(t.trainingPrice)} mUSD per run, royalty ${fmtPct(t.royaltyBps)} of model revenue` : 'not allowed'}`,
    `commercial use: ${t.commercialUse ? 'allowed' : 'not allowed'}`,
    `attribution: ${t.attribution ? 'required' : 'not required'}`,
    `expiry: ${t.expiry ? new Date(t.expiry * 1000).toISOString() : 'none'}`,
    `licence duration: ${t.licenceDuration ? `${t.licenceDuration} s` : 'until the expiry'}`,
    `compute providers: ${t.allowedProviders.length ? t.allowedProviders.join(', ') : 'any'}`,
    '',
  ].join('\n');
}

// ───────────────────────────────────────────────────────────────────────────── commands

export function addDataCommands(program: Command) {
  const data = program.command('data').description('the data marketplace: list datasets with contributors, consent and terms; buy licences; fetch data; royalties');

  addNodeOption(
    addSignerOptions(
      data
        .command('publish')
        .description('list a folder for sale: register it in provenance if needed, then list it with its contributors (ADDR:SHARE%:SUBDIR) and terms; the node gets where the records live')
        .argument('<DIR>')
        .option('--name <name>', 'dataset name when the folder is not registered yet (1-200 characters)')
        .option('--price-access <mUSD>', 'price of an Access licence (the data delivered, encrypted to the buyer)')
        .option('--price-training <mUSD>', 'price of a Training licence (one compute-to-data run); implies --training')
        .option('--royalty <percent>', "share of a trained model's revenue routed back to this dataset, e.g. 10%", '0%')
        .option('--purposes <list>', `allowed purposes, comma-separated: ${PURPOSE_NAMES.join(', ')}, bit:N`)
        .option('--training', 'sell Training licences')
        .option('--commercial', 'licences allow commercial use (contributors must consent to it)')
        .option('--attribution', 'licensees must credit the dataset')
        .option('--compute-only', 'the data never leaves: only Training licences, run on a provider named with --provider')
        .option('--expiry <date>', 'no sales after this (ISO date or unix seconds; 0 = none)', '0')
        .option('--duration <time>', 'how long a licence lasts: seconds or 30d, 12h; 0 = until the expiry', '0')
        .option('--provider <id>', 'a compute provider allowed to train on the data (repeatable; default any; required with --compute-only)', collect, [])
        .option('--contributor <spec>', 'ADDR:SHARE%:SUBDIR, a contributor, its share of sales and royalties, and its records (repeatable; shares sum to 100%)', collect, [])
        .option('--parent <listing>', 'the listing of the previous version of this dataset')
        .option('--terms <file>', 'the human-readable licence text (its digest is recorded; default: generated from the flags)')
        .option('--agent <id>', 'list as this ERC-8004 agent (the signer must be its owner or agentWallet)'),
    ),
  ).action(async (dir: string, opts: PublishOptions) => {
    const json = !!opts.json;
    const progress = progressTo(json);
    const flags = checkPublishFlags(opts);
    if (pathKind(dir, 'DIR') !== 'dir') throw new InvalidArgumentError('DIR', `${dir} is a file, not a folder`);
    for (const [i, c] of flags.contributors.entries()) {
      const sub = path.join(dir, c.subdir);
      let kind: 'file' | 'dir';
      try {
        kind = pathKind(sub, `--contributor[${i}].subdir`);
      } catch {
        throw new InvalidArgumentError(`--contributor[${i}].subdir`, `no folder ${c.subdir} in ${dir}`);
      }
      if (kind !== 'dir') throw new InvalidArgumentError(`--contributor[${i}].subdir`, `${c.subdir} is a file, not a folder`);
    }
    let termsText: string;
    if (opts.terms !== undefined) {
      if (pathKind(opts.terms, '--terms') !== 'file') throw new InvalidArgumentError('--terms', 'must be a file');
      termsText = readFileSync(opts.terms, 'utf8');
    } else termsText = defaultTermsText(flags.terms);
    const termsDigest = keccak256(stringToHex(termsText));
    const [terms, market, { manifestRoot }] = await Promise.all([import('../../data/terms.ts'), import('../../data/market.ts'), import('../../provenance/manifest.ts')]);
    const termsInput = { ...flags.terms, termsDigest };
    terms.validateTerms(termsInput);

    // Each contributor's records: the dataset manifest's entries under its folder; every file has one contributor.
    const h = await hashPath(dir, 'DIR', { json });
    const m = h.manifest!;
    const contributors = flags.contributors.map((c, i) => {
      const entries = m.files.filter((f) => f.path.startsWith(`${c.subdir}/`));
      if (entries.length === 0) throw new InvalidArgumentError(`--contributor[${i}].subdir`, `${c.subdir} holds no files`);
      return { account: c.account, shareBps: c.shareBps, recordsRoot: manifestRoot(entries), paths: entries.map((e) => e.path) };
    });
    const orphans = m.files.filter((f) => !flags.contributors.some((c) => f.path.startsWith(`${c.subdir}/`)));
    if (orphans.length > 0) throw new InvalidArgumentError('--contributor', `${orphans.length} file(s) belong to no contributor, e.g. ${orphans[0]!.path}: put every file in a contributor's folder`);
    terms.validateContributors(contributors.map(({ account, shareBps, recordsRoot }) => ({ account, shareBps, recordsRoot })));

    const ctx = await openContext(opts);
    const marketAddress = dataMarketOf(ctx);
    const registry = provenanceContract(ctx, 'ProvenanceRegistry');
    const wallet = ctx.wallet();
    const { getDataset, registerDataset } = await import('../../provenance/actions.ts');
    const node = await nodeFor(opts, ctx.settings);

    let parentRoot: Hex | undefined;
    if (flags.parentId !== 0n) {
      const parent = await market.readListing(ctx.client, { market: marketAddress, listingId: flags.parentId });
      if (!parent) throw new InvalidArgumentError('--parent', `listing ${flags.parentId} does not exist`);
      parentRoot = parent.root;
    }
    const existingListing = await market.listingOfRoot(ctx.client, { market: marketAddress, root: m.root });
    if (existingListing) throw new MachinaError(`this folder's contents (root ${m.root}) are already listed as listing ${existingListing}`, { code: 'ALREADY_LISTED', field: 'DIR' });

    // Provenance first: the listing is of a registered dataset version, registered by the signer.
    let registered = await getDataset(ctx.client, { registry, root: m.root });
    let registerTx: Hex | null = null;
    const location = path.resolve(dir);
    if (!registered) {
      if (opts.name === undefined) throw new InvalidArgumentError('--name', `required: ${m.root} is not registered in provenance yet and needs a dataset name`);
      const r = await registerDataset(wallet, { registry, name: opts.name, root: m.root, parent: parentRoot, fileCount: m.files.length, totalBytes: BigInt(m.totalBytes), uri: `${node.baseUrl}/v1/datasets/${m.root}/manifest` });
      registerTx = r.txHash;
      progress(`registered dataset ${opts.name} v${r.version} in provenance: ${m.root}`);
      registered = await getDataset(ctx.client, { registry, root: m.root });
      try {
        await retryWhileNotIndexed(() => node.putManifest(m.root, m, location));
      } catch (err) {
        progress(`machina: warning: manifest not uploaded to ${node.baseUrl} (${formatError(err)})`);
      }
      // Anchoring the root is a bonus (a receipt anyone can check later), never a reason to stop.
      try {
        await node.submit([m.root], { kind: 'dataset', name: opts.name, files: m.files.length, totalBytes: m.totalBytes, chunkSize: 1 << 20 } as never);
      } catch {
        // no aggregator: the registration is proof enough
      }
    } else if (registered.registrant.toLowerCase() !== wallet.account.address.toLowerCase()) {
      throw new MachinaError(`${m.root} was registered by ${registered.registrant}, not by the signer ${wallet.account.address}: only its registrant can list it`, { code: 'NOT_REGISTRANT', field: 'DIR' });
    } else if (parentRoot && registered.parent.toLowerCase() !== parentRoot.toLowerCase()) {
      throw new InvalidArgumentError('--parent', `listing ${flags.parentId} is of ${parentRoot}, but this version's provenance parent is ${registered.parent}`);
    }

    const published = await market.publishListing(wallet, {
      market: marketAddress,
      root: m.root,
      ...(flags.parentId ? { parentId: flags.parentId } : {}),
      ...(flags.ownerAgentId !== undefined ? { owner: { agentId: flags.ownerAgentId } } : {}),
      terms: termsInput,
      contributors: contributors.map(({ account, shareBps, recordsRoot }) => ({ account, shareBps, recordsRoot })),
    });
    const listingId = published.listingId;
    progress(`listed as listing ${listingId} (tx ${published.txHash})`);

    // The node learns where each contributor's records are, to deliver them (and leave out the revoked ones).
    let recordsOnNode = true;
    let recordsError: string | null = null;
    try {
      const { request } = await dataNode(opts, ctx);
      await retryWhileNotIndexed(() => request('PUT', `/v1/data/listings/${listingId}/records`, { body: { location, contributors: contributors.map((c, index) => ({ index, paths: c.paths })) } }));
    } catch (err) {
      recordsOnNode = false;
      recordsError = formatError(err);
      progress(`machina: warning: the node at ${node.baseUrl} does not have the records' location (${recordsError}); it cannot deliver this listing until it does`);
    }
    const out = {
      listingId,
      root: m.root,
      name: registered?.name ?? opts.name ?? null,
      version: registered?.version ?? null,
      parentId: flags.parentId,
      owner: wallet.account.address,
      files: m.files.length,
      totalBytes: m.totalBytes,
      terms: { ...flags.terms, termsDigest },
      contributors: contributors.map((c, index) => ({ index, account: c.account, shareBps: c.shareBps, recordsRoot: c.recordsRoot, files: c.paths.length })),
      location,
      recordsOnNode,
      recordsError,
      registerTx,
      tx: published.txHash,
    };
    emit({ json }, out, () => [
      `listed ${out.name ?? 'dataset'} as listing ${listingId}: ${m.root}`,
      ...table([
        ['files', `${m.files.length} (${m.totalBytes} bytes)`],
        ['purposes', flags.purposes.join(', ')],
        ['access', flags.terms.computeOnly ? 'not offered (compute-to-data only)' : mUSD(flags.terms.accessPrice)],
        ['training', flags.terms.trainingAllowed ? `${mUSD(flags.terms.trainingPrice)}, royalty ${fmtPct(flags.terms.royaltyBps)}` : 'not allowed'],
        ['commercial use', flags.terms.commercialUse ? 'allowed' : 'no'],
        ['providers', flags.terms.allowedProviders.length ? flags.terms.allowedProviders.join(', ') : 'any'],
        ...contributors.map((c, i): [string, unknown] => [`contributor ${i}`, `${c.account} ${fmtPct(c.shareBps)} (${c.paths.length} files)`]),
        ['on the node', recordsOnNode ? 'records located' : recordsError],
        ['tx', published.txHash],
      ]),
      `contributors consent with: machina data consent ${listingId} --document FILE --scope ${flags.purposes.join(',')}${flags.terms.trainingAllowed ? ',training' : ''}${flags.terms.commercialUse ? ',commercial' : ''}`,
    ]);
  });

  addSignerOptions(
    data
      .command('consent')
      .description("record the signer's consent to the use of its records in a listing (the consent document's digest and its scope), or revoke it")
      .argument('<LISTING>')
      .option('--document <file>', 'the consent document (its digest is recorded)')
      .option('--scope <list>', `what is consented to: purposes (${PURPOSE_NAMES.join(', ')}, bit:N) plus training and/or commercial`)
      .option('--revoke', "revoke the signer's consent (final for this listing: its records leave future sales and the next version)"),
  ).action(async (raw: string, opts: GlobalOptions & { document?: string; scope?: string; revoke?: boolean }) => {
    const json = !!opts.json;
    const listingId = parseListingId(raw);
    let scopeNames: string[] = [];
    if (opts.revoke) {
      if (opts.document !== undefined || opts.scope !== undefined) throw new InvalidArgumentError('--revoke', 'takes no --document or --scope');
    } else {
      if (opts.document === undefined) throw new InvalidArgumentError('--document', 'required: the consent document whose digest is recorded (or --revoke)');
      if (opts.scope === undefined) throw new InvalidArgumentError('--scope', 'required: what is consented to, e.g. research,public-health,training');
      scopeNames = parsePurposeList(opts.scope, '--scope', ['training', 'commercial']);
      if (!scopeNames.some((n) => n !== 'training' && n !== 'commercial')) throw new InvalidArgumentError('--scope', 'must name at least one purpose besides training and commercial');
      if (pathKind(opts.document, '--document') !== 'file') throw new InvalidArgumentError('--document', 'must be a file');
    }
    const ctx = await openContext(opts);
    const marketAddress = dataMarketOf(ctx);
    const market = await import('../../data/market.ts');
    const wallet = ctx.wallet();
    const listing = await market.readListing(ctx.client, { market: marketAddress, listingId });
    if (!listing) throw new MachinaError(`listing ${listingId} does not exist`, { code: 'NOT_FOUND', field: 'LISTING' });
    const index = listing.contributors.findIndex((c) => c.account.toLowerCase() === wallet.account.address.toLowerCase());
    if (index < 0) throw new InvalidArgumentError('LISTING', `the signer ${wallet.account.address} is not a contributor of listing ${listingId}`);
    if (opts.revoke) {
      const r = await market.revokeConsent(wallet, { market: marketAddress, listingId });
      emit({ json }, { listingId, index, account: wallet.account.address, revoked: true, tx: r.txHash }, () => [
        `revoked the consent of contributor ${index} (${wallet.account.address}) to listing ${listingId}`,
        'its records leave every future sale and the next version; models trained before are listed by: machina data audit ' + listingId,
      ]);
      return;
    }
    const { consentScope } = await import('../../data/terms.ts');
    const scope = consentScope({ purposes: scopeNames.filter((n) => n !== 'training' && n !== 'commercial'), training: scopeNames.includes('training'), commercial: scopeNames.includes('commercial') });
    const documentDigest = (await hashPath(opts.document!, '--document', { json })).digest;
    const r = await market.giveConsent(wallet, { market: marketAddress, listingId, documentDigest, scope });
    emit({ json }, { listingId, index, account: wallet.account.address, documentDigest, scope, scopeNames, tx: r.txHash }, () => [
      `contributor ${index} (${wallet.account.address}) consents to listing ${listingId}`,
      ...table([
        ['scope', scopeNames.join(', ')],
        ['document', `${opts.document} (${documentDigest})`],
        ['tx', r.txHash],
      ]),
    ]);
  });

  addSignerOptions(
    data
      .command('buy')
      .description('buy a licence: Access (the data, encrypted to you) or Training (one compute-to-data run); the price goes to the consenting contributors')
      .argument('<LISTING>')
      .requiredOption('--kind <kind>', 'access or training')
      .option('--purposes <list>', `what the data will be used for (default: every purpose the terms allow): ${PURPOSE_NAMES.join(', ')}, bit:N`)
      .option('--max-price <mUSD>', 'refuse to pay more than this')
      .option('--again', 'buy another even if an unused licence of the same listing, kind and purposes is held'),
  ).action(async (raw: string, opts: GlobalOptions & { kind: string; purposes?: string; maxPrice?: string; again?: boolean }) => {
    const json = !!opts.json;
    const progress = progressTo(json);
    const listingId = parseListingId(raw);
    const kind = parseKind(opts.kind);
    let purposes = opts.purposes === undefined ? undefined : parsePurposeList(opts.purposes, '--purposes');
    const maxPrice = opts.maxPrice === undefined ? undefined : parseTokenAmount(opts.maxPrice, '--max-price');
    const ctx = await openContext(opts);
    const marketAddress = dataMarketOf(ctx);
    const market = await import('../../data/market.ts');
    const listing = await market.readListing(ctx.client, { market: marketAddress, listingId });
    if (!listing) throw new MachinaError(`listing ${listingId} does not exist`, { code: 'NOT_FOUND', field: 'LISTING' });
    purposes ??= listing.terms.purposes;
    const reuse = !opts.again;
    const holder = ctx.wallet().account.address;
    // An unused licence already held is returned instead of buying (no quote, no tokens needed); --again buys anyway.
    const held = reuse ? await market.findHeldLicence(ctx.client, { market: marketAddress, holder, listingId, kind, purposes }) : null;
    let q: { price: bigint; consentEpoch: number } | undefined;
    if (!held) {
      const quoted = await market.quote(ctx.client, { market: marketAddress, listingId, kind, purposes });
      if (maxPrice !== undefined && quoted.price > maxPrice) throw new InvalidArgumentError('--max-price', `listing ${listingId} asks ${mUSD(quoted.price)} for a ${kind} licence, more than ${mUSD(maxPrice)}`);
      progress(`quote: ${mUSD(quoted.price)} for ${kind === 'access' ? 'an access' : 'a training'} licence of listing ${listingId}, covering ${maskIndexes(quoted.includedMask).length} of ${listing.contributors.length} contributor(s) (consent epoch ${quoted.consentEpoch})`);
      await ensureTokens(ctx, quoted.price, progress);
      q = quoted;
    }
    const r = await market.buyLicence(ctx.wallet(), { market: marketAddress, token: ctx.address('SettlementToken'), listingId, kind, purposes, maxPrice: maxPrice ?? q?.price, expectedConsentEpoch: q?.consentEpoch, reuse });
    const licence = await market.readLicence(ctx.client, { market: marketAddress, licenceId: r.licenceId });
    const included = listing.contributors.map((c, index) => ({ index, account: c.account, included: ((r.includedMask >> BigInt(index)) & 1n) === 1n }));
    const out = { licenceId: r.licenceId, listingId, kind, purposes, holder, price: r.price, reused: r.reused, includedMask: r.includedMask, contributors: included, expiresAt: licence?.expiresAt ?? null, tx: r.txHash };
    emit({ json }, out, () => [
      r.reused
        ? `licence ${r.licenceId}: ${kind} of listing ${listingId}, reused: you already hold it, unused, for the same purposes; nothing bought (--again buys another)`
        : `licence ${r.licenceId}: ${kind} of listing ${listingId} for ${mUSD(r.price)}`,
      ...table([
        ['purposes', purposes!.join(', ')],
        ['holder', out.holder],
        ['expires', out.expiresAt ? new Date(Number(out.expiresAt) * 1000).toISOString() : 'with the terms (or never)'],
        ...included.map((c): [string, unknown] => [`contributor ${c.index}`, `${c.account} ${c.included ? 'included' : 'left out (no consent covering this sale)'}`]),
        [r.reused ? 'bought in tx' : 'tx', r.txHash],
      ]),
      kind === 'access' ? `fetch the data with: machina data fetch ${r.licenceId} --out DIR` : 'train on it through compute-to-data (the data goes only to an allowed provider)',
    ]);
  });

  addNodeOption(
    addSignerOptions(
      data
        .command('fetch')
        .description("fetch a licensed dataset from the seller's node, encrypted to the signer's key, and check every file against its provenance root")
        .argument('<LICENCE>')
        .requiredOption('--out <dir>', 'where the files go (created; nothing is written outside it)'),
    ),
  ).action(async (raw: string, opts: NodeOptions & { out: string }) => {
    const json = !!opts.json;
    const licenceId = parseLicenceId(raw);
    if (!opts.out.trim()) throw new InvalidArgumentError('--out', 'must be a folder');
    const ctx = await openContext(opts);
    const marketAddress = dataMarketOf(ctx);
    const [{ dataKeyFromPrivateKey }, { fetchLicensedData }, { nodeUrlFrom }] = await Promise.all([import('../../data/crypto.ts'), import('../../data/delivery.ts'), import('../../provenance/nodeClient.ts')]);
    const key = dataKeyFromPrivateKey(await signerPrivateKey(ctx, opts));
    if (key.address.toLowerCase() !== ctx.wallet().account.address.toLowerCase()) throw new MachinaError('the decryption key does not match the signer', { code: 'KEY_MISMATCH', field: 'MACHINA_PRIVATE_KEY' });
    const progress = progressTo(json);
    let total = 0;
    const r = await fetchLicensedData({
      nodeUrl: nodeUrlFrom(opts.nodeUrl, ctx.settings),
      client: ctx.client,
      market: marketAddress,
      provenance: provenanceContract(ctx, 'ProvenanceRegistry'),
      licenceId,
      key,
      outDir: path.resolve(opts.out),
      onProgress: (e) => {
        if (e.phase === 'header') {
          total = e.files;
          progress(`licence ${licenceId}: ${e.files} file(s) to fetch${e.excluded.length ? `, ${e.excluded.length} contributor(s) left out` : ''}`);
        } else if (e.phase === 'file' && total > 0 && (e.done === total || e.done % Math.max(1, Math.floor(total / 10)) === 0)) progress(`  ${e.done}/${total} files checked`);
      },
    });
    const bytes = r.files.reduce((s, f) => s + f.size, 0);
    const out = { licenceId, root: r.root, out: path.resolve(opts.out), files: r.files.map((f) => ({ path: f.path, size: f.size, fileRoot: f.fileRoot })), bytes, excluded: r.excluded, verified: r.verified };
    emit({ json }, out, () => [
      `fetched ${r.files.length} file(s) (${bytes} bytes) of licence ${licenceId} into ${out.out}; every file checked against root ${r.root}`,
      ...(r.excluded.length
        ? [`left out: ${r.excluded.map((e) => `contributor ${e.index} (${short(e.account)}, ${e.files} files)`).join(', ')} (no consent covering this licence, or revoked)`]
        : []),
    ]);
  });

  addNodeOption(
    addChainOptions(
      data
        .command('royalties')
        .description("what an account earned in the data market (sales, royalties, model revenue) and can withdraw; --route pays a model's revenue out to its datasets, contributors and beneficiary")
        .option('--account <ADDR|index>', "whose earnings: an address, or a devnet development account 0-9 to sign with (default: the signer)")
        .option('--route <model>', "first route this model's vault balance (its weights digest) to its datasets and beneficiary (anyone may)")
        .option('--withdraw', "then withdraw the signer's credit to its wallet")
        .option('--to <address>', 'with --withdraw: send it here instead'),
    ),
  ).action(async (opts: NodeOptions & { route?: string; withdraw?: boolean; to?: string }) => {
    const json = !!opts.json;
    const progress = progressTo(json);
    const who = opts.account !== undefined && !/^\d$/.test(opts.account) ? parseAddress(opts.account, '--account') : undefined;
    const model = opts.route === undefined ? undefined : parseBytes32(opts.route, '--route');
    const to = opts.to === undefined ? undefined : parseAddress(opts.to, '--to');
    if (to && !opts.withdraw) throw new InvalidArgumentError('--to', 'only with --withdraw');
    if (who && opts.withdraw) throw new InvalidArgumentError('--withdraw', "withdraws the signer's own credit: --account must then be a devnet account index or left out, not an address");
    const ctx = await openContext({ ...opts, account: who ? undefined : opts.account });
    const marketAddress = dataMarketOf(ctx);
    const market = await import('../../data/market.ts');
    const account = who ?? ctx.wallet().account.address;
    let routed: { amount: bigint; toDatasets: bigint; toBeneficiary: bigint; tx: Hex } | null = null;
    if (model) {
      const r = await market.routeRevenue(ctx.wallet(), { market: marketAddress, weightsDigest: model });
      routed = { amount: r.amount, toDatasets: r.toDatasets, toBeneficiary: r.toBeneficiary, tx: r.txHash };
      progress(`routed ${mUSD(r.amount)} of model ${short(model)}: ${mUSD(r.toDatasets)} to its datasets, ${mUSD(r.toBeneficiary)} to its beneficiary`);
    }
    type Earnings = {
      credited: { sale: string; royalty: string; modelRevenue: string; total: string };
      withdrawn: string;
      balance: string;
      byListing: Array<{ listingId: string; name: string | null; sale: string; royalty: string; modelRevenue: string }>;
    };
    let earnings: Earnings | null = null;
    let nodeError: string | null = null;
    try {
      const { request } = await dataNode(opts, ctx);
      earnings = (await request<Earnings>('GET', '/v1/data/royalties', { query: { account } })) ?? null;
    } catch (err) {
      nodeError = formatError(err);
    }
    let parts = await market.readDataCreditParts(ctx.client, { market: marketAddress, account });
    let withdrawn: { amount: bigint; to: Address; tx: Hex } | null = null;
    if (opts.withdraw && parts.withdrawable > 0n) {
      const r = await market.withdrawDataCredit(ctx.wallet(), { market: marketAddress, ...(to ? { to } : {}) });
      withdrawn = { amount: r.amount, to: to ?? account, tx: r.txHash };
      parts = await market.readDataCreditParts(ctx.client, { market: marketAddress, account });
    }
    const { credit, withdrawable, held } = parts;
    const out = { account, credit, withdrawable, held, routed, withdrawn, earnings, nodeError };
    const u = (v: string | undefined) => mUSD(BigInt(v ?? '0'));
    emit({ json }, out, () => [
      `${account} in the data market`,
      ...table([
        ...(earnings
          ? ([
              ['licence sales', u(earnings.credited?.sale)],
              ['royalties', u(earnings.credited?.royalty)],
              ['model revenue', u(earnings.credited?.modelRevenue)],
              ['total earned', u(earnings.credited?.total)],
              ['withdrawn', u(earnings.withdrawn)],
              ...(earnings.byListing ?? []).map((l): [string, unknown] => [`  listing ${l.listingId}${l.name ? ` ${l.name}` : ''}`, `sales ${u(l.sale)}, royalties ${u(l.royalty)}${l.modelRevenue !== '0' ? `, model revenue ${u(l.modelRevenue)}` : ''}`]),
            ] as Array<[string, unknown]>)
          : [['earnings by reason', `unknown (${nodeError})`] as [string, unknown]]),
        ['credit to withdraw', mUSD(withdrawable)],
        ...(held > 0n ? ([['held', `${mUSD(held)} (dust of cumulative royalty splits, withdrawable as more revenue is routed)`]] as Array<[string, unknown]>) : []),
        ...(withdrawn ? ([['withdrew', `${mUSD(withdrawn.amount)} to ${withdrawn.to} (tx ${withdrawn.tx})`]] as Array<[string, unknown]>) : []),
      ]),
      ...(opts.withdraw && !withdrawn ? ['nothing to withdraw'] : []),
    ]);
  });

  addSignerOptions(
    data
      .command('withdraw')
      .description("send the signer's data-market credit (sales, royalties, model revenue) to its wallet")
      .option('--to <address>', 'send it here instead'),
  ).action(async (opts: GlobalOptions & { to?: string }) => {
    const to = opts.to === undefined ? undefined : parseAddress(opts.to, '--to');
    const ctx = await openContext(opts);
    const marketAddress = dataMarketOf(ctx);
    const market = await import('../../data/market.ts');
    const wallet = ctx.wallet();
    const { withdrawable, held } = await market.readDataCreditParts(ctx.client, { market: marketAddress, account: wallet.account.address });
    if (withdrawable === 0n) {
      emit({ json: !!opts.json }, { amount: 0n, held, to: to ?? wallet.account.address, tx: null }, () => [`no credit to withdraw${held > 0n ? ` (${mUSD(held)} held: dust of cumulative royalty splits)` : ''}`]);
      return;
    }
    const r = await market.withdrawDataCredit(wallet, { market: marketAddress, ...(to ? { to } : {}) });
    emit({ json: !!opts.json }, { amount: r.amount, held, to: to ?? wallet.account.address, tx: r.txHash }, () => [`withdrew ${mUSD(r.amount)} to ${to ?? wallet.account.address}`]);
  });

  addJsonOption(
    addNodeOption(
      data
        .command('list')
        .description("the data catalogue from the node's index: listings, their terms, consent and sales")
        .option('--query <text>', 'only datasets whose name contains this')
        .option('--purpose <name>', 'only listings that allow this purpose')
        .option('--owner <address>', 'only listings of this seller')
        .option('--limit <n>', 'how many (1-100)', '50'),
    ),
  ).action(async (opts: NodeOptions & { query?: string; purpose?: string; owner?: string; limit: string }) => {
    const limit = parseIntIn(opts.limit, '--limit', 1, 100);
    if (opts.purpose !== undefined) parsePurposeList(opts.purpose, '--purpose');
    const owner = opts.owner === undefined ? undefined : parseAddress(opts.owner, '--owner');
    const { request } = await dataNode(opts);
    const page = (await request<{ items: Array<Record<string, any>>; nextCursor?: string }>('GET', '/v1/data/listings', { query: { q: opts.query, purpose: opts.purpose, owner, limit } }))!;
    const items = page.items ?? [];
    emit({ json: !!opts.json }, page, () =>
      items.length === 0
        ? ['no listings']
        : items.map(
            (l) =>
              `  ${String(l.listingId).padStart(4)}  ${String(l.name ?? short(String(l.root))).padEnd(24)} ${l.active === false ? 'delisted ' : ''}${(l.terms?.purposes ?? []).join(',')}  ${l.terms?.computeOnly ? 'compute-only' : `access ${mUSD(BigInt(l.terms?.accessPrice ?? 0))}`}${l.terms?.trainingAllowed ? `  training ${mUSD(BigInt(l.terms?.trainingPrice ?? 0))} +${fmtPct(Number(l.terms?.royaltyBps ?? 0))}` : ''}  ${l.contributorCount ?? '?'} contributor(s), ${l.sales ?? 0} sale(s)`,
          ),
    );
  });

  addNodeOption(
    addChainOptions(
      data
        .command('show')
        .description('a listing: dataset, terms, contributors and their consent, sales and royalties (from the chain, with the node for names)')
        .argument('<LISTING>'),
    ),
  ).action(async (raw: string, opts: NodeOptions) => {
    const listingId = parseListingId(raw);
    const ctx = await openContext(opts);
    const marketAddress = dataMarketOf(ctx);
    const market = await import('../../data/market.ts');
    const l = await market.readListing(ctx.client, { market: marketAddress, listingId });
    if (!l) throw new MachinaError(`listing ${listingId} does not exist`, { code: 'NOT_FOUND', field: 'LISTING' });
    const { getDataset } = await import('../../provenance/actions.ts');
    const d = await getDataset(ctx.client, { registry: provenanceContract(ctx, 'ProvenanceRegistry'), root: l.root });
    const out = { ...l, listingId, name: d?.name ?? null, version: d?.version ?? null };
    const t = l.terms;
    emit({ json: !!opts.json }, out, () => [
      `listing ${listingId}: ${d ? `${d.name} v${d.version}` : 'dataset'} ${l.root}${l.active ? '' : ' (delisted)'}`,
      ...table([
        ['owner', `${l.owner}${l.agentOwned ? ` (agent ${l.ownerAgentId})` : ''}`],
        ['purposes', t.purposes.join(', ')],
        ['access', t.computeOnly ? 'not offered (compute-to-data only)' : mUSD(t.accessPrice)],
        ['training', t.trainingAllowed ? `${mUSD(t.trainingPrice)}, royalty ${fmtPct(t.royaltyBps)}` : 'not allowed'],
        ['commercial use', t.commercialUse ? 'allowed' : 'no'],
        ['attribution', t.attribution ? 'required' : 'no'],
        ['expiry', t.expiry ? new Date(t.expiry * 1000).toISOString() : 'none'],
        ['providers', t.allowedProviders.length ? t.allowedProviders.join(', ') : 'any'],
        ...l.contributors.map((c, i): [string, unknown] => [`contributor ${i}`, `${c.account} ${fmtPct(c.shareBps)}, ${consentLine(c)}`]),
        ['consent epoch', l.consentEpoch],
        ['sales', `${l.sales} (${mUSD(l.revenue)})`],
        ['royalties', mUSD(l.royalties)],
      ]),
    ]);
  });

  addNodeOption(
    addSignerOptions(
      data
        .command('licences')
        .description("licences from the node's index (default: the signer's), or one licence from the chain")
        .argument('[LICENCE]')
        .option('--holder <address>', "another holder's licences")
        .option('--listing <id>', 'only licences of this listing'),
    ),
  ).action(async (raw: string | undefined, opts: NodeOptions & { holder?: string; listing?: string }) => {
    const json = !!opts.json;
    const holder = opts.holder === undefined ? undefined : parseAddress(opts.holder, '--holder');
    const listing = opts.listing === undefined ? undefined : parseListingId(opts.listing, '--listing');
    if (raw !== undefined) {
      const licenceId = parseLicenceId(raw);
      if (holder || listing) throw new InvalidArgumentError('LICENCE', 'give a licence id, or --holder/--listing, not both');
      const ctx = await openContext(opts);
      const market = await import('../../data/market.ts');
      const l = await market.readLicence(ctx.client, { market: dataMarketOf(ctx), licenceId });
      if (!l) throw new MachinaError(`licence ${licenceId} does not exist`, { code: 'NOT_FOUND', field: 'LICENCE' });
      emit({ json }, { ...l, licenceId }, () => [
        `licence ${licenceId}: ${l.kind} of listing ${l.listingId}${l.valid ? '' : ' (expired)'}`,
        ...table([
          ['holder', l.holder],
          ['purposes', `${l.purposes.join(', ')}${l.commercial ? ', commercial use' : ''}`],
          ['price', mUSD(l.price)],
          ['issued', new Date(l.issuedAt * 1000).toISOString()],
          ['expires', l.expiresAt ? new Date(l.expiresAt * 1000).toISOString() : 'never'],
          ['contributors covered', `mask ${l.includedMask.toString(2)} (consent epoch ${l.consentEpoch})`],
          ['royalty', fmtPct(l.royaltyBps)],
          ...(l.kind === 'training'
            ? ([
                ['compute job', l.jobId ? `${l.jobId} on provider ${l.providerId}` : 'not bound yet'],
                ['model', l.model ?? 'not used yet'],
              ] as Array<[string, unknown]>)
            : []),
        ]),
      ]);
      return;
    }
    let who = holder;
    if (!who && !listing) who = (await openContext(opts)).wallet().account.address;
    const { request } = await dataNode(opts);
    const page = (await request<{ items: Array<Record<string, any>> }>('GET', '/v1/data/licences', { query: { holder: who, listing } }))!;
    const items = page.items ?? [];
    emit({ json }, page, () =>
      items.length === 0
        ? [`no licences${who ? ` held by ${who}` : ''}${listing ? ` of listing ${listing}` : ''}`]
        : items.map((l) => `  ${String(l.licenceId).padStart(4)}  ${String(l.kind).padEnd(8)} listing ${String(l.listingId).padEnd(4)} ${mUSD(BigInt(l.price ?? 0))}  ${(l.purposes ?? []).join(',')}  ${l.valid === false ? 'expired' : 'valid'}${l.model && !/^0x0+$/.test(l.model) ? `  model ${short(l.model)}` : ''}`),
    );
  });

  addJsonOption(
    addNodeOption(
      data
        .command('audit')
        .description("a listing's consent audit: every revocation, with the models registered before it that were trained on the data")
        .argument('<LISTING>'),
    ),
  ).action(async (raw: string, opts: NodeOptions) => {
    const listingId = parseListingId(raw);
    const { request } = await dataNode(opts);
    const a = await request<{ listingId: string; revocations: Array<{ index: number; account: string; revokedAt: number; models: Array<{ weightsDigest: string; name?: string | null; registeredAt?: number }> }> }>('GET', `/v1/data/listings/${listingId}/audit`, { notFound: 'undefined' });
    if (!a) throw new MachinaError(`listing ${listingId} is not in the node's index`, { code: 'NOT_FOUND', field: 'LISTING' });
    emit({ json: !!opts.json }, a, () =>
      a.revocations.length === 0
        ? [`listing ${listingId}: no consent revoked`]
        : [
            `listing ${listingId}: ${a.revocations.length} revocation(s)`,
            ...a.revocations.flatMap((r) => [
              `  contributor ${r.index} (${r.account}) revoked ${new Date(r.revokedAt * 1000).toISOString()}; models trained before: ${r.models.length || 'none'}`,
              ...r.models.map((m) => `    ${m.weightsDigest}${m.name ? `  ${m.name}` : ''}`),
            ]),
          ],
    );
  });
}



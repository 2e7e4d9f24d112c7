// The seed's medical flow, end to end on a running Machina node (`npm start`) and the devnet's development
// accounts: three hospitals share synthetic, anonymized patient records in two datasets, record their consent and
// the terms; a research lab buys Training licences and trains a model on both through compute-to-data (the data
// goes only to the provider the sellers allow), registers it with its lineage and its royalty split, and serves it
// over x402; a client agent pays for N inference calls; the revenue is routed back to the datasets and their
// contributors, who withdraw. Then one contributor revokes its consent: the audit lists the model trained before,
// and a new quote leaves that contributor out. Every balance is read back from the chain (events and views) and
// checked against the exact split the contract promises.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { keccak256, stringToHex, zeroHash, type Address, type Hex } from 'viem';
import { dataMarketAbi } from '../../chain/artifacts/index.ts';
import type { MachinaPublicClient, MachinaWalletClient } from '../../chain/clients.ts';
import type { Deployment } from '../../chain/deployments.ts';
import { MachinaError } from '../../errors/index.ts';
import { createNodeRequest, retryWhileNotIndexed } from '../../http/nodeRequest.ts';
import { faucet, formatTokenAmount as fmt, parseTokenAmount, tokenBalance } from '../../pay/token.ts';
import { createPayingFetch } from '../../pay/x402/client.ts';
import { hashDirectory } from '../../provenance/directory.ts';
import { hashBytes } from '../../provenance/hash.ts';
import { manifestRoot } from '../../provenance/manifest.ts';
import { getDataset, registerDataset, registerModel, signModel } from '../../provenance/actions.ts';
import { registerAgentWithFile } from '../../identity/actions/registerWithFile.ts';
import { sha256Hex, type TrainSpec } from '../../compute/workloads/index.ts';
import { CREDIT_REASONS } from '../../data/errors.ts';
import { splitSale, routeRevenueCredits } from '../../data/split.ts';
import { consentScope, maskIndexes } from '../../data/terms.ts';
import { dataKeyFromPrivateKey } from '../../data/crypto.ts';
import * as market from '../../data/market.ts';
import { writePatientRecords, patientFeatures } from '../../data/examples/patients.ts';
import { trainOnData } from '../../data/computeToData.ts';

/** Devnet development accounts the demo plays (0 is the node's own signer, 1 the default `provider start`). */
export const DEMO_ACCOUNTS = { siteA: 5, siteB: 6, siteC: 7, lab: 3, client: 4, provider: 8 } as const;

/** The demo's datasets: which sites contribute, their shares, and the terms. */
export const DEMO_DATASETS = [
  {
    name: 'cardiometabolic-cohort',
    sites: ['site-a', 'site-b'] as const,
    shares: [6_000, 4_000],
    terms: { accessPrice: 0n, trainingPrice: parseTokenAmount('40'), royaltyBps: 1_000, computeOnly: true, commercialUse: true, attribution: true },
  },
  {
    name: 'diabetes-registry',
    sites: ['site-b', 'site-c'] as const,
    shares: [3_500, 6_500],
    terms: { accessPrice: parseTokenAmount('25'), trainingPrice: parseTokenAmount('30'), royaltyBps: 1_500, computeOnly: false, commercialUse: true, attribution: true },
  },
] as const;

const SITE_NAMES = { 'site-a': 'St Mary hospital (site A)', 'site-b': 'Riverside clinic (site B)', 'site-c': 'Northgate research institute (site C)' } as const;
type Site = keyof typeof SITE_NAMES;
const SITE_ACCOUNT: Record<Site, number> = { 'site-a': DEMO_ACCOUNTS.siteA, 'site-b': DEMO_ACCOUNTS.siteB, 'site-c': DEMO_ACCOUNTS.siteC };
/** Who lists each dataset (and relays its contributors' signed consents): its first site. */
const PURPOSES = ['research', 'public-health'];
/** The model trained: a small MLP predicting the diabetes-risk label from the records' features. */
export const DEMO_TRAIN_SPEC: TrainSpec = { model: 'mlp', hidden: 16, classes: 2, steps: 400, batchSize: 64, learningRate: 0.1, seed: 7 };
/** Price of one inference call: 0.0137 mUSD (odd on purpose: the royalty floors leave dust to account for). */
export const DEMO_PRICE_PER_CALL = 13_700n;
const RECORDS_PER_SITE = 40;

export type MedicalDemoParameters = {
  client: MachinaPublicClient;
  deployment: Deployment;
  /** The running node (its data routes, x402 gateway and settlement). */
  nodeUrl: string;
  /** Wallet client of devnet development account `index`. */
  wallet: (index: number) => MachinaWalletClient;
  /** Private key of devnet development account `index` (only the provider's, for its delivery key). */
  privateKey: (index: number) => Hex;
  /** Paid inference calls (default 100). */
  calls?: number | undefined;
  /** Where the records and consent documents are written (a fresh folder per run inside it). */
  workDir: string;
  /** A compute provider already running (its daemon handles compute-to-data); default: one started in-process. */
  providerId?: bigint | undefined;
  /** Parallel inference calls (default 8). */
  concurrency?: number | undefined;
  onStep?: ((line: string) => void) | undefined;
};

export type DemoAccount = { role: 'contributor' | 'publisher' | 'buyer' | 'trainer' | 'beneficiary' | 'client' | 'provider' | 'vault'; name: string; address: Address };

export type MedicalDemoResult = {
  chainId: number;
  market: Address;
  token: Address;
  fromBlock: bigint;
  calls: number;
  pricePerCall: bigint;
  accounts: DemoAccount[];
  datasets: Array<{
    listingId: bigint;
    name: string;
    root: Hex;
    publisher: Address;
    royaltyBps: number;
    trainingPrice: bigint;
    computeOnly: boolean;
    contributors: Array<{ index: number; name: string; address: Address; shareBps: number }>;
    licenceRevenue: bigint;
    royalties: bigint;
  }>;
  licences: Array<{ licenceId: bigint; listingId: bigint; price: bigint; includedMask: bigint; sale: bigint[] }>;
  model: { weightsDigest: Hex; name: string; computeJobId: bigint; providerId: bigint; trainerAgentId: bigint; vault: Address; servingAgentId: bigint; beneficiary: Address; revenue: bigint; toDatasets: bigint; toBeneficiary: bigint; datasetRoyalties: bigint[]; metrics: unknown };
  /** `total` = sales + royalties, exactly the contract's split; `withdrawn` + `held` = `total` (held: residual dust of cumulative splits, not withdrawable yet). */
  contributors: Array<{ role: 'contributor'; name: string; address: Address; sales: bigint; royalties: bigint; total: bigint; withdrawn: bigint; held: bigint; perDataset: Array<{ listingId: bigint; index: number; sale: bigint; royalty: bigint }> }>;
  beneficiary: { role: 'beneficiary'; address: Address; modelRevenue: bigint; withdrawn: bigint; held: bigint };
  buyer: { role: 'buyer'; address: Address; licenceSpend: bigint; computeSpend: bigint; spend: bigint };
  client: { role: 'client'; address: Address; calls: number; spend: bigint; paidToVault: bigint };
  conservation: { in: { licences: bigint; inference: bigint; total: bigint }; out: { contributors: bigint; beneficiary: bigint; total: bigint }; balanced: boolean; marketBalance: bigint; totalCredits: bigint };
  /** Every credit matches the contract's exact split, computed independently (split.ts). */
  exact: boolean;
  consent: {
    revoked: { listingId: bigint; index: number; name: string; address: Address; txHash: Hex };
    audit: unknown;
    modelsTrainedBefore: Hex[];
    quoteBefore: { includedMask: bigint; price: bigint };
    quoteAfter: { includedMask: bigint; price: bigint; excluded: Address[] };
  };
  timings: Record<string, number>;
};

const lower = (a: string) => a.toLowerCase();

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs: number, pollMs = 200): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch((err) => {
      if (Date.now() > until) throw err;
      return undefined;
    });
    if (v) return v as T;
    if (Date.now() > until) throw new MachinaError(`timed out after ${timeoutMs} ms waiting for ${what}`, { code: 'DEMO_TIMEOUT' });
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

async function pool<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      for (let i = next++; i < n; i = next++) out[i] = await fn(i);
    }),
  );
  return out;
}

/**
 * Runs the medical flow on a running node and returns every balance, read back from the chain.
 * @example
 * const r = await runMedicalDemo({ client, deployment, nodeUrl, wallet: (i) => walletFor(client, devnetAccount(i)), privateKey, workDir, calls: 100 })
 */
export async function runMedicalDemo(p: MedicalDemoParameters): Promise<MedicalDemoResult> {
  const calls = p.calls ?? 100;
  if (!Number.isSafeInteger(calls) || calls < 1 || calls > 100_000) throw new MachinaError(`calls: must be an integer 1-100000 (got ${calls})`, { code: 'INVALID_ARGUMENT', field: 'calls' });
  const step = p.onStep ?? (() => {});
  const timings: Record<string, number> = {};
  let t0 = Date.now();
  const lap = (name: string) => {
    timings[name] = Date.now() - t0;
    t0 = Date.now();
  };
  const c = p.deployment.contracts;
  const need = (name: string) => {
    const a = c[name]?.address;
    if (!a) throw new MachinaError(`the deployment on chain ${p.client.chain.id} has no ${name} (restart \`machina up\` to deploy it)`, { code: 'NO_DEPLOYMENT', field: 'MACHINA_DEPLOYMENTS_DIR' });
    return a;
  };
  const marketAddress = need('DataMarket');
  const token = need('SettlementToken');
  const registry = need('ProvenanceRegistry');
  const identityRegistry = need('IdentityRegistry');
  const computeMarket = need('ComputeMarket');
  const health = await fetch(`${p.nodeUrl}/health`, { signal: AbortSignal.timeout(3_000) }).catch(() => undefined);
  if (!health?.ok) throw new MachinaError(`no node answers at ${p.nodeUrl} (start it with \`npm start\`, or give --node-url)`, { code: 'NODE_UNREACHABLE', field: '--node-url' });

  const w = {
    'site-a': p.wallet(DEMO_ACCOUNTS.siteA),
    'site-b': p.wallet(DEMO_ACCOUNTS.siteB),
    'site-c': p.wallet(DEMO_ACCOUNTS.siteC),
    lab: p.wallet(DEMO_ACCOUNTS.lab),
    client: p.wallet(DEMO_ACCOUNTS.client),
  };
  const addr = (s: Site) => w[s].account.address;
  const { request } = createNodeRequest({ baseUrl: p.nodeUrl, timeoutMs: 30_000, urlSetting: '--node-url' });

  // Housekeeping: credit left over by an interrupted earlier run is withdrawn first, so this run's numbers are its own.
  for (const who of [w['site-a'], w['site-b'], w['site-c'], w.lab]) {
    if ((await market.readDataCreditParts(p.client, { market: marketAddress, account: who.account.address })).withdrawable > 0n) await market.withdrawDataCredit(who, { market: marketAddress });
  }
  const heldBefore = new Map<string, bigint>();
  for (const who of [w['site-a'], w['site-b'], w['site-c'], w.lab]) heldBefore.set(lower(who.account.address), (await market.readDataCreditParts(p.client, { market: marketAddress, account: who.account.address })).held);

  const fromBlock = (await p.client.getBlockNumber()) + 1n;

  // ── the compute provider the sellers allow ────────────────────────────────────────────────────────────────
  let providerId = p.providerId;
  let daemon: { stop(): Promise<void> } | undefined;
  try {
    if (providerId === undefined) {
      const [{ ensureProvider }, { startProviderDaemon }] = await Promise.all([import('../../compute/provider/setup.ts'), import('../../compute/provider/daemon.ts')]);
      const pw = p.wallet(DEMO_ACCOUNTS.provider);
      const setup = await ensureProvider(p.client, pw, {
        market: computeMarket,
        token,
        identityRegistry,
        resources: { deviceKind: 'cpu', region: 'local', deviceCount: 1, memoryMB: 1024, pricePerUnit: parseTokenAmount('0.01') },
        useFaucet: true,
        name: 'Machina demo compute-to-data provider',
      });
      providerId = setup.providerId;
      daemon = await startProviderDaemon({
        client: p.client,
        wallet: pw,
        market: computeMarket,
        token,
        providerId,
        pricePerUnit: parseTokenAmount('0.01'),
        pollMs: 100,
        nodeUrl: p.nodeUrl,
        // Compute-to-data: the key the sellers' node encrypts the records to (the operator's).
        data: { key: dataKeyFromPrivateKey(p.privateKey(DEMO_ACCOUNTS.provider)), market: marketAddress, provenance: registry },
      });
      step(`provider ${providerId} running in this process (operator ${pw.account.address})`);
    } else step(`using the running provider ${providerId}`);
    lap('provider');

    // ── records, consent documents, provenance and listings ─────────────────────────────────────────────────
    const run = Number(await p.client.readContract({ address: marketAddress, abi: dataMarketAbi, functionName: 'listingCount' })) + 1;
    const runDir = path.join(p.workDir, `medical-${p.client.chain.id}-${run}-${Date.now().toString(36)}`);
    mkdirSync(runDir, { recursive: true });
    const datasets: MedicalDemoResult['datasets'] = [];
    const consentDocs = new Map<Site, Hex>();
    for (const site of Object.keys(SITE_NAMES) as Site[]) {
      const text = `Consent to the use of pseudonymized patient records from ${SITE_NAMES[site]}\nfor research and public-health purposes, including training models by compute-to-data\n(the records never leave the hospital's node). Revocable at any time.\n`;
      writeFileSync(path.join(runDir, `consent-${site}.txt`), text);
      consentDocs.set(site, hashBytes(new TextEncoder().encode(text)).root);
    }
    for (const [j, d] of DEMO_DATASETS.entries()) {
      const dir = path.join(runDir, d.name);
      writePatientRecords(dir, { sites: [...d.sites], perSite: RECORDS_PER_SITE, seed: run * 10 + j });
      const m = await hashDirectory(dir);
      const publisher = w[d.sites[0]];
      const contributors = d.sites.map((s, i) => {
        const entries = m.files.filter((f) => f.path.startsWith(`${s}/`));
        return { account: addr(s), shareBps: d.shares[i]!, recordsRoot: manifestRoot(entries), paths: entries.map((e) => e.path) };
      });
      if (!(await getDataset(p.client, { registry, root: m.root }))) {
        await registerDataset(publisher, { registry, name: d.name, root: m.root, fileCount: m.files.length, totalBytes: BigInt(m.totalBytes), uri: `${p.nodeUrl}/v1/datasets/${m.root}/manifest` });
      }
      // Anchored too, through the node's aggregator (a receipt anyone can check later); not waited for.
      await request('POST', '/v1/anchors', { body: { digests: [m.root], subject: { kind: 'dataset', name: d.name, files: m.files.length, totalBytes: m.totalBytes, chunkSize: 1 << 20 } } }).catch(() => undefined);
      const termsText = `${d.name}: ${PURPOSES.join(' and ')} only; training by compute-to-data on provider ${providerId}; attribution required; royalty ${d.terms.royaltyBps / 100}% of model revenue.`;
      const { listingId } = await market.publishListing(publisher, {
        market: marketAddress,
        root: m.root,
        terms: {
          ...d.terms,
          trainingAllowed: true,
          purposes: PURPOSES,
          expiry: 0,
          licenceDuration: 0,
          termsDigest: keccak256(stringToHex(termsText)),
          allowedProviders: [providerId!],
        },
        contributors: contributors.map(({ account, shareBps, recordsRoot }) => ({ account, shareBps, recordsRoot })),
      });
      await retryWhileNotIndexed(() => request('PUT', `/v1/data/listings/${listingId}/records`, { body: { location: dir, contributors: contributors.map((x, index) => ({ index, paths: x.paths })) } }), 20_000);
      datasets.push({
        listingId,
        name: d.name,
        root: m.root,
        publisher: publisher.account.address,
        royaltyBps: d.terms.royaltyBps,
        trainingPrice: d.terms.trainingPrice,
        computeOnly: d.terms.computeOnly,
        contributors: d.sites.map((s, index) => ({ index, name: SITE_NAMES[s], address: addr(s), shareBps: d.shares[index]! })),
        licenceRevenue: 0n,
        royalties: 0n,
      });
      step(`listed ${d.name} as listing ${listingId} (${m.files.length} records from ${d.sites.join(' + ')}, royalty ${d.terms.royaltyBps / 100}%, ${d.terms.computeOnly ? 'compute-only' : 'access or training'})`);

      // Consent: each contributor signs (EIP-712), the publisher relays.
      const scope = consentScope({ purposes: PURPOSES, training: true, commercial: true });
      const deadline = BigInt(Math.floor(Date.now() / 1000) + 3_600);
      for (const s of d.sites) {
        const documentDigest = consentDocs.get(s)!;
        const { signature } = await market.signConsent(w[s], { market: marketAddress, listingId, documentDigest, scope, deadline });
        await market.giveConsentBySig(publisher, { market: marketAddress, listingId, account: addr(s), documentDigest, scope, deadline, signature });
      }
      step(`  consent of ${d.sites.join(', ')} recorded (signed by each, relayed by the publisher)`);
    }
    lap('publish');

    // ── the research lab: agent, licences, compute-to-data training ─────────────────────────────────────────
    const lab = w.lab;
    const licenceTotal = datasets.reduce((s, d) => s + d.trainingPrice, 0n);
    const labBalance = await tokenBalance(p.client, { token, owner: lab.account.address });
    if (labBalance < licenceTotal + parseTokenAmount('50')) await faucet(p.client, lab, { token, to: lab.account.address, amount: licenceTotal + parseTokenAmount('50') - labBalance });
    const trainer = await registerAgentWithFile(p.client, lab, {
      identityRegistry,
      file: { name: 'Open cardiometabolic research lab', description: 'Trains risk models on licensed medical data through compute-to-data', services: [] },
    });
    const licences: MedicalDemoResult['licences'] = [];
    for (const d of datasets) {
      const r = await market.buyLicence(lab, { market: marketAddress, token, listingId: d.listingId, kind: 'training', purposes: ['research'] });
      const shares = d.contributors.map((x) => x.shareBps);
      licences.push({ licenceId: r.licenceId, listingId: d.listingId, price: r.price, includedMask: r.includedMask, sale: splitSale(r.price, shares, r.includedMask) });
      step(`lab bought training licence ${r.licenceId} of ${d.name} for ${fmt(r.price)} mUSD`);
    }
    lap('licences');
    const labBefore = await tokenBalance(p.client, { token, owner: lab.account.address });
    const trained = await trainOnData({
      wallet: lab,
      // The weights come back sealed to the lab's key: only the buyer of the training run gets the model.
      key: dataKeyFromPrivateKey(p.privateKey(DEMO_ACCOUNTS.lab)),
      client: p.client,
      addresses: { computeMarket, dataMarket: marketAddress, token },
      nodeUrl: p.nodeUrl,
      licenceIds: licences.map((l) => l.licenceId),
      listingIds: datasets.map((d) => d.listingId),
      providerId: providerId!,
      train: DEMO_TRAIN_SPEC,
      features: 'patients-v1',
      onEvent: (e) => step(`  training: ${e.type === 'status' ? `job ${e.jobId} ${e.status}${e.committed ? ' (committed)' : ''}` : `${e.type}${'licenceId' in e ? ` licence ${e.licenceId}` : ''} (job ${e.jobId})`}`),
    });
    const computeSpend = labBefore - (await tokenBalance(p.client, { token, owner: lab.account.address }));
    step(`model trained in compute job ${trained.jobId} on provider ${providerId}: ${trained.weightsDigest}`);
    lap('training');

    // ── provenance record, royalty split, serving ─────────────────────────────────────────────────────────
    const metrics = JSON.stringify(trained.metrics ?? {});
    const modelName = `cardiometabolic-risk-mlp-${run}`;
    const input = {
      weightsDigest: trained.weightsDigest,
      trainerAgentId: trainer.agentId,
      configDigest: sha256Hex(new TextEncoder().encode(JSON.stringify(DEMO_TRAIN_SPEC))),
      metricsDigest: keccak256(stringToHex(metrics)),
      baseModel: zeroHash,
      computeJobId: trained.jobId,
      datasetRoots: datasets.map((d) => d.root),
      name: modelName,
      metrics,
      uri: `${p.nodeUrl}/v1/data/models/${trained.weightsDigest}`,
    };
    const signature = await signModel(lab, { chainId: p.client.chain.id, registry, input });
    await registerModel(lab, { registry, input, signer: lab.account.address, signature });
    const royalty = await market.registerModelRoyalty(lab, {
      market: marketAddress,
      weightsDigest: trained.weightsDigest,
      licenceIds: licences.map((l) => l.licenceId),
      beneficiary: lab.account.address,
      agentURI: `data:application/json,${encodeURIComponent(JSON.stringify({ name: modelName, description: 'Cardiometabolic risk model trained by compute-to-data; paid inference over x402' }))}`,
    });
    step(`model registered with its lineage; revenue vault ${royalty.vault} owns serving agent ${royalty.agentId}`);
    await retryWhileNotIndexed(() => request('PUT', `/v1/data/models/${trained.weightsDigest}/serving`, { body: { weights: Buffer.from(trained.weights).toString('base64'), priceUnits: DEMO_PRICE_PER_CALL.toString(), features: 'patients-v1' } }), 20_000);
    lap('register');

    // ── a client agent pays for N inference calls over x402 ──────────────────────────────────────────────────
    const cw = w.client;
    const clientBalance = await tokenBalance(p.client, { token, owner: cw.account.address });
    const spendMax = DEMO_PRICE_PER_CALL * BigInt(calls);
    if (clientBalance < spendMax + parseTokenAmount('1')) await faucet(p.client, cw, { token, to: cw.account.address, amount: spendMax + parseTokenAmount('1') - clientBalance });
    const clientBefore = await tokenBalance(p.client, { token, owner: cw.account.address });
    const vaultBefore = await tokenBalance(p.client, { token, owner: royalty.vault });
    const sample = sampleFeatures(path.join(runDir, DEMO_DATASETS[1].name));
    const pay = createPayingFetch({ client: p.client, payer: { kind: 'eoa', wallet: cw }, maxAmount: DEMO_PRICE_PER_CALL });
    let done = 0;
    await pool(calls, p.concurrency ?? 8, async (i) => {
      const res = await pay(`${p.nodeUrl}/v1/data/models/${trained.weightsDigest}/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ x: sample[i % sample.length] }),
      });
      const text = await res.text();
      if (res.status !== 200) throw new MachinaError(`inference call ${i + 1} answered ${res.status}: ${text.slice(0, 300)}`, { code: 'INFERENCE_FAILED' });
      if (++done % Math.max(1, Math.floor(calls / 10)) === 0) step(`  ${done}/${calls} paid inference calls`);
    });
    lap('inference');
    // The node settles the payments in batches; the vault holds them once settled.
    const expected = vaultBefore + spendMax;
    await waitFor('the node to settle every inference payment', async () => (await tokenBalance(p.client, { token, owner: royalty.vault })) >= expected, 180_000, 250);
    const clientSpend = clientBefore - (await tokenBalance(p.client, { token, owner: cw.account.address }));
    step(`the node settled ${calls} payments: ${fmt(spendMax)} mUSD in the model's vault`);
    lap('settlement');

    // ── revenue routed to the datasets and their contributors; everyone withdraws ───────────────────────────
    const listingsBefore = await Promise.all(datasets.map((d) => market.readListing(p.client, { market: marketAddress, listingId: d.listingId })));
    const routed = await market.routeRevenue(lab, { market: marketAddress, weightsDigest: trained.weightsDigest });
    step(`routed ${fmt(routed.amount)} mUSD: ${fmt(routed.toDatasets)} to the datasets, ${fmt(routed.toBeneficiary)} to the beneficiary`);
    const expectedRoute = routeRevenueCredits({
      revenueBefore: 0n,
      amount: routed.amount,
      royaltyBps: datasets.map((d) => d.royaltyBps),
      datasetRoyaltiesBefore: listingsBefore.map((l) => l!.royalties),
      shares: datasets.map((d) => d.contributors.map((x) => x.shareBps)),
    });
    const withdrawals = new Map<string, bigint>();
    for (const who of [w['site-a'], w['site-b'], w['site-c'], lab]) {
      const { withdrawable } = await market.readDataCreditParts(p.client, { market: marketAddress, account: who.account.address });
      if (withdrawable === 0n) continue;
      const r = await market.withdrawDataCredit(who, { market: marketAddress });
      withdrawals.set(lower(who.account.address), r.amount);
    }
    step('contributors and beneficiary withdrew their credit');
    lap('route');

    // ── consent revoked: the audit, and a new quote without that contributor ───────────────────────────────
    const revokedListing = datasets[1]!;
    const revokedIndex = 1; // site C in the diabetes registry
    const quoteBefore = await market.quote(p.client, { market: marketAddress, listingId: revokedListing.listingId, kind: 'training', purposes: ['research'] });
    const revoke = await market.revokeConsent(w['site-c'], { market: marketAddress, listingId: revokedListing.listingId });
    const quoteAfter = await market.quote(p.client, { market: marketAddress, listingId: revokedListing.listingId, kind: 'training', purposes: ['research'] });
    const audit = await waitFor(
      'the node to index the revocation',
      async () => {
        const r = await request<{ revocations?: Array<{ index: number; models: Array<{ weightsDigest: string }> }> }>('GET', `/v1/data/listings/${revokedListing.listingId}/audit`, { notFound: 'undefined' });
        return r && (r.revocations ?? []).some((x) => x.index === revokedIndex) ? r : undefined;
      },
      20_000,
    );
    const modelsTrainedBefore = (audit.revocations ?? []).filter((x) => x.index === revokedIndex).flatMap((x) => x.models.map((m) => m.weightsDigest as Hex));
    step(`${SITE_NAMES['site-c']} revoked its consent to ${revokedListing.name}: the audit lists ${modelsTrainedBefore.length} model(s) trained before; a new quote covers ${maskIndexes(quoteAfter.includedMask).length} of ${revokedListing.contributors.length} contributors`);
    lap('revocation');

    // ── every balance, from the chain ────────────────────────────────────────────────────────────────────────
    const toBlock = await p.client.getBlockNumber();
    const ev = <N extends 'Credited' | 'Withdrawn' | 'LicenceIssued' | 'RevenueRouted' | 'DatasetRoyalty'>(eventName: N) =>
      p.client.getContractEvents({ address: marketAddress, abi: dataMarketAbi, eventName, fromBlock, toBlock }) as Promise<Array<{ args: Record<string, any> }>>;
    const [credited, withdrawn, issued, routedEv] = await Promise.all([ev('Credited'), ev('Withdrawn'), ev('LicenceIssued'), ev('RevenueRouted')]);
    const ours = new Set(datasets.map((d) => d.listingId.toString()));
    const oursCredits = credited.filter((e) => ours.has(String(e.args.listingId)) || lower(String(e.args.ref)) === lower(trained.weightsDigest));
    const creditOf = (account: Address, reason: (typeof CREDIT_REASONS)[number], listingId?: bigint) =>
      oursCredits
        .filter((e) => lower(e.args.account) === lower(account) && CREDIT_REASONS[Number(e.args.reason)] === reason && (listingId === undefined || BigInt(e.args.listingId) === listingId))
        .reduce((s, e) => s + BigInt(e.args.amount), 0n);
    const withdrawnBy = (account: Address) => withdrawn.filter((e) => lower(e.args.account) === lower(account)).reduce((s, e) => s + BigInt(e.args.amount), 0n);

    const listingsAfter = await Promise.all(datasets.map((d) => market.readListing(p.client, { market: marketAddress, listingId: d.listingId })));
    datasets.forEach((d, j) => {
      d.licenceRevenue = listingsAfter[j]!.revenue;
      d.royalties = listingsAfter[j]!.royalties;
    });
    let exact = true;
    // Royalties are entitlements (royaltyPaidTo): a residual party's last few units may be held, not yet withdrawable.
    const royaltyPaid = await Promise.all(datasets.map((d) => Promise.all(d.contributors.map((x) => market.readRoyaltyPaid(p.client, { market: marketAddress, listingId: d.listingId, index: x.index })))));
    const heldOf = async (a: Address) => (await market.readDataCreditParts(p.client, { market: marketAddress, account: a })).held - (heldBefore.get(lower(a)) ?? 0n);
    const contributors: MedicalDemoResult['contributors'] = [];
    for (const s of ['site-a', 'site-b', 'site-c'] as Site[]) {
      const a = addr(s);
      const perDataset = datasets.flatMap((d, j) =>
        d.contributors
          .filter((x) => lower(x.address) === lower(a))
          .map((x) => {
            const sale = creditOf(a, 'sale', d.listingId);
            const royaltyCredit = royaltyPaid[j]![x.index]!;
            const lic = licences.find((l) => l.listingId === d.listingId)!;
            if (sale !== lic.sale[x.index] || royaltyCredit !== expectedRoute.contributors[j]![x.index]) exact = false;
            return { listingId: d.listingId, index: x.index, sale, royalty: royaltyCredit };
          }),
      );
      const sales = perDataset.reduce((t, x) => t + x.sale, 0n);
      const royalties = perDataset.reduce((t, x) => t + x.royalty, 0n);
      const held = await heldOf(a);
      const withdrawnAmount = withdrawnBy(a);
      if (withdrawnAmount + held !== sales + royalties) exact = false;
      contributors.push({ role: 'contributor', name: SITE_NAMES[s], address: a, sales, royalties, total: sales + royalties, withdrawn: withdrawnAmount, held, perDataset });
    }
    const mrNow = await market.readModelRoyalty(p.client, { market: marketAddress, weightsDigest: trained.weightsDigest });
    const modelRevenue = (mrNow?.revenue ?? 0n) - (mrNow?.datasets ?? []).reduce((t, d) => t + d.paid, 0n);
    const beneficiaryHeld = await heldOf(lab.account.address);
    if (modelRevenue !== expectedRoute.beneficiary || withdrawnBy(lab.account.address) + beneficiaryHeld !== modelRevenue) exact = false;
    datasets.forEach((d, j) => {
      if (d.royalties - listingsBefore[j]!.royalties !== expectedRoute.datasets[j]) exact = false;
    });
    const licenceSpend = issued.filter((e) => ours.has(String(e.args.listingId))).reduce((s, e) => s + BigInt(e.args.price), 0n);
    const inference = routedEv.filter((e) => lower(e.args.weightsDigest) === lower(trained.weightsDigest)).reduce((s, e) => s + BigInt(e.args.amount), 0n);
    const outContributors = contributors.reduce((s, x) => s + x.total, 0n);
    const [marketBalance, totalCredits] = await Promise.all([
      tokenBalance(p.client, { token, owner: marketAddress }),
      p.client.readContract({ address: marketAddress, abi: dataMarketAbi, functionName: 'totalCredits' }) as Promise<bigint>,
    ]);
    const conservation = {
      in: { licences: licenceSpend, inference, total: licenceSpend + inference },
      out: { contributors: outContributors, beneficiary: modelRevenue, total: outContributors + modelRevenue },
      balanced: licenceSpend + inference === outContributors + modelRevenue && inference === clientSpend && marketBalance === totalCredits,
      marketBalance,
      totalCredits,
    };
    lap('balances');

    return {
      chainId: p.client.chain.id,
      market: marketAddress,
      token,
      fromBlock,
      calls,
      pricePerCall: DEMO_PRICE_PER_CALL,
      accounts: [
        ...(['site-a', 'site-b', 'site-c'] as Site[]).map((s): DemoAccount => ({ role: 'contributor', name: SITE_NAMES[s], address: addr(s) })),
        ...datasets.map((d): DemoAccount => ({ role: 'publisher', name: `publisher of ${d.name}`, address: d.publisher })),
        { role: 'buyer', name: 'research lab', address: lab.account.address },
        { role: 'trainer', name: `research lab agent ${trainer.agentId}`, address: lab.account.address },
        { role: 'beneficiary', name: 'research lab (model beneficiary)', address: lab.account.address },
        { role: 'client', name: 'client agent', address: cw.account.address },
        { role: 'vault', name: `model revenue vault (serving agent ${royalty.agentId})`, address: royalty.vault },
        ...(daemon ? [{ role: 'provider' as const, name: `compute provider ${providerId}`, address: p.wallet(DEMO_ACCOUNTS.provider).account.address }] : []),
      ],
      datasets,
      licences,
      model: {
        weightsDigest: trained.weightsDigest,
        name: modelName,
        computeJobId: trained.jobId,
        providerId: providerId!,
        trainerAgentId: trainer.agentId,
        vault: royalty.vault,
        servingAgentId: royalty.agentId,
        beneficiary: lab.account.address,
        revenue: mrNow?.revenue ?? routed.amount,
        toDatasets: routed.toDatasets,
        toBeneficiary: routed.toBeneficiary,
        datasetRoyalties: expectedRoute.datasets,
        metrics: trained.metrics ?? null,
      },
      contributors,
      beneficiary: { role: 'beneficiary', address: lab.account.address, modelRevenue, withdrawn: withdrawals.get(lower(lab.account.address)) ?? 0n, held: beneficiaryHeld },
      buyer: { role: 'buyer', address: lab.account.address, licenceSpend, computeSpend, spend: licenceSpend + computeSpend },
      client: { role: 'client', address: cw.account.address, calls, spend: clientSpend, paidToVault: inference },
      conservation,
      exact,
      consent: {
        revoked: { listingId: revokedListing.listingId, index: revokedIndex, name: SITE_NAMES['site-c'], address: addr('site-c'), txHash: revoke.txHash },
        audit,
        modelsTrainedBefore,
        quoteBefore: { includedMask: quoteBefore.includedMask, price: quoteBefore.price },
        quoteAfter: {
          includedMask: quoteAfter.includedMask,
          price: quoteAfter.price,
          excluded: revokedListing.contributors.filter((x) => ((quoteAfter.includedMask >> BigInt(x.index)) & 1n) === 0n).map((x) => x.address),
        },
      },
      timings,
    };
  } finally {
    await daemon?.stop().catch(() => {});
    if (daemon) await (await import('../../compute/workloads/index.ts')).closeSandboxes().catch(() => {});
  }
}

/** Feature vectors of a dataset's records, for the client's inference calls. */
function sampleFeatures(dir: string): number[][] {
  const out: number[][] = [];
  for (const site of readdirSync(dir).sort()) {
    for (const f of readdirSync(path.join(dir, site)).sort().slice(0, 20)) out.push(patientFeatures(readFileSync(path.join(dir, site, f), 'utf8')).x);
  }
  return out;
}



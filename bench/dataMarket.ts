// The data market: gas per step on a fresh devnet (whole transactions: 21k base and calldata included), with a plain
// mUSD transfer measured in the same run as the baseline; and the speed of licensed delivery — sealing every file to
// the buyer's key (ECIES secp256k1 + AES-256-GCM), framing, opening and verifying each file against the dataset root —
// against hashing the same bytes (what verification alone costs) and a bare AES-256-GCM round trip, in the same run.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { erc20Abi, keccak256, stringToHex, zeroHash, type Address, type Hex } from 'viem';
import { chainNow, heartbeat, offer, postJob, registerProvider, stakeProvider } from '../src/compute/market.ts';
import { seededBytes } from '../src/compute/workloads/index.ts';
import { dataKeyFromPrivateKey } from '../src/data/crypto.ts';
import { receiveDelivery } from '../src/data/delivery.ts';
import { sealDelivery } from '../src/data/deliverySeal.ts';
import {
  bindTrainingRun,
  buyLicence,
  giveConsent,
  giveConsentBySig,
  publishListing,
  registerModelRoyalty,
  routeRevenue,
  signConsent,
  withdrawDataCredit,
} from '../src/data/market.ts';
import { consentScope, type TermsInput } from '../src/data/terms.ts';
import { registerAgent } from '../src/identity/actions/agents.ts';
import { faucet } from '../src/pay/token.ts';
import { registerDataset, registerModel, signModel } from '../src/provenance/actions.ts';
import { hashBytes } from '../src/provenance/hash.ts';
import { buildManifest } from '../src/provenance/manifest.ts';
import { startTestChain } from '../test/helpers/chain.ts';

export type DataGasRow = { step: string; gas: number; ratio: number };
export type DataMarketResult = {
  transferGas: number;
  gas: DataGasRow[];
  /** routeRevenue of 1,000 calls' revenue in one transaction, divided by 1,000. */
  routeGasPerCall: number;
  delivery: { files: number; mb: number; deliveryMBps: number; hashMBps: number; aesMBps: number; vsHash: number; vsAes: number };
};

const M = 1_000_000n;
const digest = (s: string): Hex => keccak256(stringToHex(s));

/**
 * Measures gas per data-market step and licensed delivery throughput.
 * @example
 * const r = await measureDataMarket({ log: console.error })
 */
export async function measureDataMarket({ log = () => {}, files = 64, fileBytes = 1 << 20 }: { log?: (line: string) => void; files?: number; fileBytes?: number } = {}): Promise<DataMarketResult> {
  const delivery = await measureDelivery(files, fileBytes, log);
  const chain = await startTestChain();
  try {
    const { client } = chain;
    const market = chain.address('DataMarket');
    const token = chain.address('SettlementToken');
    const provenance = chain.address('ProvenanceRegistry');
    const compute = chain.address('ComputeMarket');
    const identityRegistry = chain.address('IdentityRegistry');
    const [seller, buyer, operator, beneficiary, relayer] = [chain.wallet(1), chain.wallet(5), chain.wallet(7), chain.wallet(8), chain.wallet(6)];
    const contributors = [chain.wallet(2), chain.wallet(3), chain.wallet(4)];
    const gasOf = async (hash: Hex) => Number((await client.waitForTransactionReceipt({ hash })).gasUsed);
    const rows: Array<{ step: string; gas: number }> = [];
    const record = async (step: string, hash: Hex) => rows.push({ step, gas: await gasOf(hash) });

    await faucet(client, buyer, { token, to: buyer.account.address, amount: 10_000n * M });
    await faucet(client, operator, { token, to: operator.account.address, amount: 1_000n * M });
    await faucet(client, buyer, { token, to: chain.wallet(9).account.address, amount: M });
    const transferGas = await gasOf(await buyer.writeContract({ address: token, abi: erc20Abi, functionName: 'transfer', args: [chain.wallet(9).account.address, M] }));

    log('data: two listings of 3 contributors, consent, licences ...');
    const terms: TermsInput = {
      accessPrice: 10n * M,
      trainingPrice: 50n * M,
      royaltyBps: 1_000,
      trainingAllowed: true,
      commercialUse: true, // a model sold per request is commercial use: its royalty registration needs it
      attribution: true,
      computeOnly: false,
      purposes: ['research', 'public-health'],
      expiry: 0,
      licenceDuration: 0,
      termsDigest: digest('licence text'),
      allowedProviders: [],
    };
    const scope = consentScope({ purposes: ['research', 'public-health'], training: true, commercial: true });
    const listings: bigint[] = [];
    const licences: bigint[] = [];
    for (const [n, name] of ['cardiometabolic', 'registry'].entries()) {
      const root = digest(`bench dataset ${name}`);
      await registerDataset(seller, { registry: provenance, name, root, fileCount: 100n, totalBytes: 100_000n, uri: '' });
      const people = contributors.map((w, i) => ({ account: w.account.address, shareBps: [5_000, 3_000, 2_000][i]!, recordsRoot: digest(`${name} records ${i}`) }));
      const pub = await publishListing(seller, { market, root, terms, contributors: people });
      if (n === 0) await record('publish (3 contributors)', pub.txHash);
      listings.push(pub.listingId);
      // Contributor 0 consents itself; the others sign and the publisher relays their signatures.
      const own = await giveConsent(contributors[0]!, { market, listingId: pub.listingId, documentDigest: digest('consent form'), scope });
      if (n === 0) await record('giveConsent', own.txHash);
      for (const w of contributors.slice(1)) {
        const deadline = (await chainNow(client)) + 3_600;
        const { signature } = await signConsent(w, { market, listingId: pub.listingId, documentDigest: digest('consent form'), scope, deadline });
        const relayed = await giveConsentBySig(relayer, { market, listingId: pub.listingId, account: w.account.address, documentDigest: digest('consent form'), scope, deadline, signature });
        if (n === 0 && w === contributors[1]) await record('giveConsentBySig (relayed)', relayed.txHash);
      }
      const access = await buyLicence(buyer, { market, token, listingId: pub.listingId, kind: 'access', purposes: ['research'] });
      if (n === 0) await record('buy access licence (split 3 ways)', access.txHash);
      const training = await buyLicence(buyer, { market, token, listingId: pub.listingId, kind: 'training', purposes: ['research'] });
      if (n === 0) await record('buy training licence', training.txHash);
      licences.push(training.licenceId);
    }

    log('data: a compute-to-data job bound to both licences, a model and its royalty vault ...');
    const { agentId: providerId } = await registerAgent(client, operator, { identityRegistry, agentURI: 'https://provider.example/agent.json' });
    await registerProvider(operator, { market: compute, agentId: providerId, resources: { deviceKind: 'cpu', region: '', deviceCount: 1, memoryMB: 1_024, pricePerUnit: M } });
    await stakeProvider(operator, { market: compute, token, providerId, amount: 200n * M });
    await heartbeat(operator, { market: compute, providerId });
    const { jobId } = await postJob(buyer, {
      market: compute,
      token,
      spec: {
        workloadDigest: digest('train'),
        inputDigest: digest('data ref'),
        workloadURI: 'data:application/octet-stream;base64,AA==',
        inputURI: 'data:application/octet-stream;base64,AQ==',
        needs: { deviceKind: 'cpu', minMemoryMB: 512 },
        maxPricePerUnit: M,
        units: 1,
        deadline: (await chainNow(client)) + 600,
        bidWindow: 0,
        replicas: 1,
        mode: 'optimistic',
        direct: true,
      },
    });
    await offer(buyer, { market: compute, jobId, providerId, pricePerUnit: M });
    for (const [i, licenceId] of licences.entries()) {
      const bound = await bindTrainingRun(buyer, { market, licenceId, jobId, providerId });
      if (i === 0) await record('bindTrainingRun', bound.txHash);
    }
    const { agentId: trainer } = await registerAgent(client, buyer, { identityRegistry, agentURI: 'https://lab.example/trainer.json' });
    const weightsDigest = digest('bench weights');
    const input = {
      weightsDigest,
      trainerAgentId: trainer,
      configDigest: digest('config'),
      metricsDigest: keccak256(stringToHex('{}')),
      baseModel: zeroHash,
      computeJobId: jobId,
      datasetRoots: [digest('bench dataset cardiometabolic'), digest('bench dataset registry')],
      name: 'bench model',
      metrics: '{}',
      uri: '',
    };
    const signature = await signModel(buyer, { chainId: client.chain.id, registry: provenance, input });
    await registerModel(buyer, { registry: provenance, input, signer: buyer.account.address, signature });
    const reg = await registerModelRoyalty(buyer, { market, weightsDigest, licenceIds: licences, beneficiary: beneficiary.account.address, agentURI: 'https://lab.example/model.json' });
    await record('registerModelRoyalty (vault + agent, 2 datasets)', reg.txHash);

    log('data: routing 1,000 calls of revenue, then withdrawing ...');
    // 1,000 inference calls at 0.01 mUSD land in the vault (x402 settlement pays the vault's agent); one routing.
    await faucet(client, buyer, { token, to: reg.vault as Address, amount: 1_000n * 10_000n });
    const routed = await routeRevenue(relayer, { market, weightsDigest });
    await record('routeRevenue (2 datasets x 3 contributors)', routed.txHash);
    await faucet(client, buyer, { token, to: reg.vault as Address, amount: 10_000n });
    await record('routeRevenue again (one more call)', (await routeRevenue(relayer, { market, weightsDigest })).txHash);
    await record('withdraw', (await withdrawDataCredit(contributors[1]!, { market })).txHash);
    const routeGas = rows.find((r) => r.step.startsWith('routeRevenue ('))!.gas;

    return {
      transferGas,
      gas: rows.map((r) => ({ ...r, ratio: r.gas / transferGas })),
      routeGasPerCall: routeGas / 1_000,
      delivery,
    };
  } finally {
    await chain.stop();
  }
}

async function measureDelivery(files: number, fileBytes: number, log: (line: string) => void) {
  log(`data: delivery of ${files} files of ${fileBytes / (1 << 20)} MiB (seal, frame, open, verify) ...`);
  const blobs = Array.from({ length: files }, (_, i) => seededBytes(1_000 + i, fileBytes));
  const entries = blobs.map((b, i) => ({ path: `site-${i % 3}/p-${String(i).padStart(5, '0')}.bin`, size: String(b.length), root: hashBytes(b).root }));
  const manifest = buildManifest(entries);
  const byPath = new Map(entries.map((e, i) => [e.path, blobs[i]!]));
  const key = dataKeyFromPrivateKey(`0x${randomBytes(32).toString('hex')}` as Hex);
  const mb = (files * fileBytes) / 1e6;

  const timed = async (fn: () => Promise<void> | void) => {
    await fn(); // warm up
    const t0 = performance.now();
    await fn();
    return (performance.now() - t0) / 1000;
  };
  const deliverySeconds = await timed(async () => {
    const body = sealDelivery({ listingId: 1n, licenceId: 1n, manifest, paths: manifest.files.map((f) => f.path), excluded: [], publicKey: key.publicKey, read: async (e) => byPath.get(e.path)! });
    const out = await receiveDelivery({ body, root: manifest.root, listingId: 1n, licenceId: 1n, key });
    if (out.files.length !== files) throw new Error(`delivery returned ${out.files.length} files, expected ${files}`);
  });
  // Baseline 1: the verification floor — hashing every file once (the receiver must do at least this).
  const hashSeconds = await timed(() => {
    for (const b of blobs) hashBytes(b);
  });
  // Baseline 2: a bare AES-256-GCM encrypt + decrypt of the same bytes (no key agreement, no framing, no hashing).
  const aesKey = randomBytes(32);
  const aesSeconds = await timed(() => {
    for (const b of blobs) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', aesKey, iv);
      const ct = Buffer.concat([c.update(b), c.final()]);
      const d = createDecipheriv('aes-256-gcm', aesKey, iv);
      d.setAuthTag(c.getAuthTag());
      Buffer.concat([d.update(ct), d.final()]);
    }
  });
  const deliveryMBps = mb / deliverySeconds;
  const hashMBps = mb / hashSeconds;
  const aesMBps = mb / aesSeconds;
  return { files, mb, deliveryMBps, hashMBps, aesMBps, vsHash: deliveryMBps / hashMBps, vsAes: deliveryMBps / aesMBps };
}

export function dataMarketReport(r: DataMarketResult): string {
  const pad = Math.max(...r.gas.map((g) => g.step.length));
  const gas = r.gas.map((g) => `  ${g.step.padEnd(pad)}  ${g.gas.toLocaleString('en-US').padStart(9)}  ${g.ratio.toFixed(2)}x`).join('\n');
  const d = r.delivery;
  return [
    `Data market gas per transaction (ratio to a plain mUSD transfer, ${r.transferGas.toLocaleString('en-US')} gas, same run)`,
    '',
    gas,
    '',
    `royalty routing per paid inference call (1,000 calls routed at once): ${Math.round(r.routeGasPerCall).toLocaleString('en-US')} gas`,
    '',
    `Licensed delivery, ${d.files} files, ${d.mb.toFixed(0)} MB, one process (seal to the buyer's key, frame, open, verify against the root):`,
    `  delivery ${d.deliveryMBps.toFixed(0)} MB/s · hashing alone ${d.hashMBps.toFixed(0)} MB/s (${d.vsHash.toFixed(2)}x) · bare AES-256-GCM round trip ${d.aesMBps.toFixed(0)} MB/s (${d.vsAes.toFixed(2)}x)`,
  ].join('\n');
}

// Shared by the compute-to-data and model-serving tests: a real node on a test chain with the data marketplace,
// compute (blob store), provenance and x402 parts, and a small synthetic patients dataset published on it (provenance
// registration, listing, consent, records partition on the node).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { keccak256, stringToHex, toHex, type Address, type Hex } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import type { MachinaWalletClient } from '../../src/chain/clients.ts';
import { DEVNET_MNEMONIC } from '../../src/chain/devnet.ts';
import { walletFor } from '../../src/chain/clients.ts';
import { devnetAccount } from '../../src/chain/signer.ts';
import { writePatientRecords } from '../../src/data/examples/patients.ts';
import { giveConsent, publishListing } from '../../src/data/market.ts';
import { consentScope } from '../../src/data/terms.ts';
import { openNodeStore, type NodeStore } from '../../src/node/db/store.ts';
import { identityModule } from '../../src/node/identity/module.ts';
import { startIndexer, type RunningIndexer } from '../../src/node/indexer/indexer.ts';
import { computeModules, startNodeCompute } from '../../src/node/compute/wiring.ts';
import { dataModules, startNodeData } from '../../src/node/data/wiring.ts';
import { payModule } from '../../src/node/pay/module.ts';
import { createPayService, type PayService } from '../../src/node/pay/service.ts';
import { provenanceModules, startNodeProvenance } from '../../src/node/provenance/wiring.ts';
import { startNode, type RunningNode } from '../../src/node/server.ts';
import { faucet, parseTokenAmount } from '../../src/pay/token.ts';
import { hashDirectory } from '../../src/provenance/directory.ts';
import { manifestRoot } from '../../src/provenance/manifest.ts';
import { registerDataset } from '../../src/provenance/actions.ts';
import type { TestChain } from '../helpers/chain.ts';

export { waitFor } from '../node/fixtures/computeNode.ts';

export const devnetKey = (index: number): Hex => toHex(mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: index }).getHdKey().privateKey!);

export type DataNode = { url: string; store: NodeStore; indexer: RunningIndexer; node: RunningNode; pay: PayService; logs: string[]; synced: () => Promise<void>; stop: () => Promise<void> };

/** The node (signer: devnet account 0) with identity, provenance, compute, data and pay parts. */
export async function startDataNode(chain: TestChain): Promise<DataNode> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'machina-c2d-node-'));
  const deployment = chain.deployment;
  const client = chain.client;
  const store = await openNodeStore({ dataDir, modules: [identityModule(), ...provenanceModules(deployment), ...computeModules(deployment), ...dataModules(deployment), payModule()] });
  const indexer = await startIndexer({ client, deployment, store, pollIntervalMs: 50 });
  const logs: string[] = [];
  const log = (l: string) => logs.push(l);
  const signer = walletFor(client, devnetAccount(0));
  const pay = await createPayService({ db: store.db, schema: store.schema, client, wallet: signer, deployment, flushMs: 150, log });
  const provenance = await startNodeProvenance({ client, deployment, db: store.db, schema: store.schema, dataDir, signer: undefined, log });
  const compute = await startNodeCompute({ client, deployment, db: store.db, dataDir, signer: undefined, keeper: false, log });
  const data = startNodeData({ client, deployment, db: store.db, provenance: provenance?.parts.queries });
  const node = await startNode({
    host: '127.0.0.1',
    port: 0,
    deps: (url) => {
      // `data` joins NodeAppDeps with the data routes (a variable: no excess-property check before it does).
      const deps = {
      client,
      deployment,
      version: '0.1.0-test',
      queries: store.queries,
      feed: store.feed,
      hosted: store,
      publicUrl: url,
      log,
      pay: { service: pay },
      provenance: provenance?.parts,
      compute: compute?.parts,
      data,
      };
      return deps;
    },
  });
  return {
    url: node.url,
    store,
    indexer,
    node,
    pay,
    logs,
    synced: async () => {
      await indexer.waitForBlock(await client.getBlockNumber({ cacheTime: 0 }), { timeoutMs: 30_000 });
    },
    stop: async () => {
      await node.close();
      await pay.stop();
      await compute?.stop();
      await provenance?.stop();
      await indexer.stop();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type PublishedPatients = { listingId: bigint; root: Hex; dir: string; records: number };

/**
 * Writes `sites` × `perSite` synthetic patient records, registers the dataset (publisher = first contributor),
 * lists it with a training price and the allowed providers, records every contributor's consent (research +
 * training) and gives the node the records partition.
 */
export async function publishPatients(
  chain: TestChain,
  p: {
    node: DataNode;
    workDir: string;
    name: string;
    contributors: { wallet: MachinaWalletClient; site: string; shareBps: number }[];
    perSite: number;
    seed: number;
    trainingPrice: bigint;
    royaltyBps: number;
    allowedProviders: bigint[];
    /** Terms allow commercial use (a model royalty needs it) and every contributor consents to it. Default false. */
    commercial?: boolean;
  },
): Promise<PublishedPatients> {
  const market = chain.address('DataMarket');
  const registry = chain.address('ProvenanceRegistry');
  const dir = path.join(p.workDir, p.name);
  writePatientRecords(dir, { sites: p.contributors.map((c) => c.site), perSite: p.perSite, seed: p.seed });
  const m = await hashDirectory(dir);
  const publisher = p.contributors[0]!.wallet;
  await registerDataset(publisher, { registry, name: p.name, root: m.root, fileCount: m.files.length, totalBytes: BigInt(m.totalBytes), uri: `${p.node.url}/v1/datasets/${m.root}/manifest` });
  const parts = p.contributors.map((c) => {
    const entries = m.files.filter((f) => f.path.startsWith(`${c.site}/`));
    return { account: c.wallet.account.address as Address, shareBps: c.shareBps, recordsRoot: manifestRoot(entries), paths: entries.map((e) => e.path) };
  });
  const { listingId } = await publishListing(publisher, {
    market,
    root: m.root,
    terms: {
      accessPrice: 0n,
      trainingPrice: p.trainingPrice,
      royaltyBps: p.royaltyBps,
      trainingAllowed: true,
      commercialUse: p.commercial ?? false,
      attribution: true,
      // Compute-only needs named providers (an empty list would let any training buyer receive the records).
      computeOnly: p.allowedProviders.length > 0,
      purposes: ['research'],
      expiry: 0,
      licenceDuration: 0,
      termsDigest: keccak256(stringToHex(`${p.name} terms`)),
      allowedProviders: p.allowedProviders,
    },
    contributors: parts.map(({ account, shareBps, recordsRoot }) => ({ account, shareBps, recordsRoot })),
  });
  const scope = consentScope({ purposes: ['research'], training: true, commercial: p.commercial ?? false });
  for (const c of p.contributors) await giveConsent(c.wallet, { market, listingId, documentDigest: keccak256(stringToHex(`consent ${c.site}`)), scope });
  await p.node.synced();
  const res = await fetch(`${p.node.url}/v1/data/listings/${listingId}/records`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ location: dir, contributors: parts.map((x, index) => ({ index, paths: x.paths })) }),
  });
  if (res.status !== 200) throw new Error(`records PUT answered ${res.status}: ${await res.text()}`);
  return { listingId, root: m.root, dir, records: m.files.length };
}

/** Tokens for `to` from the devnet faucet (the deployer's key sends). */
export async function fund(chain: TestChain, to: Address, whole: string): Promise<void> {
  await faucet(chain.client, chain.wallet(0), { token: chain.address('SettlementToken'), to, amount: parseTokenAmount(whole) });
}

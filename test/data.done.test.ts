// Issue #7's "Done means", on the stack `npm start` runs (startMachine: devnet, deploy, index, node with x402
// settlement, the data module and the compute keeper): ONE command, `machina demo data --calls 1000 --json`, plays
// the seed's medical flow — three hospitals, two consented datasets, a model trained on both by compute-to-data,
// 1,000 paid inference calls, royalties back to every contributor — and every balance it prints is checked here
// against the chain on its own: licence sales from the licences and the terms, royalties from the revenue the vault
// received, withdrawals from the events, with the exact split rules re-derived in this file (not the library's).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { erc20Abi, getAddress, parseAbiItem, type Address, type Hex } from 'viem';
import { dataMarketAbi } from '../src/chain/artifacts/index.ts';
import { loadSettings } from '../src/config/settings.ts';
import { protocolPlan } from '../src/protocol/plan.ts';
import { startMachine, type Machine } from '../src/runtime/machine.ts';
import { runCli } from './helpers/cli.ts';
import { seedEmbeddedDatabase } from './helpers/pglite.ts';

const CALLS = 1_000;
const BPS = 10_000n;
const transferEvent = parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)');
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** What `--json` prints: amounts are decimal strings of base units. */
type Printed = {
  market: Address;
  token: Address;
  fromBlock: string;
  calls: number;
  pricePerCall: string;
  datasets: Array<{ listingId: string; name: string; root: Hex; royaltyBps: number; trainingPrice: string; contributors: Array<{ index: number; address: Address; shareBps: number }>; licenceRevenue: string; royalties: string }>;
  licences: Array<{ licenceId: string; listingId: string; price: string; includedMask: string; sale: string[] }>;
  model: { weightsDigest: Hex; vault: Address; computeJobId: string; revenue: string; toDatasets: string; toBeneficiary: string; datasetRoyalties: string[] };
  contributors: Array<{ name: string; address: Address; sales: string; royalties: string; total: string; withdrawn: string }>;
  beneficiary: { address: Address; modelRevenue: string; withdrawn: string };
  buyer: { address: Address; licenceSpend: string; computeSpend: string; spend: string };
  client: { address: Address; calls: number; spend: string; paidToVault: string };
  conservation: { in: { licences: string; inference: string; total: string }; out: { contributors: string; beneficiary: string; total: string }; balanced: boolean; marketBalance: string; totalCredits: string };
  exact: boolean;
  consent: { revoked: { listingId: string; index: number; address: Address }; modelsTrainedBefore: Hex[]; quoteAfter: { includedMask: string; excluded: Address[] } };
};

/** A sale's split, as the issue and the contract define it: by share among covered contributors, the first covered one takes the remainder. */
function saleSplit(price: bigint, shares: number[], mask: bigint): bigint[] {
  const covered = shares.map((_, i) => i).filter((i) => (mask >> BigInt(i)) & 1n);
  const weight = covered.reduce((s, i) => s + BigInt(shares[i]!), 0n);
  const out = shares.map(() => 0n);
  let rest = price;
  for (const i of covered.slice(1)) {
    out[i] = (price * BigInt(shares[i]!)) / weight;
    rest -= out[i]!;
  }
  out[covered[0]!] = rest;
  return out;
}

/** A cumulative total split by bps, everyone floored but the residual party, who is owed the rest. */
function floorSplit(total: bigint, bps: number[]): bigint[] {
  return bps.map((b) => (total * BigInt(b)) / BPS);
}

describe('data market end to end (issue #7 "Done means")', () => {
  let dir: string;
  let machine: Machine;
  let env: Record<string, string>;
  let printed: Printed;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'machina-issue7-'));
    const settings = loadSettings({ devnetPort: '0', port: '0', dataDir: path.join(dir, 'data'), deploymentsDir: path.join(dir, 'deployments'), fresh: true }, {}, { node: true });
    await seedEmbeddedDatabase(path.join(settings.dataDir, 'node', '31337'));
    machine = await startMachine({ settings, plan: protocolPlan, version: 'test' });
    env = {
      MACHINA_RPC_URL: machine.devnet!.rpcUrl,
      MACHINA_DEPLOYMENTS_DIR: path.join(dir, 'deployments'),
      MACHINA_NODE_URL: machine.node.url,
      MACHINA_DATA_DIR: path.join(dir, 'cli-data'),
    };
  });

  after(async () => {
    await machine?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('`machina demo data --calls 1000 --json` runs the medical flow in one command', async () => {
    const r = await runCli(['demo', 'data', '--calls', String(CALLS), '--json'], env, { timeoutMs: 600_000 });
    assert.equal(r.code, 0, `demo failed (exit ${r.code}):\n${r.stderr.slice(-4000)}\n${r.stdout.slice(-2000)}`);
    printed = r.json<Printed>();
    assert.equal(printed.calls, CALLS);
    assert.equal(printed.datasets.length, 2);
    assert.equal(new Set(printed.contributors.map((c) => c.address.toLowerCase())).size, 3, 'three contributors');
    assert.equal(printed.conservation.balanced, true);
    assert.equal(printed.exact, true);
  });

  it('every balance it prints matches the chain, to the last unit', async (t) => {
    if (!printed) return t.skip('the demo did not run');
    const client = machine.client;
    const market = machine.deployment.contracts.DataMarket!.address;
    const token = machine.deployment.contracts.SettlementToken!.address;
    const compute = machine.deployment.contracts.ComputeMarket!.address;
    assert.ok(same(printed.market, market) && same(printed.token, token));
    const fromBlock = BigInt(printed.fromBlock);
    const events = async <N extends 'Credited' | 'Withdrawn' | 'LicenceIssued' | 'RevenueRouted' | 'DatasetRoyalty'>(eventName: N) =>
      client.getContractEvents({ address: market, abi: dataMarketAbi, eventName, fromBlock, toBlock: 'latest' });
    const transfers = (args: { from?: Address; to?: Address }) => client.getLogs({ address: token, event: transferEvent, args, fromBlock, toBlock: 'latest' });
    const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n);
    const read = <F extends 'getListing' | 'getContributors' | 'getLicence' | 'getModelRoyalty' | 'creditOf' | 'totalCredits' | 'royaltyPaidTo' | 'quote' | 'getTerms'>(functionName: F, args: readonly unknown[] = []) =>
      client.readContract({ address: market, abi: dataMarketAbi, functionName, args } as never) as Promise<any>;

    // Licences: each was bought at the listing's training price and split among the contributors it covers.
    const expectedSales = new Map<string, bigint>();
    const add = (m: Map<string, bigint>, a: string, v: bigint) => m.set(a.toLowerCase(), (m.get(a.toLowerCase()) ?? 0n) + v);
    const issued = await events('LicenceIssued');
    assert.equal(issued.length, printed.licences.length, 'every licence sold in the run is printed');
    const saleCredits = (await events('Credited')).filter((e) => e.args.reason === 0);
    for (const l of printed.licences) {
      const lic = await read('getLicence', [BigInt(l.licenceId)]);
      assert.equal(lic.price, BigInt(l.price), `licence ${l.licenceId} price`);
      assert.equal(lic.includedMask, BigInt(l.includedMask), `licence ${l.licenceId} covered contributors`);
      const terms = await read('getTerms', [lic.listingId]);
      assert.equal(lic.price, lic.kind === 1 ? terms.trainingPrice : terms.accessPrice, `licence ${l.licenceId} was sold at the listed price`);
      const people = (await read('getContributors', [lic.listingId])) as Array<{ account: Address; shareBps: number }>;
      const split = saleSplit(lic.price, people.map((p) => p.shareBps), lic.includedMask);
      assert.deepEqual(l.sale.map(BigInt), split, `licence ${l.licenceId} split as printed`);
      people.forEach((p, i) => add(expectedSales, p.account, split[i]!));
      const credited = saleCredits.filter((e) => e.args.ref === (`0x${BigInt(l.licenceId).toString(16).padStart(64, '0')}` as Hex));
      assert.equal(sum(credited.map((e) => e.args.amount!)), lic.price, `licence ${l.licenceId}: the whole price was credited`);
    }

    // Model revenue: exactly CALLS × price reached the vault from the client, and all of it was routed.
    const price = BigInt(printed.pricePerCall);
    const vault = printed.model.vault;
    const intoVault = sum((await transfers({ to: vault })).map((l) => l.args.value!));
    assert.equal(intoVault, BigInt(CALLS) * price, `the vault received ${CALLS} paid calls`);
    const fromClient = sum((await transfers({ from: printed.client.address, to: vault })).map((l) => l.args.value!));
    assert.equal(fromClient, intoVault, 'all of it from the client agent');
    assert.equal(BigInt(printed.client.spend), fromClient);
    assert.equal(BigInt(printed.client.paidToVault), intoVault);
    assert.equal(await client.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [vault] }), 0n, 'the vault was emptied by routing');
    const royalty = await read('getModelRoyalty', [printed.model.weightsDigest]);
    const revenue = royalty.revenue as bigint;
    assert.equal(revenue, intoVault);
    assert.equal(BigInt(printed.model.revenue), revenue);
    assert.equal(sum((await events('RevenueRouted')).map((e) => e.args.amount!)), revenue);

    // Datasets' royalties: floor(R × bps) each; the beneficiary is owed the rest.
    const datasetRoyalty = floorSplit(revenue, (royalty.royaltyBps as number[]).map(Number));
    assert.deepEqual(royalty.paid, datasetRoyalty, 'per-dataset royalties on chain');
    assert.deepEqual(printed.model.datasetRoyalties.map(BigInt), datasetRoyalty, 'per-dataset royalties printed');
    assert.equal(BigInt(printed.model.toDatasets), sum(datasetRoyalty));
    assert.equal(BigInt(printed.model.toBeneficiary), revenue - sum(datasetRoyalty));
    assert.equal(BigInt(printed.beneficiary.modelRevenue), revenue - sum(datasetRoyalty));

    // Contributors' royalties: each dataset's royalty split by share, contributor 0 owed the rest.
    const expectedRoyalties = new Map<string, bigint>();
    for (const [j, listingId] of (royalty.listingIds as bigint[]).entries()) {
      const d = printed.datasets.find((x) => BigInt(x.listingId) === listingId)!;
      assert.equal(BigInt(d.royalties), datasetRoyalty[j], `dataset ${d.name}: royalties printed`);
      assert.equal((await read('getListing', [listingId])).royalties, datasetRoyalty[j], `dataset ${d.name}: royalties on chain`);
      const people = (await read('getContributors', [listingId])) as Array<{ account: Address; shareBps: number }>;
      const floors = floorSplit(datasetRoyalty[j]!, people.map((p) => p.shareBps));
      const owed = people.map((_, i) => (i === 0 ? datasetRoyalty[j]! - sum(floors.slice(1)) : floors[i]!));
      for (const [i, p] of people.entries()) {
        assert.equal(await read('royaltyPaidTo', [listingId, BigInt(i)]), owed[i], `dataset ${d.name}: contributor ${i}'s royalty`);
        add(expectedRoyalties, p.account, owed[i]!);
      }
      // Licence revenue per dataset = the prices of its licences.
      const revenueOf = sum(printed.licences.filter((l) => BigInt(l.listingId) === listingId).map((l) => BigInt(l.price)));
      assert.equal(BigInt(d.licenceRevenue), revenueOf);
      assert.equal((await read('getListing', [listingId])).revenue, revenueOf);
    }

    // Each contributor: sales + royalties = total; withdrawn per the Withdrawn events; the rest is still credited.
    const withdrawals = await events('Withdrawn');
    for (const c of printed.contributors) {
      const sales = expectedSales.get(c.address.toLowerCase()) ?? 0n;
      const royalties = expectedRoyalties.get(c.address.toLowerCase()) ?? 0n;
      assert.equal(BigInt(c.sales), sales, `${c.name}: licence sales`);
      assert.equal(BigInt(c.royalties), royalties, `${c.name}: royalties`);
      assert.equal(BigInt(c.total), sales + royalties, `${c.name}: total`);
      const withdrawn = sum(withdrawals.filter((e) => same(e.args.account!, c.address)).map((e) => e.args.amount!));
      assert.equal(BigInt(c.withdrawn), withdrawn, `${c.name}: withdrawn`);
      assert.equal(withdrawn + (await read('creditOf', [c.address])), sales + royalties, `${c.name}: withdrawn + still credited = earned`);
      assert.ok(withdrawn > 0n, `${c.name} was paid`);
    }
    const beneficiaryWithdrawn = sum(withdrawals.filter((e) => same(e.args.account!, printed.beneficiary.address)).map((e) => e.args.amount!));
    assert.equal(BigInt(printed.beneficiary.withdrawn), beneficiaryWithdrawn);
    assert.equal(beneficiaryWithdrawn + (await read('creditOf', [printed.beneficiary.address])), revenue - sum(datasetRoyalty));

    // The buyer paid the licences to the data market and its compute job to the compute market (net of refunds).
    const buyer = printed.buyer.address;
    const licenceSpend = sum((await transfers({ from: buyer, to: market })).map((l) => l.args.value!));
    assert.equal(BigInt(printed.buyer.licenceSpend), licenceSpend);
    assert.equal(licenceSpend, sum(printed.licences.map((l) => BigInt(l.price))));
    const computeNet = sum((await transfers({ from: buyer, to: compute })).map((l) => l.args.value!)) - sum((await transfers({ from: compute, to: buyer })).map((l) => l.args.value!));
    assert.equal(BigInt(printed.buyer.computeSpend), computeNet);
    assert.equal(BigInt(printed.buyer.spend), licenceSpend + computeNet);

    // Conservation: what came in (licences + inference) is what the contributors and the beneficiary earned, and the
    // market holds exactly what it still owes.
    const inTotal = licenceSpend + revenue;
    const outTotal = sum([...expectedSales.values()]) + sum([...expectedRoyalties.values()]) + (revenue - sum(datasetRoyalty));
    assert.equal(inTotal, outTotal, 'every unit that came in was credited to someone');
    assert.equal(BigInt(printed.conservation.in.total), inTotal);
    assert.equal(BigInt(printed.conservation.out.total), outTotal);
    const marketBalance = await client.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [market] });
    assert.equal(marketBalance, await read('totalCredits'));
    assert.equal(BigInt(printed.conservation.marketBalance), marketBalance);

    // Consent: the revoked contributor is out of the next quote, and the audit names the model trained before.
    const revoked = printed.consent.revoked;
    const [, mask] = (await read('quote', [BigInt(revoked.listingId), 1, 1])) as [bigint, bigint, number];
    assert.equal((mask >> BigInt(revoked.index)) & 1n, 0n, 'a new sale leaves the revoked contributor out');
    assert.equal(BigInt(printed.consent.quoteAfter.includedMask), mask);
    assert.deepEqual(printed.consent.quoteAfter.excluded.map(getAddress), [getAddress(revoked.address)]);
    const audit = (await (await fetch(`${machine.node.url}/v1/data/listings/${revoked.listingId}/audit`)).json()) as { revocations: Array<{ account: Address; models: Array<{ weightsDigest: Hex }> }> };
    const rev = audit.revocations.find((x) => same(x.account, revoked.address));
    assert.ok(rev, 'the audit lists the revocation');
    assert.deepEqual(rev.models.map((m) => m.weightsDigest), [printed.model.weightsDigest], 'and the model trained before it');
    assert.deepEqual(printed.consent.modelsTrainedBefore, [printed.model.weightsDigest]);
  });
});

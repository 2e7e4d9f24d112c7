// The DataMarket's typed actions against the deployed protocol on a real devnet: bad input is refused naming the
// field before any transaction; a listing is published; contributors consent by transaction and by a relayed EIP-712
// signature; access and training licences are quoted and bought with the price split exactly among the consenting
// contributors; a consent landing between quote and buy is refused (ConsentChanged); a training licence is bound to
// a direct compute job; a model's royalty split is registered, its revenue routed and every party withdraws exactly
// what the pure splits say; the market's balance always equals what it owes.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bytesToHex, erc20Abi, keccak256, stringToHex, zeroHash, type Address, type Hex } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { DEVNET_MNEMONIC } from '../../src/chain/devnet.ts';
import { dataKeyFromPrivateKey } from '../../src/data/crypto.ts';
import { fetchLicensedData } from '../../src/data/delivery.ts';
import { DELIVERY_CONTENT_TYPE } from '../../src/data/deliveryFormat.ts';
import { verifyDeliveryRequest } from '../../src/data/deliveryRequest.ts';
import { sealDelivery } from '../../src/data/deliverySeal.ts';
import { patientRecords } from '../../src/data/examples/patients.ts';
import { hashBytes } from '../../src/provenance/hash.ts';
import { buildManifest } from '../../src/provenance/manifest.ts';
import * as artifacts from '../../src/chain/artifacts/index.ts';
import { dataMarketAbi } from '../../src/chain/artifacts/index.ts';
import type { MachinaWalletClient } from '../../src/chain/clients.ts';
import { chainNow, heartbeat, offer, postJob, registerProvider, stakeProvider } from '../../src/compute/market.ts';
import { DataRevertError, DataVerificationError, InvalidDataInputError, isDataRevert, asDataError } from '../../src/data/errors.ts';
import {
  bindTrainingRun,
  buyLicence,
  giveConsent,
  giveConsentBySig,
  listingOfRoot,
  publishListing,
  quote,
  readDataCredit,
  readDataCreditParts,
  readDataMarketInfo,
  readLicence,
  readListing,
  readModelRoyalty,
  readRoyaltyPaid,
  registerModelRoyalty,
  revokeConsent,
  routeRevenue,
  setActive,
  signConsent,
  withdrawDataCredit,
} from '../../src/data/market.ts';
import { routeRevenueCredits, splitSale } from '../../src/data/split.ts';
import { consentScope, type ContributorInput } from '../../src/data/terms.ts';
import { formatError } from '../../src/errors/index.ts';
import { registerAgent } from '../../src/identity/actions/agents.ts';
import { faucet, tokenBalance } from '../../src/pay/token.ts';
import { registerDataset, registerModel, signModel } from '../../src/provenance/actions.ts';
import { startTestChain, type TestChain } from '../helpers/chain.ts';
import { contributorsOf, digestOf as digest, termsWith } from './fixtures.ts';

const M = 1_000_000n;

describe('data market actions', () => {
  let chain: TestChain;
  let market: Address;
  let token: Address;
  let provenance: Address;
  let seller: MachinaWalletClient;
  let contributors: MachinaWalletClient[]; // A, B, C
  let buyer: MachinaWalletClient;
  let relayer: MachinaWalletClient;
  let operator: MachinaWalletClient;
  let beneficiary: MachinaWalletClient;
  const root = digest('dataset:patients-v1');
  const shares = [5_000, 3_000, 2_000];
  let listingId: bigint;
  let trainingLicence: bigint;
  let jobId: bigint;
  let providerId: bigint;

  const terms = termsWith({ accessPrice: 10n * M + 1n, trainingPrice: 50n * M + 3n, royaltyBps: 1_500, licenceDuration: 0 });
  const people = (): ContributorInput[] => contributorsOf(contributors.map((w) => w.account.address), shares);
  const nonceOf = (w: MachinaWalletClient) => chain.client.getTransactionCount({ address: w.account.address });
  const balanceOf = (owner: Address) => tokenBalance(chain.client, { token, owner });
  const credits = () => Promise.all(contributors.map((w) => readDataCredit(chain.client, { market, account: w.account.address })));
  const assertSolvent = async () => {
    const { totalCredits } = await readDataMarketInfo(chain.client, { market });
    assert.equal(await balanceOf(market), totalCredits, 'the market holds exactly what it owes');
  };

  before(async () => {
    chain = await startTestChain();
    token = chain.address('SettlementToken');
    provenance = chain.address('ProvenanceRegistry');
    market = chain.deployment.contracts.DataMarket?.address ?? (await deployDataMarket(chain));
    [seller, buyer, relayer, operator, beneficiary] = [chain.wallet(1), chain.wallet(5), chain.wallet(6), chain.wallet(7), chain.wallet(8)];
    contributors = [chain.wallet(2), chain.wallet(3), chain.wallet(4)];
    await faucet(chain.client, buyer, { token, to: buyer.account.address, amount: 1_000n * M });
    await faucet(chain.client, operator, { token, to: operator.account.address, amount: 1_000n * M });
    await registerDataset(seller, { registry: provenance, name: 'patients', root, fileCount: 30n, totalBytes: 4_096n, uri: 'https://hospital.example/patients' });
  });
  after(async () => chain?.stop());

  it('refuses bad input naming the field, before any transaction', async () => {
    const [sellerNonce, buyerNonce] = [await nonceOf(seller), await nonceOf(buyer)];
    const refused = async (p: Promise<unknown>, field: string, reason?: RegExp) =>
      assert.rejects(p, (e: unknown) => {
        assert.ok(e instanceof InvalidDataInputError, `expected InvalidDataInputError, got ${formatError(e)}`);
        assert.equal(e.field, field, e.message);
        if (reason) assert.match(e.message, reason);
        return true;
      });
    const bad = people();
    bad[2]!.shareBps = 1_000;
    await refused(publishListing(seller, { market, root, terms: terms(), contributors: bad }), 'contributors', /shares sum to 9,000 bps; they must sum to 10,000 \(100%\)/);
    await refused(publishListing(seller, { market, root, terms: terms({ royaltyBps: 12_000 }), contributors: people() }), 'terms.royaltyBps');
    await refused(publishListing(seller, { market, root, terms: terms({ purposes: ['research', 'marketing'] }), contributors: people() }), 'terms.purposes[1]', /unknown purpose "marketing"/);
    await refused(publishListing(seller, { market, root, terms: terms({ expiry: 1_000 }), contributors: people() }), 'terms.expiry');
    await refused(publishListing(seller, { market, root: zeroHash, terms: terms(), contributors: people() }), 'root');
    await refused(publishListing(seller, { market: '0x12' as Address, root, terms: terms(), contributors: people() }), 'market');
    await refused(giveConsent(contributors[0]!, { market, listingId: 1n, documentDigest: zeroHash, scope: 1 }), 'documentDigest');
    await refused(giveConsent(contributors[0]!, { market, listingId: 0n, documentDigest: digest('doc'), scope: 1 }), 'listingId');
    await refused(giveConsent(contributors[0]!, { market, listingId: 1n, documentDigest: digest('doc'), scope: 0 }), 'scope');
    await refused(buyLicence(buyer, { market, token, listingId: 1n, kind: 'lease' as 'access', purposes: ['research'] }), 'kind');
    await refused(buyLicence(buyer, { market, token, listingId: 1n, kind: 'access', purposes: [] }), 'purposes');
    await refused(buyLicence(buyer, { market, token, listingId: 1n, kind: 'access', purposes: ['research'], maxPrice: -1n }), 'maxPrice');
    await refused(registerModelRoyalty(buyer, { market, weightsDigest: digest('w'), licenceIds: [1n, 1n], beneficiary: buyer.account.address, agentURI: 'x' }), 'licenceIds[1]');
    await refused(withdrawDataCredit(buyer, { market, to: '0x0000000000000000000000000000000000000000' }), 'to');
    assert.equal(await nonceOf(seller), sellerNonce);
    assert.equal(await nonceOf(buyer), buyerNonce);
  });

  it('publishes a listing and reads it back with purpose names and contributors', async () => {
    // Only the dataset's registrant may list it: the revert reads as a sentence.
    await assert.rejects(publishListing(buyer, { market, root, terms: terms(), contributors: people() }), (e: unknown) => {
      assert.ok(e instanceof DataRevertError && e.reason === 'NotRegistrant', formatError(e));
      assert.match(e.message, /^publish reverted: 0x[0-9a-fA-F]{40} did not register dataset 0x[0-9a-f]{64} \(its registrant is 0x[0-9a-fA-F]{40}\) \(NotRegistrant\)$/);
      return true;
    });
    // Commercial terms: the model royalty below earns revenue, which needs a commercial training licence.
    ({ listingId } = await publishListing(seller, { market, root, terms: terms({ commercialUse: true }), contributors: people() }));
    assert.equal(listingId, 1n);
    assert.equal(await listingOfRoot(chain.client, { market, root }), listingId);
    assert.equal(await listingOfRoot(chain.client, { market, root: digest('nothing') }), null);
    const l = await readListing(chain.client, { market, listingId });
    assert.ok(l);
    assert.equal(l.root, root);
    assert.equal(l.owner, seller.account.address);
    assert.equal(l.active, true);
    assert.equal(l.parentId, null);
    assert.equal(l.consentEpoch, 0);
    assert.deepEqual(l.terms.purposes, ['research', 'public-health']);
    assert.equal(l.terms.accessPrice, 10n * M + 1n);
    assert.deepEqual(l.contributors.map((c) => [c.account, c.shareBps, c.consent]), people().map((c) => [c.account, c.shareBps, null]));
    assert.equal(await readListing(chain.client, { market, listingId: 99n }), null);
    await assert.rejects(publishListing(seller, { market, root, terms: terms(), contributors: people() }), (e: unknown) => isDataRevert(e, 'AlreadyListed'));
  });

  it('records consent by transaction and by a relayed signature', async () => {
    const [a, b, c] = contributors as [MachinaWalletClient, MachinaWalletClient, MachinaWalletClient];
    const r1 = await giveConsent(a, { market, listingId, documentDigest: digest('consent A'), scope: consentScope({ purposes: ['research', 'public-health'], training: true, commercial: true }) });
    assert.deepEqual([r1.index, r1.epoch], [0, 1]);

    const now = await chainNow(chain.client);
    const scopeB = consentScope({ purposes: ['research'], training: true, commercial: true });
    const signed = await signConsent(b, { market, listingId, documentDigest: digest('consent B'), scope: scopeB, deadline: now + 3_600 });
    assert.equal(signed.account, b.account.address);
    // A signature relayed for another account, or with another scope, is not that account's consent.
    await assert.rejects(
      giveConsentBySig(relayer, { market, listingId, account: c.account.address, documentDigest: digest('consent B'), scope: scopeB, deadline: now + 3_600, signature: signed.signature }),
      (e: unknown) => e instanceof DataRevertError && e.reason === 'InvalidConsentSignature',
    );
    await assert.rejects(
      giveConsentBySig(relayer, { market, listingId, account: b.account.address, documentDigest: digest('consent B'), scope: scopeB, deadline: now - 10, signature: signed.signature }),
      (e: unknown) => e instanceof InvalidDataInputError && e.field === 'deadline',
    );
    const r2 = await giveConsentBySig(relayer, { market, listingId, account: b.account.address, documentDigest: digest('consent B'), scope: scopeB, deadline: now + 3_600, signature: signed.signature });
    assert.deepEqual([r2.index, r2.epoch], [1, 2]);

    const r3 = await giveConsent(c, { market, listingId, documentDigest: digest('consent C'), scope: consentScope({ purposes: ['research'], training: false, commercial: true }) });
    assert.deepEqual([r3.index, r3.epoch], [2, 3]);
    await assert.rejects(giveConsent(c, { market, listingId, documentDigest: digest('again'), scope: 1 }), (e: unknown) => isDataRevert(e, 'ConsentAlreadyGiven'));
    await assert.rejects(giveConsent(buyer, { market, listingId, documentDigest: digest('x'), scope: 1 }), (e: unknown) => e instanceof DataRevertError && e.reason === 'NotContributor' && /is not a contributor of listing 1/.test(e.message));

    const l = (await readListing(chain.client, { market, listingId }))!;
    assert.equal(l.consentEpoch, 3);
    assert.deepEqual(l.contributors.map((x) => x.consent?.scopeNames), [['research', 'public-health', 'training', 'commercial'], ['research', 'training', 'commercial'], ['research', 'commercial']]);
    assert.equal(l.contributors[1]!.consent!.documentDigest, digest('consent B'));
    assert.ok(l.contributors.every((x) => x.consent!.inForce && x.consent!.givenAt > 0));
  });

  it('quotes and sells licences, splitting each price exactly among the consenting contributors', async () => {
    const access = await quote(chain.client, { market, listingId, kind: 'access', purposes: ['research'] });
    assert.deepEqual(access, { price: 10n * M + 1n, includedMask: 0b111n, consentEpoch: 3 });
    assert.equal((await quote(chain.client, { market, listingId, kind: 'access', purposes: ['public-health'] })).includedMask, 0b001n);
    const training = await quote(chain.client, { market, listingId, kind: 'training', purposes: ['research'] });
    assert.equal(training.includedMask, 0b011n);
    await assert.rejects(quote(chain.client, { market, listingId, kind: 'access', purposes: ['education'] }), (e: unknown) => isDataRevert(e, 'PurposesNotAllowed'));

    const before = { buyer: await balanceOf(buyer.account.address), credits: await credits() };
    const bought = await buyLicence(buyer, { market, token, listingId, kind: 'access', purposes: ['research'] });
    assert.equal(bought.price, access.price);
    assert.equal(bought.includedMask, 0b111n);
    assert.equal(await balanceOf(buyer.account.address), before.buyer - access.price);
    // The approval was exactly the price: nothing is left to spend.
    assert.equal(await chain.client.readContract({ address: token, abi: erc20Abi, functionName: 'allowance', args: [buyer.account.address, market] }), 0n);
    const sale = splitSale(access.price, shares, bought.includedMask);
    assert.deepEqual(sale, [5n * M + 1n, 3n * M, 2n * M]);
    assert.deepEqual((await credits()).map((x, i) => x - before.credits[i]!), sale);

    const lic = await readLicence(chain.client, { market, licenceId: bought.licenceId });
    assert.ok(lic);
    assert.equal(lic.holder, buyer.account.address);
    assert.equal(lic.kind, 'access');
    assert.deepEqual(lic.purposes, ['research']);
    assert.equal(lic.valid, true);
    assert.equal(lic.jobId, null);
    assert.equal(await readLicence(chain.client, { market, licenceId: 999n }), null);

    const mid = await credits();
    const t = await buyLicence(buyer, { market, token, listingId, kind: 'training', purposes: ['research'], maxPrice: 60n * M });
    trainingLicence = t.licenceId;
    assert.equal(t.includedMask, 0b011n);
    // 50,000,003 among A (5,000) and B (3,000): B floor(50,000,003 * 3/8) = 18,750,001, A the remainder.
    assert.deepEqual((await credits()).map((x, i) => x - mid[i]!), [31_250_002n, 18_750_001n, 0n]);
    assert.deepEqual(splitSale(t.price, shares, t.includedMask), [31_250_002n, 18_750_001n, 0n]);
    await assert.rejects(buyLicence(buyer, { market, token, listingId, kind: 'training', purposes: ['research'], maxPrice: 1n }), (e: unknown) => e instanceof DataRevertError && e.reason === 'PriceAboveMax');
    await assertSolvent();
  });

  it('refuses a sale when a consent lands between the quote and the buy (ConsentChanged)', async () => {
    const q = await quote(chain.client, { market, listingId, kind: 'access', purposes: ['research'] });
    const c = contributors[2]!;
    const revoked = await revokeConsent(c, { market, listingId });
    assert.deepEqual([revoked.index, revoked.epoch], [2, q.consentEpoch + 1]);
    const [nonce, balance] = [await nonceOf(buyer), await balanceOf(buyer.account.address)];
    await assert.rejects(buyLicence(buyer, { market, token, listingId, kind: 'access', purposes: ['research'], expectedConsentEpoch: q.consentEpoch }), (e: unknown) => {
      assert.ok(e instanceof DataRevertError, formatError(e));
      assert.equal(e.reason, 'ConsentChanged');
      assert.equal(e.message, `buy reverted: consent or terms changed since the quote (epoch ${q.consentEpoch} → ${q.consentEpoch + 1}): a contributor gave or revoked consent, or the seller changed the terms; quote again (ConsentChanged)`);
      return true;
    });
    assert.equal(await nonceOf(buyer), nonce, 'refused before the approval');
    assert.equal(await balanceOf(buyer.account.address), balance);
    // The contract refuses the same way when the stale epoch reaches it.
    await assert.rejects(
      chain.client.simulateContract({ address: market, abi: dataMarketAbi, functionName: 'buy', args: [listingId, 0, 1, 20n * M, q.consentEpoch], account: buyer.account }).catch((e) => {
        throw asDataError(e, 'buy');
      }),
      (e: unknown) => e instanceof DataRevertError && e.reason === 'ConsentChanged',
    );
    // A fresh quote leaves the revoked contributor out.
    assert.equal((await quote(chain.client, { market, listingId, kind: 'access', purposes: ['research'] })).includedMask, 0b011n);
    await assert.rejects(revokeConsent(c, { market, listingId }), (e: unknown) => isDataRevert(e, 'ConsentAlreadyRevoked'));
  });

  it('delists and relists', async () => {
    await setActive(seller, { market, listingId, active: false });
    await assert.rejects(quote(chain.client, { market, listingId, kind: 'access', purposes: ['research'] }), (e: unknown) => isDataRevert(e, 'ListingInactive'));
    await assert.rejects(setActive(buyer, { market, listingId, active: true }), (e: unknown) => isDataRevert(e, 'NotListingOwner'));
    await setActive(seller, { market, listingId, active: true });
    assert.equal((await readListing(chain.client, { market, listingId }))!.active, true);
  });

  it('binds a training licence to a direct compute job offered to a provider', async () => {
    const compute = chain.address('ComputeMarket');
    ({ agentId: providerId } = await registerAgent(chain.client, operator, { identityRegistry: chain.address('IdentityRegistry'), agentURI: 'https://provider.example/agent.json' }));
    await registerProvider(operator, { market: compute, agentId: providerId, resources: { deviceKind: 'cpu', region: '', deviceCount: 2, memoryMB: 4_096, pricePerUnit: M } });
    await stakeProvider(operator, { market: compute, token, providerId, amount: 200n * M });
    await heartbeat(operator, { market: compute, providerId });
    ({ jobId } = await postJob(buyer, {
      market: compute,
      token,
      spec: {
        workloadDigest: digest('train'),
        inputDigest: digest('machina-data ref'),
        workloadURI: 'data:application/octet-stream;base64,AA==',
        inputURI: 'data:application/octet-stream;base64,AQ==',
        needs: { deviceKind: 'cpu', minMemoryMB: 1_024 },
        maxPricePerUnit: 2n * M,
        units: 1,
        deadline: (await chainNow(chain.client)) + 600,
        bidWindow: 0,
        replicas: 1,
        mode: 'optimistic',
        direct: true,
      },
    }));
    await assert.rejects(bindTrainingRun(buyer, { market, licenceId: trainingLicence, jobId, providerId }), (e: unknown) => e instanceof DataRevertError && e.reason === 'ProviderNotOffered' && /was neither offered nor assigned job/.test(e.message));
    await offer(buyer, { market: compute, jobId, providerId, pricePerUnit: M });
    await assert.rejects(bindTrainingRun(relayer, { market, licenceId: trainingLicence, jobId, providerId }), (e: unknown) => isDataRevert(e, 'NotLicenceHolder'));
    await bindTrainingRun(buyer, { market, licenceId: trainingLicence, jobId, providerId });
    const lic = (await readLicence(chain.client, { market, licenceId: trainingLicence }))!;
    assert.deepEqual([lic.kind, lic.jobId, lic.providerId, lic.model], ['training', jobId, providerId, null]);
    await assert.rejects(bindTrainingRun(buyer, { market, licenceId: trainingLicence, jobId, providerId }), (e: unknown) => isDataRevert(e, 'LicenceAlreadyBound'));
  });

  it('with reuse, returns a valid unused licence already held instead of buying again (a retry never pays twice)', async () => {
    // The access licence of the sale above: returned, nothing sent, nothing paid.
    const [nonce, balance] = [await nonceOf(buyer), await balanceOf(buyer.account.address)];
    const again = await buyLicence(buyer, { market, token, listingId, kind: 'access', purposes: ['research'], reuse: true });
    assert.equal(again.reused, true);
    assert.equal(again.price, 0n);
    const held = (await readLicence(chain.client, { market, licenceId: again.licenceId }))!;
    assert.deepEqual([held.holder, held.kind, held.purposes, held.valid], [buyer.account.address, 'access', ['research'], true]);
    assert.equal(await nonceOf(buyer), nonce, 'no transaction');
    assert.equal(await balanceOf(buyer.account.address), balance);

    // Two calls at once (an agent retrying before the first answer): one licence is bought, the other call returns it.
    const [a, b] = await Promise.all([
      buyLicence(buyer, { market, token, listingId, kind: 'access', purposes: ['public-health'], reuse: true }),
      buyLicence(buyer, { market, token, listingId, kind: 'access', purposes: ['public-health'], reuse: true }),
    ]);
    assert.equal(a.licenceId, b.licenceId);
    assert.deepEqual([a.reused, b.reused], [false, true]);
    assert.ok(a.price > 0n);
    assert.equal(b.price, 0n);

    // Other purposes or kind are another purchase; so is a training licence already bound to a compute job.
    const t = await buyLicence(buyer, { market, token, listingId, kind: 'training', purposes: ['research'], reuse: true });
    assert.equal(t.reused, false, 'the held training licence is bound: not reusable');
    assert.notEqual(t.licenceId, trainingLicence);
    assert.deepEqual(await buyLicence(buyer, { market, token, listingId, kind: 'training', purposes: ['research'], reuse: true }), { ...t, price: 0n, reused: true });
    // Without reuse (the default) it buys again.
    const extra = await buyLicence(buyer, { market, token, listingId, kind: 'access', purposes: ['research'] });
    assert.equal(extra.reused, false);
    assert.notEqual(extra.licenceId, again.licenceId);
    await assertSolvent();
  });

  it('delivers a licensed dataset verified against its on-chain root, to the licence holder only', async () => {
    // A real dataset: its manifest root is what the ProvenanceRegistry and the listing record.
    const files = new Map<string, Uint8Array>();
    for (const site of ['north', 'south']) {
      patientRecords({ site, count: 3, seed: 2 }).forEach((r, i) => files.set(`${site}/p-0000${i + 1}.json`, new TextEncoder().encode(`${JSON.stringify(r)}\n`)));
    }
    const manifest = buildManifest([...files].map(([p, b]) => ({ path: p, size: String(b.length), root: hashBytes(b).root })));
    const part = (site: string) => buildManifest(manifest.files.filter((f) => f.path.startsWith(`${site}/`))).root;
    await registerDataset(seller, { registry: provenance, name: 'patients-small', root: manifest.root, fileCount: 6n, totalBytes: BigInt(manifest.totalBytes), uri: '' });
    const [a, b] = contributors as [MachinaWalletClient, MachinaWalletClient];
    const { listingId: id } = await publishListing(seller, {
      market,
      root: manifest.root,
      terms: terms(),
      contributors: [
        { account: a.account.address, shareBps: 6_000, recordsRoot: part('north') },
        { account: b.account.address, shareBps: 4_000, recordsRoot: part('south') },
      ],
    });
    await giveConsent(a, { market, listingId: id, documentDigest: digest('consent'), scope: consentScope({ purposes: ['research'], training: false, commercial: false }) });
    const { licenceId } = await buyLicence(buyer, { market, token, listingId: id, kind: 'access', purposes: ['research'] });

    // The seller's node (here a minimal one): the signer must hold the licence; only covered contributors' files go.
    const server = createServer(async (req, res) => {
      const parts: Buffer[] = [];
      for await (const c of req) parts.push(c as Buffer);
      const { request, address: who, publicKey } = await verifyDeliveryRequest(JSON.parse(Buffer.concat(parts).toString('utf8')), { chainId: chain.client.chain.id, market });
      const lic = await readLicence(chain.client, { market, licenceId: BigInt(request.licenceId) });
      if (!lic || lic.holder !== who) {
        res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'NOT_LICENSED', message: `key ${who} holds no licence ${request.licenceId}` } }));
        return;
      }
      res.writeHead(200, { 'content-type': DELIVERY_CONTENT_TYPE });
      const paths = manifest.files.map((f) => f.path).filter((p) => p.startsWith('north/'));
      const excluded = [{ index: 1, account: b.account.address, files: 3 }];
      for await (const frame of sealDelivery({ listingId: request.listingId, licenceId: request.licenceId, manifest, paths, excluded, publicKey, read: async (e) => files.get(e.path)! })) res.write(frame);
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const nodeUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const out = mkdtempSync(path.join(tmpdir(), 'licensed-'));
    try {
      const hd = (i: number) => bytesToHex(mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: i }).getHdKey().privateKey!);
      const key = dataKeyFromPrivateKey(hd(5));
      assert.equal(key.address, buyer.account.address);
      const r = await fetchLicensedData({ nodeUrl, client: chain.client, market, provenance, licenceId, key, outDir: out });
      assert.equal(r.verified, true);
      assert.equal(r.root, manifest.root);
      assert.deepEqual(r.files.map((f) => f.path), ['north/p-00001.json', 'north/p-00002.json', 'north/p-00003.json']);
      assert.deepEqual(r.excluded, [{ index: 1, account: b.account.address, files: 3 }]);
      assert.deepEqual(new Uint8Array(readFileSync(path.join(out, 'north/p-00002.json'))), files.get('north/p-00002.json'));
      // Another key is refused by the node, with its code.
      await assert.rejects(fetchLicensedData({ nodeUrl, client: chain.client, market, provenance, licenceId, key: dataKeyFromPrivateKey(hd(6)) }), (e: unknown) => (e as { code?: string }).code === 'NOT_LICENSED');
      // The first listing's root has no such files: a node serving this manifest for it fails verification.
      await assert.rejects(fetchLicensedData({ nodeUrl, client: chain.client, market, provenance, licenceId: 1n, key }), (e: unknown) => e instanceof DataVerificationError && /is not the listing's dataset root/.test(e.message));
    } finally {
      server.closeAllConnections();
      server.close();
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('registers a model royalty, routes its revenue exactly, and every party withdraws what the splits say', async () => {
    const { agentId: trainer } = await registerAgent(chain.client, buyer, { identityRegistry: chain.address('IdentityRegistry'), agentURI: 'https://lab.example/trainer.json' });
    const weightsDigest = digest('weights: diabetes-risk v1');
    const input = {
      weightsDigest,
      trainerAgentId: trainer,
      configDigest: digest('config'),
      metricsDigest: keccak256(stringToHex('{"auc":0.8}')),
      baseModel: zeroHash,
      computeJobId: jobId,
      datasetRoots: [root],
      name: 'diabetes-risk',
      metrics: '{"auc":0.8}',
      uri: '',
    };
    const signature = await signModel(buyer, { chainId: chain.client.chain.id, registry: provenance, input });
    await registerModel(buyer, { registry: provenance, input, signer: buyer.account.address, signature });

    await assert.rejects(
      registerModelRoyalty(relayer, { market, weightsDigest, licenceIds: [trainingLicence], beneficiary: beneficiary.account.address, agentURI: 'https://lab.example/model.json' }),
      (e: unknown) => isDataRevert(e, 'NotTrainer'),
    );
    const reg = await registerModelRoyalty(buyer, { market, weightsDigest, licenceIds: [trainingLicence], beneficiary: beneficiary.account.address, agentURI: 'https://lab.example/model.json' });
    assert.deepEqual([reg.listingIds, reg.royaltyBps], [[listingId], [1_500]]);
    const royalty = await readModelRoyalty(chain.client, { market, weightsDigest });
    assert.ok(royalty);
    assert.equal(royalty.vault, reg.vault);
    assert.equal(royalty.agentId, reg.agentId);
    assert.equal(royalty.beneficiary, beneficiary.account.address);
    assert.deepEqual(royalty.datasets, [{ listingId, royaltyBps: 1_500, paid: 0n }]);
    assert.equal((await readLicence(chain.client, { market, licenceId: trainingLicence }))!.model, weightsDigest);
    assert.equal(await readModelRoyalty(chain.client, { market, weightsDigest: digest('unknown') }), null);

    // Revenue lands in the vault (as x402 payments to the serving agent would), twice, routed each time.
    const accounts = [...contributors.map((w) => w.account.address), beneficiary.account.address];
    const creditOf = () => Promise.all(accounts.map((account) => readDataCredit(chain.client, { market, account })));
    const start = await creditOf();
    let revenue = 0n;
    let datasetRoyalties = 0n;
    for (const amount of [1_234_567n, 1_000_003n]) {
      const before = await creditOf();
      await faucet(chain.client, relayer, { token, to: reg.vault, amount });
      const routed = await routeRevenue(relayer, { market, weightsDigest });
      const expected = routeRevenueCredits({ revenueBefore: revenue, amount, royaltyBps: [1_500], datasetRoyaltiesBefore: [datasetRoyalties], shares: [shares] });
      assert.deepEqual(routed.amount, amount);
      assert.equal(routed.toDatasets, expected.datasets[0]);
      assert.equal(routed.toBeneficiary, expected.beneficiary);
      const after = await creditOf();
      assert.deepEqual(after.map((x, i) => x - before[i]!), [...expected.contributors[0]!, expected.beneficiary]);
      revenue += amount;
      datasetRoyalties += expected.datasets[0]!;
      await assertSolvent();
    }
    // Every contributor of the listing is paid royalties, the one who revoked later included.
    for (let i = 0; i < 3; i++) assert.ok((await readRoyaltyPaid(chain.client, { market, listingId, index: i })) > 0n);
    assert.equal((await routeRevenue(relayer, { market, weightsDigest })).amount, 0n, 'an empty vault routes nothing');
    assert.equal((await readModelRoyalty(chain.client, { market, weightsDigest }))!.revenue, revenue);

    // Withdraw: each party receives exactly its withdrawable credit; held dust (if any) stays owed.
    const wallets = [...contributors, beneficiary];
    for (const [i, w] of wallets.entries()) {
      const parts = await readDataCreditParts(chain.client, { market, account: w.account.address });
      assert.equal(parts.credit, (await creditOf())[i]);
      const balance = await balanceOf(w.account.address);
      const { amount } = await withdrawDataCredit(w, { market });
      assert.equal(amount, parts.withdrawable);
      assert.equal(await balanceOf(w.account.address), balance + parts.withdrawable);
      assert.equal(await readDataCredit(chain.client, { market, account: w.account.address }), parts.held);
    }
    assert.ok(start.every((x, i) => i === 3 || x > 0n));
    await assertSolvent();
    await assert.rejects(withdrawDataCredit(relayer, { market }), (e: unknown) => e instanceof DataRevertError && e.reason === 'NothingToWithdraw' && /has no data-market credit to withdraw/.test(e.message));
  });
});

/** The deploy plan gains DataMarket with the real contract; until then, deploy it from its artifact. */
async function deployDataMarket(chain: TestChain): Promise<Address> {
  const a = artifacts as unknown as Record<string, unknown>;
  const abi = a.dataMarketAbi as readonly unknown[];
  const bytecode = a.dataMarketBytecode as Hex;
  if (!bytecode || bytecode === '0x') throw new Error('DataMarket has no bytecode yet (placeholder artifact)');
  const w = chain.wallet(0);
  const hash = await w.deployContract({
    abi: abi as never,
    bytecode,
    args: [chain.address('IdentityRegistry'), chain.address('ProvenanceRegistry'), chain.address('ComputeMarket'), chain.address('SettlementToken')] as never,
  });
  const receipt = await chain.client.waitForTransactionReceipt({ hash });
  return receipt.contractAddress!;
}

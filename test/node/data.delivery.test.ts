// Licensed delivery from the seller's node on a real devnet: the buyer's key fetches an access licence's records,
// decrypted and verified against the dataset root on chain (every file, byte for byte), leaving out a contributor
// whose consent does not cover the purposes; a training licence's data goes to the bound provider's operator only
// while the job is assigned, never to the holder; refusals name the field and the reason (a key with no licence,
// an expired licence, a licence of another listing, a bad or tampered signature, a stale request, an unknown
// licence); and a contributor who revokes after the sale has their files left out of the next delivery.
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { toHex, type Address, type Hex } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { DEVNET_MNEMONIC } from '../../src/chain/devnet.ts';
import { accept, chainNow, offer, postJob } from '../../src/compute/market.ts';
import { dataKeyFromPrivateKey, type DataKey } from '../../src/data/crypto.ts';
import { fetchLicensedData } from '../../src/data/delivery.ts';
import { buildDeliveryRequest } from '../../src/data/deliveryRequest.ts';
import { DataDeliveryError } from '../../src/data/errors.ts';
import { bindTrainingRun, buyLicence, giveConsent, revokeConsent } from '../../src/data/market.ts';
import { consentScope } from '../../src/data/terms.ts';
import { faucet } from '../../src/pay/token.ts';
import { startTestChain, type TestChain } from '../helpers/chain.ts';
import { databaseKinds } from './fixtures/stores.ts';
import { makeProvider, randomDigest } from './fixtures/computeNode.ts';
import { digestOf, listPatientRecords, MUSD, sendJson, startDataNode, type DataNode, type TestListing } from './fixtures/dataNode.ts';

const keyOf = (i: number): DataKey => dataKeyFromPrivateKey(toHex(mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: i }).getHdKey().privateKey!));

describe('licensed delivery', () => {
  let chain: TestChain;
  let n: DataNode;
  let work: string;
  let market: Address;
  let token: Address;
  let A: TestListing;
  let B: TestListing;
  let C: TestListing;
  let access: bigint;
  let training: bigint;
  let other: bigint;
  let shortLived: bigint;
  let providerId: bigint;
  const BUYER = 5;
  const OPERATOR = 6;

  const deliver = async (body: unknown) => {
    const r = await sendJson(n.url, 'POST', '/v1/data/deliveries', body);
    return { status: r.status, error: r.body?.error as { code: string; message: string; field: string | null } | undefined };
  };
  const fetchAs = (key: DataKey, licenceId: bigint, outDir?: string) =>
    fetchLicensedData({ nodeUrl: n.url, client: chain.client, market, provenance: chain.address('ProvenanceRegistry'), licenceId, key, ...(outDir ? { outDir } : {}) });
  const sitesOf = (files: { path: string }[]) => [...new Set(files.map((f) => f.path.split('/')[0]))].sort();

  before(async () => {
    chain = await startTestChain();
    n = await startDataNode({ chain, kind: (await databaseKinds()).includes('postgres') ? 'postgres' : 'pglite' });
    market = chain.address('DataMarket');
    token = chain.address('SettlementToken');
    work = mkdtempSync(path.join(tmpdir(), 'machina-delivery-test-'));
    A = await listPatientRecords(chain, { work, name: 'cohort', seller: 1, contributors: [5000, 3000, 2000].map((shareBps, i) => ({ wallet: 2 + i, shareBps })) });
    B = await listPatientRecords(chain, { work, name: 'other', seller: 1, contributors: [{ wallet: 7, shareBps: 10_000 }], seed: 9 });
    C = await listPatientRecords(chain, { work, name: 'short-lived', seller: 1, contributors: [{ wallet: 7, shareBps: 10_000 }], seed: 11, terms: { licenceDuration: 60 } });
    const documentDigest = digestOf('consent');
    const full = consentScope({ purposes: ['research', 'public-health'], training: true, commercial: false });
    await giveConsent(chain.wallet(2), { market, listingId: A.listingId, documentDigest, scope: full });
    await giveConsent(chain.wallet(3), { market, listingId: A.listingId, documentDigest, scope: full });
    // Contributor 2 consents to research only: a public-health sale does not cover their records.
    await giveConsent(chain.wallet(4), { market, listingId: A.listingId, documentDigest, scope: consentScope({ purposes: ['research'], training: true, commercial: false }) });
    for (const l of [B, C]) await giveConsent(chain.wallet(7), { market, listingId: l.listingId, documentDigest, scope: full });
    await n.synced();
    for (const l of [A, B, C]) assert.equal((await sendJson(n.url, 'PUT', `/v1/data/listings/${l.listingId}/records`, l.records)).status, 200);

    const buyer = chain.wallet(BUYER);
    await faucet(chain.client, chain.wallet(0), { token, to: buyer.account.address, amount: 200n * MUSD });
    const a = await buyLicence(buyer, { market, token, listingId: A.listingId, kind: 'access', purposes: ['public-health'] });
    assert.equal(a.includedMask, 0b011n);
    access = a.licenceId;
    training = (await buyLicence(buyer, { market, token, listingId: A.listingId, kind: 'training', purposes: ['research'] })).licenceId;
    other = (await buyLicence(buyer, { market, token, listingId: B.listingId, kind: 'access', purposes: ['research'] })).licenceId;
    shortLived = (await buyLicence(buyer, { market, token, listingId: C.listingId, kind: 'access', purposes: ['research'] })).licenceId;
    providerId = await makeProvider(chain, OPERATOR);
    await n.synced();
  });

  after(async () => {
    await n?.stop();
    await chain?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the holder\'s key receives the covered records, decrypted and verified byte for byte; the uncovered contributor is left out', async () => {
    const r = await fetchAs(keyOf(BUYER), access);
    assert.equal(r.verified, true);
    assert.equal(r.root, A.root.toLowerCase());
    assert.deepEqual(sitesOf(r.files), ['site-a', 'site-b']);
    assert.equal(r.files.length, 6);
    for (const f of r.files) assert.deepEqual(Buffer.from(f.bytes!), readFileSync(path.join(A.dir, f.path)), f.path);
    assert.deepEqual(r.excluded, [{ index: 2, account: chain.wallet(4).account.address, files: 3 }]);
    assert.ok(n.logs.some((l) => l.includes(`delivering licence ${access}`)), n.logs.join('\n'));
    // Into a folder: the same files, written there.
    const out = mkdtempSync(path.join(work, 'out-'));
    await fetchAs(keyOf(BUYER), access, out);
    assert.deepEqual(readFileSync(path.join(out, r.files[0]!.path)), readFileSync(path.join(A.dir, r.files[0]!.path)));
  });

  it('a key with no licence: 403 naming the key and the licence', async () => {
    const stranger = keyOf(9);
    const e = await deliver(await buildDeliveryRequest(stranger, { chainId: chain.client.chain.id, market, listingId: A.listingId, licenceId: access }));
    assert.equal(e.status, 403);
    assert.equal(e.error!.code, 'NOT_LICENSED');
    assert.match(e.error!.message, new RegExp(`key ${stranger.address} holds no licence ${access}`));
    await assert.rejects(fetchAs(stranger, access), (err: unknown) => err instanceof DataDeliveryError && err.status === 403);
  });

  it('a licence of another listing: 409 WRONG_LICENCE naming listingId; an unknown licence 404', async () => {
    const e = await deliver(await buildDeliveryRequest(keyOf(BUYER), { chainId: chain.client.chain.id, market, listingId: A.listingId, licenceId: other }));
    assert.equal(e.status, 409);
    assert.equal(e.error!.code, 'WRONG_LICENCE');
    assert.equal(e.error!.field, 'listingId');
    assert.match(e.error!.message, new RegExp(`licence ${other} is for listing ${B.listingId}, not listing ${A.listingId}`));
    const u = await deliver(await buildDeliveryRequest(keyOf(BUYER), { chainId: chain.client.chain.id, market, listingId: A.listingId, licenceId: 999n }));
    assert.equal(u.status, 404);
    assert.equal(u.error!.field, 'licenceId');
  });

  it('bad signatures: malformed 400 naming signature; a tampered request recovers another key, 403; wrong chain or market 400', async () => {
    const good = await buildDeliveryRequest(keyOf(BUYER), { chainId: chain.client.chain.id, market, listingId: A.listingId, licenceId: access });
    const malformed = await deliver({ ...good, signature: `0x${'00'.repeat(65)}` });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.error!.field, 'signature');
    const short = await deliver({ ...good, signature: '0x1234' });
    assert.equal(short.status, 400);
    assert.equal(short.error!.field, 'signature');
    const tampered = await deliver({ ...good, timestamp: good.timestamp - 1 });
    assert.equal(tampered.status, 403);
    assert.equal(tampered.error!.code, 'NOT_LICENSED');
    assert.equal((await deliver({ ...good, chainId: 1 })).error!.field, 'chainId');
    assert.equal((await deliver({ ...good, market: token })).error!.field, 'market');
    assert.equal((await deliver({ ...good, licenceId: 'x' })).error!.field, 'licenceId');
  });

  it('a stale request: 401 STALE_REQUEST naming timestamp', async () => {
    const old = await buildDeliveryRequest(keyOf(BUYER), { chainId: chain.client.chain.id, market, listingId: A.listingId, licenceId: access, now: Math.floor(Date.now() / 1000) - 1000 });
    const e = await deliver(old);
    assert.equal(e.status, 401);
    assert.equal(e.error!.code, 'STALE_REQUEST');
    assert.equal(e.error!.field, 'timestamp');
  });

  it('training licence: refused to the holder and before binding; delivered to the bound provider\'s operator while the job is assigned', async () => {
    const req = (key: DataKey) => buildDeliveryRequest(key, { chainId: chain.client.chain.id, market, listingId: A.listingId, licenceId: training });
    const unbound = await deliver(await req(keyOf(BUYER)));
    assert.equal(unbound.status, 409);
    assert.match(unbound.error!.message, /not bound to a compute job/);

    const buyer = chain.wallet(BUYER);
    const cm = chain.address('ComputeMarket');
    const { jobId } = await postJob(buyer, {
      market: cm,
      token,
      spec: { workloadDigest: randomDigest(), inputDigest: randomDigest(), workloadURI: 'data:,w', inputURI: 'data:,i', needs: { deviceKind: 'cpu', minMemoryMB: 512 }, maxPricePerUnit: 2_000n, units: 10, deadline: (await chainNow(chain.client)) + 900, bidWindow: 0, replicas: 1, mode: 'optimistic', direct: true },
    });
    await offer(buyer, { market: cm, jobId, providerId, pricePerUnit: 1_000n });
    await bindTrainingRun(buyer, { market, licenceId: training, jobId, providerId });
    // Offered, not yet accepted: not running.
    const early = await deliver(await req(keyOf(OPERATOR)));
    assert.equal(early.status, 409);
    assert.equal(early.error!.code, 'JOB_NOT_RUNNING');
    await accept(chain.wallet(OPERATOR), { market: cm, jobId, providerId });

    const holder = await deliver(await req(keyOf(BUYER)));
    assert.equal(holder.status, 403);
    assert.match(holder.error!.message, new RegExp(`only to the operator of provider ${providerId}`));
    assert.match(holder.error!.message, /never to the holder/);

    const r = await fetchAs(keyOf(OPERATOR), training);
    assert.equal(r.verified, true);
    assert.deepEqual(sitesOf(r.files), ['site-a', 'site-b', 'site-c']);
  });

  it('an expired licence: 410 LICENCE_EXPIRED', async () => {
    await chain.client.request({ method: 'evm_increaseTime', params: [toHex(120)] } as never);
    await chain.client.request({ method: 'evm_mine' } as never);
    const e = await deliver(await buildDeliveryRequest(keyOf(BUYER), { chainId: chain.client.chain.id, market, listingId: C.listingId, licenceId: shortLived }));
    assert.equal(e.status, 410);
    assert.equal(e.error!.code, 'LICENCE_EXPIRED');
    assert.match(e.error!.message, new RegExp(`licence ${shortLived} expired`));
  });

  it('a contributor who revokes after the sale: their files are left out of the next delivery', async () => {
    await revokeConsent(chain.wallet(3), { market, listingId: A.listingId });
    const r = await fetchAs(keyOf(BUYER), access);
    assert.deepEqual(sitesOf(r.files), ['site-a']);
    assert.deepEqual(r.excluded.map((e) => e.index), [1, 2]);
    assert.equal(r.excluded[0]!.account, chain.wallet(3).account.address);
    assert.equal(r.excluded[0]!.files, 3);
  });
});

export type { Hex };

// Licensed delivery from the seller's node on a real devnet: the buyer's key fetches an access licence's records,
// decrypted and verified against the dataset root on chain (every file, byte for byte), leaving out a contributor
// whose consent does not cover the purposes; a training licence's data goes to the bound provider's operator only
// while the job is assigned, never to the holder; refusals name the field and the reason (a key with no licence,
// an expired licence, a licence of another listing, a bad or tampered signature, a stale request, an unknown
// licence); and a contributor who revokes after the sale has their files left out of the next delivery. A signed
// request works once (409 REPLAYED); ids beyond uint256 are 400 naming the field; a training delivery follows the
// listing's current allowedProviders and a compute-only listing never delivers to its licensee; the node streams a
// bounded number of deliveries at once (503 BUSY with Retry-After beyond).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { constants as fsConstants } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
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
import { bindTrainingRun, buyLicence, giveConsent, revokeConsent, setTerms } from '../../src/data/market.ts';
import { consentScope } from '../../src/data/terms.ts';
import { faucet } from '../../src/pay/token.ts';
import type { TestChain } from '../helpers/chain.ts';
import { makeProvider, randomDigest } from './fixtures/computeNode.ts';
import { baseTerms, digestOf, getJson, listPatientRecords, MUSD, sendJson, startDataTestBed, waitFor, type DataNode, type DataTestBed, type TestListing } from './fixtures/dataNode.ts';

const keyOf = (i: number): DataKey => dataKeyFromPrivateKey(toHex(mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: i }).getHdKey().privateKey!));

describe('licensed delivery', () => {
  let chain: TestChain;
  let bed: DataTestBed;
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
    bed = await startDataTestBed('machina-delivery-test-');
    ({ chain, n, market, token, work } = bed);
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
    await bed?.stop();
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

  it('a signed request works once: the same body again is 409 REPLAYED, before any chain read; the stream carries no file count header', async () => {
    const body = await buildDeliveryRequest(keyOf(BUYER), { chainId: chain.client.chain.id, market, listingId: A.listingId, licenceId: access });
    const first = await sendJson(n.url, 'POST', '/v1/data/deliveries', body);
    assert.equal(first.status, 200);
    assert.equal(first.res.headers.get('x-machina-files'), null);
    const again = await deliver(body);
    assert.equal(again.status, 409);
    assert.equal(again.error!.code, 'REPLAYED');
    assert.equal(again.error!.field, 'signature');
  });

  it('ids that do not fit uint256, or are not decimal: 400 naming the field, in bodies and routes', async () => {
    const good = await buildDeliveryRequest(keyOf(BUYER), { chainId: chain.client.chain.id, market, listingId: A.listingId, licenceId: access });
    for (const [field, value] of [
      ['licenceId', '9'.repeat(78)],
      ['listingId', (2n ** 256n).toString()],
      ['licenceId', '1'.repeat(200)],
      ['listingId', '1e3'],
    ] as const) {
      const e = await deliver({ ...good, [field]: value });
      assert.equal(e.status, 400, `${field}=${value.slice(0, 20)}`);
      assert.equal(e.error!.code, 'INVALID_ARGUMENT');
      assert.equal(e.error!.field, field);
    }
    for (const route of [`/v1/data/listings/${'9'.repeat(80)}`, `/v1/data/listings/${'9'.repeat(80)}/audit`, '/v1/data/licences/0x10', `/v1/data/licences?listing=${'9'.repeat(79)}`]) {
      const r = await getJson(n.url, route);
      assert.equal(r.status, 400, route);
      assert.ok(r.body.error.field, `${route}: ${JSON.stringify(r.body)}`);
    }
    const put = await sendJson(n.url, 'PUT', `/v1/data/listings/${'9'.repeat(79)}/records`, A.records);
    assert.equal(put.status, 400);
    assert.equal(put.body.error.field, 'id');
  });

  it('training: a provider the seller removed from allowedProviders gets nothing more; a compute-only listing never delivers to its licensee', async () => {
    const cm = chain.address('ComputeMarket');
    const buyer = chain.wallet(BUYER);
    const documentDigest = digestOf('consent');
    const scope = consentScope({ purposes: ['research', 'public-health'], training: true, commercial: false });
    // The buyer runs a provider of its own.
    const ownProvider = await makeProvider(chain, BUYER);
    const runOn = async (listing: TestListing, provider: bigint, operator: number) => {
      const { licenceId } = await buyLicence(buyer, { market, token, listingId: listing.listingId, kind: 'training', purposes: ['research'] });
      const { jobId } = await postJob(buyer, {
        market: cm,
        token,
        spec: { workloadDigest: randomDigest(), inputDigest: randomDigest(), workloadURI: 'data:,w', inputURI: 'data:,i', needs: { deviceKind: 'cpu', minMemoryMB: 512 }, maxPricePerUnit: 2_000n, units: 10, deadline: (await chainNow(chain.client)) + 900, bidWindow: 0, replicas: 1, mode: 'optimistic', direct: true },
      });
      await offer(buyer, { market: cm, jobId, providerId: provider, pricePerUnit: 1_000n });
      await bindTrainingRun(buyer, { market, licenceId, jobId, providerId: provider });
      await accept(chain.wallet(operator), { market: cm, jobId, providerId: provider });
      return licenceId;
    };

    const D = await listPatientRecords(chain, { work, name: 'allowed', seller: 1, contributors: [{ wallet: 7, shareBps: 10_000 }], perSite: 2, seed: 13, terms: { allowedProviders: [providerId] } });
    await giveConsent(chain.wallet(7), { market, listingId: D.listingId, documentDigest, scope });
    await n.synced();
    assert.equal((await sendJson(n.url, 'PUT', `/v1/data/listings/${D.listingId}/records`, D.records)).status, 200);
    const lic = await runOn(D, providerId, OPERATOR);
    assert.equal((await fetchAs(keyOf(OPERATOR), lic)).files.length, 2, 'delivered while allowed');
    await setTerms(chain.wallet(1), { market, listingId: D.listingId, terms: baseTerms({ allowedProviders: [ownProvider] }) });
    const removed = await deliver(await buildDeliveryRequest(keyOf(OPERATOR), { chainId: chain.client.chain.id, market, listingId: D.listingId, licenceId: lic }));
    assert.equal(removed.status, 403);
    assert.equal(removed.error!.code, 'PROVIDER_NOT_ALLOWED');
    assert.match(removed.error!.message, new RegExp(`provider ${providerId} is no longer allowed by listing ${D.listingId}'s terms`));

    const E = await listPatientRecords(chain, { work, name: 'compute-only', seller: 1, contributors: [{ wallet: 7, shareBps: 10_000 }], perSite: 2, seed: 17, terms: { computeOnly: true, allowedProviders: [ownProvider, providerId] } });
    await giveConsent(chain.wallet(7), { market, listingId: E.listingId, documentDigest, scope });
    await n.synced();
    assert.equal((await sendJson(n.url, 'PUT', `/v1/data/listings/${E.listingId}/records`, E.records)).status, 200);
    const own = await runOn(E, ownProvider, BUYER);
    const refused = await deliver(await buildDeliveryRequest(keyOf(BUYER), { chainId: chain.client.chain.id, market, listingId: E.listingId, licenceId: own }));
    assert.equal(refused.status, 403);
    assert.equal(refused.error!.code, 'NOT_LICENSED');
    assert.match(refused.error!.message, /compute-only data is never delivered to its licensee/);
    // Another operator's provider, bound the same way, receives it.
    const theirs = await runOn(E, providerId, OPERATOR);
    assert.equal((await fetchAs(keyOf(OPERATOR), theirs)).verified, true);
  });

  it('a node streams a bounded number of deliveries at once: beyond it 503 BUSY with Retry-After; the slot frees when the stream ends', async () => {
    const F = await listPatientRecords(chain, { work, name: 'busy', seller: 1, contributors: [{ wallet: 7, shareBps: 10_000 }], perSite: 2, seed: 19 });
    await giveConsent(chain.wallet(7), { market, listingId: F.listingId, documentDigest: digestOf('consent'), scope: consentScope({ purposes: ['research'], training: false, commercial: false }) });
    await n.synced();
    assert.equal((await sendJson(n.url, 'PUT', `/v1/data/listings/${F.listingId}/records`, F.records)).status, 200);
    const { licenceId } = await buyLicence(chain.wallet(BUYER), { market, token, listingId: F.listingId, kind: 'access', purposes: ['research'] });
    // The first file becomes a pipe: a delivery blocks on it (holding its slot) until the test writes the bytes.
    const first = path.join(F.dir, F.manifest.files[0]!.path);
    const bytes = readFileSync(first);
    renameSync(first, `${first}.orig`);
    execFileSync('mkfifo', [first]);
    n.data.maxDeliveries = 1;
    let restored = false;
    let fed = false;
    const restore = () => {
      if (restored) return;
      restored = true;
      rmSync(first, { force: true });
      renameSync(`${first}.orig`, first);
    };
    try {
      const slow = fetchAs(keyOf(BUYER), licenceId);
      slow.catch(() => {});
      await waitFor('the first delivery to start', async () => n.logs.some((l) => l.includes(`delivering licence ${licenceId} `)));
      const busy = await sendJson(n.url, 'POST', '/v1/data/deliveries', await buildDeliveryRequest(keyOf(BUYER), { chainId: chain.client.chain.id, market, listingId: F.listingId, licenceId }));
      assert.equal(busy.status, 503);
      assert.equal(busy.body.error.code, 'BUSY');
      assert.equal(busy.res.headers.get('retry-after'), '5');
      await writeFile(first, bytes);
      fed = true;
      const r = await slow;
      assert.equal(r.files.length, 2);
      assert.deepEqual(Buffer.from(r.files[0]!.bytes!), bytes);
      restore();
      // The slot is free again.
      assert.equal((await fetchAs(keyOf(BUYER), licenceId)).files.length, 2);
    } finally {
      n.data.maxDeliveries = undefined;
      if (!fed) {
        // A failed assertion must not leave the node blocked on the pipe: feed a waiting reader, if any.
        try {
          const fh = await open(first, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
          await fh.write(bytes).finally(() => fh.close());
        } catch {
          // no reader
        }
      }
      restore();
    }
  });
});

export type { Hex };

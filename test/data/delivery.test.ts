// Sealed delivery: the frame format (round trip in any chunking, bounds checked from the length prefix, truncation
// named; a recorded stream shows no path, size, root or contributor without the key), the signed request (checked
// by the node side; ids beyond uint256 named), and the client against a tiny HTTP server that speaks the format:
// files verified against the dataset root and their manifest entries, written only inside the output folder and
// only when everything verified; a flipped byte, a wrong root or a traversal path is named; a large file is sealed
// in segments that any DataKey opens; an error frame names the manifest path, never the node's own.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getAddress, type Address, type Hex } from 'viem';
import { generatePrivateKey } from 'viem/accounts';
import { dataKeyFromPrivateKey, encryptTo, type DataKey } from '../../src/data/crypto.ts';
import { receiveDelivery, requestDelivery } from '../../src/data/delivery.ts';
import { decodeFrames, DELIVERY_CONTENT_TYPE, encodeFrame, openFile, openHeader, sealFileFrame, sealHeaderFrame, type DeliveryFrame, type DeliveryHeader } from '../../src/data/deliveryFormat.ts';
import { buildDeliveryRequest, deliveryMessage, verifyDeliveryRequest } from '../../src/data/deliveryRequest.ts';
import { SEAL_SEGMENT_BYTES, sealDelivery } from '../../src/data/deliverySeal.ts';
import { DataDeliveryError, DataVerificationError, InvalidDataInputError } from '../../src/data/errors.ts';
import { patientRecords } from '../../src/data/examples/patients.ts';
import { hashBytes } from '../../src/provenance/hash.ts';
import { buildManifest, manifestTree } from '../../src/provenance/manifest.ts';
import type { Manifest } from '../../src/provenance/types.ts';

const MARKET = getAddress('0x00000000000000000000000000000000000da7a1');
const CHAIN_ID = 31337;
const enc = (s: string) => new TextEncoder().encode(s);

async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of source) parts.push(p);
  return new Uint8Array(Buffer.concat(parts));
}

async function frames(source: Parameters<typeof decodeFrames>[0], opts = {}): Promise<DeliveryFrame[]> {
  const out: DeliveryFrame[] = [];
  for await (const f of decodeFrames(source, opts)) out.push(f);
  return out;
}

/** `bytes` cut into pieces of `size` (the way a network hands them over). */
function* pieces(bytes: Uint8Array, size: number) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

// A dataset of two sites' records; site "south" is left out of the delivery (as an excluded contributor).
const files = new Map<string, Uint8Array>();
for (const site of ['north', 'south']) {
  patientRecords({ site, count: 4, seed: 5 }).forEach((r, i) => files.set(`${site}/p-0000${i + 1}.json`, enc(`${JSON.stringify(r)}\n`)));
}
files.set('README.md', enc('# synthetic patients\n'));
const manifest: Manifest = buildManifest([...files].map(([p, b]) => ({ path: p, size: String(b.length), root: hashBytes(b).root })));
const delivered = manifest.files.map((f) => f.path).filter((p) => !p.startsWith('south/'));
const excluded = [{ index: 1, account: '0x0000000000000000000000000000000000000B0b' as Address, files: 4 }];

const header = (over: Partial<DeliveryHeader> = {}): DeliveryHeader => ({
  type: 'machina.data-delivery',
  version: 1,
  listingId: '1',
  licenceId: '3',
  root: manifest.root,
  files: delivered.length,
  excluded,
  ...over,
});

describe('delivery frames', () => {
  it('round-trip a header, files and an error in any chunking', async () => {
    const key = dataKeyFromPrivateKey(generatePrivateKey());
    const tree = manifestTree(manifest);
    const bytes = new Uint8Array(
      Buffer.concat([
        sealHeaderFrame(key.publicKey, header()),
        sealFileFrame(key.publicKey, { path: 'README.md', size: 21, fileRoot: manifest.files[0]!.root, proof: tree.proof(0) }, files.get('README.md')!),
        encodeFrame({ kind: 'error', error: { code: 'X', message: 'stopped' } }),
      ]),
    );
    for (const size of [1, 3, 5, 7, 64, bytes.length]) {
      const got = await frames(pieces(bytes, size));
      assert.deepEqual(got.map((f) => f.kind), ['header', 'file', 'error'], `pieces of ${size}`);
      const [h, f] = got as [Extract<DeliveryFrame, { kind: 'header' }>, Extract<DeliveryFrame, { kind: 'file' }>];
      assert.deepEqual(openHeader(key, h.box), header());
      const opened = openFile(key, f.box);
      assert.equal(opened.file.path, 'README.md');
      assert.equal(new TextDecoder().decode(opened.bytes), '# synthetic patients\n');
      assert.deepEqual(got[2], { kind: 'error', error: { code: 'X', message: 'stopped' } });
    }
    // Another key opens neither the header nor a file.
    const other = dataKeyFromPrivateKey(generatePrivateKey());
    const [h, f] = await frames(bytes);
    assert.throws(() => openHeader(other, (h as { box: Uint8Array }).box), (e: unknown) => e instanceof DataDeliveryError && e.code === 'DELIVERY_UNREADABLE');
    assert.throws(() => openFile(other, (f as { box: Uint8Array }).box), (e: unknown) => e instanceof DataDeliveryError && e.code === 'DELIVERY_UNREADABLE');
  });

  it('a recorded stream shows no path, size, root or contributor to anyone without the key', async () => {
    const key = dataKeyFromPrivateKey(generatePrivateKey());
    const recorded = await collect(sealDelivery({ listingId: 1n, licenceId: 3n, manifest, paths: delivered, excluded, publicKey: key.publicKey, read: async (e) => files.get(e.path)! }));
    const text = Buffer.from(recorded).toString('latin1');
    const secrets = [...delivered, ...delivered.map((p) => p.split('/').pop()!), 'north', manifest.root.slice(2), ...manifest.files.map((f) => f.root.slice(2)), excluded[0]!.account.slice(2).toLowerCase(), excluded[0]!.account.slice(2), '"size"', '"path"', 'machina.data-delivery'];
    for (const s of secrets) assert.ok(!text.includes(s), `the recording shows ${s}`);
    // Frame types and lengths are all a recorder learns; every header and file payload is an opaque box.
    const got = await frames(recorded);
    assert.deepEqual(got.map((f) => f.kind), ['header', ...delivered.map(() => 'file')]);
    for (const f of got) {
      assert.ok(f.kind !== 'error');
      assert.throws(() => JSON.parse(Buffer.from(f.box).toString('utf8')));
    }
    // The key holder reads it all.
    const r = await receiveDelivery({ body: recorded, root: manifest.root, listingId: 1n, licenceId: 3n, key });
    assert.deepEqual(r.files.map((f) => f.path), delivered);
    assert.deepEqual(r.excluded, excluded);
  });

  it('seals a large file in segments that a DataKey opens whole', async () => {
    const key = dataKeyFromPrivateKey(generatePrivateKey());
    const big = new Uint8Array(SEAL_SEGMENT_BYTES * 2 + 12_345).map((_, i) => (i * 31) & 0xff);
    const m = buildManifest([{ path: 'big/blob.bin', size: String(big.length), root: hashBytes(big).root }]);
    const parts: Uint8Array[] = [];
    for await (const piece of sealDelivery({ listingId: 1n, licenceId: 3n, manifest: m, paths: ['big/blob.bin'], excluded: [], publicKey: key.publicKey, read: async () => big })) parts.push(piece);
    assert.ok(parts.length >= 6, `${parts.length} pieces`);
    assert.ok(Math.max(...parts.map((x) => x.length)) <= SEAL_SEGMENT_BYTES + 1024, 'no piece holds the whole file');
    const r = await receiveDelivery({ body: parts, root: m.root, listingId: 1n, licenceId: 3n, key });
    assert.deepEqual(r.files[0]!.bytes, big);
  });

  it('says where a stream was cut', async () => {
    const bytes = sealHeaderFrame(dataKeyFromPrivateKey(generatePrivateKey()).publicKey, header());
    await assert.rejects(frames(bytes.subarray(0, 3)), (e: unknown) => e instanceof DataDeliveryError && e.code === 'DELIVERY_TRUNCATED' && /length prefix of frame 0 \(3 of 5 bytes\)/.test(e.message));
    await assert.rejects(frames(bytes.subarray(0, 40)), (e: unknown) => e instanceof DataDeliveryError && /ended inside frame 0 \(expected [\d,]+ bytes, got 35\)/.test(e.message));
  });

  it('refuses unknown frame types and oversized frames from the prefix alone, and a file over the limit once opened', async () => {
    await assert.rejects(frames(new Uint8Array([9, 0, 0, 0, 1, 0])), /unknown type 9/);
    // A header claiming 2 GiB is refused before a byte of it is buffered.
    await assert.rejects(frames(new Uint8Array([1, 0x80, 0, 0, 0])), (e: unknown) => e instanceof DataDeliveryError && e.code === 'DELIVERY_TOO_LARGE');
    await assert.rejects(frames(new Uint8Array([2, 0x7f, 0, 0, 0]), { maxFileBytes: 100 }), /frame 0 is 2,130,706,432 bytes, more than the 1,048,773 allowed/);
    await assert.rejects(frames(new Uint8Array([2, 0, 0, 0, 3, 1, 2, 3])), (e: unknown) => e instanceof DataDeliveryError && /too short for a sealed box/.test(e.message));
    const key = dataKeyFromPrivateKey(generatePrivateKey());
    const big = sealFileFrame(key.publicKey, { path: 'a', size: 5_000, fileRoot: manifest.root, proof: [] }, new Uint8Array(5_000));
    const [f] = await frames(big, { maxFileBytes: 1_000 });
    assert.throws(() => openFile(key, (f as { box: Uint8Array }).box, { maxFileBytes: 1_000 }), (e: unknown) => e instanceof DataDeliveryError && e.code === 'DELIVERY_TOO_LARGE' && /^a: the file is 5,000 bytes/.test(e.message));
  });

  it('checks headers and file headers on both sides, naming the field', async () => {
    const key = dataKeyFromPrivateKey(generatePrivateKey());
    assert.throws(() => sealHeaderFrame(key.publicKey, header({ root: '0x12' as Hex })), /header.root/);
    assert.throws(() => sealHeaderFrame(key.publicKey, header({ licenceId: '0' })), /header.licenceId/);
    assert.throws(() => sealHeaderFrame(key.publicKey, header({ licenceId: (2n ** 256n).toString() })), (e: unknown) => e instanceof DataDeliveryError && e.field === 'header.licenceId' && /2\^256/.test(e.message));
    assert.throws(() => openHeader(key, encryptTo(key.publicKey, enc('{}'))), (e: unknown) => e instanceof DataDeliveryError && e.field === 'header.type');
    assert.throws(() => openHeader(key, encryptTo(key.publicKey, enc('{x'))), /not valid UTF-8 JSON/);
  });
});

describe('delivery requests', () => {
  it('are signed by the key and recovered by the node with its public key', async () => {
    const key = dataKeyFromPrivateKey(generatePrivateKey());
    const req = await buildDeliveryRequest(key, { chainId: CHAIN_ID, market: MARKET.toLowerCase() as Address, listingId: 1n, licenceId: 3n, now: 1_000 });
    assert.deepEqual(Object.keys(req).sort(), ['chainId', 'licenceId', 'listingId', 'market', 'nonce', 'signature', 'timestamp']);
    assert.equal(req.market, MARKET);
    assert.match(req.nonce!, /^[0-9a-f]{32}$/);
    assert.equal(deliveryMessage(req), `machina-data-delivery\nchain:31337\nmarket:${MARKET}\nlisting:1\nlicence:3\ntime:1000\nnonce:${req.nonce}`);
    // Each request is unique, even within the same second.
    assert.notEqual((await buildDeliveryRequest(key, { chainId: CHAIN_ID, market: MARKET, listingId: 1n, licenceId: 3n, now: 1_000 })).nonce, req.nonce);
    // A request without a nonce (an older client) still verifies.
    const { nonce: _n, ...old } = req;
    const bare = { ...old, signature: await key.signMessage(deliveryMessage(old)) };
    assert.equal((await verifyDeliveryRequest(bare, { chainId: CHAIN_ID, market: MARKET, now: 1_000 })).address, key.address);
    const v = await verifyDeliveryRequest(JSON.parse(JSON.stringify(req)), { chainId: CHAIN_ID, market: MARKET, now: 1_200 });
    assert.equal(v.address, key.address);
    assert.equal(v.publicKey, key.publicKey);
  });

  it('are refused when stale, for another chain or market, tampered or malformed', async () => {
    const key = dataKeyFromPrivateKey(generatePrivateKey());
    const req = await buildDeliveryRequest(key, { chainId: CHAIN_ID, market: MARKET, listingId: 1n, licenceId: 3n, now: 1_000 });
    const opts = { chainId: CHAIN_ID, market: MARKET, now: 1_000 };
    await assert.rejects(verifyDeliveryRequest(req, { ...opts, now: 1_301 }), (e: unknown) => e instanceof DataDeliveryError && e.code === 'REQUEST_EXPIRED' && e.status === 401);
    await assert.rejects(verifyDeliveryRequest(req, { ...opts, chainId: 1 }), (e: unknown) => e instanceof DataDeliveryError && e.code === 'WRONG_CHAIN');
    await assert.rejects(verifyDeliveryRequest(req, { ...opts, market: `0x${'1'.repeat(40)}` as Address }), (e: unknown) => e instanceof DataDeliveryError && e.code === 'WRONG_MARKET');
    // Another licence id under the same signature recovers a different key: not the licensee.
    const other = await verifyDeliveryRequest({ ...req, licenceId: '4' }, opts);
    assert.notEqual(other.address, key.address);
    await assert.rejects(verifyDeliveryRequest({ ...req, licenceId: '0x3' }, opts), (e: unknown) => e instanceof InvalidDataInputError && e.field === 'licenceId');
    // Ids that do not fit uint256 are named, not passed on to the chain.
    await assert.rejects(verifyDeliveryRequest({ ...req, licenceId: '9'.repeat(78) }, opts), (e: unknown) => e instanceof InvalidDataInputError && e.field === 'licenceId' && /at most 2\^256-1/.test(e.message));
    await assert.rejects(verifyDeliveryRequest({ ...req, listingId: (2n ** 256n).toString() }, opts), (e: unknown) => e instanceof InvalidDataInputError && e.field === 'listingId');
    await assert.rejects(verifyDeliveryRequest({ ...req, listingId: '1'.repeat(100) }, opts), (e: unknown) => e instanceof InvalidDataInputError && e.field === 'listingId');
    // Dated ahead of the node's clock: 60 s of drift at most, not a longer life.
    await verifyDeliveryRequest(req, { ...opts, now: 950 });
    await assert.rejects(verifyDeliveryRequest(req, { ...opts, now: 939 }), (e: unknown) => e instanceof DataDeliveryError && e.code === 'REQUEST_EXPIRED' && /after now/.test(e.message));
    // The replay key is the signer and what it signed, whatever the encoding.
    const v = await verifyDeliveryRequest(req, opts);
    assert.equal(v.replayKey, (await verifyDeliveryRequest(JSON.parse(JSON.stringify({ ...req, market: MARKET.toLowerCase() })), opts)).replayKey);
    await assert.rejects(verifyDeliveryRequest({ ...req, signature: '0x12' }, opts), (e: unknown) => e instanceof InvalidDataInputError && e.field === 'signature');
    await assert.rejects(verifyDeliveryRequest({ ...req, nonce: 'XYZ' }, opts), (e: unknown) => e instanceof InvalidDataInputError && e.field === 'nonce');
    // Another nonce under the same signature recovers another key.
    assert.notEqual((await verifyDeliveryRequest({ ...req, nonce: 'ab'.repeat(16) }, opts)).address, key.address);
    await assert.rejects(verifyDeliveryRequest(null, opts), (e: unknown) => e instanceof InvalidDataInputError && e.field === 'body');
  });
});

type Tamper = { flip?: string; root?: Hex; path?: string; cut?: boolean; refuse?: boolean };

describe('the delivery client against a node', () => {
  let server: Server;
  let nodeUrl: string;
  let tamper: Tamper = {};
  let licensee: DataKey;
  const dirs: string[] = [];
  const outDir = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'delivery-'));
    dirs.push(d);
    return path.join(d, 'out');
  };

  before(async () => {
    licensee = dataKeyFromPrivateKey(generatePrivateKey());
    // The node: checks the signed request, then streams sealed frames to the recovered key, misbehaving on demand.
    server = createServer(async (req, res) => {
      const body = JSON.parse(Buffer.from(await collect(req)).toString('utf8'));
      let who;
      try {
        who = await verifyDeliveryRequest(body, { chainId: CHAIN_ID, market: MARKET });
      } catch (e) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: (e as DataDeliveryError).code, message: (e as Error).message } }));
        return;
      }
      if (tamper.refuse || who.address !== licensee.address) {
        res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'NOT_LICENSED', message: `key ${who.address} holds no licence ${body.licenceId}` } }));
        return;
      }
      res.writeHead(200, { 'content-type': DELIVERY_CONTENT_TYPE });
      const m = tamper.root ? { ...manifest, root: tamper.root } : manifest;
      let n = 0;
      // Whole frames (sealDelivery hands a file over in pieces), to misbehave one frame at a time.
      const whole = await frames(await collect(sealDelivery({ listingId: body.listingId, licenceId: body.licenceId, manifest: m, paths: delivered, excluded, publicKey: who.publicKey, read: async (e) => files.get(e.path)! })));
      for (const f0 of whole) {
        let frame = encodeFrame(f0);
        if (tamper.cut && n === 2) {
          res.end(Buffer.from(frame.subarray(0, 50)));
          return;
        }
        if (n > 0 && (tamper.flip || tamper.path)) {
          const f = (await frames(frame))[0]!;
          if (f.kind === 'file') {
            const { file, bytes } = openFile(licensee, f.box);
            // Re-seal the file with one plaintext byte flipped: decryption succeeds, the digest does not.
            if (file.path === tamper.flip) {
              const plain = new Uint8Array(bytes);
              plain[3]! ^= 0x20;
              frame = sealFileFrame(who.publicKey, file, plain);
            }
            if (tamper.path && n === 1) frame = sealFileFrame(who.publicKey, { ...file, path: tamper.path }, bytes);
          }
        }
        res.write(Buffer.from(frame));
        n++;
      }
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = server.address() as { port: number };
    nodeUrl = `http://127.0.0.1:${addr.port}`;
  });

  after(() => {
    server?.closeAllConnections();
    server?.close();
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  });

  const fetchAll = async (key: DataKey, out?: string, root: Hex = manifest.root) => {
    const body = await requestDelivery({ nodeUrl, key, chainId: CHAIN_ID, market: MARKET, listingId: 1n, licenceId: 3n });
    return receiveDelivery({ body, root, listingId: 1n, licenceId: 3n, key, outDir: out });
  };

  it('delivers every covered file, verified, and writes them under the output folder', async () => {
    tamper = {};
    const out = outDir();
    const progress: string[] = [];
    const body = await requestDelivery({ nodeUrl, key: licensee, chainId: CHAIN_ID, market: MARKET, listingId: 1n, licenceId: 3n });
    const r = await receiveDelivery({ body, root: manifest.root, listingId: 1n, licenceId: 3n, key: licensee, outDir: out, onProgress: (e) => progress.push(e.phase) });
    assert.equal(r.verified, true);
    assert.deepEqual(r.files.map((f) => f.path), delivered);
    assert.deepEqual(r.excluded, excluded);
    assert.deepEqual(progress, ['header', ...delivered.map(() => 'file')]);
    for (const p of delivered) assert.deepEqual(new Uint8Array(readFileSync(path.join(out, p))), files.get(p));
    assert.equal(existsSync(path.join(out, 'south')), false);
    assert.deepEqual(readdirSync(path.join(out, 'north')).filter((n) => n.includes('partial')), []);
    // In memory without an output folder.
    const mem = await fetchAll(licensee);
    assert.deepEqual(mem.files.find((f) => f.path === 'README.md')!.bytes, files.get('README.md'));
  });

  it('names the file with a flipped byte and writes nothing', async () => {
    tamper = { flip: 'north/p-00002.json' };
    const out = outDir();
    await assert.rejects(fetchAll(licensee, out), (e: unknown) => {
      assert.ok(e instanceof DataVerificationError, String(e));
      assert.equal(e.file, 'north/p-00002.json');
      assert.match(e.message, /^north\/p-00002\.json: its digest 0x[0-9a-f]{64} is not the manifest entry's 0x[0-9a-f]{64}: the file was altered$/);
      return true;
    });
    assert.deepEqual(readdirSync(path.join(out, 'north')), []);
  });

  it('refuses a delivery whose root is not the one on chain', async () => {
    tamper = {};
    await assert.rejects(fetchAll(licensee, undefined, `0x${'ab'.repeat(32)}`), (e: unknown) => e instanceof DataVerificationError && /is not the listing's dataset root/.test(e.message));
    // A node that claims the chain's root but serves files of another dataset: each proof fails.
    tamper = { root: `0x${'ab'.repeat(32)}` };
    await assert.rejects(fetchAll(licensee, undefined, `0x${'ab'.repeat(32)}`), (e: unknown) => e instanceof DataVerificationError && e.file === 'README.md' && /inclusion proof fails/.test(e.message));
  });

  it('refuses a path that would leave the output folder', async () => {
    for (const evil of ['../escape.json', '/etc/passwd', 'north/../../x', 'a\\..\\b']) {
      tamper = { path: evil };
      const out = outDir();
      await assert.rejects(fetchAll(licensee, out), (e: unknown) => e instanceof DataVerificationError && e.file === evil && /refused/.test(e.message), evil);
      assert.equal(existsSync(path.join(out, '..', 'escape.json')), false);
    }
    // A link inside the output folder that points outside it is not followed.
    tamper = {};
    const out = outDir();
    const outside = mkdtempSync(path.join(tmpdir(), 'outside-'));
    dirs.push(outside);
    mkdirSync(out, { recursive: true });
    symlinkSync(outside, path.join(out, 'north'));
    await assert.rejects(fetchAll(licensee, out), (e: unknown) => e instanceof DataVerificationError && /link that leaves/.test(e.message));
    assert.deepEqual(readdirSync(outside), []);
  });

  it('reports a cut stream, a refusal with the node\'s code, and another key', async () => {
    tamper = { cut: true };
    const out = outDir();
    await assert.rejects(fetchAll(licensee, out), (e: unknown) => e instanceof DataDeliveryError && e.code === 'DELIVERY_TRUNCATED');
    assert.deepEqual(readdirSync(out, { recursive: true }), [], 'the file verified before the cut is not kept');
    tamper = { refuse: true };
    await assert.rejects(fetchAll(licensee), (e: unknown) => e instanceof DataDeliveryError && e.status === 403 && e.code === 'NOT_LICENSED' && /holds no licence 3/.test(e.message));
    tamper = {};
    const stranger = dataKeyFromPrivateKey(generatePrivateKey());
    await assert.rejects(fetchAll(stranger), (e: unknown) => e instanceof DataDeliveryError && e.status === 403);
  });

  it('stops on an error frame naming the manifest path, never the node\'s own, when its copy changed or is unreadable', async () => {
    tamper = {};
    const changed = new Map(files);
    changed.set('north/p-00003.json', enc('{"changed":true}\n'));
    const details: string[] = [];
    const seal = (read: (e: { path: string }) => Promise<Uint8Array>) =>
      sealDelivery({ listingId: 1n, licenceId: 3n, manifest, paths: delivered, excluded, publicKey: licensee.publicKey, read, onFileError: (p, d) => details.push(`${p}: ${d}`) });
    const stream = seal(async (e) => changed.get(e.path)!);
    const got = await frames(await collect(stream));
    assert.deepEqual(got.map((f) => f.kind), ['header', 'file', 'file', 'file', 'error']);
    await assert.rejects(
      receiveDelivery({ body: stream, root: manifest.root, listingId: 1n, licenceId: 3n, key: licensee }),
      // The generator is spent: an empty stream has no header.
      (e: unknown) => e instanceof DataDeliveryError,
    );
    await assert.rejects(
      receiveDelivery({ body: seal(async (e) => changed.get(e.path)!), root: manifest.root, listingId: 1n, licenceId: 3n, key: licensee }),
      (e: unknown) => e instanceof DataDeliveryError && e.code === 'FILE_CHANGED' && /a stored file of this dataset is unreadable or changed: north\/p-00003\.json/.test(e.message),
    );
    const secret = '/home/seller/private/cohort/north/p-00002.json';
    const unreadable = await frames(
      await collect(
        seal(async (e) => {
          if (e.path === 'north/p-00002.json') throw new Error(`ENOENT: no such file or directory, open '${secret}'`);
          return files.get(e.path)!;
        }),
      ),
    );
    const last = unreadable.at(-1)!;
    assert.ok(last.kind === 'error');
    assert.deepEqual(last.error, { code: 'FILE_UNREADABLE', message: 'a stored file of this dataset is unreadable or changed: north/p-00002.json' });
    assert.ok(details.some((d) => d.includes(secret)), 'the detail goes to the node\'s log');
  });
});

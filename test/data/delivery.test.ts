// Sealed delivery: the frame format (round trip in any chunking, bounds checked from the length prefix, truncation
// named), the signed request (checked by the node side), and the client against a tiny HTTP server that speaks the
// format: files verified against the dataset root and their manifest entries, written only inside the output
// folder and only when everything verified; a flipped byte, a wrong root or a traversal path is named.
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
import { decodeFrames, DELIVERY_CONTENT_TYPE, encodeFrame, type DeliveryFrame, type DeliveryHeader } from '../../src/data/deliveryFormat.ts';
import { buildDeliveryRequest, deliveryMessage, verifyDeliveryRequest } from '../../src/data/deliveryRequest.ts';
import { sealDelivery } from '../../src/data/deliverySeal.ts';
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
        encodeFrame({ kind: 'header', header: header() }),
        encodeFrame({ kind: 'file', file: { path: 'README.md', size: 21, fileRoot: manifest.files[0]!.root, proof: tree.proof(0) }, box: encryptTo(key.publicKey, files.get('README.md')!) }),
        encodeFrame({ kind: 'error', error: { code: 'X', message: 'stopped' } }),
      ]),
    );
    for (const size of [1, 3, 5, 7, 64, bytes.length]) {
      const got = await frames(pieces(bytes, size));
      assert.deepEqual(got.map((f) => f.kind), ['header', 'file', 'error'], `pieces of ${size}`);
      const f = got[1]!;
      assert.ok(f.kind === 'file');
      assert.equal(new TextDecoder().decode(key.decrypt(f.box)), '# synthetic patients\n');
      assert.deepEqual(got[0], { kind: 'header', header: header() });
    }
  });

  it('says where a stream was cut', async () => {
    const bytes = encodeFrame({ kind: 'header', header: header() });
    await assert.rejects(frames(bytes.subarray(0, 3)), (e: unknown) => e instanceof DataDeliveryError && e.code === 'DELIVERY_TRUNCATED' && /length prefix of frame 0 \(3 of 5 bytes\)/.test(e.message));
    await assert.rejects(frames(bytes.subarray(0, 40)), (e: unknown) => e instanceof DataDeliveryError && /ended inside frame 0 \(expected [\d,]+ bytes, got 35\)/.test(e.message));
  });

  it('refuses unknown frame types and oversized frames from the prefix alone', async () => {
    await assert.rejects(frames(new Uint8Array([9, 0, 0, 0, 1, 0])), /unknown type 9/);
    // A header claiming 2 GiB is refused before a byte of it is buffered.
    await assert.rejects(frames(new Uint8Array([1, 0x80, 0, 0, 0])), (e: unknown) => e instanceof DataDeliveryError && e.code === 'DELIVERY_TOO_LARGE');
    const big = encodeFrame({ kind: 'file', file: { path: 'a', size: 3, fileRoot: manifest.root, proof: [] }, box: new Uint8Array(5_000) });
    await assert.rejects(frames(big, { maxFileBytes: 1_000 }), (e: unknown) => e instanceof DataDeliveryError && e.code === 'DELIVERY_TOO_LARGE' && /^a: the sealed file is 5,000 bytes/.test(e.message));
    await assert.rejects(frames(new Uint8Array([2, 0x7f, 0, 0, 0]), { maxFileBytes: 100 }), /frame 0 is 2,130,706,432 bytes, more than the 1,048,680 allowed/);
  });

  it('checks headers and file headers on both sides, naming the field', async () => {
    assert.throws(() => encodeFrame({ kind: 'header', header: header({ root: '0x12' as Hex }) }), /header.root/);
    assert.throws(() => encodeFrame({ kind: 'header', header: header({ licenceId: '0' }) }), /header.licenceId/);
    const bad = new Uint8Array(Buffer.concat([Buffer.from([1, 0, 0, 0, 2]), Buffer.from('{}')]));
    await assert.rejects(frames(bad), (e: unknown) => e instanceof DataDeliveryError && e.field === 'header.type');
    const notJson = new Uint8Array(Buffer.concat([Buffer.from([1, 0, 0, 0, 2]), Buffer.from('{x')]));
    await assert.rejects(frames(notJson), /not valid UTF-8 JSON/);
  });
});

describe('delivery requests', () => {
  it('are signed by the key and recovered by the node with its public key', async () => {
    const key = dataKeyFromPrivateKey(generatePrivateKey());
    const req = await buildDeliveryRequest(key, { chainId: CHAIN_ID, market: MARKET.toLowerCase() as Address, listingId: 1n, licenceId: 3n, now: 1_000 });
    assert.deepEqual(Object.keys(req).sort(), ['chainId', 'licenceId', 'listingId', 'market', 'signature', 'timestamp']);
    assert.equal(req.market, MARKET);
    assert.equal(deliveryMessage(req), `machina-data-delivery\nchain:31337\nmarket:${MARKET}\nlisting:1\nlicence:3\ntime:1000`);
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
    await assert.rejects(verifyDeliveryRequest({ ...req, signature: '0x12' }, opts), (e: unknown) => e instanceof InvalidDataInputError && e.field === 'signature');
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
      for await (let frame of sealDelivery({ listingId: body.listingId, licenceId: body.licenceId, manifest: m, paths: delivered, excluded, publicKey: who.publicKey, read: async (e) => files.get(e.path)! })) {
        if (tamper.cut && n === 2) {
          res.end(Buffer.from(frame.subarray(0, 50)));
          return;
        }
        if (n > 0 && (tamper.flip || tamper.path)) {
          const f = (await frames(frame))[0]!;
          if (f.kind === 'file' && f.file.path === tamper.flip) {
            // Re-seal the file with one plaintext byte flipped: decryption succeeds, the digest does not.
            const plain = licensee.decrypt(f.box);
            plain[3]! ^= 0x20;
            frame = encodeFrame({ kind: 'file', file: f.file, box: encryptTo(who.publicKey, plain) });
          }
          if (f.kind === 'file' && tamper.path && n === 1) frame = encodeFrame({ kind: 'file', file: { ...f.file, path: tamper.path }, box: f.box });
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

  it('stops on an error frame when the node\'s copy changed', async () => {
    tamper = {};
    const changed = new Map(files);
    changed.set('north/p-00003.json', enc('{"changed":true}\n'));
    const stream = sealDelivery({ listingId: 1n, licenceId: 3n, manifest, paths: delivered, excluded, publicKey: licensee.publicKey, read: async (e) => changed.get(e.path)! });
    const got = await frames(await collect(stream));
    assert.deepEqual(got.map((f) => f.kind), ['header', 'file', 'file', 'file', 'error']);
    await assert.rejects(
      receiveDelivery({ body: stream, root: manifest.root, listingId: 1n, licenceId: 3n, key: licensee }),
      // The generator is spent: an empty stream has no header.
      (e: unknown) => e instanceof DataDeliveryError,
    );
    const again = sealDelivery({ listingId: 1n, licenceId: 3n, manifest, paths: delivered, excluded, publicKey: licensee.publicKey, read: async (e) => changed.get(e.path)! });
    await assert.rejects(receiveDelivery({ body: again, root: manifest.root, listingId: 1n, licenceId: 3n, key: licensee }), (e: unknown) => e instanceof DataDeliveryError && e.code === 'FILE_CHANGED' && /north\/p-00003\.json/.test(e.message));
  });
});

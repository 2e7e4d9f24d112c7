// Content-addressed blobs: every way of fetching checks the sha256, and putBlob speaks the node's PUT /v1/blobs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { dataUri, fetchBlob, putBlob } from '../../src/compute/blobs.ts';
import { sha256Hex } from '../../src/compute/workloads/index.ts';
import { MachinaError } from '../../src/errors/index.ts';

const bytes = new TextEncoder().encode('a workload input, exactly these bytes');
const digest = sha256Hex(bytes);
const otherDigest = sha256Hex(new Uint8Array([1]));

async function rejectsWith(p: Promise<unknown>, code: string, field?: string): Promise<MachinaError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof MachinaError, `expected a MachinaError ${code}, got ${caught === undefined ? 'success' : String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (field !== undefined) assert.equal(caught.field, field, caught.message);
  return caught;
}

describe('fetchBlob', () => {
  let server: Server;
  let base: string;
  const stored = new Map<string, Uint8Array>();
  let lieAboutDigest = false;

  before(async () => {
    server = createServer((req, res) => {
      const url = req.url ?? '/';
      if (req.method === 'PUT' && url === '/v1/blobs') {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = new Uint8Array(Buffer.concat(chunks));
          if (req.headers['content-type'] !== 'application/octet-stream') {
            res.writeHead(415, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'octet-stream only', field: 'content-type' } }));
            return;
          }
          const d = sha256Hex(body);
          assert.equal(req.headers['x-content-sha256'], d);
          stored.set(d, body);
          const answered = lieAboutDigest ? otherDigest : d;
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ digest: answered, uri: `${base}/v1/blobs/${answered}`, size: body.length }));
        });
        return;
      }
      if (url.startsWith('/v1/blobs/')) {
        const b = stored.get(url.slice('/v1/blobs/'.length));
        if (!b) return void res.writeHead(404).end();
        return void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(b);
      }
      if (url === '/ok') return void res.writeHead(200).end(bytes);
      if (url === '/tampered') return void res.writeHead(200).end(Buffer.concat([Buffer.from(bytes), Buffer.from('!')]));
      if (url === '/big') return void res.writeHead(200, { 'content-length': '100000' }).end(Buffer.alloc(100_000));
      if (url === '/big-chunked') {
        res.writeHead(200); // no content-length: the cap must hold while reading
        for (let i = 0; i < 10; i++) res.write(Buffer.alloc(10_000));
        return void res.end();
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reads data: URIs and checks their digest', async () => {
    const uri = dataUri(bytes);
    assert.match(uri, /^data:application\/octet-stream;base64,/);
    assert.deepEqual(await fetchBlob(uri, digest), bytes);
    assert.deepEqual(await fetchBlob(uri, digest.toUpperCase().replace('0X', '0x') as `0x${string}`), bytes);
    const e = await rejectsWith(fetchBlob(uri, otherDigest), 'BLOB_DIGEST_MISMATCH', 'uri');
    assert.ok(e.message.includes(digest) && e.message.includes(otherDigest), e.message);
    // Plain (percent-encoded) data: URIs too.
    assert.deepEqual(await fetchBlob(`data:,${encodeURIComponent('a workload input, exactly these bytes')}`, digest), bytes);
    await rejectsWith(fetchBlob(uri, digest, { maxBytes: 10 }), 'BLOB_TOO_LARGE', 'uri');
    await rejectsWith(fetchBlob('data:;base64,@@@', digest), 'INVALID_ARGUMENT', 'uri');
  });

  it('reads http URIs, checks the digest and the size cap', async () => {
    assert.deepEqual(await fetchBlob(`${base}/ok`, digest), bytes);
    const e = await rejectsWith(fetchBlob(`${base}/tampered`, digest), 'BLOB_DIGEST_MISMATCH', 'uri');
    assert.match(e.message, new RegExp(`expected ${digest}`));
    await rejectsWith(fetchBlob(`${base}/missing`, digest), 'BLOB_NOT_FOUND', 'uri');
    await rejectsWith(fetchBlob(`${base}/big`, digest, { maxBytes: 50_000 }), 'BLOB_TOO_LARGE', 'uri');
    await rejectsWith(fetchBlob(`${base}/big-chunked`, digest, { maxBytes: 50_000 }), 'BLOB_TOO_LARGE', 'uri');
    await rejectsWith(fetchBlob('http://127.0.0.1:1/nothing', digest), 'BLOB_UNREACHABLE', 'uri');
  });

  it('reads file URIs only when allowed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'machina-blobs-'));
    try {
      const file = path.join(dir, 'input.bin');
      writeFileSync(file, bytes);
      const uri = pathToFileURL(file).href;
      await rejectsWith(fetchBlob(uri, digest), 'INVALID_ARGUMENT', 'uri');
      assert.deepEqual(await fetchBlob(uri, digest, { allowFile: true }), bytes);
      await rejectsWith(fetchBlob(uri, otherDigest, { allowFile: true }), 'BLOB_DIGEST_MISMATCH', 'uri');
      await rejectsWith(fetchBlob(pathToFileURL(path.join(dir, 'none')).href, digest, { allowFile: true }), 'BLOB_NOT_FOUND', 'uri');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad arguments naming them', async () => {
    await rejectsWith(fetchBlob(dataUri(bytes), '0x1234' as `0x${string}`), 'INVALID_ARGUMENT', 'expectedDigest');
    await rejectsWith(fetchBlob('ftp://example.com/x', digest), 'INVALID_ARGUMENT', 'uri');
    await rejectsWith(fetchBlob('', digest), 'INVALID_ARGUMENT', 'uri');
  });

  it('putBlob stores bytes at a node and the URI it returns fetches them back', async () => {
    const put = await putBlob(`${base}/`, bytes);
    assert.equal(put.digest, digest);
    assert.equal(put.size, bytes.length);
    assert.deepEqual(await fetchBlob(put.uri, put.digest), bytes);
    lieAboutDigest = true;
    try {
      await rejectsWith(putBlob(base, bytes), 'BLOB_DIGEST_MISMATCH', 'nodeUrl');
    } finally {
      lieAboutDigest = false;
    }
    await rejectsWith(putBlob('http://127.0.0.1:1', bytes), 'NODE_UNREACHABLE', 'nodeUrl');
    await rejectsWith(putBlob('ftp://x', bytes), 'INVALID_ARGUMENT', 'nodeUrl');
  });
});

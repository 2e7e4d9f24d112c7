// Content-addressed bytes for compute jobs: workloads, inputs and outputs travel as URIs (a node's blob store,
// any http(s) server, a data: URI, a local file) and are named by their sha256, which every fetch checks, so
// the place they came from never has to be trusted.
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Hex } from 'viem';
import { InvalidArgumentError, MachinaError } from '../errors/index.ts';
import { sha256Hex } from './workloads/bundle.ts';

/** Largest blob fetched when the caller gives no cap. */
export const DEFAULT_MAX_BLOB_BYTES = 64 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 60_000;

/** A URI shortened for messages (data: URIs can be megabytes long). */
const shortUri = (uri: string) => (uri.length > 80 ? `${uri.slice(0, 77)}...` : uri);

const tooLarge = (uri: string, size: number | string, max: number) =>
  new MachinaError(`blob ${shortUri(uri)} is ${size} bytes, over the ${max}-byte limit`, { code: 'BLOB_TOO_LARGE', field: 'uri', details: { max } });

/**
 * A data: URI holding `bytes` (base64).
 * @example dataUri(new Uint8Array([1, 2])) // 'data:application/octet-stream;base64,AQI='
 */
export function dataUri(bytes: Uint8Array): string {
  return `data:application/octet-stream;base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`;
}

export type PutBlobOptions = { timeoutMs?: number; fetch?: typeof globalThis.fetch };
export type PutBlobReturnType = { digest: Hex; uri: string; size: number };

/**
 * Stores `bytes` in a node's blob store (PUT {nodeUrl}/v1/blobs) and returns their digest and the URI to fetch
 * them from. The node's digest is checked against the local one.
 * @example const { digest, uri } = await putBlob('http://127.0.0.1:8787', workloadBytes)
 */
export async function putBlob(nodeUrl: string, bytes: Uint8Array, { timeoutMs = DEFAULT_TIMEOUT_MS, fetch: doFetch = globalThis.fetch }: PutBlobOptions = {}): Promise<PutBlobReturnType> {
  const base = nodeUrl.replace(/\/+$/, '');
  if (!/^https?:\/\//i.test(base)) throw new InvalidArgumentError('nodeUrl', `must be an http(s) URL, got ${JSON.stringify(shortUri(nodeUrl))}`);
  const digest = sha256Hex(bytes);
  let res: Response;
  try {
    res = await doFetch(`${base}/v1/blobs`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', accept: 'application/json', 'x-content-sha256': digest },
      body: bytes as Uint8Array<ArrayBuffer>,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const timedOut = err instanceof Error && err.name === 'TimeoutError';
    throw new MachinaError(timedOut ? `the node at ${base} did not store the blob within ${timeoutMs} ms` : `cannot reach the node at ${base} to store a blob`, {
      code: 'NODE_UNREACHABLE',
      field: 'nodeUrl',
      cause: err,
    });
  }
  const text = await res.text();
  let json: { digest?: unknown; uri?: unknown; size?: unknown; error?: { code?: unknown; message?: unknown; field?: unknown } } | null = null;
  try {
    json = JSON.parse(text);
  } catch {
    // reported below
  }
  if (!res.ok) {
    const e = json?.error;
    throw new MachinaError(typeof e?.message === 'string' ? `storing a blob at ${base}: ${e.message}` : `the node at ${base} answered ${res.status} to PUT /v1/blobs`, {
      code: typeof e?.code === 'string' ? e.code : `HTTP_${res.status}`,
      field: typeof e?.field === 'string' ? e.field : 'nodeUrl',
    });
  }
  if (!json || typeof json.uri !== 'string' || typeof json.digest !== 'string') {
    throw new MachinaError(`the node at ${base} answered PUT /v1/blobs without { digest, uri }`, { code: 'NODE_BAD_ANSWER', field: 'nodeUrl' });
  }
  if (json.digest.toLowerCase() !== digest) {
    throw new MachinaError(`the node at ${base} stored the blob as ${json.digest}, but its sha256 is ${digest}`, { code: 'BLOB_DIGEST_MISMATCH', field: 'nodeUrl' });
  }
  return { digest, uri: json.uri, size: typeof json.size === 'number' ? json.size : bytes.length };
}

export type FetchBlobOptions = {
  /** Refuse blobs larger than this (default 64 MiB); checked before and while reading. */
  maxBytes?: number;
  /** For http(s) (default 60 s). */
  timeoutMs?: number;
  /**
   * Allow file:// URIs (default false). URIs usually come from strangers (a job's poster); reading local files for
   * them is off unless the caller chose the URI itself.
   */
  allowFile?: boolean;
  fetch?: typeof globalThis.fetch;
};

function decodeDataUri(uri: string, maxBytes: number): Uint8Array {
  const comma = uri.indexOf(',');
  if (comma < 0) throw new InvalidArgumentError('uri', 'a data: URI needs a comma before its data');
  const header = uri.slice(5, comma);
  const payload = uri.slice(comma + 1);
  if (header.split(';').includes('base64')) {
    const clean = payload.replace(/%2B/gi, '+').replace(/%2F/gi, '/').replace(/%3D/gi, '=');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) throw new InvalidArgumentError('uri', 'the data: URI is not valid base64');
    if (Math.floor((clean.length * 3) / 4) - 2 > maxBytes) throw tooLarge(uri, `about ${Math.floor((clean.length * 3) / 4)}`, maxBytes);
    return new Uint8Array(Buffer.from(clean, 'base64'));
  }
  let text: string;
  try {
    text = decodeURIComponent(payload);
  } catch {
    throw new InvalidArgumentError('uri', 'the data: URI has a malformed %-escape');
  }
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > maxBytes) throw tooLarge(uri, bytes.length, maxBytes);
  return bytes;
}

async function fetchHttp(uri: string, maxBytes: number, timeoutMs: number, doFetch: typeof globalThis.fetch): Promise<Uint8Array> {
  let res: Response;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    res = await doFetch(uri, { headers: { accept: 'application/octet-stream' }, signal, redirect: 'follow' });
  } catch (err) {
    const timedOut = err instanceof Error && err.name === 'TimeoutError';
    throw new MachinaError(timedOut ? `blob ${shortUri(uri)}: no answer within ${timeoutMs} ms` : `blob ${shortUri(uri)}: cannot fetch (${err instanceof Error ? err.message : String(err)})`, {
      code: 'BLOB_UNREACHABLE',
      field: 'uri',
      cause: err,
    });
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new MachinaError(`blob ${shortUri(uri)}: the server answered ${res.status}`, { code: res.status === 404 ? 'BLOB_NOT_FOUND' : 'BLOB_UNREACHABLE', field: 'uri' });
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw tooLarge(uri, declared, maxBytes);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body?.getReader();
  try {
    while (reader) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > maxBytes) {
        await reader!.cancel();
        throw tooLarge(uri, `more than ${maxBytes}`, maxBytes);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof MachinaError) throw err;
    throw new MachinaError(`blob ${shortUri(uri)}: the download broke off (${err instanceof Error ? err.message : String(err)})`, { code: 'BLOB_UNREACHABLE', field: 'uri', cause: err });
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/**
 * The bytes at `uri` (http(s)://, data:, or file:// when allowed), checked against their sha256: throws
 * BLOB_DIGEST_MISMATCH naming the expected and the actual digest if they differ.
 * @example const bundle = await fetchBlob(job.workloadURI, job.workloadDigest, { maxBytes: 16 << 20 })
 */
export async function fetchBlob(uri: string, expectedDigest: Hex, opts: FetchBlobOptions = {}): Promise<Uint8Array> {
  const { maxBytes = DEFAULT_MAX_BLOB_BYTES, timeoutMs = DEFAULT_TIMEOUT_MS, allowFile = false, fetch: doFetch = globalThis.fetch } = opts;
  if (typeof expectedDigest !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(expectedDigest)) {
    throw new InvalidArgumentError('expectedDigest', `must be 0x followed by 64 hex digits, got ${JSON.stringify(String(expectedDigest).slice(0, 80))}`);
  }
  if (!Number.isInteger(maxBytes) || maxBytes < 0) throw new InvalidArgumentError('maxBytes', `must be a non-negative integer, got ${maxBytes}`);
  if (typeof uri !== 'string' || uri === '') throw new InvalidArgumentError('uri', 'is empty');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
  let bytes: Uint8Array;
  if (scheme === 'data') bytes = decodeDataUri(uri, maxBytes);
  else if (scheme === 'http' || scheme === 'https') bytes = await fetchHttp(uri, maxBytes, timeoutMs, doFetch);
  else if (scheme === 'file') {
    if (!allowFile) throw new InvalidArgumentError('uri', `file:// URIs are not allowed here (${shortUri(uri)})`);
    let path: string;
    try {
      path = fileURLToPath(uri);
    } catch (err) {
      throw new InvalidArgumentError('uri', `not a valid file URL: ${err instanceof Error ? err.message : String(err)}`);
    }
    try {
      const s = await stat(path);
      if (s.size > maxBytes) throw tooLarge(uri, s.size, maxBytes);
      bytes = new Uint8Array(await readFile(path));
    } catch (err) {
      if (err instanceof MachinaError) throw err;
      throw new MachinaError(`blob ${shortUri(uri)}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { code: 'BLOB_NOT_FOUND', field: 'uri', cause: err });
    }
    if (bytes.length > maxBytes) throw tooLarge(uri, bytes.length, maxBytes);
  } else {
    throw new InvalidArgumentError('uri', `unsupported scheme ${scheme ? `"${scheme}:"` : '(none)'}; use http(s)://, data: or file://`);
  }
  const actual = sha256Hex(bytes);
  if (actual !== expectedDigest.toLowerCase()) {
    throw new MachinaError(`blob ${shortUri(uri)}: sha256 is ${actual}, expected ${expectedDigest.toLowerCase()}`, {
      code: 'BLOB_DIGEST_MISMATCH',
      field: 'uri',
      details: { expected: expectedDigest.toLowerCase(), actual },
    });
  }
  return bytes;
}

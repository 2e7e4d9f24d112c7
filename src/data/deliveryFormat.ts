// The wire format of a data delivery (`application/vnd.machina.delivery`), shared by the node that sends it and
// the client that reads it: length-prefixed frames, [type u8][length u32 BE][payload], a header frame first, then
// one frame per file (a JSON file header and the file's sealed box), or an error frame when the sender fails
// midway. Sizes are bounded before anything is buffered, and a stream cut short says where.
import { isAddress, isHex, type Address, type Hex } from 'viem';
import { BOX_OVERHEAD } from './crypto.ts';
import { DataDeliveryError } from './errors.ts';

export const DELIVERY_CONTENT_TYPE = 'application/vnd.machina.delivery';

export const FRAME_TYPES = { header: 1, file: 2, error: 3 } as const;
/** Largest JSON part of a frame (a header, a file header, an error). */
export const MAX_JSON_BYTES = 1 << 20;
/** Default largest sealed file a reader accepts (files are opened in memory). */
export const DEFAULT_MAX_FILE_BYTES = 256 * (1 << 20);
/** A frame's length is a u32. */
const MAX_FRAME_BYTES = 2 ** 32 - 1;

export type ExcludedContributor = { index: number; account: Address; files: number };

export type DeliveryHeader = {
  type: 'machina.data-delivery';
  version: 1;
  listingId: string;
  licenceId: string;
  /** The dataset's manifest root (the listing's ProvenanceRegistry root). */
  root: Hex;
  /** File frames that follow. */
  files: number;
  /** Contributors whose records are left out (not covered by the licence, or consent revoked since). */
  excluded: ExcludedContributor[];
};

export type DeliveryFileHeader = {
  /** Manifest path (POSIX, relative). */
  path: string;
  /** Plaintext bytes. */
  size: number;
  /** The file's digest (chunk-tree root), as in its manifest entry. */
  fileRoot: Hex;
  /** Inclusion proof of the manifest leaf (path, size, fileRoot) under `root`. */
  proof: Hex[];
};

export type DeliveryFrame =
  | { kind: 'header'; header: DeliveryHeader }
  | { kind: 'file'; file: DeliveryFileHeader; box: Uint8Array }
  | { kind: 'error'; error: { code: string; message: string } };

const utf8 = new TextEncoder();

function jsonBytes(value: unknown, what: string): Uint8Array {
  const bytes = utf8.encode(JSON.stringify(value));
  if (bytes.length > MAX_JSON_BYTES) throw new DataDeliveryError(`the ${what} is ${bytes.length} bytes of JSON, more than ${MAX_JSON_BYTES}`, { code: 'DELIVERY_TOO_LARGE' });
  return bytes;
}

function frameOf(type: number, payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_FRAME_BYTES) throw new DataDeliveryError(`a frame of ${payload.length} bytes does not fit a u32 length`, { code: 'DELIVERY_TOO_LARGE' });
  const out = new Uint8Array(5 + payload.length);
  out[0] = type;
  new DataView(out.buffer).setUint32(1, payload.length);
  out.set(payload, 5);
  return out;
}

/**
 * One frame's bytes. The header and file header are checked first, so a sender cannot emit a frame the reader
 * would refuse.
 * @example
 * res.write(encodeFrame({ kind: 'header', header }))
 */
export function encodeFrame(frame: DeliveryFrame): Uint8Array {
  if (frame.kind === 'header') return frameOf(FRAME_TYPES.header, jsonBytes(checkHeader(frame.header), 'header'));
  if (frame.kind === 'error') return frameOf(FRAME_TYPES.error, jsonBytes({ code: String(frame.error.code), message: String(frame.error.message) }, 'error'));
  const head = jsonBytes(checkFileHeader(frame.file, 'file'), 'file header');
  const payload = new Uint8Array(4 + head.length + frame.box.length);
  new DataView(payload.buffer).setUint32(0, head.length);
  payload.set(head, 4);
  payload.set(frame.box, 4 + head.length);
  return frameOf(FRAME_TYPES.file, payload);
}

const malformed = (field: string, reason: string) => new DataDeliveryError(`malformed delivery: ${field} ${reason}`, { code: 'DELIVERY_MALFORMED', field });
const DECIMAL_ID = /^[1-9]\d{0,77}$/;
const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

/** Checks a header (sent or received); throws DataDeliveryError naming the field. */
export function checkHeader(h: unknown): DeliveryHeader {
  if (!h || typeof h !== 'object' || Array.isArray(h)) throw malformed('header', 'must be a JSON object');
  const x = h as Record<string, unknown>;
  if (x.type !== 'machina.data-delivery') throw malformed('header.type', `must be "machina.data-delivery" (got ${JSON.stringify(x.type)})`);
  if (x.version !== 1) throw malformed('header.version', `must be 1 (got ${JSON.stringify(x.version)})`);
  for (const f of ['listingId', 'licenceId'] as const) {
    if (typeof x[f] !== 'string' || !DECIMAL_ID.test(x[f] as string)) throw malformed(`header.${f}`, `must be a positive decimal id (got ${JSON.stringify(x[f])})`);
  }
  if (typeof x.root !== 'string' || !BYTES32.test(x.root)) throw malformed('header.root', 'must be 0x + 64 hex digits');
  if (!Number.isSafeInteger(x.files) || (x.files as number) < 0) throw malformed('header.files', `must be a file count (got ${JSON.stringify(x.files)})`);
  if (!Array.isArray(x.excluded)) throw malformed('header.excluded', 'must be a list');
  const excluded = x.excluded.map((e: unknown, i: number): ExcludedContributor => {
    const f = `header.excluded[${i}]`;
    const o = (e ?? {}) as Record<string, unknown>;
    if (!Number.isSafeInteger(o.index) || (o.index as number) < 0 || (o.index as number) > 255) throw malformed(`${f}.index`, 'must be a contributor index');
    if (typeof o.account !== 'string' || !isAddress(o.account, { strict: false })) throw malformed(`${f}.account`, 'must be an address');
    if (!Number.isSafeInteger(o.files) || (o.files as number) < 0) throw malformed(`${f}.files`, 'must be a file count');
    return { index: o.index as number, account: o.account as Address, files: o.files as number };
  });
  return {
    type: 'machina.data-delivery',
    version: 1,
    listingId: x.listingId as string,
    licenceId: x.licenceId as string,
    root: (x.root as string).toLowerCase() as Hex,
    files: x.files as number,
    excluded,
  };
}

/** Checks a file header; throws DataDeliveryError naming the field (`where` prefixes it). */
export function checkFileHeader(h: unknown, where: string): DeliveryFileHeader {
  if (!h || typeof h !== 'object' || Array.isArray(h)) throw malformed(where, 'must be a JSON object');
  const x = h as Record<string, unknown>;
  if (typeof x.path !== 'string' || x.path === '' || x.path.length > 4096) throw malformed(`${where}.path`, 'must be a non-empty path');
  if (!Number.isSafeInteger(x.size) || (x.size as number) < 0) throw malformed(`${where}.size`, `must be a byte count (got ${JSON.stringify(x.size)})`);
  if (typeof x.fileRoot !== 'string' || !BYTES32.test(x.fileRoot)) throw malformed(`${where}.fileRoot`, 'must be 0x + 64 hex digits');
  if (!Array.isArray(x.proof) || x.proof.length > 64 || !x.proof.every((p) => typeof p === 'string' && isHex(p) && BYTES32.test(p))) {
    throw malformed(`${where}.proof`, 'must be a list of at most 64 nodes of 0x + 64 hex digits');
  }
  return { path: x.path, size: x.size as number, fileRoot: x.fileRoot.toLowerCase() as Hex, proof: (x.proof as Hex[]).map((p) => p.toLowerCase() as Hex) };
}

/** Bytes received but not yet framed, without copying every chunk into one growing buffer. */
class ByteQueue {
  #chunks: Uint8Array[] = [];
  #head = 0;
  length = 0;

  push(chunk: Uint8Array) {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.length += chunk.length;
  }

  peek(offset: number): number {
    let at = this.#head + offset;
    for (const c of this.#chunks) {
      if (at < c.length) return c[at]!;
      at -= c.length;
    }
    return -1;
  }

  take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.#chunks[0]!;
      const piece = c.subarray(this.#head, Math.min(c.length, this.#head + n - filled));
      out.set(piece, filled);
      filled += piece.length;
      this.#head += piece.length;
      if (this.#head === c.length) {
        this.#chunks.shift();
        this.#head = 0;
      }
    }
    this.length -= n;
    return out;
  }
}

export type DecodeOptions = {
  /** Largest sealed file frame accepted (default 256 MiB). */
  maxFileBytes?: number;
};

const decoder = new TextDecoder('utf-8', { fatal: true });

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch {
    throw malformed(what, 'is not valid UTF-8 JSON');
  }
}

/**
 * The frames of a delivery stream, in order, as they arrive. Throws DataDeliveryError on an unknown frame type,
 * a frame over its bound (checked from its length prefix, before buffering it) or a stream that ends inside a
 * frame. Does not judge the sequence (header first, file count): the client does.
 * @example
 * for await (const f of decodeFrames(res.body)) if (f.kind === 'file') console.log(f.file.path)
 */
export async function* decodeFrames(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array, opts: DecodeOptions = {}): AsyncGenerator<DeliveryFrame> {
  const maxFile = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const q = new ByteQueue();
  let index = 0;
  let want: { type: number; length: number } | null = null;
  const chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array> = source instanceof Uint8Array ? [source] : source;
  const next = function* () {
    for (;;) {
      if (!want) {
        if (q.length < 5) return;
        const type = q.peek(0);
        const length = ((q.peek(1) << 24) | (q.peek(2) << 16) | (q.peek(3) << 8) | q.peek(4)) >>> 0;
        const bound = type === FRAME_TYPES.file ? maxFile + 4 + MAX_JSON_BYTES : MAX_JSON_BYTES;
        if (type !== FRAME_TYPES.header && type !== FRAME_TYPES.file && type !== FRAME_TYPES.error) {
          throw new DataDeliveryError(`malformed delivery: frame ${index} has unknown type ${type}`, { code: 'DELIVERY_MALFORMED' });
        }
        if (length > bound) throw new DataDeliveryError(`frame ${index} is ${length.toLocaleString('en-US')} bytes, more than the ${bound.toLocaleString('en-US')} allowed`, { code: 'DELIVERY_TOO_LARGE' });
        q.take(5);
        want = { type, length };
      }
      if (q.length < want.length) return;
      const payload = q.take(want.length);
      const type = want.type;
      want = null;
      yield frameFrom(type, payload, index++, maxFile);
    }
  };
  for await (const chunk of chunks as AsyncIterable<Uint8Array>) {
    q.push(chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk as ArrayBuffer));
    yield* next();
  }
  if (want) {
    const w = want as { length: number };
    throw new DataDeliveryError(`delivery stream ended inside frame ${index} (expected ${w.length.toLocaleString('en-US')} bytes, got ${q.length.toLocaleString('en-US')})`, { code: 'DELIVERY_TRUNCATED' });
  }
  if (q.length > 0) throw new DataDeliveryError(`delivery stream ended inside the length prefix of frame ${index} (${q.length} of 5 bytes)`, { code: 'DELIVERY_TRUNCATED' });
}

function frameFrom(type: number, payload: Uint8Array, index: number, maxFile: number): DeliveryFrame {
  if (type === FRAME_TYPES.header) return { kind: 'header', header: checkHeader(parseJson(payload, 'header')) };
  if (type === FRAME_TYPES.error) {
    const e = (parseJson(payload, `frame ${index}`) ?? {}) as Record<string, unknown>;
    return { kind: 'error', error: { code: String(e.code ?? 'DELIVERY_FAILED'), message: String(e.message ?? 'the sender failed') } };
  }
  if (payload.length < 4) throw malformed(`frame ${index}`, 'is too short for a file header');
  const headLen = new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(0);
  if (headLen > MAX_JSON_BYTES || 4 + headLen > payload.length) throw malformed(`frame ${index}`, `declares a ${headLen}-byte file header that does not fit`);
  const file = checkFileHeader(parseJson(payload.subarray(4, 4 + headLen), `frame ${index} file header`), `frame ${index} file`);
  const box = payload.subarray(4 + headLen);
  if (box.length > maxFile + BOX_OVERHEAD) {
    throw new DataDeliveryError(`${file.path}: the sealed file is ${box.length.toLocaleString('en-US')} bytes, more than the ${maxFile.toLocaleString('en-US')} allowed`, { code: 'DELIVERY_TOO_LARGE', field: file.path });
  }
  return { kind: 'file', file, box };
}

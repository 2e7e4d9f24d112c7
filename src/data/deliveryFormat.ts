// The wire format of a data delivery (`application/vnd.machina.delivery`), shared by the node that sends it and
// the client that reads it: length-prefixed frames, [type u8][length u32 BE][payload], a header frame first, then
// one frame per file, or an error frame when the sender fails midway. Only frame types and lengths are in the
// clear: the header frame is a box (ECIES, src/data/crypto.ts) of its JSON, and a file frame a box of
// [u32 BE jsonLength][file header JSON: path, size, fileRoot, proof][the file's bytes], so a recording of the stream
// shows no path, root, size field or contributor to anyone without the recipient's key. An error frame is plain JSON
// {code, message} and never carries the sender's filesystem paths. Sizes are bounded before anything is buffered,
// and a stream cut short says where.
import { isAddress, isHex, type Address, type Hex } from 'viem';
import { BOX_OVERHEAD, encryptTo, type DataKey } from './crypto.ts';
import { DataDecryptionError, DataDeliveryError } from './errors.ts';

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

/** A frame as it travels: the header and each file are sealed boxes (open them with `openHeader` / `openFile`). */
export type DeliveryFrame =
  | { kind: 'header'; box: Uint8Array }
  | { kind: 'file'; box: Uint8Array }
  | { kind: 'error'; error: { code: string; message: string } };

const utf8 = new TextEncoder();

function jsonBytes(value: unknown, what: string): Uint8Array {
  const bytes = utf8.encode(JSON.stringify(value));
  if (bytes.length > MAX_JSON_BYTES) throw new DataDeliveryError(`the ${what} is ${bytes.length} bytes of JSON, more than ${MAX_JSON_BYTES}`, { code: 'DELIVERY_TOO_LARGE' });
  return bytes;
}

/** The 5-byte prefix of a frame: its type and payload length. */
export function framePrefix(type: number, length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0 || length > MAX_FRAME_BYTES) throw new DataDeliveryError(`a frame of ${length} bytes does not fit a u32 length`, { code: 'DELIVERY_TOO_LARGE' });
  const out = new Uint8Array(5);
  out[0] = type;
  new DataView(out.buffer).setUint32(1, length);
  return out;
}

function frameOf(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out.set(framePrefix(type, payload.length), 0);
  out.set(payload, 5);
  return out;
}

/**
 * One frame's bytes, from a sealed box (header, file) or an error. The error's message must not carry the
 * sender's filesystem paths (it travels in the clear).
 * @example
 * res.write(encodeFrame({ kind: 'error', error: { code: 'FILE_CHANGED', message: 'a stored file of this dataset is unreadable or changed: a/b.json' } }))
 */
export function encodeFrame(frame: DeliveryFrame): Uint8Array {
  if (frame.kind === 'error') return frameOf(FRAME_TYPES.error, jsonBytes({ code: String(frame.error.code), message: String(frame.error.message) }, 'error'));
  if (!(frame.box instanceof Uint8Array) || frame.box.length < BOX_OVERHEAD) throw new DataDeliveryError(`a ${frame.kind} frame must carry a sealed box`, { code: 'DELIVERY_MALFORMED' });
  return frameOf(frame.kind === 'header' ? FRAME_TYPES.header : FRAME_TYPES.file, frame.box);
}

/**
 * The header frame, sealed to `publicKey` (checked first, so a sender cannot emit a header the reader refuses).
 * @example
 * res.write(sealHeaderFrame(publicKey, header))
 */
export function sealHeaderFrame(publicKey: Hex, header: DeliveryHeader): Uint8Array {
  return frameOf(FRAME_TYPES.header, encryptTo(publicKey, jsonBytes(checkHeader(header), 'header')));
}

/**
 * The start of a file box's plaintext: [u32 BE length of the JSON file header][the JSON]; the file's bytes follow.
 * @example
 * const head = fileBoxHead({ path, size, fileRoot, proof })
 */
export function fileBoxHead(file: DeliveryFileHeader): Uint8Array {
  const head = jsonBytes(checkFileHeader(file, 'file'), 'file header');
  const out = new Uint8Array(4 + head.length);
  new DataView(out.buffer).setUint32(0, head.length);
  out.set(head, 4);
  return out;
}

/**
 * A file frame sealed in memory (the node streams instead: see src/data/deliverySeal.ts); for tests and small files.
 * @example
 * res.write(sealFileFrame(publicKey, { path, size, fileRoot, proof }, bytes))
 */
export function sealFileFrame(publicKey: Hex, file: DeliveryFileHeader, bytes: Uint8Array): Uint8Array {
  const head = fileBoxHead(file);
  const plain = new Uint8Array(head.length + bytes.length);
  plain.set(head, 0);
  plain.set(bytes, head.length);
  return frameOf(FRAME_TYPES.file, encryptTo(publicKey, plain));
}

const malformed = (field: string, reason: string) => new DataDeliveryError(`malformed delivery: ${field} ${reason}`, { code: 'DELIVERY_MALFORMED', field });
const DECIMAL_ID = /^[1-9]\d{0,77}$/;
const UINT256_MAX = 2n ** 256n - 1n;
const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

/** Checks a header (sent or received); throws DataDeliveryError naming the field. */
export function checkHeader(h: unknown): DeliveryHeader {
  if (!h || typeof h !== 'object' || Array.isArray(h)) throw malformed('header', 'must be a JSON object');
  const x = h as Record<string, unknown>;
  if (x.type !== 'machina.data-delivery') throw malformed('header.type', `must be "machina.data-delivery" (got ${JSON.stringify(x.type)})`);
  if (x.version !== 1) throw malformed('header.version', `must be 1 (got ${JSON.stringify(x.version)})`);
  for (const f of ['listingId', 'licenceId'] as const) {
    if (typeof x[f] !== 'string' || !DECIMAL_ID.test(x[f] as string)) throw malformed(`header.${f}`, `must be a positive decimal id (got ${JSON.stringify(x[f])})`);
    if (BigInt(x[f] as string) > UINT256_MAX) throw malformed(`header.${f}`, 'must be at most 2^256-1');
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
 * The frames of a delivery stream, in order, as they arrive (header and files still sealed). Throws
 * DataDeliveryError on an unknown frame type, a frame over its bound (checked from its length prefix, before
 * buffering it) or a stream that ends inside a frame. Does not judge the sequence (header first, file count): the
 * client does.
 * @example
 * for await (const f of decodeFrames(res.body)) if (f.kind === 'file') console.log(openFile(key, f.box).file.path)
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
        const bound = type === FRAME_TYPES.file ? maxFile + 4 + MAX_JSON_BYTES + BOX_OVERHEAD : type === FRAME_TYPES.header ? MAX_JSON_BYTES + BOX_OVERHEAD : MAX_JSON_BYTES;
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
      yield frameFrom(type, payload, index++);
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

function frameFrom(type: number, payload: Uint8Array, index: number): DeliveryFrame {
  if (type === FRAME_TYPES.error) {
    const e = (parseJson(payload, `frame ${index}`) ?? {}) as Record<string, unknown>;
    return { kind: 'error', error: { code: String(e.code ?? 'DELIVERY_FAILED'), message: String(e.message ?? 'the sender failed') } };
  }
  if (payload.length < BOX_OVERHEAD) throw malformed(`frame ${index}`, `is ${payload.length} bytes, too short for a sealed box`);
  return type === FRAME_TYPES.header ? { kind: 'header', box: payload } : { kind: 'file', box: payload };
}

function opened(key: DataKey, box: Uint8Array, what: string): Uint8Array {
  try {
    return key.decrypt(box);
  } catch (e) {
    if (e instanceof DataDecryptionError) throw new DataDeliveryError(`the ${what} does not open with key ${key.address}: ${e.message}`, { code: 'DELIVERY_UNREADABLE', field: what });
    throw e;
  }
}

/**
 * Opens and checks a header frame's box. Throws DataDeliveryError (DELIVERY_UNREADABLE when it is not sealed to
 * `key` or was altered, DELIVERY_MALFORMED naming the field).
 * @example
 * const header = openHeader(key, frame.box)
 */
export function openHeader(key: DataKey, box: Uint8Array): DeliveryHeader {
  return checkHeader(parseJson(opened(key, box, 'header'), 'header'));
}

/**
 * Opens a file frame's box: its checked file header and the file's bytes (a view into the opened box). Throws
 * DataDeliveryError: DELIVERY_UNREADABLE (another key, or altered), DELIVERY_MALFORMED, DELIVERY_TOO_LARGE (over
 * `maxFileBytes`, default 256 MiB).
 * @example
 * const { file, bytes } = openFile(key, frame.box)
 */
export function openFile(key: DataKey, box: Uint8Array, opts: DecodeOptions & { index?: number } = {}): { file: DeliveryFileHeader; bytes: Uint8Array } {
  const maxFile = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const where = `frame ${opts.index ?? '?'}`;
  if (box.length > maxFile + 4 + MAX_JSON_BYTES + BOX_OVERHEAD) {
    throw new DataDeliveryError(`${where}: the sealed file is ${box.length.toLocaleString('en-US')} bytes, more than the ${maxFile.toLocaleString('en-US')} allowed`, { code: 'DELIVERY_TOO_LARGE' });
  }
  const plain = opened(key, box, `file of ${where}`);
  if (plain.length < 4) throw malformed(where, 'is too short for a file header');
  const headLen = new DataView(plain.buffer, plain.byteOffset, plain.byteLength).getUint32(0);
  if (headLen > MAX_JSON_BYTES || 4 + headLen > plain.length) throw malformed(where, `declares a ${headLen}-byte file header that does not fit`);
  const file = checkFileHeader(parseJson(plain.subarray(4, 4 + headLen), `${where} file header`), `${where} file`);
  const bytes = plain.subarray(4 + headLen);
  if (bytes.length > maxFile) {
    throw new DataDeliveryError(`${file.path}: the file is ${bytes.length.toLocaleString('en-US')} bytes, more than the ${maxFile.toLocaleString('en-US')} allowed`, { code: 'DELIVERY_TOO_LARGE', field: file.path });
  }
  return { file, bytes };
}

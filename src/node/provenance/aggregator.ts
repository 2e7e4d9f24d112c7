// The anchoring aggregator, an OpenTimestamps-calendar-like service in the node: clients submit
// digests (durable in the journal before they hear 202), every `intervalMs` or `maxBatch` digests the
// pending ones are sealed into a batch (a standard Merkle tree, written to its own file), and the
// batch root is anchored in one AnchorRegistry transaction by the node's signer. Receipts are built
// on demand from the batch files. Crash-safe at every step: on start the journal beyond the last
// sealed batch is replayed, and a sealed batch not known anchored is looked up on chain before it is
// (re)sent, so a root is never anchored twice and a digest that got its 202 is never lost.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { getAddress, type Address, type Hex, type TransactionReceipt } from 'viem';
import { anchorRegistryAbi } from '../../chain/artifacts/index.ts';
import type { MachinaPublicClient, MachinaWalletClient } from '../../chain/clients.ts';
import { eventOf } from '../../chain/write.ts';
import { formatError } from '../../errors/index.ts';
import { getAnchor } from '../../provenance/actions.ts';
import { MerkleTree } from '../../provenance/merkle/index.ts';
import { MAX_ANCHOR_BATCH } from '../../config/settings.ts';
import type { AnchorReceipt, ReceiptSubject } from '../../provenance/types.ts';
import { clearAnchor, loadBatches, writeAnchor, writeBatchFile, writeSent, type AnchorData, type SealedBatch } from './batches.ts';
import { FRAME_DIGESTS, FRAME_SUBJECT, encodeFrame, frameHeader, openJournal, replaySegments, type Journal } from './journal.ts';

/** Largest batch the index can address (24 bits of position per batch); the setting is bounded by the same figure. */
export const MAX_BATCH_LIMIT = MAX_ANCHOR_BATCH;
const POS = 2 ** 24;

export type AggregatorParameters = {
  /** Where the journal and batch files live (`<dataDir>/anchors`). */
  dir: string;
  client: MachinaPublicClient;
  /** The node's signer (a serializeWrites-wrapped wallet): pays for the anchoring transactions. */
  wallet: MachinaWalletClient;
  registry: Address;
  /** Seal pending digests at least this often (ms). */
  intervalMs: number;
  /** Seal as soon as this many digests are pending; also the largest batch. */
  maxBatch: number;
  /** Anchored batches younger than this many blocks are checked again (a reorg may drop their transaction). */
  recheckDepth?: number;
  log?: (line: string) => void;
  /** Called once a batch file is durable, before anything is sent (crash tests linger here). */
  afterSeal?: ((batch: { no: number; root: Hex; size: number }) => Promise<void>) | undefined;
};

export type SubmitResult = { accepted: number; fresh: number };

export type BatchSummary = { no: number; root: Hex; size: number; sealedAt: string; status: 'pending' | 'anchored'; anchor?: AnchorData | undefined };

export type Aggregator = {
  chainId: number;
  registry: Address;
  signer: Address;
  /**
   * Accepts `digests` (n * 32 bytes); resolves once every new one is on disk. Known digests
   * (pending or batched) are not written again: their receipt stays the first one.
   */
  submit(digests: Uint8Array, subject?: ReceiptSubject): Promise<SubmitResult>;
  /** The receipt of a digest (lowercase 0x hex or 32 bytes), pending or anchored; undefined if never submitted. */
  receipt(digest: Hex | Uint8Array, node?: string): AnchorReceipt | undefined;
  /**
   * The receipts of `digests` (n * 32 bytes), in order (undefined for one never submitted). Proofs
   * are made batch by batch, so many digests of a few batches build each batch's tree once.
   */
  receipts(digests: Uint8Array, node?: string): Array<AnchorReceipt | undefined>;
  /** Digests accepted and not anchored yet (pending or sealed and in flight). */
  pendingCount(): number;
  batches(): BatchSummary[];
  batchByRoot(root: Hex): BatchSummary | undefined;
  /** Seals what is pending now and waits until every batch sealed so far is anchored (tests, shutdown). */
  flush(timeoutMs?: number): Promise<void>;
  stats(): { accepted: number; batches: number; anchored: number; pending: number; syncs: number; syncMs: number };
  stop(): Promise<void>;
};

// Digests are kept as 32-character latin1 strings: the cheapest exact Map key a Buffer slice gives.
const keyOf = (d: Buffer, at = 0) => d.toString('latin1', at, at + 32);
const asBuffer = (d: Uint8Array) => (Buffer.isBuffer(d) ? d : Buffer.from(d.buffer, d.byteOffset, d.byteLength));
const hexOfKey = (k: string) => `0x${Buffer.from(k, 'latin1').toString('hex')}` as Hex;
// Digests accepted together share a time: its ISO form is made once.
let lastTime = NaN;
let lastIso = '';
const isoOf = (t: number) => (t === lastTime ? lastIso : ((lastTime = t), (lastIso = new Date(t).toISOString())));

/**
 * Opens the aggregator over `dir` (recovering whatever a crash left) and starts sealing and anchoring.
 * @example
 * const agg = await startAggregator({ dir: path.join(dataDir, 'anchors'), client, wallet: nodeWallet, registry, intervalMs: 5000, maxBatch: 1_000_000 })
 * await agg.submit(digestBytes)
 * agg.receipt('0x…')?.status // 'pending', later 'anchored'
 */
export async function startAggregator(p: AggregatorParameters): Promise<Aggregator> {
  const { dir, client, wallet } = p;
  const registry = getAddress(p.registry);
  const log = p.log ?? (() => {});
  const maxBatch = Math.max(1, Math.min(p.maxBatch, MAX_BATCH_LIMIT));
  if (maxBatch !== p.maxBatch) log(`anchors: a batch holds at most ${MAX_BATCH_LIMIT} digests; sealing at ${maxBatch}`);
  const recheckDepth = p.recheckDepth ?? 64;
  const chainId = client.chain.id;
  mkdirSync(dir, { recursive: true });

  // --- recovery: batch files, then the journal beyond the last sealed batch.
  const batches: SealedBatch[] = [];
  /**
   * Every digest the aggregator knows, in one map (one lookup per digest on the hot path): a value
   * >= 0 is its place in a batch (batch * 2^24 + index), a negative one marks it pending since -value (ms).
   */
  const index = new Map<string, number>();
  const addBatch = (b: SealedBatch) => {
    batches[b.no] = b;
    for (let i = 0; i < b.count; i++) {
      const k = keyOf(b.digests, i * 32);
      if (!index.has(k)) index.set(k, b.no * POS + i);
    }
  };
  let lastNo = 0;
  let sealedSeq = 0;
  for (const b of loadBatches(dir)) {
    addBatch(b);
    lastNo = b.no;
    sealedSeq = Math.max(sealedSeq, b.journalSeq);
  }
  /** Pending digests in acceptance order (their times are in `index`). */
  let pending: string[] = [];
  let subjects = new Map<string, ReceiptSubject>();
  const isPending = (k: string) => (index.get(k) ?? 0) < 0;
  const { frames, torn, skipped } = replaySegments(dir, sealedSeq);
  if (skipped > 0) log(`anchors: WARNING: ${skipped} damaged byte(s) inside the journal skipped (a failed write that could not be cut back); every whole frame after them was kept`);
  for (const f of frames) {
    if (f.kind === FRAME_DIGESTS) {
      const t = f.payload.readDoubleLE(0);
      for (let at = 8; at + 32 <= f.payload.length; at += 32) {
        const k = f.payload.toString('latin1', at, at + 32);
        if (!index.has(k)) {
          index.set(k, -t);
          pending.push(k);
        }
      }
    } else if (f.kind === FRAME_SUBJECT) {
      const k = f.payload.toString('latin1', 0, 32);
      if (!subjects.has(k)) subjects.set(k, JSON.parse(f.payload.toString('utf8', 32)) as ReceiptSubject);
    }
  }
  // Subjects of digests that are already in batches were recorded there.
  for (const k of subjects.keys()) if (!isPending(k)) subjects.delete(k);
  if (pending.length > 0 || torn > 0) log(`anchors: ${pending.length} pending digest(s) recovered from the journal${torn ? ` (${torn} byte(s) of an unacknowledged write dropped)` : ''}`);
  const journal: Journal = await openJournal(dir);
  // Segments a batch file already covers (a crash came between sealing and their removal).
  journal.dropUpTo(sealedSeq);
  let stopped = false;
  let accepted = 0;

  // --- trees, built on demand for proofs (a few recent batches kept).
  const trees = new Map<number, MerkleTree>();
  const treeOf = (b: SealedBatch): MerkleTree => {
    let t = trees.get(b.no);
    if (t) {
      trees.delete(b.no);
      trees.set(b.no, t);
      return t;
    }
    t = MerkleTree.fromDigests(b.digests.subarray(0, b.count * 32));
    trees.set(b.no, t);
    if (trees.size > 4) trees.delete(trees.keys().next().value!);
    return t;
  };

  // --- sealing: one at a time, in order (batch files must be written in sealing order).
  let sealing: Promise<void> = Promise.resolve();
  /**
   * A seal waiting behind the running one: it takes everything pending when it starts, so callers
   * meanwhile join it rather than queue one seal each (a flood of submits past maxBatch).
   */
  let queuedSeal: Promise<void> | undefined;
  /** Batches sealed in memory whose file is still being written. */
  const unwritten = new Set<number>();
  const seal = (): Promise<void> => {
    if (queuedSeal) return queuedSeal;
    const next = sealing
      .then(() => {
        queuedSeal = undefined;
        return sealOnce();
      })
      .catch((err) => log(`anchors: sealing failed (${formatError(err).slice(0, 200)}); retrying`));
    queuedSeal = next;
    sealing = next;
    return next;
  };
  const sealOnce = async () => {
    if (pending.length === 0 || stopped) return;
    // Every append queued before this is on disk and in `pending` once the rotation resolves.
    const seq = await journal.rotate();
    const keys = pending;
    const takenSubjects = subjects;
    pending = [];
    subjects = new Map();
    const parts: SealedBatch[] = [];
    for (let from = 0; from < keys.length; from += maxBatch) {
      const part = keys.slice(from, from + maxBatch);
      const digests = Buffer.allocUnsafe(part.length * 32);
      const times = new Float64Array(part.length);
      const subj: Record<number, ReceiptSubject> = {};
      const no = ++lastNo;
      for (let i = 0; i < part.length; i++) {
        const k = part[i]!;
        digests.write(k, i * 32, 'latin1');
        times[i] = -index.get(k)!;
        // In the index at once, so receipts and dedupe see the digests while the file is written.
        index.set(k, no * POS + i);
        if (takenSubjects.size > 0) {
          const s = takenSubjects.get(k);
          if (s) subj[i] = s;
        }
      }
      const tree = MerkleTree.fromDigests(digests);
      // Only the last part covers the journal up to `seq`: a crash between parts replays the rest.
      const b: SealedBatch = { no, root: tree.root.toLowerCase() as Hex, digests, count: part.length, times, subjects: subj, journalSeq: from + maxBatch >= keys.length ? seq : 0, sealedAt: Date.now() };
      batches[no] = b;
      unwritten.add(b.no);
      trees.set(b.no, tree);
      if (trees.size > 4) trees.delete(trees.keys().next().value!);
      parts.push(b);
    }
    for (const [j, b] of parts.entries()) {
      try {
        await writeBatchFile(dir, b);
      } catch (err) {
        // Not on disk: these digests go back to pending (ahead of newer ones) and the next seal retries.
        const back: string[] = [];
        for (const u of parts.slice(j)) {
          for (let i = 0; i < u.count; i++) {
            const k = keyOf(u.digests, i * 32);
            index.set(k, -u.times[i]!);
            back.push(k);
            if (u.subjects[i]) subjects.set(k, u.subjects[i]!);
          }
          delete batches[u.no];
          trees.delete(u.no);
          unwritten.delete(u.no);
        }
        lastNo = b.no - 1;
        pending = back.concat(pending);
        throw err;
      }
      unwritten.delete(b.no);
      log(`anchors: sealed batch ${b.no} (${b.count} digest(s), root ${b.root})`);
      await p.afterSeal?.({ no: b.no, root: b.root, size: b.count });
    }
    journal.dropUpTo(seq);
    kickAnchor();
  };

  // --- anchoring: one batch at a time, oldest first.
  let anchoring: Promise<void> | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  // Only batches whose file is on disk are sent: a root on chain must always be one the node can prove.
  const unanchored = () => batches.filter((b) => b && !b.anchor && !unwritten.has(b.no));
  const kickAnchor = () => {
    if (anchoring || stopped) return;
    // The loop's end clears `anchoring` in a later microtask, after it was assigned (a loop with
    // nothing to do finishes synchronously).
    anchoring = (async () => {
      try {
        for (let b = unanchored()[0]; b && !stopped; b = unanchored()[0]) {
          await anchorBatch(b);
          failures = 0;
        }
      } catch (err) {
        failures++;
        const wait = Math.min(30_000, 500 * 2 ** Math.min(failures, 6));
        log(`anchors: anchoring failed (${formatError(err).slice(0, 200)}); retrying in ${wait} ms`);
        clearTimeout(retryTimer);
        retryTimer = setTimeout(kickAnchor, wait);
        retryTimer.unref();
      }
    })().finally(() => {
      anchoring = undefined;
    });
  };

  /** The anchor of `root` as the chain has it now (its transaction found by the event), or undefined. */
  const anchorOnChain = async (root: Hex): Promise<AnchorData | undefined> => {
    const a = await getAnchor(client, { registry, root });
    if (!a) return undefined;
    const logs = await client.getContractEvents({ address: registry, abi: anchorRegistryAbi, eventName: 'RootAnchored', args: { root }, fromBlock: a.blockNumber, toBlock: a.blockNumber });
    const l = logs[0];
    if (!l) throw new Error(`root ${root} is anchored at block ${a.blockNumber} but its RootAnchored event was not found`);
    return { txHash: l.transactionHash, blockNumber: String(a.blockNumber), blockHash: l.blockHash, timestamp: Number(a.timestamp), submitter: getAddress(a.submitter) };
  };

  /** The anchor a successful transaction's receipt shows for `root`, or undefined. */
  const fromReceipt = (r: TransactionReceipt, root: Hex): AnchorData | undefined => {
    if (r.status !== 'success') return undefined;
    let ev;
    try {
      ev = eventOf(anchorRegistryAbi, r, 'RootAnchored', registry);
    } catch {
      return undefined;
    }
    if (ev.args.root.toLowerCase() !== root) return undefined;
    return { txHash: r.transactionHash, blockNumber: r.blockNumber.toString(), blockHash: r.blockHash, timestamp: Number(ev.args.timestamp), submitter: getAddress(ev.args.submitter) };
  };

  const anchored = (b: SealedBatch, a: AnchorData) => {
    writeAnchor(dir, b.no, a);
    b.anchor = a;
    b.sent = undefined;
    log(`anchors: batch ${b.no} anchored in tx ${a.txHash} (block ${a.blockNumber}, ${b.count} digest(s))`);
  };

  /** Waits for `hash` to be mined (a timeout throws and the anchoring loop comes back later). */
  const settle = async (b: SealedBatch, hash: Hex) => {
    const r = await client.waitForTransactionReceipt({ hash, timeout: 120_000 });
    const a = fromReceipt(r, b.root) ?? (await anchorOnChain(b.root));
    if (!a) throw new Error(`anchor tx ${hash} for batch ${b.no} reverted`);
    anchored(b, a);
  };

  const anchorBatch = async (b: SealedBatch) => {
    // A transaction sent before a crash or a failed wait: mined, still waiting to be, or gone?
    if (b.sent) {
      const hash = b.sent.txHash;
      const r = await client.getTransactionReceipt({ hash }).catch(() => undefined);
      const a = r ? fromReceipt(r, b.root) : undefined;
      if (a) return anchored(b, a);
      // Not mined yet but known to the chain: wait for it. Sending the root again under a new nonce
      // would pay twice, and the second would revert once the first is mined.
      if (!r && (await client.getTransaction({ hash }).catch(() => undefined))) {
        log(`anchors: batch ${b.no}'s tx ${hash} is still pending; waiting for it`);
        return settle(b, hash);
      }
    }
    // Never sent, reverted, or dropped: anchored some other way meanwhile?
    const known = await anchorOnChain(b.root);
    if (known) return anchored(b, known);
    const { request } = await client.simulateContract({ address: registry, abi: anchorRegistryAbi, functionName: 'anchor', args: [b.root, BigInt(b.count)], account: wallet.account });
    const hash = await wallet.writeContract(request);
    b.sent = { txHash: hash, at: Date.now() };
    writeSent(dir, b.no, b.sent);
    await settle(b, hash);
  };

  /** Anchors near the head may be undone by a reorg: check that their transaction is still where it was. */
  const recheck = async () => {
    const head = await client.getBlockNumber({ cacheTime: 0 });
    for (const b of batches) {
      if (!b?.anchor || head - BigInt(b.anchor.blockNumber) > BigInt(recheckDepth)) continue;
      const r = await client.getTransactionReceipt({ hash: b.anchor.txHash }).catch(() => undefined);
      if (r && r.blockHash === b.anchor.blockHash) continue;
      const now = await anchorOnChain(b.root);
      if (now && now.blockHash === b.anchor.blockHash) continue;
      if (now) {
        anchored(b, now);
      } else {
        log(`anchors: batch ${b.no}'s anchor (block ${b.anchor.blockNumber}) was reorged away; anchoring it again`);
        clearAnchor(dir, b.no);
        b.anchor = undefined;
        b.sent = undefined;
      }
    }
    kickAnchor();
  };

  let timerBusy = false;
  const timer = setInterval(() => {
    if (stopped || timerBusy) return;
    timerBusy = true;
    void (async () => {
      try {
        await seal();
        await recheck().catch((err) => log(`anchors: recheck failed (${formatError(err).slice(0, 200)})`));
      } finally {
        timerBusy = false;
      }
    })();
  }, p.intervalMs);
  timer.unref();
  // Work left by a previous run: seal what was pending, anchor what was sealed.
  if (pending.length > 0) void seal();
  kickAnchor();

  /** A digest's receipt from its place in the index, built field by field (no spreads): a JSON answer carries up to 10,000. */
  const receiptOf = (k: string, at: number, digest: Hex, node: string | undefined, tree: (b: SealedBatch) => MerkleTree): AnchorReceipt => {
    let t: number;
    let subject: ReceiptSubject | undefined;
    let b: SealedBatch | undefined;
    let i = 0;
    if (at < 0) {
      t = -at;
      subject = subjects.size > 0 ? subjects.get(k) : undefined;
    } else {
      b = batches[Math.floor(at / POS)]!;
      i = at % POS;
      t = b.times[i]!;
      subject = b.subjects[i];
    }
    const r: AnchorReceipt = {
      type: 'machina.anchor-receipt',
      version: 1,
      digest,
      subject,
      status: b?.anchor ? 'anchored' : 'pending',
      submittedAt: isoOf(t),
      node,
      chainId,
      registry,
    };
    if (subject === undefined) delete r.subject;
    if (node === undefined) delete r.node;
    if (b?.anchor) {
      r.batch = { root: b.root, size: b.count, index: i, proof: tree(b).proof(i) };
      r.anchor = { txHash: b.anchor.txHash, blockNumber: b.anchor.blockNumber, blockHash: b.anchor.blockHash, timestamp: b.anchor.timestamp, submitter: b.anchor.submitter };
    }
    return r;
  };

  const summary = (b: SealedBatch): BatchSummary => ({ no: b.no, root: b.root, size: b.count, sealedAt: new Date(b.sealedAt).toISOString(), status: b.anchor ? 'anchored' : 'pending', anchor: b.anchor });

  return {
    chainId,
    registry,
    signer: wallet.account.address,
    async submit(input, subject) {
      if (stopped) throw new Error('the aggregator is stopping');
      const digests = asBuffer(input);
      const n = Math.floor(digests.length / 32);
      const t = Date.now();
      const keys: string[] = [];
      const fresh: number[] = [];
      for (let i = 0; i < n; i++) {
        const k = keyOf(digests, i * 32);
        if (index.has(k)) continue;
        keys.push(k);
        fresh.push(i);
      }
      if (fresh.length === 0) return { accepted: n, fresh: 0 };
      const time = Buffer.allocUnsafe(8);
      time.writeDoubleLE(t, 0);
      let body: Buffer;
      if (fresh.length === n) body = Buffer.from(digests.buffer, digests.byteOffset, n * 32);
      else {
        body = Buffer.allocUnsafe(fresh.length * 32);
        fresh.forEach((i, j) => body.set(digests.subarray(i * 32, i * 32 + 32), j * 32));
      }
      const bufs = [frameHeader(FRAME_DIGESTS, [time, body]), time, body];
      if (subject) {
        const json = Buffer.from(JSON.stringify(subject), 'utf8');
        for (const k of keys) bufs.push(encodeFrame(FRAME_SUBJECT, Buffer.concat([Buffer.from(k, 'latin1'), json])));
      }
      await journal.append(bufs, () => {
        for (const k of keys) {
          if (index.has(k)) continue;
          index.set(k, -t);
          pending.push(k);
          if (subject) subjects.set(k, subject);
        }
        accepted += keys.length;
      });
      if (pending.length >= maxBatch) void seal();
      return { accepted: n, fresh: fresh.length };
    },
    receipt(digest, node) {
      const k = typeof digest === 'string' ? Buffer.from(digest.slice(2), 'hex').toString('latin1') : keyOf(asBuffer(digest));
      const at = index.get(k);
      return at === undefined ? undefined : receiptOf(k, at, typeof digest === 'string' ? (digest.toLowerCase() as Hex) : hexOfKey(k), node, treeOf);
    },
    receipts(input, node) {
      const digests = asBuffer(input);
      const n = Math.floor(digests.length / 32);
      const out = new Array<AnchorReceipt | undefined>(n);
      // Anchored ones grouped by batch: each batch's tree serves all of its digests, then is let go.
      const byBatch = new Map<number, Array<[number, string, number]>>();
      for (let j = 0; j < n; j++) {
        const k = keyOf(digests, j * 32);
        const at = index.get(k);
        if (at === undefined) continue;
        const b = at >= 0 ? batches[Math.floor(at / POS)] : undefined;
        if (!b?.anchor) {
          out[j] = receiptOf(k, at, hexOfKey(k), node, treeOf);
          continue;
        }
        let group = byBatch.get(b.no);
        if (!group) byBatch.set(b.no, (group = []));
        group.push([j, k, at]);
      }
      for (const [no, group] of byBatch) {
        const tree = treeOf(batches[no]!);
        for (const [j, k, at] of group) out[j] = receiptOf(k, at, hexOfKey(k), node, () => tree);
      }
      return out;
    },
    pendingCount: () => pending.length + batches.reduce((n, b) => (b && !b.anchor ? n + b.count : n), 0),
    batches: () => batches.filter(Boolean).map(summary).reverse(),
    batchByRoot(root) {
      const b = batches.find((x) => x && x.root === root.toLowerCase());
      return b ? summary(b) : undefined;
    },
    async flush(timeoutMs = 60_000) {
      const end = Date.now() + timeoutMs;
      await seal();
      kickAnchor();
      while (unanchored().length > 0 || pending.length > 0) {
        if (Date.now() > end) throw new Error(`anchors: ${unanchored().length} batch(es) still unanchored after ${timeoutMs} ms`);
        if (pending.length > 0) await seal();
        kickAnchor();
        await (anchoring ?? new Promise((r) => setTimeout(r, 20)));
      }
    },
    stats: () => ({ accepted, batches: batches.filter(Boolean).length, anchored: batches.filter((b) => b?.anchor).length, pending: pending.length, syncs: journal.stats().syncs, syncMs: Math.round(journal.stats().syncMs) }),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      clearTimeout(retryTimer);
      await sealing;
      await anchoring;
      await journal.close();
    },
  };
}

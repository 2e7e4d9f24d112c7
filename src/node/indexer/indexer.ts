// The node's EVM indexer: fetches the protocol contracts' logs in block ranges, decodes them, runs
// each module's handlers and stores the events, committing every batch in ONE transaction with
// the checkpoint, so a crash (even kill -9) resumes at the last committed block with nothing lost
// or counted twice. Near the head, changes are journaled per block so that reorgs can be undone.
import { getAddress, hexToNumber, zeroAddress, type Address, type Hex } from 'viem';
import type { MachinaPublicClient } from '../../chain/clients.ts';
import type { Deployment } from '../../chain/deployments.ts';
import { MachinaError, NotFoundError } from '../../errors/index.ts';
import type { NodeStore } from '../db/store.ts';
import type { EventRecord } from '../service/types.ts';
import { insertEvents } from './events.ts';
import { decodeLogs, getHeaders, getRawLogs, getTopicLogs, watchedContract, type BlockHeader, type RpcLog, type WatchedContract } from './logs.ts';
import type { BatchContext, ChildContracts, IndexedEvent, ModuleWorker, NodeModule } from './module.ts';
import type { IndexerProgress } from './progress.ts';
import { chainHashAt, findCommonAncestor } from './reorg.ts';
import { JOURNAL_BLOCK_SETTING } from './schema.ts';
import { pruneFinal, readChildren, readState, rollbackTo, storeBlockHashes, storeChildren, wipeIndexedState, writeState, type ChildRow, type IndexerState } from './state.ts';
import { sql, type Kysely } from 'kysely';

const LOGS_PER_REQUEST = 2_000;

export type ReorgInfo = { checkpoint: number; ancestor: number; undoneChanges: number; reindex: boolean };

export type StartIndexerParameters = {
  client: MachinaPublicClient;
  deployment: Deployment;
  store: NodeStore;
  /** Called after committed batches while catching up (at most every `progressIntervalMs`) and once on reaching the head. */
  onProgress?: ((p: IndexerProgress) => void) | undefined;
  /** RPC or database trouble; the indexer retries with backoff. */
  onError?: ((err: unknown) => void) | undefined;
  onReorg?: ((r: ReorgInfo) => void) | undefined;
  /** Pause between polls once caught up. Default 500 ms. */
  pollIntervalMs?: number | undefined;
  /** Blocks deeper than this below the head are final: no journal, no hash kept. Default 64. */
  finalityDepth?: number | undefined;
  /** Most blocks per eth_getLogs call (shrinks by itself when a node refuses). Default 10,000. */
  maxBlockRange?: number | undefined;
  /** Most events per database transaction (a block is never split). Default 5,000. */
  maxBatchEvents?: number | undefined;
  progressIntervalMs?: number | undefined;
  /** Test hook: awaited inside each batch transaction, just before it commits. */
  beforeCommit?: ((batch: { fromBlock: number; toBlock: number; events: number }) => Promise<void>) | undefined;
};

export type RunningIndexer = {
  /** Last block fully indexed. */
  indexedBlock(): number;
  /** Latest chain head seen. */
  headBlock(): number;
  /** Resolves once the index holds every block up to `n` (rejects on timeout or stop). */
  waitForBlock(n: number | bigint, o?: { timeoutMs?: number }): Promise<void>;
  /** Resolves when the first catch-up reaches the head. */
  caughtUp: Promise<void>;
  /** Stops polling after the batch in flight; background workers stop too. */
  stop(): Promise<void>;
};

/**
 * Starts indexing `deployment` into `store` and keeps following the chain.
 * @example
 * const indexer = await startIndexer({ client, deployment, store, onProgress: (p) => console.log(formatProgress(p)) })
 * await indexer.waitForBlock(await client.getBlockNumber())
 * await indexer.stop()
 */
export async function startIndexer(p: StartIndexerParameters): Promise<RunningIndexer> {
  const { client, deployment, store } = p;
  const db = store.db;
  const pollIntervalMs = p.pollIntervalMs ?? 500;
  const finalityDepth = p.finalityDepth ?? 64;
  const maxBlockRange = p.maxBlockRange ?? 10_000;
  const maxBatchEvents = p.maxBatchEvents ?? 5_000;
  const progressIntervalMs = p.progressIntervalMs ?? 1_000;
  const chainId = client.chain.id;

  const contracts = new Map<string, WatchedContract>();
  for (const m of store.modules) {
    for (const c of m.contracts) {
      const d = deployment.contracts[c.name];
      if (!d) throw new NotFoundError(`contract ${c.name} in the deployment for chain ${deployment.chainId} (run \`machina deploy\`)`);
      contracts.set(d.address.toLowerCase(), watchedContract(c.name, d.address, c.abi, m));
    }
  }
  const addresses = [...contracts.values()].map((c) => c.address) as Address[];
  const startBlock = Math.min(...[...contracts.values()].map((c) => deployment.contracts[c.name]!.blockNumber));

  // Factory children: each kind's decoders, and the factory event that announces a new one.
  type ChildSpec = ChildContracts & { module: NodeModule; template: WatchedContract };
  const childSpecs = new Map<string, ChildSpec>();
  const announcers = new Map<string, ChildSpec>();
  for (const m of store.modules) {
    for (const c of m.children ?? []) {
      if (!m.contracts.some((x) => x.name === c.factory.contract)) {
        throw new MachinaError(`node module ${m.name}: the factory ${c.factory.contract} of ${c.name} must be one of its contracts`, { code: 'INVALID_MODULE' });
      }
      const spec: ChildSpec = { ...c, module: m, template: watchedContract(c.name, zeroAddress, c.abi, m) };
      childSpecs.set(c.name, spec);
      announcers.set(`${c.factory.contract}:${c.factory.event}`, spec);
    }
  }
  const childTopics = [...new Set([...childSpecs.values()].flatMap((c) => [...c.template.events.keys()]))];
  /** Children created in committed batches, by lowercase address. */
  const children = new Map<string, ChildRow>();
  /** The module of each decoded child event (child addresses are not in `contracts`). */
  const childModule = new WeakMap<IndexedEvent, NodeModule>();
  const moduleOf = (e: IndexedEvent) => contracts.get(e.address.toLowerCase())?.module ?? childModule.get(e);
  const loadChildren = async () => {
    children.clear();
    if (childSpecs.size === 0) return;
    for (const c of await readChildren(db)) if (childSpecs.has(c.name)) children.set(c.address, c);
  };
  /** The children that `events` announce, in chain order. */
  const createdBy = (events: IndexedEvent[]): ChildRow[] => {
    if (announcers.size === 0) return [];
    const out: ChildRow[] = [];
    for (const e of events) {
      const spec = announcers.get(`${e.contract}:${e.event}`);
      const a = spec ? e.args[spec.factory.parameter] : undefined;
      if (spec && typeof a === 'string') out.push({ address: a.toLowerCase(), name: spec.name, blockNumber: e.blockNumber, logIndex: e.logIndex, txHash: e.txHash });
    }
    return out;
  };
  /** Decodes the logs of children (known, or created in this range before the log or in its transaction) and merges them in. */
  const withChildren = (events: IndexedEvent[], childLogs: RpcLog[], headers: Map<number, BlockHeader>): IndexedEvent[] => {
    if (childLogs.length === 0) return events;
    const fresh = new Map<string, ChildRow>();
    for (const c of createdBy(events)) if (!fresh.has(c.address)) fresh.set(c.address, c);
    const watched = new Map<string, WatchedContract>();
    const mine = childLogs.filter((l) => {
      const a = l.address.toLowerCase();
      const c = children.get(a) ?? fresh.get(a);
      if (!c) return false;
      const n = hexToNumber(l.blockNumber);
      if (!(c.blockNumber < n || (c.blockNumber === n && (c.txHash === l.transactionHash || c.logIndex < hexToNumber(l.logIndex))))) return false;
      if (!watched.has(a)) watched.set(a, { ...childSpecs.get(c.name)!.template, address: getAddress(a) });
      return true;
    });
    if (mine.length === 0) return events;
    const decoded = decodeLogs(mine, watched, chainId, (n) => headers.get(n)?.timestamp);
    for (const e of decoded) childModule.set(e, watched.get(e.address.toLowerCase())!.module);
    return [...events, ...decoded].sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
  };

  const fingerprint = JSON.stringify({
    chainId,
    contracts: [...contracts.values()].map((c) => [c.name, c.address, deployment.contracts[c.name]!.blockNumber]).sort(),
    ...(childSpecs.size > 0 ? { children: [...childSpecs.values()].map((c) => [c.name, c.factory.contract, c.factory.event, c.factory.parameter]).sort() } : {}),
  });

  let state = await db.transaction().execute(async (tx) => {
    const s = await readState(tx);
    if (s && s.fingerprint === fingerprint) return s;
    // Another chain or deployment than the one indexed here: start over.
    await wipeIndexedState(tx, store.modules);
    const fresh: IndexerState = { chainId, fingerprint, blockNumber: startBlock - 1, blockHash: null, headBlock: 0, undoFloor: startBlock - 1 };
    await writeState(tx, fresh);
    return fresh;
  });
  await loadChildren();

  const workers: ModuleWorker[] = store.modules.flatMap((m) => (m.startWorker ? [m.startWorker(db)] : []));
  let head = state.headBlock;
  // Start small: the first response tells how dense the logs are, and the range adapts from there.
  let range = Math.min(maxBlockRange, 100);
  let stopped = false;
  let wake: (() => void) | undefined;
  const waiters = new Set<{ n: number; resolve: () => void; reject: (e: Error) => void }>();
  let resolveCaughtUp!: () => void;
  const caughtUp = new Promise<void>((r) => (resolveCaughtUp = r));
  const run = { startedAt: 0, startBlock: state.blockNumber, events: 0, lastProgress: 0, catchingUp: false };

  const settle = () => {
    for (const w of waiters) {
      if (state.blockNumber >= w.n) {
        waiters.delete(w);
        w.resolve();
      }
    }
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    }).finally(() => (wake = undefined));

  const progress = (fromBlock: number, toBlock: number) => {
    const now = Date.now();
    const done = toBlock >= head;
    // Lines while catching up (throttled) and one on reaching the head; silence when following it.
    if (!p.onProgress || !run.catchingUp || (!done && now - run.lastProgress < progressIntervalMs)) return;
    run.lastProgress = now;
    run.catchingUp = !done;
    const span = Math.max(1, head - run.startBlock);
    const seconds = Math.max(0.001, (now - run.startedAt) / 1000);
    p.onProgress({ fromBlock, toBlock, headBlock: head, percent: Math.min(100, ((toBlock - run.startBlock) / span) * 100), events: run.events, eventsPerSecond: run.events / seconds, caughtUp: done });
  };

  /** One batch: the modules' changes, the events, the hashes and the checkpoint, all or nothing. */
  const commit = async (fromBlock: number, toBlock: number, toHash: Hex, events: IndexedEvent[], hashes: Array<{ number: number; hash: Hex }>) => {
    const safe = head - finalityDepth;
    const journaled = toBlock > safe;
    const ctx: BatchContext = { chainId, touched: new Set() };
    const { records, next } = await db.transaction().execute(async (tx) => {
      if (journaled) {
        // Stamp each block's changes with its number, so a reorg can undo exactly the lost blocks.
        for (const [block, blockEvents] of groupByBlock(events)) {
          await setJournalBlock(tx, String(block));
          await storeChildren(tx, createdBy(blockEvents));
          await applyModules(tx, store.modules, moduleOf, blockEvents, ctx);
        }
        await setJournalBlock(tx, '');
        await storeBlockHashes(tx, hashes.filter((h) => h.number > safe));
      } else {
        await storeChildren(tx, createdBy(events));
        await applyModules(tx, store.modules, moduleOf, events, ctx);
        await storeBlockHashes(tx, [{ number: toBlock, hash: toHash }]);
      }
      const records = await insertEvents(tx, events, (e) => agentIdOf(moduleOf(e), e));
      // Journal entries of final blocks are dropped; a batch indexed without journal cannot be undone.
      const undoFloor = journaled ? Math.max(state.undoFloor, safe) : toBlock;
      const next: IndexerState = { ...state, blockNumber: toBlock, blockHash: toHash, headBlock: head, undoFloor };
      await pruneFinal(tx, undoFloor);
      await writeState(tx, next);
      await p.beforeCommit?.({ fromBlock, toBlock, events: events.length });
      return { records, next };
    });
    state = next;
    for (const c of createdBy(events)) if (!children.has(c.address)) children.set(c.address, c);
    run.events += records.length;
    store.feed.publish(records as EventRecord[]);
    if (ctx.touched.size > 0) for (const w of workers) w.nudge();
    settle();
    progress(fromBlock, toBlock);
  };

  /** A range's logs, decoded, with the headers it needs (every recent block's, for the reorg checks). */
  const fetchRange = async (from: number, to: number) => {
    // Children's logs are fetched by topic and sorted out at indexing time, once the batches
    // before (which may create children) have committed.
    const [logs, childLogs] = await Promise.all([getRawLogs(client, addresses, from, to), getTopicLogs(client, childTopics, from, to)]);
    const safe = head - finalityDepth;
    const recent: number[] = [];
    for (let n = Math.max(from, safe + 1); n <= to; n++) recent.push(n);
    const missingTime = [...logs, ...childLogs].filter((l) => !l.blockTimestamp).map((l) => Number(l.blockNumber));
    const headers = await getHeaders(client, [...recent, ...missingTime, to]);
    const events = decodeLogs(logs, contracts, chainId, (n) => headers.get(n)?.timestamp);
    return { logs, childLogs, recent, headers, events };
  };
  // While a batch of final blocks commits (in the database thread), the next range is fetched and
  // decoded here: final blocks cannot change, so nothing fetched ahead goes stale.
  let prefetch: { from: number; to: number; range: ReturnType<typeof fetchRange> } | undefined;
  const takeRange = (from: number, to: number) => {
    const ahead = prefetch;
    prefetch = undefined;
    if (ahead && ahead.from === from && ahead.to === to) return ahead.range;
    ahead?.range.catch(() => {});
    return fetchRange(from, to);
  };
  const prefetchAfter = (to: number) => {
    const from = to + 1;
    const end = Math.min(head - finalityDepth, to + range);
    if (end < from || stopped) return;
    const ahead = fetchRange(from, end);
    ahead.catch(() => {});
    prefetch = { from, to: end, range: ahead };
  };

  /** Indexes [from, to]; 'moved' when the chain changed under us (the next poll sorts it out). */
  const indexRange = async (from: number, to: number): Promise<'done' | 'retry' | 'moved'> => {
    let fetched;
    try {
      fetched = await takeRange(from, to);
    } catch (err) {
      // Too many logs for the node (or for the HTTP body limit): halve the range and go again.
      if (to > from) {
        range = Math.max(1, Math.floor((to - from + 1) / 2));
        return 'retry';
      }
      throw err;
    }
    const { logs, childLogs, recent, headers } = fetched;
    // Aim the next request at about LOGS_PER_REQUEST logs (responses stay well below body limits).
    range = Math.max(1, Math.min(maxBlockRange, Math.floor(((to - from + 1) * LOGS_PER_REQUEST) / Math.max(1, logs.length + childLogs.length))));
    // Near the head the parent links and the logs' block hashes must agree with the headers.
    if (!isConsistent(headers, recent, childLogs.length > 0 ? [...logs, ...childLogs] : logs, from - 1, state.blockHash)) return 'moved';
    const events = withChildren(fetched.events, childLogs, headers);
    const hashes = new Map<number, Hex>();
    for (const h of headers.values()) hashes.set(h.number, h.hash);
    for (const e of events) hashes.set(e.blockNumber, e.blockHash);
    const hashList = [...hashes].map(([number, hash]) => ({ number, hash }));
    prefetchAfter(to);

    // Split at block boundaries into transactions of at most maxBatchEvents events.
    let start = 0;
    let chunkFrom = from;
    while (start < events.length) {
      let end = Math.min(events.length, start + maxBatchEvents);
      const lastBlock = events[end - 1]!.blockNumber;
      if (end < events.length) {
        while (end < events.length && events[end]!.blockNumber === lastBlock) end++;
      }
      if (end === events.length) break;
      const chunk = events.slice(start, end);
      await commit(chunkFrom, lastBlock, chunk.at(-1)!.blockHash, chunk, hashList.filter((h) => h.number >= chunkFrom && h.number <= lastBlock));
      if (stopped) return 'done';
      start = end;
      chunkFrom = lastBlock + 1;
    }
    await commit(chunkFrom, to, headers.get(to)!.hash, events.slice(start), hashList.filter((h) => h.number >= chunkFrom));
    return 'done';
  };

  const recoverFromReorg = async () => {
    const checkpoint = state.blockNumber;
    const ancestor = await findCommonAncestor(client, db, checkpoint, state.undoFloor);
    if (ancestor) {
      const undone = await db.transaction().execute(async (tx) => rollbackTo(tx, ancestor.number, ancestor.hash));
      state = { ...state, blockNumber: ancestor.number, blockHash: ancestor.hash };
      // The journal forgot the children created in the undone blocks; so must we.
      await loadChildren();
      p.onReorg?.({ checkpoint, ancestor: ancestor.number, undoneChanges: undone, reindex: false });
    } else {
      // Deeper than anything the journal can undo (or another chain behind the same URL).
      const fresh: IndexerState = { ...state, blockNumber: startBlock - 1, blockHash: null, undoFloor: startBlock - 1 };
      await db.transaction().execute(async (tx) => {
        await wipeIndexedState(tx, store.modules);
        await writeState(tx, fresh);
      });
      state = fresh;
      children.clear();
      p.onReorg?.({ checkpoint, ancestor: startBlock - 1, undoneChanges: 0, reindex: true });
    }
    run.startBlock = Math.min(run.startBlock, state.blockNumber);
  };

  /** One poll; true when there is more to do right away. */
  const tick = async (): Promise<boolean> => {
    head = Number(await client.getBlockNumber({ cacheTime: 0 }));
    if (state.blockHash && (await chainHashAt(client, state.blockNumber)) !== state.blockHash) {
      await recoverFromReorg();
      return true;
    }
    if (state.blockNumber >= head) {
      resolveCaughtUp();
      return false;
    }
    if (run.startedAt === 0) {
      run.startedAt = Date.now();
      run.catchingUp = true;
    }
    const from = state.blockNumber + 1;
    // A prefetched range of final blocks is taken as it is; otherwise up to `range` blocks.
    const to = prefetch?.from === from ? prefetch.to : Math.min(head, state.blockNumber + range);
    const outcome = await indexRange(from, to);
    if (state.blockNumber >= head) resolveCaughtUp();
    return outcome === 'retry' || (outcome === 'done' && state.blockNumber < head);
  };

  const loop = (async () => {
    let failures = 0;
    while (!stopped) {
      let again = false;
      try {
        again = await tick();
        failures = 0;
      } catch (err) {
        failures++;
        p.onError?.(err);
        await sleep(Math.min(30_000, 250 * 2 ** Math.min(failures, 7)));
        continue;
      }
      if (!again && !stopped) await sleep(pollIntervalMs);
    }
  })();

  return {
    indexedBlock: () => state.blockNumber,
    headBlock: () => head,
    caughtUp,
    waitForBlock(n, o = {}) {
      const target = Number(n);
      if (state.blockNumber >= target) return Promise.resolve();
      if (stopped) return Promise.reject(new MachinaError('the indexer is stopped', { code: 'INDEXER_STOPPED' }));
      return new Promise<void>((resolve, reject) => {
        const w = { n: target, resolve, reject };
        waiters.add(w);
        wake?.();
        if (o.timeoutMs !== undefined) {
          setTimeout(() => {
            if (!waiters.delete(w)) return;
            reject(new MachinaError(`the index did not reach block ${target} within ${o.timeoutMs} ms (at ${state.blockNumber})`, { code: 'INDEXER_TIMEOUT' }));
          }, o.timeoutMs).unref();
        }
      });
    },
    async stop() {
      if (stopped) return loop;
      stopped = true;
      wake?.();
      await loop;
      await Promise.all(workers.map((w) => w.stop()));
      for (const w of waiters) w.reject(new MachinaError('the indexer stopped', { code: 'INDEXER_STOPPED' }));
      waiters.clear();
    },
  };
}

async function setJournalBlock(tx: Kysely<any>, value: string) {
  await sql`select set_config(${JOURNAL_BLOCK_SETTING}, ${value}, true)`.execute(tx);
}

async function applyModules(tx: Kysely<any>, modules: readonly NodeModule[], moduleOf: (e: IndexedEvent) => NodeModule | undefined, events: IndexedEvent[], ctx: BatchContext) {
  for (const m of modules) {
    if (!m.applyBatch) continue;
    const mine = events.filter((e) => moduleOf(e) === m);
    if (mine.length > 0) await m.applyBatch(tx, mine, ctx);
  }
}

function agentIdOf(m: NodeModule | undefined, e: IndexedEvent): bigint | null {
  if (m?.agentIdOf) return m.agentIdOf(e);
  const a = (e.args as { agentId?: unknown }).agentId;
  return typeof a === 'bigint' ? a : null;
}

function groupByBlock(events: IndexedEvent[]): Map<number, IndexedEvent[]> {
  const out = new Map<number, IndexedEvent[]>();
  for (const e of events) {
    const list = out.get(e.blockNumber);
    if (list) list.push(e);
    else out.set(e.blockNumber, [e]);
  }
  return out;
}

/** Recent headers link up (to our checkpoint too) and the logs come from those very blocks. */
function isConsistent(
  headers: Map<number, BlockHeader>,
  recent: number[],
  logs: Array<{ blockNumber: Hex; blockHash: Hex }>,
  checkpoint: number,
  checkpointHash: Hex | null,
): boolean {
  for (const n of recent) {
    const h = headers.get(n)!;
    const parent = n - 1 === checkpoint ? checkpointHash : headers.get(n - 1)?.hash;
    if (parent && h.parentHash !== parent) return false;
  }
  const recentSet = new Set(recent);
  for (const l of logs) {
    const n = Number(l.blockNumber);
    if (recentSet.has(n) && headers.get(n)!.hash !== l.blockHash) return false;
  }
  return true;
}

// Indexer ingestion rate: a devnet holding 10k registrations and 50k feedbacks (packed into few
// blocks, see test/node/fixtures/history.ts), indexed from block 0 into the embedded
// database by the batched indexer, against a naive baseline measured in the same run: the same
// handlers, one transaction per event.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openNodeStore } from '../src/node/db/store.ts';
import { applyIdentityBatch, identityAgentIdOf } from '../src/node/identity/batch.ts';
import { insertEvents } from '../src/node/indexer/events.ts';
import { startIndexer } from '../src/node/indexer/indexer.ts';
import { decodeLogs, getRawLogs, watchedContract, type WatchedContract } from '../src/node/indexer/logs.ts';
import { formatProgress } from '../src/node/indexer/progress.ts';
import { startTestChain, type TestChain } from '../test/helpers/chain.ts';
import { buildHistory } from '../test/node/fixtures/history.ts';

export type IndexerBenchOptions = { agents?: number; feedback?: number; rounds?: number; log?: (line: string) => void };

export type IndexerBenchResult = {
  agents: number;
  feedback: number;
  events: number;
  blocks: number;
  setupSeconds: number;
  batched: { events: number; seconds: number; eventsPerSecond: number };
  naive: { events: number; seconds: number; eventsPerSecond: number };
  ratio: number;
};

/**
 * Builds the devnet, then measures both ingestion paths.
 * @example
 * const r = await measureIndexer()
 * console.log(indexerReport(r))
 */
export async function measureIndexer(o: IndexerBenchOptions = {}): Promise<IndexerBenchResult> {
  const agents = o.agents ?? 10_000;
  const feedback = o.feedback ?? 50_000;
  const rounds = o.rounds ?? 10;
  const log = o.log ?? (() => {});
  const chain = await startTestChain();
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'machina-bench-indexer-'));
    dirs.push(d);
    return d;
  };
  try {
    let t = performance.now();
    const firstRoundEnd = await buildHistory(chain, agents, feedback, rounds);
    const setupSeconds = (performance.now() - t) / 1000;
    const head = Number(await chain.client.getBlockNumber({ cacheTime: 0 }));
    log(`devnet: ${agents} registrations, ${feedback} feedbacks in ${head} blocks, built in ${setupSeconds.toFixed(1)} s`);

    // Batched: the real indexer, from block 0 to the head, RPC included.
    const store = await openNodeStore({ dataDir: tempDir() });
    t = performance.now();
    const indexer = await startIndexer({ client: chain.client, deployment: chain.deployment, store, onProgress: (p) => log(formatProgress(p)) });
    await indexer.caughtUp;
    const batchedSeconds = (performance.now() - t) / 1000;
    await indexer.stop();
    const { events } = await store.queries.stats();
    await store.close();

    // Naive: the first round's events (same mix of registrations and feedback as the whole), one
    // transaction each, events decoded beforehand (the RPC is not counted against it).
    const naiveStore = await openNodeStore({ dataDir: tempDir() });
    const sample = await decodedEvents(chain, firstRoundEnd);
    t = performance.now();
    for (const e of sample) {
      await naiveStore.db.transaction().execute(async (tx) => {
        await applyIdentityBatch(tx, [e], { chainId: e.chainId, touched: new Set() });
        await insertEvents(tx, [e], identityAgentIdOf);
        await tx.updateTable('indexer_state').set({ block_number: e.blockNumber, block_hash: e.blockHash }).execute();
      });
    }
    const naiveSeconds = (performance.now() - t) / 1000;
    await naiveStore.close();

    const batched = { events, seconds: batchedSeconds, eventsPerSecond: events / batchedSeconds };
    const naive = { events: sample.length, seconds: naiveSeconds, eventsPerSecond: sample.length / naiveSeconds };
    return { agents, feedback, events, blocks: head, setupSeconds, batched, naive, ratio: batched.eventsPerSecond / naive.eventsPerSecond };
  } finally {
    await chain.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** Lines for `npm run bench`. */
export function indexerReport(r: IndexerBenchResult): string {
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  return [
    `Indexer ingestion into the embedded database (PGlite), ${n(r.agents)} registrations + ${n(r.feedback)} feedbacks = ${n(r.events)} events in ${r.blocks} blocks`,
    `  batched (one transaction per batch, set-based writes): ${n(r.batched.eventsPerSecond)} events/s (${r.batched.seconds.toFixed(1)} s, RPC included)`,
    `  naive (one transaction per event, same handlers):       ${n(r.naive.eventsPerSecond)} events/s (${n(r.naive.events)} events, ${r.naive.seconds.toFixed(1)} s)`,
    `  ratio ${r.ratio.toFixed(1)}x; goal >= 20,000 events/s: ${r.batched.eventsPerSecond >= 20_000 ? 'met' : 'not met'}`,
  ].join('\n');
}

async function decodedEvents(chain: TestChain, toBlock: number) {
  const { identityModule } = await import('../src/node/identity/module.ts');
  const m = identityModule();
  const contracts = new Map<string, WatchedContract>();
  for (const c of m.contracts) contracts.set(chain.address(c.name).toLowerCase(), watchedContract(c.name, chain.address(c.name), c.abi, m));
  const logs = [];
  for (let b = 0; b <= toBlock; b++) logs.push(...(await getRawLogs(chain.client, [...contracts.values()].map((c) => c.address), b, b)));
  return decodeLogs(logs, contracts, chain.client.chain.id, () => 0);
}

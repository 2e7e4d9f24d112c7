// Catch-up from block 0 on a chain that already has a long history: many batches, a progress line
// as it goes, and an index that matches the chain at the end.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getAgentCount } from '../../src/identity/actions/agents.ts';
import { getTrustScore } from '../../src/identity/actions/trust.ts';
import { startIndexer } from '../../src/node/indexer/indexer.ts';
import { formatProgress, type IndexerProgress } from '../../src/node/indexer/progress.ts';
import { startTestChain, type TestChain } from '../helpers/chain.ts';
import { buildHistory } from './fixtures/history.ts';
import { databaseKinds, newStoreLocation } from './fixtures/stores.ts';

const kinds = await databaseKinds();
const AGENTS = 300;
const FEEDBACK = 1_500;

describe('indexer catch-up from block 0', () => {
  let chain: TestChain;
  let logCount: number;
  /** Agents the deployment registered itself (the compute market is one); the history's agent-i has id firstId + i. */
  let firstId: bigint;
  before(async () => {
    chain = await startTestChain();
    firstId = await getAgentCount(chain.client, { identityRegistry: chain.address('IdentityRegistry') });
    await buildHistory(chain, AGENTS, FEEDBACK, 3);
    assert.equal(await getAgentCount(chain.client, { identityRegistry: chain.address('IdentityRegistry') }), firstId + BigInt(AGENTS));
    const address = ['IdentityRegistry', 'ReputationRegistry', 'ValidationRegistry', 'PaymentReceipts'].map((n) => chain.address(n));
    logCount = ((await chain.client.request({ method: 'eth_getLogs', params: [{ address, fromBlock: '0x0', toBlock: 'latest' }] } as never)) as unknown[]).length;
  });
  after(async () => chain?.stop());

  for (const kind of kinds) {
    it(`indexes the whole history with progress lines (${kind})`, async () => {
      const location = newStoreLocation(kind);
      const store = await location.open();
      try {
        const progress: IndexerProgress[] = [];
        const head = Number(await chain.client.getBlockNumber({ cacheTime: 0 }));
        const indexer = await startIndexer({ client: chain.client, deployment: chain.deployment, store, maxBatchEvents: 400, progressIntervalMs: 0, onProgress: (p) => progress.push(p) });
        await indexer.caughtUp;
        await indexer.stop();

        assert.ok(progress.length >= 5, `several progress lines (${progress.length})`);
        const lines = progress.map(formatProgress);
        for (const line of lines.slice(0, -1)) assert.match(line, /^indexing blocks \d+-\d+ of \d+ \(\d+%\), [\d,]+ events, [\d,]+ ev\/s$/);
        assert.match(lines.at(-1)!, new RegExp(`^indexed up to block ${head} \\(head ${head}\\), [\\d,]+ events, [\\d,]+ ev/s$`));
        for (let i = 1; i < progress.length; i++) {
          assert.ok(progress[i]!.toBlock >= progress[i - 1]!.toBlock && progress[i]!.events >= progress[i - 1]!.events && progress[i]!.percent >= progress[i - 1]!.percent);
        }
        assert.equal(progress.at(-1)!.caughtUp, true);
        assert.equal(progress.at(-1)!.events, logCount);

        const stats = await store.queries.stats();
        assert.deepEqual([stats.agents, stats.feedback, stats.events, stats.indexedBlock], [Number(firstId) + AGENTS, FEEDBACK, logCount, head]);
        for (const agentId of [firstId, firstId + 7n, firstId + BigInt(AGENTS - 1)]) {
          const { evidenceWeight: _w, ...expected } = await getTrustScore(chain.client, { reputationRegistry: chain.address('ReputationRegistry'), agentId });
          assert.deepEqual((await store.queries.getAgent(agentId))!.trust, expected);
        }
        assert.equal((await store.queries.getAgent(firstId + 5n))!.name, 'agent-5');
      } finally {
        await store.close();
        await location.drop();
      }
    });
  }
});

// The indexer under faults, on a real devnet and both databases: a restart resumes where it
// stopped; kill -9 in the middle of a batch loses nothing and counts nothing twice; a chain
// reorganisation (anvil_reorg, or a snapshot revert) rolls the index back and re-applies, leaving
// exactly what a fresh index of the canonical chain holds.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { encodeFunctionData, zeroHash, type Hex } from 'viem';
import { reputationRegistryAbi } from '../../src/chain/artifacts/index.ts';
import { registerAgent } from '../../src/identity/actions/agents.ts';
import { giveFeedback, revokeFeedback } from '../../src/identity/actions/feedback.ts';
import { requestValidation } from '../../src/identity/actions/validation.ts';
import { buildRegistrationFile, toDataUri } from '../../src/identity/registrationFile.ts';
import type { NodeStore } from '../../src/node/db/store.ts';
import { startIndexer, type ReorgInfo } from '../../src/node/indexer/indexer.ts';
import { startTestChain, type TestChain } from '../helpers/chain.ts';
import { databaseKinds, dumpIndexedState, newStoreLocation, type DbKind } from './fixtures/stores.ts';

const kinds = await databaseKinds();
const childScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'indexChild.ts');

/** Some identity activity: `n` agents, each rated twice, one revoke, one validation request. */
async function activity(chain: TestChain, n: number, tag: string) {
  const identityRegistry = chain.address('IdentityRegistry');
  const reputationRegistry = chain.address('ReputationRegistry');
  const ids: bigint[] = [];
  for (let i = 0; i < n; i++) {
    const file = buildRegistrationFile({ name: `${tag}-${i}`, description: `agent ${i} of ${tag}` });
    const { agentId } = await registerAgent(chain.client, chain.wallet(1), { identityRegistry, agentURI: toDataUri(file) });
    await giveFeedback(chain.client, chain.wallet(2), { reputationRegistry, agentId, value: BigInt(50 + i), tag1: tag });
    await giveFeedback(chain.client, chain.wallet(3), { reputationRegistry, agentId, value: BigInt(90 - i), tag1: tag });
    ids.push(agentId);
  }
  await revokeFeedback(chain.client, chain.wallet(2), { reputationRegistry, agentId: ids[0]!, feedbackIndex: 1n });
  await requestValidation(chain.client, chain.wallet(1), { validationRegistry: chain.address('ValidationRegistry'), validator: chain.wallet(9).account.address, agentId: ids[0]!, requestURI: `https://work.example/${tag}` });
  return ids;
}

/** Indexes the chain as it is now into a brand-new store and returns what it holds. */
async function freshIndex(chain: TestChain, kind: DbKind) {
  const location = newStoreLocation(kind);
  const store = await location.open();
  try {
    const indexer = await startIndexer({ client: chain.client, deployment: chain.deployment, store, pollIntervalMs: 50 });
    await indexer.waitForBlock(await chain.client.getBlockNumber({ cacheTime: 0 }), { timeoutMs: 60_000 });
    await indexer.stop();
    return await dumpIndexedState(store);
  } finally {
    await store.close();
    await location.drop();
  }
}

/** Waits until the index's checkpoint is the chain's current head, hash included. */
async function inSync(chain: TestChain, store: NodeStore, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const head = await chain.client.getBlock({ blockTag: 'latest' });
    const [state] = (await dumpIndexedState(store)).checkpoint as Array<{ block_number: number; block_hash: string }>;
    if (state && Number(state.block_number) === Number(head.number) && state.block_hash === head.hash) return;
    if (Date.now() > end) throw new Error(`index at ${state?.block_number} ${state?.block_hash}, chain at ${head.number} ${head.hash}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const kind of kinds) {
  describe(`indexer faults (${kind})`, () => {
    let chain: TestChain;
    before(async () => {
      chain = await startTestChain();
      await activity(chain, 4, 'history');
    });
    after(async () => chain?.stop());

    it('a restart resumes from the checkpoint: nothing lost, nothing twice', async () => {
      const location = newStoreLocation(kind);
      try {
        let store = await location.open();
        let indexer = await startIndexer({ client: chain.client, deployment: chain.deployment, store, pollIntervalMs: 50 });
        await indexer.waitForBlock(await chain.client.getBlockNumber({ cacheTime: 0 }), { timeoutMs: 30_000 });
        await indexer.stop();
        const before_ = await store.queries.stats();
        await store.close();

        await activity(chain, 3, 'while-down');
        store = await location.open();
        assert.deepEqual(await store.queries.stats(), before_, 'the closed index is as it was');
        indexer = await startIndexer({ client: chain.client, deployment: chain.deployment, store, pollIntervalMs: 50 });
        await indexer.waitForBlock(await chain.client.getBlockNumber({ cacheTime: 0 }), { timeoutMs: 30_000 });
        await indexer.stop();
        const resumed = await dumpIndexedState(store);
        await store.close();
        assert.deepEqual(resumed, await freshIndex(chain, kind));
      } finally {
        await location.drop();
      }
    });

    it('kill -9 in the middle of a batch: the reopened index equals the chain exactly', async () => {
      await activity(chain, 3, 'before-crash');
      const location = newStoreLocation(kind);
      try {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', childScript, JSON.stringify({ rpcUrl: chain.devnet.rpcUrl, deployment: chain.deployment, dataDir: location.dataDir, databaseUrl: location.databaseUrl, schema: location.schema, lingerMs: 300 })],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let out = '';
        let err = '';
        child.stderr.on('data', (d) => (err += d));
        // Killed while its third batch transaction is open (the child lingers inside it).
        const killedIn = await new Promise<string>((resolve, reject) => {
          child.stdout.on('data', (d) => {
            out += d;
            const batches = out.match(/^BATCH .*$/gm) ?? [];
            if (batches.length >= 3 && child.exitCode === null && !child.killed) {
              child.kill('SIGKILL');
              resolve(batches[2]!);
            }
          });
          child.once('exit', (code, signal) => signal !== 'SIGKILL' && reject(new Error(`child exited early (${code}): ${out}${err}`)));
        });
        await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
        assert.equal(child.signalCode, 'SIGKILL', `killed in ${killedIn}`);

        const store = await location.open();
        const afterCrash = await store.queries.stats();
        const killedTo = Number(/BATCH \d+-(\d+)/.exec(killedIn)![1]);
        assert.ok(afterCrash.indexedBlock < killedTo, `the batch in flight (${killedIn}) did not commit (index at ${afterCrash.indexedBlock})`);
        assert.ok(afterCrash.events > 0, 'earlier batches did commit');
        const indexer = await startIndexer({ client: chain.client, deployment: chain.deployment, store, pollIntervalMs: 50 });
        await indexer.waitForBlock(await chain.client.getBlockNumber({ cacheTime: 0 }), { timeoutMs: 30_000 });
        await indexer.stop();
        const recovered = await dumpIndexedState(store);
        await store.close();
        assert.deepEqual(recovered, await freshIndex(chain, kind), 'same as a fresh index of the chain: no event lost or counted twice');
      } finally {
        await location.drop();
      }
    });

    it('a reorg (anvil_reorg) rolls back the lost blocks and applies the new ones', async () => {
      const location = newStoreLocation(kind);
      const reorgs: ReorgInfo[] = [];
      const store = await location.open();
      const indexer = await startIndexer({ client: chain.client, deployment: chain.deployment, store, pollIntervalMs: 50, onReorg: (r) => reorgs.push(r) });
      try {
        const [agentId] = await activity(chain, 2, 'pre-reorg');
        // These three blocks will be replaced: a new agent, a feedback, a revoke.
        await activity(chain, 1, 'doomed');
        await inSync(chain, store);
        const doomedEvents = (await store.queries.stats()).events;

        const data = encodeFunctionData({ abi: reputationRegistryAbi, functionName: 'giveFeedback', args: [agentId!, 12n, 0, 'reorged', '', '', '', zeroHash] });
        await chain.client.request({ method: 'anvil_reorg', params: [5, [[{ from: chain.wallet(4).account.address, to: chain.address('ReputationRegistry'), data, gas: '0x100000' }, 2]]] } as never);
        await inSync(chain, store);
        assert.equal(reorgs.length, 1);
        assert.equal(reorgs[0]!.reindex, false, 'undone from the journal, not re-indexed from scratch');
        assert.ok(reorgs[0]!.undoneChanges > 0);
        const now = await dumpIndexedState(store);
        assert.ok(now.events.length < doomedEvents, 'the lost blocks\' events are gone');
        assert.ok(now.feedback.some((f: any) => f.tag1 === 'reorged'), 'the new block\'s feedback is in');
        assert.deepEqual(now, await freshIndex(chain, kind));
      } finally {
        await indexer.stop();
        await store.close();
        await location.drop();
      }
    });

    it('a reorg through snapshot and revert (a shorter, then a different chain) ends where a fresh index does', async () => {
      const location = newStoreLocation(kind);
      const reorgs: ReorgInfo[] = [];
      const store = await location.open();
      const indexer = await startIndexer({ client: chain.client, deployment: chain.deployment, store, pollIntervalMs: 50, onReorg: (r) => reorgs.push(r) });
      try {
        await inSync(chain, store);
        const snapshot = (await chain.client.request({ method: 'evm_snapshot' } as never)) as Hex;
        await activity(chain, 3, 'abandoned');
        await inSync(chain, store);
        await chain.client.request({ method: 'evm_revert', params: [snapshot] } as never);
        await inSync(chain, store);
        assert.ok(reorgs.length >= 1 && reorgs.every((r) => !r.reindex));
        await activity(chain, 4, 'canonical');
        await inSync(chain, store);
        const now = await dumpIndexedState(store);
        assert.ok(!now.agents.some((a: any) => a.name?.startsWith('abandoned')));
        assert.deepEqual(now, await freshIndex(chain, kind));
      } finally {
        await indexer.stop();
        await store.close();
        await location.drop();
      }
    });
  });
}

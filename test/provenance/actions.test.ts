// The provenance chain actions against a real devnet with the whole protocol deployed: anchoring and
// on-chain proof checks (cross-checked with @openzeppelin/merkle-tree), dataset lineage, and model
// records signed by the trainer's owner key, a relayer, and an AgentAccount through ERC-1271.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { concat, hashTypedData, keccak256, stringToHex, toHex, zeroHash, type Address, type Hex } from 'viem';
import type { MachinaWalletClient } from '../../src/chain/clients.ts';
import { devnetAccount } from '../../src/chain/signer.ts';
import { getAgent, registerAgent } from '../../src/identity/actions/agents.ts';
import {
  anchorRoot,
  getAnchor,
  getDataset,
  getModel,
  modelDigestOnChain,
  modelTypedData,
  registerDataset,
  registerModel,
  signModel,
  verifyOnChain,
  type ModelInput,
} from '../../src/provenance/actions.ts';
import { ProvenanceError } from '../../src/provenance/errors.ts';
import { bindAgentWallet, createAgentAccount, signAsAccountOwner } from '../../src/wallet/index.ts';
import { startTestChain, type TestChain } from '../helpers/chain.ts';

const digest = (label: string): Hex => keccak256(toHex(label));

describe('provenance actions', () => {
  let chain: TestChain;
  let anchors: Address;
  let registry: Address;
  let owner: MachinaWalletClient;
  let relayer: MachinaWalletClient;
  let agentId: bigint;

  before(async () => {
    chain = await startTestChain();
    anchors = chain.address('AnchorRegistry');
    registry = chain.address('ProvenanceRegistry');
    owner = chain.wallet(1);
    relayer = chain.wallet(2);
    ({ agentId } = await registerAgent(chain.client, owner, { identityRegistry: chain.address('IdentityRegistry'), agentURI: 'https://trainer.example/agent.json' }));
  });
  after(async () => chain?.stop());

  describe('anchors', () => {
    const digests = Array.from({ length: 13 }, (_, i) => digest(`file ${i}`));
    const tree = StandardMerkleTree.of(
      digests.map((d) => [d]),
      ['bytes32'],
      { sortLeaves: false },
    );
    const root = tree.root as Hex;

    it('reports an unanchored root as undefined and refuses proofs under it', async () => {
      assert.equal(await getAnchor(chain.client, { registry: anchors, root }), undefined);
      assert.equal(await verifyOnChain(chain.client, { registry: anchors, root, digest: digests[0]!, proof: tree.getProof(0) as Hex[] }), false);
    });

    it('anchors a root and returns the block it landed in', async () => {
      const a = await anchorRoot(relayer, { registry: anchors, root, size: BigInt(digests.length) });
      assert.match(a.txHash, /^0x[0-9a-f]{64}$/);
      assert.equal(a.submitter, relayer.account.address);
      const block = await chain.client.getBlock({ blockNumber: a.blockNumber });
      assert.equal(a.blockHash, block.hash);
      assert.equal(a.timestamp, Number(block.timestamp));

      const rec = await getAnchor(chain.client, { registry: anchors, root });
      assert.deepEqual(rec, { submitter: relayer.account.address, timestamp: a.timestamp, blockNumber: a.blockNumber });
    });

    it('verifies every @openzeppelin/merkle-tree proof on chain, and nothing else', async () => {
      for (const [i, [d]] of tree.entries()) {
        assert.equal(await verifyOnChain(chain.client, { registry: anchors, root, digest: d as Hex, proof: tree.getProof(i) as Hex[] }), true, `leaf ${i}`);
      }
      assert.equal(await verifyOnChain(chain.client, { registry: anchors, root, digest: digests[1]!, proof: tree.getProof(0) as Hex[] }), false, 'proof of another leaf');
      assert.equal(await verifyOnChain(chain.client, { registry: anchors, root, digest: digest('never submitted'), proof: tree.getProof(0) as Hex[] }), false);
      const bent = [...(tree.getProof(3) as Hex[])];
      bent[1] = zeroHash;
      assert.equal(await verifyOnChain(chain.client, { registry: anchors, root, digest: digests[3]!, proof: bent }), false, 'altered proof');
    });

    it('does not take an inner node of the anchored tree for a digest', async () => {
      // leaf 0 and its sibling hash to an inner node whose proof is leaf 0's proof minus its first step.
      const proof = tree.getProof(0) as Hex[];
      const [x, y] = [tree.leafHash([digests[0]!]) as Hex, proof[0]!].sort();
      const inner = keccak256(concat([x!, y!]));
      assert.equal(await verifyOnChain(chain.client, { registry: anchors, root, digest: inner, proof: proof.slice(1) }), false);
    });

    it('refuses to anchor a root twice, before sending anything, naming the contract error', async () => {
      const nonce = await chain.client.getTransactionCount({ address: owner.account.address });
      await assert.rejects(anchorRoot(owner, { registry: anchors, root, size: 1n }), /RootAlreadyAnchored/);
      assert.equal(await chain.client.getTransactionCount({ address: owner.account.address }), nonce, 'no transaction sent');
    });

    it('names the field of bad input', async () => {
      await assert.rejects(anchorRoot(owner, { registry: anchors, root: '0x1234', size: 1n }), (e: unknown) => e instanceof ProvenanceError && e.field === 'root');
      await assert.rejects(anchorRoot(owner, { registry: anchors, root: digest('x'), size: 0n }), (e: unknown) => e instanceof ProvenanceError && e.field === 'size');
      await assert.rejects(
        verifyOnChain(chain.client, { registry: anchors, root, digest: digests[0]!, proof: ['0xzz' as Hex] }),
        (e: unknown) => e instanceof ProvenanceError && e.field === 'proof[0]',
      );
    });
  });

  describe('datasets and models', () => {
    const v1 = digest('manifest v1');
    const v2 = digest('manifest v2');
    const metrics = JSON.stringify({ accuracy: 0.91 });
    const input = (weights: string, roots: Hex[], baseModel: Hex = zeroHash): ModelInput => ({
      weightsDigest: digest(weights),
      trainerAgentId: agentId,
      configDigest: digest('config'),
      metricsDigest: keccak256(stringToHex(metrics)),
      baseModel,
      computeJobId: 0n,
      datasetRoots: roots,
      name: weights,
      metrics,
      uri: '',
    });

    it('registers a version chain and reads it back', async () => {
      assert.equal(await getDataset(chain.client, { registry, root: v1 }), undefined);
      const r1 = await registerDataset(owner, { registry, name: 'patients', root: v1, fileCount: 40n, totalBytes: 12_345n, uri: 'https://node/v1/datasets/v1/manifest' });
      assert.equal(r1.version, 1);
      const r2 = await registerDataset(relayer, { registry, name: 'patients', root: v2, parent: v1, fileCount: 41, totalBytes: '12400', uri: '' });
      assert.equal(r2.version, 2);
      const d2 = await getDataset(chain.client, { registry, root: v2 });
      assert.ok(d2);
      assert.equal(d2.parent, v1);
      assert.equal(d2.version, 2);
      assert.equal(d2.registrant, relayer.account.address);
      assert.equal(d2.fileCount, 41n);
      assert.equal(d2.totalBytes, 12_400n);
      assert.equal(d2.name, 'patients');
      assert.equal(d2.uri, '');
      assert.equal((await getDataset(chain.client, { registry, root: v1 }))?.uri, 'https://node/v1/datasets/v1/manifest');
    });

    it('rejects an unknown parent and a repeated root with the contract error, and bad input naming the field', async () => {
      await assert.rejects(registerDataset(owner, { registry, name: 'x', root: digest('v9'), parent: digest('v8'), fileCount: 1n, totalBytes: 1n, uri: '' }), /UnknownParent/);
      await assert.rejects(registerDataset(owner, { registry, name: 'x', root: v1, fileCount: 1n, totalBytes: 1n, uri: '' }), /DatasetAlreadyRegistered/);
      await assert.rejects(registerDataset(owner, { registry, name: '', root: digest('v9'), fileCount: 1n, totalBytes: 1n, uri: '' }), (e: unknown) => e instanceof ProvenanceError && e.field === 'name');
      await assert.rejects(registerDataset(owner, { registry, name: 'x', root: digest('v9'), fileCount: 0n, totalBytes: 1n, uri: '' }), (e: unknown) => e instanceof ProvenanceError && e.field === 'fileCount');
    });

    it('signs the same typed data the contract hashes, with an account or a wallet client', async () => {
      const m = input('model-a', [v2]);
      const typed = modelTypedData(chain.client.chain.id, registry, m);
      assert.equal(hashTypedData(typed), await modelDigestOnChain(chain.client, { registry, input: m }));
      const byWallet = await signModel(owner, { chainId: chain.client.chain.id, registry, input: m });
      const byAccount = await signModel(devnetAccount(1), { chainId: chain.client.chain.id, registry, input: m });
      assert.equal(byWallet, byAccount);
    });

    it('registers a model signed by the agent owner and relayed by someone else', async () => {
      const m = input('model-a', [v2]);
      assert.equal(await getModel(chain.client, { registry, weightsDigest: m.weightsDigest }), undefined);
      const signature = await signModel(owner, { chainId: chain.client.chain.id, registry, input: m });
      const r = await registerModel(relayer, { registry, input: m, signer: owner.account.address, signature });
      assert.match(r.txHash, /^0x[0-9a-f]{64}$/);
      const rec = await getModel(chain.client, { registry, weightsDigest: m.weightsDigest });
      assert.ok(rec);
      assert.equal(rec.trainerAgentId, agentId);
      assert.equal(rec.signer, owner.account.address);
      assert.equal(rec.registrant, relayer.account.address);
      assert.deepEqual(rec.datasetRoots, [v2]);
      assert.equal(rec.metricsDigest, m.metricsDigest);
      assert.equal(rec.baseModel, zeroHash);
      assert.equal(rec.name, 'model-a');
    });

    it('rejects a signature by someone who is not the agent, and edited metrics', async () => {
      const m = input('model-evil', [v1]);
      const signature = await signModel(relayer, { chainId: chain.client.chain.id, registry, input: m });
      await assert.rejects(registerModel(relayer, { registry, input: m, signer: relayer.account.address, signature }), /InvalidTrainerSignature/);
      const honest = await signModel(owner, { chainId: chain.client.chain.id, registry, input: m });
      await assert.rejects(registerModel(relayer, { registry, input: { ...m, metrics: '{"accuracy":0.99}' }, signer: owner.account.address, signature: honest }), /MetricsDigestMismatch/);
      await assert.rejects(registerModel(relayer, { registry, input: { ...m, datasetRoots: [digest('unregistered')] }, signer: owner.account.address, signature: honest }), /UnknownDataset/);
      await assert.rejects(registerModel(relayer, { registry, input: { ...m, datasetRoots: [] }, signer: owner.account.address, signature: honest }), (e: unknown) => e instanceof ProvenanceError && e.field === 'input.datasetRoots');
    });

    it('accepts the agent wallet when it is an AgentAccount signing through ERC-1271', async () => {
      const { account } = await createAgentAccount(owner, { factory: chain.address('AgentAccountFactory'), agentId });
      await bindAgentWallet(owner, { identityRegistry: chain.address('IdentityRegistry'), account, agentId });
      assert.equal((await getAgent(chain.client, { identityRegistry: chain.address('IdentityRegistry'), agentId })).agentWallet, account);

      const m = input('model-b', [v1, v2], digest('model-a'));
      const hash = hashTypedData(modelTypedData(chain.client.chain.id, registry, m));
      const signature = await signAsAccountOwner(owner, { account, hash });
      await registerModel(relayer, { registry, input: m, signer: account, signature });
      const rec = await getModel(chain.client, { registry, weightsDigest: m.weightsDigest });
      assert.equal(rec?.signer, account);
      assert.equal(rec?.baseModel, digest('model-a'));
      assert.deepEqual(rec?.datasetRoots, [v1, v2]);
    });
  });
});

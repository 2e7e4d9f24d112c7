// Gas of the ERC-8004 calls, as users pay it: whole transactions (21k base and calldata included)
// on a fresh devnet, against the canonical ERC-8004 contracts measured on the same call set behind
// their proxy (figures from issue #2; the canonical code is not vendored into this repository).
import { parseEther, zeroHash, keccak256, toHex, type Address, type Hash } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { identityRegistryAbi, reputationRegistryAbi, validationRegistryAbi } from '../src/chain/artifacts/index.ts';
import { walletFor, type MachinaWalletClient } from '../src/chain/clients.ts';
import { startTestChain } from '../test/helpers/chain.ts';

export const CANONICAL_GAS: Record<string, number> = {
  'register()': 90_000,
  'register(66-char ipfs URI)': 201_000,
  'register(URI, 1 metadata entry)': 214_000,
  setAgentURI: 50_000,
  'giveFeedback (new client)': 214_000,
  'giveFeedback (repeat client)': 132_000,
  revokeFeedback: 36_000,
  appendResponse: 125_000,
  validationRequest: 211_000,
  validationResponse: 130_000,
};

const URI = 'ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'; // 66 characters
const OTHER_URI = 'ipfs://bafkreidgvpkjawlxz6sffxzwgooowe5yt7i6wsyg236mfoks77nywkptdq';

export type GasRow = { call: string; ours: bigint; canonical: number | undefined };

/** Runs the fixed call set on a fresh devnet and returns gasUsed per call. */
export async function measureGas(): Promise<GasRow[]> {
  const chain = await startTestChain();
  try {
    const { client } = chain;
    const identity = chain.address('IdentityRegistry');
    const reputation = chain.address('ReputationRegistry');
    const validation = chain.address('ValidationRegistry');
    const funder = chain.wallet(9);
    // Every call comes from an account that has never touched the registries, as a new user would.
    const fresh = async (): Promise<MachinaWalletClient> => {
      const w = walletFor(client, privateKeyToAccount(generatePrivateKey()));
      await client.waitForTransactionReceipt({ hash: await funder.sendTransaction({ to: w.account.address, value: parseEther('1') }) });
      return w;
    };
    const gas = async (hash: Promise<Hash>) => (await client.waitForTransactionReceipt({ hash: await hash })).gasUsed;
    const rows: GasRow[] = [];
    const add = (call: string, ours: bigint) => rows.push({ call, ours, canonical: CANONICAL_GAS[call]! });

    // The canonical figures were taken with agents already registered, register() by an owner
    // who already holds one (its balance slot is warm-written, not created) and setAgentURI
    // replacing one CID by another; the same conditions apply here. A first-time owner pays for one
    // more storage slot; that row is printed too, with no canonical figure to compare.
    await gas(chain.wallet(0).writeContract({ address: identity, abi: identityRegistryAbi, functionName: 'register', args: [] }));
    let w = await fresh();
    add('register() by a first-time owner', await gas(w.writeContract({ address: identity, abi: identityRegistryAbi, functionName: 'register', args: [] })));
    add('register()', await gas(w.writeContract({ address: identity, abi: identityRegistryAbi, functionName: 'register', args: [] })));
    w = await fresh();
    add('register(66-char ipfs URI)', await gas(w.writeContract({ address: identity, abi: identityRegistryAbi, functionName: 'register', args: [URI] })));
    w = await fresh();
    add(
      'register(URI, 1 metadata entry)',
      await gas(w.writeContract({ address: identity, abi: identityRegistryAbi, functionName: 'register', args: [URI, [{ metadataKey: 'version', metadataValue: toHex('1.0.0') }]] })),
    );
    const agentOwner = w;
    const agentId = (await client.readContract({ address: identity, abi: identityRegistryAbi, functionName: 'totalAgents' })) - 1n;
    add('setAgentURI', await gas(agentOwner.writeContract({ address: identity, abi: identityRegistryAbi, functionName: 'setAgentURI', args: [agentId, OTHER_URI] })));

    const rater = await fresh();
    const feedback = (tag: string) =>
      rater.writeContract({
        address: reputation,
        abi: reputationRegistryAbi,
        functionName: 'giveFeedback',
        args: [agentId, 87n, 0, 'quality', tag, 'https://agent.example/mcp', URI, keccak256(toHex('feedback'))],
      });
    add('giveFeedback (new client)', await gas(feedback('speed')));
    add('giveFeedback (repeat client)', await gas(feedback('speed')));
    add('revokeFeedback', await gas(rater.writeContract({ address: reputation, abi: reputationRegistryAbi, functionName: 'revokeFeedback', args: [agentId, 1n] })));
    add(
      'appendResponse',
      await gas(agentOwner.writeContract({ address: reputation, abi: reputationRegistryAbi, functionName: 'appendResponse', args: [agentId, rater.account.address, 2n, URI, keccak256(toHex('response'))] })),
    );

    const validator: Address = (await fresh()).account.address;
    const requestHash = keccak256(toHex('request-1'));
    add('validationRequest', await gas(agentOwner.writeContract({ address: validation, abi: validationRegistryAbi, functionName: 'validationRequest', args: [validator, agentId, URI, requestHash] })));
    const validatorWallet = walletFor(client, (await import('../src/chain/signer.ts')).devnetAccount(8));
    const requestHash2 = keccak256(toHex('request-2'));
    await gas(agentOwner.writeContract({ address: validation, abi: validationRegistryAbi, functionName: 'validationRequest', args: [validatorWallet.account.address, agentId, URI, requestHash2] }));
    add(
      'validationResponse',
      await gas(validatorWallet.writeContract({ address: validation, abi: validationRegistryAbi, functionName: 'validationResponse', args: [requestHash2, 95, URI, zeroHash, 'hard-finality'] })),
    );
    return rows;
  } finally {
    await chain.stop();
  }
}

/** The README table. */
export function gasTable(rows: GasRow[]): string {
  const lines = ['| call | canonical ERC-8004 | Machina | change |', '|---|---:|---:|---:|'];
  for (const r of rows) {
    const ours = `${(Number(r.ours) / 1000).toFixed(1)}k`;
    if (r.canonical === undefined) lines.push(`| ${r.call} | - | ${ours} | - |`);
    else lines.push(`| ${r.call} | ${(r.canonical / 1000).toFixed(0)}k | ${ours} | ${((Number(r.ours) / r.canonical - 1) * 100).toFixed(0)}% |`);
  }
  return lines.join('\n');
}

// Getting a key ready to sell compute, idempotently: an ERC-8004 agent (registered if the key has none), the
// provider registration with the offered resources, enough settlement tokens (from the devnet faucet when short)
// and enough free stake. Running it again changes only what differs.
import type { Abi, Address, Hex } from 'viem';
import { computeMarketAbi } from '../../chain/artifacts/index.ts';
import type { MachinaPublicClient, MachinaWalletClient } from '../../chain/clients.ts';
import { registerAgentWithFile } from '../../identity/actions/registerWithFile.ts';
import { faucet, tokenBalance } from '../../pay/token.ts';
import { eventsInRange } from '../chainLogs.ts';
import { InvalidComputeInputError } from '../errors.ts';
import { readConfig, readProvider, registerProvider, stakeProvider, updateResources, type ProviderState, type ResourcesInput } from '../market.ts';

export type SetupStep =
  | { step: 'agent-registered'; agentId: bigint; txHash: Hex }
  | { step: 'provider-registered'; providerId: bigint; txHash: Hex }
  | { step: 'resources-updated'; providerId: bigint; txHash: Hex }
  | { step: 'faucet'; amount: bigint; txHash: Hex }
  | { step: 'staked'; amount: bigint; stake: bigint; txHash: Hex };

export type EnsureProviderParameters = {
  market: Address;
  token: Address;
  identityRegistry: Address;
  /** Sell as this agent; without it, the provider this key already operates, or a newly registered agent. */
  agentId?: bigint | undefined;
  resources: ResourcesInput;
  /** Free stake to hold (default: the market's minimum plus one slash per device, plus two in reserve). */
  stake?: bigint | undefined;
  /** Tokens to keep in the wallet besides the stake, e.g. for challenge bonds (default: five bonds). */
  reserve?: bigint | undefined;
  /** Take what is missing from the devnet faucet (default false). */
  useFaucet?: boolean | undefined;
  /** Agent name when one is registered. */
  name?: string | undefined;
  onStep?: ((s: SetupStep) => void) | undefined;
};

export type EnsureProviderReturnType = { providerId: bigint; agentId: bigint; provider: ProviderState; steps: SetupStep[] };

/**
 * The provider id this key operates, from the market's `ProviderRegistered` logs (latest first), or null.
 * @example
 * const id = await findOperatedProvider(client, { market, operator })
 */
export async function findOperatedProvider(client: MachinaPublicClient, { market, operator }: { market: Address; operator: Address }): Promise<bigint | null> {
  // Read MAX_LOG_RANGE blocks per call (hosted RPCs refuse a range from block 0 to the head in one).
  const logs = await eventsInRange<{ args: { providerId?: bigint } }>(client, { address: market, abi: computeMarketAbi as unknown as Abi, eventName: 'ProviderRegistered', args: { operator }, fromBlock: 0n });
  for (const log of [...logs].reverse()) {
    const id = log.args.providerId;
    if (id === undefined) continue;
    const p = await readProvider(client, { market, providerId: id });
    if (p && p.operator.toLowerCase() === operator.toLowerCase()) return id;
  }
  return null;
}

const sameResources = (a: ResourcesInput, b: ResourcesInput) =>
  a.deviceKind === b.deviceKind && a.region === b.region && a.deviceCount === b.deviceCount && a.memoryMB === b.memoryMB && a.pricePerUnit === b.pricePerUnit;

/**
 * Registers, funds and stakes a provider as needed; safe to call on every start.
 * @example
 * const { providerId } = await ensureProvider(client, wallet, { market, token, identityRegistry, resources, useFaucet: true })
 */
export async function ensureProvider(client: MachinaPublicClient, wallet: MachinaWalletClient, p: EnsureProviderParameters): Promise<EnsureProviderReturnType> {
  const self = wallet.account.address;
  const steps: SetupStep[] = [];
  const step = (s: SetupStep) => {
    steps.push(s);
    p.onStep?.(s);
  };
  const cfg = await readConfig(client, { market: p.market });

  let providerId: bigint | null = null;
  if (p.agentId !== undefined) {
    const existing = await readProvider(client, { market: p.market, providerId: p.agentId });
    if (existing && existing.operator.toLowerCase() !== self.toLowerCase()) {
      throw new InvalidComputeInputError('agentId', `provider ${p.agentId} is operated by ${existing.operator}, not by ${self}`);
    }
    if (!existing) {
      const r = await registerProvider(wallet, { market: p.market, agentId: p.agentId, resources: p.resources });
      step({ step: 'provider-registered', providerId: r.providerId, txHash: r.txHash });
    }
    providerId = p.agentId;
  } else {
    providerId = await findOperatedProvider(client, { market: p.market, operator: self });
    if (providerId === null) {
      const agent = await registerAgentWithFile(client, wallet, {
        identityRegistry: p.identityRegistry,
        file: { name: p.name ?? `compute provider ${self.slice(0, 10)}`, description: `Sells ${p.resources.deviceCount} ${p.resources.deviceKind} device(s) on the Machina compute market`, services: [] },
      });
      step({ step: 'agent-registered', agentId: agent.agentId, txHash: agent.hash });
      const r = await registerProvider(wallet, { market: p.market, agentId: agent.agentId, resources: p.resources });
      step({ step: 'provider-registered', providerId: r.providerId, txHash: r.txHash });
      providerId = r.providerId;
    }
  }

  let provider = (await readProvider(client, { market: p.market, providerId }))!;
  if (!sameResources(provider.resources, p.resources)) {
    const r = await updateResources(wallet, { market: p.market, providerId, resources: p.resources });
    step({ step: 'resources-updated', providerId, txHash: r.txHash });
  }

  const target = p.stake ?? cfg.minStake + cfg.slashAmount * BigInt(p.resources.deviceCount + 2);
  const free = provider.stake - provider.locked;
  const topUp = target > free ? target - free : 0n;
  const reserve = p.reserve ?? cfg.challengeBond * 5n;
  const balance = await tokenBalance(client, { token: p.token, owner: self });
  if (balance < topUp + reserve) {
    if (!p.useFaucet) {
      if (balance < topUp) throw new InvalidComputeInputError('stake', `needs ${topUp} token base units to stake, the wallet ${self} holds ${balance}`);
    } else {
      const amount = topUp + reserve - balance;
      const r = await faucet(client, wallet, { token: p.token, to: self, amount });
      step({ step: 'faucet', amount, txHash: r.txHash });
    }
  }
  if (topUp > 0n) {
    const r = await stakeProvider(wallet, { market: p.market, token: p.token, providerId, amount: topUp });
    step({ step: 'staked', amount: topUp, stake: r.stake, txHash: r.txHash });
  }
  provider = (await readProvider(client, { market: p.market, providerId }))!;
  return { providerId, agentId: providerId, provider, steps };
}

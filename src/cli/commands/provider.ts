// `machina provider start|stake|unstake|status`: the seller's side of the compute market. `start` gets the key
// ready (agent, registration, tokens, stake: whatever is missing) and runs the provider daemon until Ctrl-C.
// On the devnet, provider commands sign with development account 1 unless told otherwise, so that a provider
// and a buyer (account 0, also the node's signer) never share a nonce sequence.
import type { Command } from 'commander';
import type { Address } from 'viem';
import { DEVNET_CHAIN_ID } from '../../chain/devnet.ts';
import type { ProviderEvent } from '../../compute/provider/events.ts';
import type { SetupStep } from '../../compute/provider/setup.ts';
import { InvalidArgumentError, MachinaError } from '../../errors/index.ts';
import { formatTokenAmount, parseTokenAmount } from '../../pay/token.ts';
import { parseAgentId, parseIntIn, parseName } from '../args.ts';
import { openContext, type CommandContext } from '../context.ts';
import { emit, table, toJson } from '../output.ts';
import { reachableNode } from './compute.ts';
import { addChainOptions, type GlobalOptions } from './options.ts';
import { addNodeOption, type NodeOptions } from './provenanceShared.ts';

/** The devnet development account provider commands sign with by default. */
export const DEVNET_PROVIDER_ACCOUNT = 1;

const mUSD = (units: bigint) => `${formatTokenAmount(units)} mUSD`;

/** Chain options plus `--account`, whose devnet default here is the provider account. */
function addSignerOptions(cmd: Command): Command {
  return addChainOptions(cmd).option('--account <index>', `devnet only: sign with development account 0-9 (default ${DEVNET_PROVIDER_ACCOUNT} for provider commands; 0 is the default buyer and the node's signer)`);
}

/** The command context, signing on the devnet with account 1 when no key, keystore or --account is given. */
async function providerContext(opts: GlobalOptions): Promise<CommandContext> {
  const ctx = await openContext(opts);
  if (opts.account !== undefined || ctx.settings.privateKey || ctx.settings.keystore || ctx.client.chain.id !== DEVNET_CHAIN_ID) return ctx;
  return openContext({ ...opts, account: String(DEVNET_PROVIDER_ACCOUNT) });
}

/** The provider this command acts on: --agent, or the one the signer operates. */
async function providerIdOf(ctx: CommandContext, agent: string | undefined): Promise<bigint> {
  if (agent !== undefined) return parseAgentId(agent, '--agent');
  const { findOperatedProvider } = await import('../../compute/provider/setup.ts');
  const id = await findOperatedProvider(ctx.client, { market: ctx.address('ComputeMarket'), operator: ctx.wallet().account.address });
  if (id === null) throw new MachinaError(`${ctx.wallet().account.address} operates no provider (run \`machina provider start\`, or give --agent)`, { code: 'NOT_FOUND', field: '--agent' });
  return id;
}

function parseRate(raw: string, field: string): number {
  const n = Number(raw);
  if (!/^(0|1|0?\.\d+|1\.0*)$/.test(raw) || !(n >= 0 && n <= 1)) throw new InvalidArgumentError(field, `must be a number from 0 to 1, e.g. 0.3 (got "${raw}")`);
  return n;
}

type StartOptions = NodeOptions & {
  agent?: string;
  price: string;
  stake?: string;
  device: string;
  region: string;
  memory: string;
  devices: string;
  cheat?: string;
  seed?: string;
  validator?: boolean;
  bid: boolean;
  name?: string;
  pollMs: string;
  withdrawEvery?: string;
};

/** A validator only needs tokens for challenge bonds: five of them, from the faucet on the devnet. */
async function fundValidator(ctx: CommandContext, market: Address, token: Address, devnet: boolean, onStep: (s: SetupStep) => void) {
  const { readConfig } = await import('../../compute/market.ts');
  const { faucet, tokenBalance } = await import('../../pay/token.ts');
  const self = ctx.wallet().account.address;
  const want = (await readConfig(ctx.client, { market })).challengeBond * 5n;
  const balance = await tokenBalance(ctx.client, { token, owner: self });
  if (balance < want && devnet) {
    const r = await faucet(ctx.client, ctx.wallet(), { token, to: self, amount: want - balance });
    onStep({ step: 'faucet', amount: want - balance, txHash: r.txHash });
  }
  return { providerId: null, provider: null };
}

export function addProviderCommands(program: Command) {
  const provider = program.command('provider').description('sell compute: stake, register resources, run the provider daemon');

  addNodeOption(
    addSignerOptions(
      provider
        .command('start')
        .description('get the key ready (agent, registration, faucet on the devnet, stake) and run the provider daemon until Ctrl-C')
        .option('--agent <id>', 'sell as this ERC-8004 agent (default: the provider this key operates, or a new agent)')
        .option('--price <mUSD>', 'ask per unit of work, in mUSD', '0.01')
        .option('--stake <mUSD>', "free stake to hold (default: the market's minimum plus one slash per device, plus two)")
        .option('--device <kind>', 'device kind offered', 'cpu')
        .option('--region <region>', 'region', 'local')
        .option('--memory <MB>', 'memory offered, also the sandbox limit per job', '1024')
        .option('--devices <n>', 'devices offered, also jobs run at once', '1')
        .option('--cheat <rate>', 'dishonest mode for tests and demos: commit a wrong result this share of the time (0-1)')
        .option('--seed <n>', 'with --cheat: seed of the random source, for reproducible runs')
        .option('--validator', "also re-execute other providers' optimistic results (challenging mismatches) and answer validation requests addressed to this key")
        .option('--no-bid', 'with --validator: only validate (nothing registered or staked; bonds from the faucet on the devnet)')
        .option('--name <name>', 'agent name when an agent is registered')
        .option('--poll-ms <ms>', 'how often the chain is polled', '150')
        .option('--withdraw-every <seconds>', 'withdraw earned credit to the wallet this often'),
    ),
  ).action(async (opts: StartOptions) => {
    const json = !!opts.json;
    const pricePerUnit = parseTokenAmount(opts.price, '--price');
    if (pricePerUnit === 0n) throw new InvalidArgumentError('--price', 'must be greater than zero');
    const stake = opts.stake === undefined ? undefined : parseTokenAmount(opts.stake, '--stake');
    const cheatRate = opts.cheat === undefined ? 0 : parseRate(opts.cheat, '--cheat');
    const seed = opts.seed === undefined ? undefined : parseIntIn(opts.seed, '--seed', 0, 2 ** 32 - 1);
    const pollMs = parseIntIn(opts.pollMs, '--poll-ms', 20, 60_000);
    const withdrawEveryMs = opts.withdrawEvery === undefined ? undefined : parseIntIn(opts.withdrawEvery, '--withdraw-every', 1, 86_400) * 1000;
    const agentId = opts.agent === undefined ? undefined : parseAgentId(opts.agent, '--agent');
    const validatorOnly = opts.bid === false;
    if (validatorOnly && !opts.validator) throw new InvalidArgumentError('--no-bid', 'only with --validator (a daemon that neither bids nor validates does nothing)');
    if (opts.name !== undefined) parseName(opts.name, '--name');
    const resources = {
      deviceKind: opts.device,
      region: opts.region,
      deviceCount: parseIntIn(opts.devices, '--devices', 1, 1_024),
      memoryMB: parseIntIn(opts.memory, '--memory', 1, 2 ** 32 - 1),
      pricePerUnit,
    };
    const { encodeLabel } = await import('../../compute/market.ts');
    encodeLabel(resources.deviceKind, '--device');
    encodeLabel(resources.region, '--region');

    // Signals are caught from the start, so a Ctrl-C during setup still stops cleanly.
    let stopSignal: string | undefined;
    let wake = () => {};
    const onSignal = (signal: string) => {
      stopSignal ??= signal;
      wake();
    };
    const onInt = () => onSignal('SIGINT');
    const onTerm = () => onSignal('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    const print = (e: Record<string, unknown> & { type: string }, human: string) => {
      if (json) process.stdout.write(`${toJson({ ...e, at: new Date().toISOString() })}\n`);
      else process.stdout.write(`${new Date().toISOString().slice(11, 19)}  ${human}\n`);
    };
    try {
      const ctx = await providerContext(opts);
      const wallet = ctx.wallet();
      const market = ctx.address('ComputeMarket');
      const token = ctx.address('SettlementToken');
      const devnet = ctx.client.chain.id === DEVNET_CHAIN_ID;
      const [{ ensureProvider }, { startProviderDaemon }, { formatProviderEvent }, { seededRng }] = await Promise.all([
        import('../../compute/provider/setup.ts'),
        import('../../compute/provider/daemon.ts'),
        import('../../compute/provider/events.ts'),
        import('../../compute/provider/pricing.ts'),
      ]);
      const stepLine = (s: SetupStep): string => {
        switch (s.step) {
          case 'agent-registered': return `registered agent ${s.agentId}`;
          case 'provider-registered': return `registered provider ${s.providerId} (${resources.deviceCount} x ${resources.deviceKind}, ${resources.memoryMB} MB, ${resources.region}, ${mUSD(pricePerUnit)}/unit)`;
          case 'resources-updated': return `updated provider ${s.providerId}'s resources`;
          case 'faucet': return `took ${mUSD(s.amount)} from the devnet faucet`;
          case 'staked': return `staked ${mUSD(s.amount)} (stake now ${mUSD(s.stake)})`;
        }
      };
      const setup = validatorOnly
        ? await fundValidator(ctx, market, token, devnet, (s) => print({ type: 'setup', ...s }, stepLine(s)))
        : await ensureProvider(ctx.client, wallet, {
        market,
        token,
        identityRegistry: ctx.address('IdentityRegistry'),
        agentId,
        resources,
        stake,
        useFaucet: devnet,
        name: opts.name,
        onStep: (s) => print({ type: 'setup', ...s }, stepLine(s)),
      });
      if (stopSignal) return;
      const nodeUrl = await reachableNode(opts, ctx);
      const daemon = await startProviderDaemon({
        client: ctx.client,
        wallet,
        market,
        token,
        providerId: setup.providerId,
        pricePerUnit,
        cheatRate,
        rng: seed === undefined ? undefined : seededRng(seed),
        pollMs,
        validator: !!opts.validator,
        validationRegistry: ctx.address('ValidationRegistry'),
        bid: opts.bid,
        nodeUrl,
        withdrawEveryMs,
        data: await computeToDataOption(ctx, opts, wallet.account.address),
        onEvent: (e: ProviderEvent) => print(e, formatProviderEvent(e, mUSD)),
      });
      const p = setup.provider;
      print(
        { type: 'ready', providerId: setup.providerId, operator: wallet.account.address, stake: p?.stake ?? 0n, locked: p?.locked ?? 0n, reputation: p?.reputation ?? null, nodeUrl: nodeUrl ?? null, cheatRate, validator: !!opts.validator },
        p
          ? `provider ${setup.providerId} ready: stake ${mUSD(p.stake)}, reputation ${p.reputation}${nodeUrl ? `, outputs to ${nodeUrl}` : ', outputs as data: URIs'}${opts.validator ? ', validating' : ''}${cheatRate > 0 ? `, CHEATING ${cheatRate * 100}% of the time` : ''} (Ctrl-C stops)`
          : `validator ${wallet.account.address} ready: re-executing optimistic results and answering validation requests (Ctrl-C stops)`,
      );
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (stopSignal) resolve();
      });
      if (!json) process.stderr.write(`\n${stopSignal}: stopping (waiting for running jobs) ...\n`);
      await daemon.stop();
      await (await import('../../compute/workloads/index.ts')).closeSandboxes();
      const s = daemon.stats();
      print({ type: 'summary', ...s }, `ran ${s.ran}, committed ${s.committed}, paid ${s.paid} (${mUSD(s.earned)}), slashed ${s.slashed} (${mUSD(s.slashedAmount)}), challenged ${s.challenged}, answered ${s.answered}, errors ${s.errors}`);
    } finally {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    }
  });

  addSignerOptions(
    provider
      .command('stake')
      .description("add to a provider's stake (mUSD, pulled from the signer; on the devnet the faucet tops the wallet up)")
      .argument('<AMOUNT>', 'mUSD, e.g. 150')
      .option('--agent <id>', 'the provider (default: the one this key operates)'),
  ).action(async (raw: string, opts: GlobalOptions & { agent?: string }) => {
    const amount = parseTokenAmount(raw, 'AMOUNT');
    if (amount === 0n) throw new InvalidArgumentError('AMOUNT', 'must be greater than zero');
    const ctx = await providerContext(opts);
    const providerId = await providerIdOf(ctx, opts.agent);
    const wallet = ctx.wallet();
    const market = ctx.address('ComputeMarket');
    const token = ctx.address('SettlementToken');
    const { faucet, tokenBalance } = await import('../../pay/token.ts');
    const { stakeProvider } = await import('../../compute/market.ts');
    const balance = await tokenBalance(ctx.client, { token, owner: wallet.account.address });
    if (balance < amount && ctx.client.chain.id === DEVNET_CHAIN_ID) await faucet(ctx.client, wallet, { token, to: wallet.account.address, amount: amount - balance });
    const r = await stakeProvider(wallet, { market, token, providerId, amount });
    emit({ json: !!opts.json }, { providerId, amount, stake: r.stake, tx: r.txHash }, () => [`staked ${mUSD(amount)} on provider ${providerId}`, ...table([['stake', mUSD(r.stake)], ['tx', r.txHash]])]);
  });

  addSignerOptions(
    provider
      .command('unstake')
      .description('stop taking work and start the cooldown; with --withdraw, take the whole stake back once the cooldown is over')
      .option('--agent <id>', 'the provider (default: the one this key operates)')
      .option('--withdraw', 'withdraw the stake (waits for the cooldown if it ends within two minutes)')
      .option('--to <address>', 'with --withdraw: where the stake goes (default: the signer)'),
  ).action(async (opts: GlobalOptions & { agent?: string; withdraw?: boolean; to?: string }) => {
    const ctx = await providerContext(opts);
    const providerId = await providerIdOf(ctx, opts.agent);
    const wallet = ctx.wallet();
    const market = ctx.address('ComputeMarket');
    const { readProvider, requestUnstake, withdrawStake, chainNow } = await import('../../compute/market.ts');
    const to = opts.to === undefined ? wallet.account.address : ((await import('../args.ts')).parseAddress(opts.to, '--to') as Address);
    let p = await readProvider(ctx.client, { market, providerId });
    if (!p) throw new MachinaError(`provider ${providerId} is not registered`, { code: 'NOT_FOUND', field: '--agent' });
    let requestTx: string | null = null;
    if (p.unstakeAt === 0) {
      const r = await requestUnstake(wallet, { market, providerId });
      requestTx = r.txHash;
      p = (await readProvider(ctx.client, { market, providerId }))!;
    }
    if (!opts.withdraw) {
      emit({ json: !!opts.json }, { providerId, unstakeAt: p.unstakeAt, stake: p.stake, locked: p.locked, tx: requestTx }, () => [
        `provider ${providerId} is unstaking: no new work; the stake (${mUSD(p!.stake)}) can be withdrawn after ${new Date(p!.unstakeAt * 1000).toISOString()}`,
        `then run: machina provider unstake --withdraw`,
      ]);
      return;
    }
    const wait = p.unstakeAt - (await chainNow(ctx.client));
    if (wait > 120) throw new MachinaError(`the cooldown of provider ${providerId} ends at ${new Date(p.unstakeAt * 1000).toISOString()} (in ${wait} s); run this again then`, { code: 'COOLDOWN', field: '--withdraw' });
    if (wait >= 0) {
      if (!opts.json) process.stderr.write(`waiting ${wait + 1} s for the cooldown ...\n`);
      await new Promise((r) => setTimeout(r, (wait + 1) * 1000 + 500));
    }
    const r = await withdrawStake(wallet, { market, providerId, to });
    emit({ json: !!opts.json }, { providerId, amount: r.amount, to, tx: r.txHash }, () => [`withdrew ${mUSD(r.amount)} of stake from provider ${providerId} to ${to}`]);
  });

  addSignerOptions(
    provider
      .command('status')
      .description("a provider's stake, reputation, liveness, resources and market credit")
      .option('--agent <id>', 'the provider (default: the one this key operates)'),
  ).action(async (opts: GlobalOptions & { agent?: string }) => {
    const ctx = await providerContext(opts);
    const providerId = await providerIdOf(ctx, opts.agent);
    const market = ctx.address('ComputeMarket');
    const { readProvider, readCredit } = await import('../../compute/market.ts');
    const { tokenBalance } = await import('../../pay/token.ts');
    const p = await readProvider(ctx.client, { market, providerId });
    if (!p) throw new MachinaError(`provider ${providerId} is not registered`, { code: 'NOT_FOUND', field: '--agent' });
    const [credit, balance] = await Promise.all([
      readCredit(ctx.client, { market, account: p.operator }),
      tokenBalance(ctx.client, { token: ctx.address('SettlementToken'), owner: p.operator }),
    ]);
    const out = { ...p, credit, balance };
    emit({ json: !!opts.json }, out, () => [
      `provider ${providerId}: ${p.live ? 'live' : 'not live'}${p.unstakeAt ? `, unstaking (withdrawable after ${new Date(p.unstakeAt * 1000).toISOString()})` : ''}`,
      ...table([
        ['operator', p.operator],
        ['stake', `${mUSD(p.stake)} (${mUSD(p.locked)} locked)`],
        ['reputation', `${p.reputation}/100 (${p.completed} completed, ${p.slashes} slashed)`],
        ['active jobs', p.activeJobs],
        ['resources', `${p.resources.deviceCount} x ${p.resources.deviceKind}, ${p.resources.memoryMB} MB, ${p.resources.region || 'any region'}, ${mUSD(p.resources.pricePerUnit)}/unit`],
        ['last heartbeat', p.lastHeartbeat ? new Date(p.lastHeartbeat * 1000).toISOString() : '-'],
        ['credit', mUSD(credit)],
        ['wallet', mUSD(balance)],
      ]),
    ]);
  });
}

/**
 * Compute-to-data: the daemon receives licensed datasets encrypted to its operator's key, so it needs that key (the
 * configured key or keystore, or the devnet account it signs with). Without a DataMarket, or when the key at hand is
 * not the operator's, it runs without (and skips jobs that reference licensed data).
 */
async function computeToDataOption(ctx: CommandContext, opts: GlobalOptions, operator: Address) {
  const market = ctx.deployment.contracts.DataMarket?.address;
  const provenance = ctx.deployment.contracts.ProvenanceRegistry?.address;
  if (!market || !provenance) return undefined;
  const [{ signerPrivateKey }, { dataKeyFromPrivateKey }] = await Promise.all([import('./data.ts'), import('../../data/crypto.ts')]);
  const devnetDefault = opts.account === undefined && !ctx.settings.privateKey && !ctx.settings.keystore && ctx.client.chain.id === DEVNET_CHAIN_ID;
  const key = dataKeyFromPrivateKey(await signerPrivateKey(ctx, devnetDefault ? { ...opts, account: String(DEVNET_PROVIDER_ACCOUNT) } : opts));
  return key.address.toLowerCase() === operator.toLowerCase() ? { key, market, provenance } : undefined;
}

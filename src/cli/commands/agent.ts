// `machina agent register|show|list|pay`: agent identities on the ERC-8004 IdentityRegistry.
import type { Command } from 'commander';
import { formatEther, formatUnits } from 'viem';
import { registerAgent as registerAgentOnChain, getAgent, listAgents } from '../../identity/actions/agents.ts';
import { registerAgentWithFile } from '../../identity/actions/registerWithFile.ts';
import { getReputationSummary } from '../../identity/actions/feedback.ts';
import { getTrustScore } from '../../identity/actions/trust.ts';
import { getValidationSummary } from '../../identity/actions/validation.ts';
import { fetchRegistrationFile, parseServiceFlag, type RegistrationFile } from '../../identity/registrationFile.ts';
import { payAgent } from '../../pay/payAgent.ts';
import { collect, parseAgentId, parseEtherAmount, parseIntIn } from '../args.ts';
import { openContext } from '../context.ts';
import { emit, table, toJson } from '../output.ts';
import { addChainOptions, addSignerOptions, type GlobalOptions } from './options.ts';
import { InvalidArgumentError } from '../../errors/index.ts';
import { parseTokenAmount } from '../../pay/token.ts';

type RegisterOptions = GlobalOptions & { name?: string; description?: string; service?: string[]; image?: string; uri?: string; x402?: boolean };

function addRegisterCommand(agent: Command) {
  const cmd = agent
    .command('register')
    .description('register a new agent; its registration file is built from the flags and stored on chain as a data: URI (or give --uri)')
    .option('--name <name>', 'agent name')
    .option('--description <text>', 'what the agent does')
    .option('--service <NAME=ENDPOINT>', 'a service endpoint, e.g. MCP=https://host/mcp or A2A=https://host/.well-known/agent-card.json (repeatable)', collect)
    .option('--image <url>', 'image URL')
    .option('--x402', 'the agent accepts x402 payments')
    .option('--uri <agentURI>', 'use this agentURI (ipfs://, https://, data:) instead of building a registration file')
    .action(async (opts: RegisterOptions) => {
      // Arguments are checked before anything touches the chain.
      if (opts.uri !== undefined && (opts.name || opts.description || opts.service)) {
        throw new InvalidArgumentError('--uri', 'give either --uri or --name/--description/--service, not both');
      }
      if (opts.uri === undefined && !opts.name) throw new InvalidArgumentError('--name', 'required (or give --uri)');
      const services = (opts.service ?? []).map(parseServiceFlag);
      const ctx = await openContext(opts);
      const identityRegistry = ctx.address('IdentityRegistry');
      const wallet = ctx.wallet();
      const result: { agentId: bigint; owner: `0x${string}`; agentURI: string; hash: `0x${string}`; blockNumber: bigint; file?: RegistrationFile } =
        opts.uri !== undefined
          ? await registerAgentOnChain(ctx.client, wallet, { identityRegistry, agentURI: opts.uri })
          : await registerAgentWithFile(ctx.client, wallet, {
              identityRegistry,
              file: { name: opts.name!, description: opts.description ?? '', image: opts.image, services, x402Support: !!opts.x402 },
            });
      const { agentURI, file } = result;
      const out = { agentId: result.agentId, owner: result.owner, agentURI, registration: file, tx: result.hash, blockNumber: result.blockNumber };
      emit({ json: !!opts.json }, out, () => [`registered agent ${result.agentId}`, ...table([['owner', result.owner], ['tx', result.hash], ['name', file?.name], ['agentURI', agentURI.length > 80 ? `${agentURI.slice(0, 77)}...` : agentURI]])]);
    });
  addSignerOptions(cmd);
}

type RunOptions = GlobalOptions & { strategy?: string; steps?: string; interval: string; budget: string; maxTrade?: string; seed: string };

/** `agent run`: one autonomous trader on the DeFi lab until --steps or Ctrl-C; a line per step, then a summary. */
function addRunCommand(agent: Command) {
  const cmd = agent
    .command('run')
    .description('run an autonomous trading agent on the DeFi lab: a new ERC-8004 identity, a guarded agent account (funded from the lab faucet on the devnet), and an observe-decide-trade loop until --steps or Ctrl-C')
    .requiredOption('--strategy <name>', 'momentum, mean-reversion, ml, herd, market-maker, arbitrageur or liquidator')
    .option('--steps <n>', 'stop after this many steps (default: run until Ctrl-C)')
    .option('--interval <ms>', 'pause between steps', '1000')
    .option('--budget <lUSD>', "what the agent starts with, in lUSD (half in LAB at the pool price); its key's window cap is ten times this per day", '10000')
    .option('--max-trade <lUSD>', "the key's per-transaction spend cap, in lUSD (LAB: the same value); default a quarter of --budget")
    .option('--seed <n>', "the strategy's seed (its jittered parameters)", '1')
    .action(async (opts: RunOptions) => {
      const [{ parseStrategyName, runAgent }, { defiAddressesOf }] = await Promise.all([import('../../agents/runtime.ts'), import('../../agents/chainMarket.ts')]);
      const strategy = parseStrategyName(opts.strategy ?? '', '--strategy');
      const steps = opts.steps === undefined ? undefined : parseIntIn(opts.steps, '--steps', 1, 10_000_000);
      const intervalMs = parseIntIn(opts.interval, '--interval', 0, 3_600_000);
      const budget = parseTokenAmount(opts.budget, '--budget', 18);
      if (budget === 0n) throw new InvalidArgumentError('--budget', 'must be greater than zero');
      const maxTrade = opts.maxTrade === undefined ? undefined : parseTokenAmount(opts.maxTrade, '--max-trade', 18);
      if (maxTrade === 0n) throw new InvalidArgumentError('--max-trade', 'must be greater than zero');
      const seed = parseIntIn(opts.seed, '--seed', 0, 2 ** 32 - 1);
      const json = !!opts.json;
      const ctx = await openContext(opts);
      const defi = defiAddressesOf(Object.fromEntries(Object.entries(ctx.deployment.contracts).map(([n, c]) => [n, c.address])));
      const controller = new AbortController();
      const onInt = () => controller.abort();
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onInt);
      const print = (e: { type: string } & Record<string, unknown>, human: string) => {
        if (json) process.stdout.write(`${toJson(e)}\n`);
        else process.stdout.write(`${human}\n`);
      };
      const n = (x: number, d = 4) => x.toFixed(d);
      try {
        await runAgent({
          client: ctx.client,
          owner: ctx.wallet(),
          identityRegistry: ctx.address('IdentityRegistry'),
          accountFactory: ctx.address('AgentAccountFactory'),
          defi,
          strategy,
          seed,
          steps,
          intervalMs,
          budget,
          maxTrade,
          signal: controller.signal,
          onEvent: (e) => {
            switch (e.type) {
              case 'setup':
                return print(e, `setup: ${e.step}${'agentId' in e ? ` ${e.agentId}` : ''}${'account' in e ? ` ${e.account}` : ''}${'perTx' in e ? ` (per tx ${e.perTx}, window ${e.windowCap})` : ''}`);
              case 'ready':
                return print(e, `agent ${e.agentId} (${e.strategy}) trades from account ${e.account} with key ${e.key}; budget ${formatUnits(e.budget, 18)} lUSD, at most ${formatUnits(e.maxTrade, 18)} lUSD per trade${steps === undefined ? ' (Ctrl-C stops)' : ''}`);
              case 'step':
                return print(
                  e,
                  `${String(e.step).padStart(5)}  price ${n(e.price)}  twap ${n(e.twap)}  fee ${e.fee}ppm${e.paused ? '  PAUSED' : ''}  ${e.outcome.padEnd(8)}  ${e.detail}${e.txHash ? `  ${e.txHash}` : ''}`,
                );
              case 'summary':
                return print(
                  e,
                  `summary: ${e.steps} steps, ${e.trades} trades, ${e.holds} holds, ${e.refused} refused by the policy, ${e.reverted} reverted, ${e.tripped} stopped by the breaker; value ${n(e.startValue, 2)} -> ${n(e.endValue, 2)} lUSD (PnL ${e.pnl >= 0 ? '+' : ''}${n(e.pnl, 2)}, ${n(e.pnlPct, 2)}%)`,
                );
            }
          },
        });
      } finally {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onInt);
      }
    });
  addSignerOptions(cmd);
}

export function addAgentCommands(program: Command) {
  const agent = program.command('agent').description('agent identities (ERC-8004) and autonomous trading agents');
  addRegisterCommand(agent);
  addRunCommand(agent);

  addChainOptions(
    agent
      .command('show')
      .description('show an agent: owner, registration file, reputation, validations and trust score')
      .argument('<AGENT_ID>')
      .action(async (rawId: string, opts: GlobalOptions) => {
        const agentId = parseAgentId(rawId);
        const ctx = await openContext(opts);
        const a = await getAgent(ctx.client, { identityRegistry: ctx.address('IdentityRegistry'), agentId });
        let registration: RegistrationFile | undefined;
        let registrationError: string | undefined;
        try {
          registration = await fetchRegistrationFile(a.agentURI);
        } catch (err) {
          registrationError = (err as Error).message;
        }
        const reputationRegistry = ctx.address('ReputationRegistry');
        const [reputation, validations, trust] = await Promise.all([
          getReputationSummary(ctx.client, { reputationRegistry, agentId }),
          getValidationSummary(ctx.client, { validationRegistry: ctx.address('ValidationRegistry'), agentId }),
          getTrustScore(ctx.client, { reputationRegistry, agentId }),
        ]);
        const out = { ...a, registration, registrationError, reputation, validations, trust };
        emit({ json: !!opts.json }, out, () => [
          `agent ${a.agentId}${registration ? `: ${registration.name}` : ''}`,
          ...table([
            ['owner', a.owner],
            ['wallet', a.agentWallet],
            ['description', registration?.description],
            ['services', registration?.services.map((s) => `${s.name}=${s.endpoint}`).join(', ')],
            ['agentURI', a.agentURI.length > 80 ? `${a.agentURI.slice(0, 77)}...` : a.agentURI],
            ['feedback', `${reputation.count} (average ${formatUnits(reputation.value, reputation.valueDecimals)})`],
            ['validations', `${validations.count} (average ${validations.averageResponse})`],
            ['trust score', `${trust.score}/100 (confidence ${trust.confidence}, ${trust.verifiedClients} verified of ${trust.clients} clients)`],
            ...(registrationError ? ([['registration error', registrationError]] as Array<[string, unknown]>) : []),
          ]),
        ]);
      }),
  );

  addChainOptions(
    agent
      .command('list')
      .description('list agents in id order')
      .option('--offset <n>', 'first agentId', '0')
      .option('--limit <n>', 'how many (1-500)', '50')
      .action(async (opts: GlobalOptions & { offset: string; limit: string }) => {
        const offset = BigInt(parseIntIn(opts.offset, '--offset', 0, Number.MAX_SAFE_INTEGER));
        const limit = parseIntIn(opts.limit, '--limit', 1, 500);
        const ctx = await openContext(opts);
        const { agents, total } = await listAgents(ctx.client, { identityRegistry: ctx.address('IdentityRegistry'), offset, limit });
        const rows = await Promise.all(
          agents.map(async (a) => ({ ...a, name: (await fetchRegistrationFile(a.agentURI).catch(() => undefined))?.name })),
        );
        emit({ json: !!opts.json }, { total, offset, agents: rows }, () =>
          rows.length === 0 ? [`no agents (total ${total})`] : [`${total} agent(s)`, ...rows.map((a) => `  ${String(a.agentId).padStart(5)}  ${a.owner}  ${a.name ?? a.agentURI.slice(0, 40)}`)],
        );
      }),
  );

  addSignerOptions(
    agent
      .command('pay')
      .description("pay an agent in the chain's native token; the receipt backs verified feedback")
      .argument('<AGENT_ID>')
      .requiredOption('--amount <ether>', 'amount in ether, e.g. 0.01')
      .action(async (rawId: string, opts: GlobalOptions & { amount: string }) => {
        const agentId = parseAgentId(rawId);
        const amount = parseEtherAmount(opts.amount, '--amount');
        const ctx = await openContext(opts);
        const r = await payAgent(ctx.client, ctx.wallet(), { paymentReceipts: ctx.address('PaymentReceipts'), agentId, amount });
        emit({ json: !!opts.json }, { agentId, amount, receiptId: r.receiptId, receiptSource: ctx.address('PaymentReceipts'), tx: r.hash }, () => [
          `paid agent ${agentId} ${formatEther(amount)} ETH`,
          ...table([['receipt', r.receiptId], ['tx', r.hash]]),
          `give verified feedback with: machina feedback give ${agentId} --value 90 --receipt ${r.receiptId}`,
        ]);
      }),
  );
}

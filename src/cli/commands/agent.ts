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
import { emit, table } from '../output.ts';
import { addChainOptions, addSignerOptions, type GlobalOptions } from './options.ts';
import { InvalidArgumentError } from '../../errors/index.ts';

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

export function addAgentCommands(program: Command) {
  const agent = program.command('agent').description('agent identities (ERC-8004)');
  addRegisterCommand(agent);

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

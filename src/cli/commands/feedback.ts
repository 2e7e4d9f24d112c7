// `machina feedback give|list|revoke`: reputation on the ERC-8004 ReputationRegistry.
import type { Command } from 'commander';
import { formatUnits, type Hex } from 'viem';
import { giveFeedback, listFeedback, parseFeedbackValue, revokeFeedback } from '../../identity/actions/feedback.ts';
import { InvalidArgumentError } from '../../errors/index.ts';
import { parseAddress, parseAgentId, parseBytes32 } from '../args.ts';
import { openContext } from '../context.ts';
import { emit, table } from '../output.ts';
import { addChainOptions, addSignerOptions, type GlobalOptions } from './options.ts';

type GiveOptions = GlobalOptions & {
  value?: string;
  tag1?: string;
  tag2?: string;
  endpoint?: string;
  uri?: string;
  hash?: string;
  receipt?: string;
  receiptSource?: string;
};

export function addFeedbackCommands(program: Command) {
  const feedback = program.command('feedback').description('feedback on agents (ERC-8004 reputation)');

  addSignerOptions(
    feedback
      .command('give')
      .description('give feedback on an agent; --receipt makes it verified (checked on chain against a payment or job)')
      .argument('<AGENT_ID>')
      .requiredOption('--value <number>', 'the rating, e.g. 87 or 99.5 (decimals are kept)')
      .option('--tag1 <tag>', 'first tag, e.g. starred, uptime, successRate')
      .option('--tag2 <tag>', 'second tag')
      .option('--endpoint <uri>', 'the endpoint the feedback is about')
      .option('--uri <feedbackURI>', 'off-chain feedback file')
      .option('--hash <bytes32>', 'keccak256 of the feedback file')
      .option('--receipt <bytes32>', 'interaction receipt id (from `machina agent pay`)')
      .option('--receipt-source <address>', 'contract that issued the receipt (default: PaymentReceipts)')
      .action(async (rawId: string, opts: GiveOptions) => {
        const agentId = parseAgentId(rawId);
        const { value, valueDecimals } = parseFeedbackValue(opts.value ?? '', '--value');
        const feedbackHash = opts.hash === undefined ? undefined : parseBytes32(opts.hash, '--hash');
        if (opts.receiptSource && !opts.receipt) throw new InvalidArgumentError('--receipt-source', 'needs --receipt');
        const receiptId: Hex | undefined = opts.receipt === undefined ? undefined : parseBytes32(opts.receipt, '--receipt');
        const ctx = await openContext(opts);
        const receipt = receiptId
          ? { source: opts.receiptSource ? parseAddress(opts.receiptSource, '--receipt-source') : ctx.address('PaymentReceipts'), receiptId }
          : undefined;
        const r = await giveFeedback(ctx.client, ctx.wallet(), {
          reputationRegistry: ctx.address('ReputationRegistry'),
          agentId,
          value,
          valueDecimals,
          tag1: opts.tag1,
          tag2: opts.tag2,
          endpoint: opts.endpoint,
          feedbackURI: opts.uri,
          feedbackHash,
          receipt,
        });
        emit({ json: !!opts.json }, { ...r, value, valueDecimals }, () => [
          `feedback ${r.feedbackIndex} on agent ${agentId}: ${formatUnits(value, valueDecimals)}${r.verified ? ' (verified)' : ''}`,
          ...table([['client', r.client], ['tx', r.hash]]),
        ]);
      }),
  );

  addChainOptions(
    feedback
      .command('list')
      .description("list an agent's feedback")
      .argument('<AGENT_ID>')
      .option('--client <address>', 'only this client')
      .option('--tag1 <tag>', 'only this first tag')
      .option('--tag2 <tag>', 'only this second tag')
      .option('--include-revoked', 'include revoked feedback')
      .action(async (rawId: string, opts: GlobalOptions & { client?: string; tag1?: string; tag2?: string; includeRevoked?: boolean }) => {
        const agentId = parseAgentId(rawId);
        const clients = opts.client ? [parseAddress(opts.client, '--client')] : undefined;
        const ctx = await openContext(opts);
        const entries = await listFeedback(ctx.client, {
          reputationRegistry: ctx.address('ReputationRegistry'),
          agentId,
          clients,
          tag1: opts.tag1,
          tag2: opts.tag2,
          includeRevoked: !!opts.includeRevoked,
        });
        emit({ json: !!opts.json }, { agentId, feedback: entries }, () =>
          entries.length === 0
            ? [`no feedback on agent ${agentId}`]
            : entries.map(
                (f) =>
                  `  ${f.client}  #${f.feedbackIndex}  ${formatUnits(f.value, f.valueDecimals).padStart(8)}  ${[f.tag1, f.tag2].filter(Boolean).join('/') || '-'}${f.receipt ? '  verified' : ''}${f.revoked ? '  REVOKED' : ''}`,
              ),
        );
      }),
  );

  addSignerOptions(
    feedback
      .command('revoke')
      .description('revoke feedback you gave')
      .argument('<AGENT_ID>')
      .argument('<FEEDBACK_INDEX>')
      .action(async (rawId: string, rawIndex: string, opts: GlobalOptions) => {
        const agentId = parseAgentId(rawId);
        const feedbackIndex = parseAgentId(rawIndex, 'FEEDBACK_INDEX');
        const ctx = await openContext(opts);
        const r = await revokeFeedback(ctx.client, ctx.wallet(), { reputationRegistry: ctx.address('ReputationRegistry'), agentId, feedbackIndex });
        emit({ json: !!opts.json }, { agentId, feedbackIndex, revoked: true, tx: r.hash }, () => `revoked feedback ${feedbackIndex} on agent ${agentId} (tx ${r.hash})`);
      }),
  );
}

// `machina validation request|respond|status`: independent checks of agents' work (ERC-8004).
import type { Command } from 'commander';
import { getValidationStatus, requestValidation, respondToValidation } from '../../identity/actions/validation.ts';
import { parseAddress, parseAgentId, parseBytes32, parseIntIn } from '../args.ts';
import { openContext } from '../context.ts';
import { emit, table } from '../output.ts';
import { addChainOptions, addSignerOptions, type GlobalOptions } from './options.ts';

export function addValidationCommands(program: Command) {
  const validation = program.command('validation').description('validation requests and responses (ERC-8004)');

  addSignerOptions(
    validation
      .command('request')
      .description("ask a validator to check an agent's work (agent owner or operator)")
      .argument('<AGENT_ID>')
      .requiredOption('--validator <address>', 'the validator (contract or account) that must answer')
      .requiredOption('--uri <requestURI>', 'what to validate (inputs, outputs, evidence)')
      .option('--hash <bytes32>', 'commitment to the request data (default: derived from agent and URI)')
      .action(async (rawId: string, opts: GlobalOptions & { validator: string; uri: string; hash?: string }) => {
        const agentId = parseAgentId(rawId);
        const validator = parseAddress(opts.validator, '--validator');
        const requestHash = opts.hash === undefined ? undefined : parseBytes32(opts.hash, '--hash');
        const ctx = await openContext(opts);
        const r = await requestValidation(ctx.client, ctx.wallet(), { validationRegistry: ctx.address('ValidationRegistry'), validator, agentId, requestURI: opts.uri, requestHash });
        emit({ json: !!opts.json }, { agentId, validator, requestURI: opts.uri, requestHash: r.requestHash, tx: r.hash }, () => [
          `validation requested for agent ${agentId}`,
          ...table([['request', r.requestHash], ['validator', validator], ['tx', r.hash]]),
        ]);
      }),
  );

  addSignerOptions(
    validation
      .command('respond')
      .description('answer a validation request as its validator (0 = failed ... 100 = passed)')
      .argument('<REQUEST_HASH>')
      .requiredOption('--response <0-100>', 'the verdict')
      .option('--uri <responseURI>', 'evidence or audit of the verdict')
      .option('--hash <bytes32>', 'keccak256 of the response file')
      .option('--tag <tag>', 'e.g. soft-finality, hard-finality')
      .action(async (rawHash: string, opts: GlobalOptions & { response: string; uri?: string; hash?: string; tag?: string }) => {
        const requestHash = parseBytes32(rawHash, 'REQUEST_HASH');
        const response = parseIntIn(opts.response, '--response', 0, 100);
        const responseHash = opts.hash === undefined ? undefined : parseBytes32(opts.hash, '--hash');
        const ctx = await openContext(opts);
        const r = await respondToValidation(ctx.client, ctx.wallet(), {
          validationRegistry: ctx.address('ValidationRegistry'),
          requestHash,
          response,
          responseURI: opts.uri,
          responseHash,
          tag: opts.tag,
        });
        emit({ json: !!opts.json }, { requestHash, response, tag: opts.tag ?? '', tx: r.hash }, () => `responded ${response} to ${requestHash} (tx ${r.hash})`);
      }),
  );

  addChainOptions(
    validation
      .command('status')
      .description('show the latest state of a validation request')
      .argument('<REQUEST_HASH>')
      .action(async (rawHash: string, opts: GlobalOptions) => {
        const requestHash = parseBytes32(rawHash, 'REQUEST_HASH');
        const ctx = await openContext(opts);
        const s = await getValidationStatus(ctx.client, { validationRegistry: ctx.address('ValidationRegistry'), requestHash });
        emit({ json: !!opts.json }, s, () =>
          table([
            ['request', s.requestHash],
            ['agent', s.agentId],
            ['validator', s.validator],
            ['response', s.responded ? s.response : 'pending'],
            ['tag', s.tag],
            ['updated', s.lastUpdate > 0n ? new Date(Number(s.lastUpdate) * 1000).toISOString() : '-'],
          ]),
        );
      }),
  );
}

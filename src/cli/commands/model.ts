// `machina model register|show`: model records. `register` hashes the weights and the training
// config, signs the record (EIP-712) with the local key, which must own the trainer agent (or be its
// agentWallet), and registers it with the dataset versions it was trained on.
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { keccak256, stringToHex, zeroHash, type Hex } from 'viem';
import { InvalidArgumentError, MachinaError } from '../../errors/index.ts';
import { collect, isBytes32, parseAgentId, parseBytes32, parseName } from '../args.ts';
import { openContext } from '../context.ts';
import { emit, table } from '../output.ts';
import { addChainOptions, addSignerOptions, type GlobalOptions } from './options.ts';
import { hashPath, pathKind, provenanceContract } from './provenanceShared.ts';

type RegisterOptions = GlobalOptions & { name: string; weights: string; dataset: string[]; config: string; metrics: string; agent: string; job?: string; base?: string; uri?: string };

/** `--metrics`: inline JSON, or a file holding it. Kept exactly as given (its keccak is what is signed). */
function readMetrics(raw: string): string {
  const text = !raw.trimStart().startsWith('{') && existsSync(raw) ? readFileSync(raw, 'utf8').trim() : raw;
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
  } catch (err) {
    throw new InvalidArgumentError('--metrics', `must be a JSON object or a file holding one, e.g. '{"accuracy":0.93}' (${(err as Error).message})`);
  }
  if (Buffer.byteLength(text) > 16_384) throw new InvalidArgumentError('--metrics', 'at most 16 KiB');
  return text;
}

/** A model id: a weights digest (0x…), or a weights file to hash. */
export async function resolveModelId(raw: string, field: string, json: boolean): Promise<Hex> {
  if (isBytes32(raw)) return parseBytes32(raw, field);
  if (existsSync(raw) && pathKind(raw, field) === 'file') return (await hashPath(raw, field, { json })).digest;
  throw new InvalidArgumentError(field, `must be a model id (its weights digest, 0x + 64 hex digits) or a weights file (got "${raw.slice(0, 80)}")`);
}

export function addModelCommands(program: Command) {
  const model = program.command('model').description('model records: weights, training data, config, metrics, signed by the trainer agent');

  addSignerOptions(
    model
      .command('register')
      .description("register a model: its weights digest is its id; signed (EIP-712) by the local key for the trainer agent")
      .requiredOption('--name <name>', 'model name (1-200 characters)')
      .requiredOption('--weights <file>', 'the weights file (hashed: its digest is the model id)')
      .requiredOption('--dataset <root>', 'a registered dataset version it was trained on (repeatable)', collect)
      .requiredOption('--config <file>', 'the training configuration file (hashed)')
      .requiredOption('--metrics <json>', 'evaluation metrics: a JSON object, or a file holding one')
      .requiredOption('--agent <id>', 'the trainer agent (ERC-8004 id); the local key must be its owner or agentWallet')
      .option('--job <id>', 'the compute job that trained it')
      .option('--base <id>', 'the model it was fine-tuned from (its id)')
      .option('--uri <uri>', 'model card or weights location'),
  ).action(async (opts: RegisterOptions) => {
    const json = !!opts.json;
    const name = parseName(opts.name, '--name');
    const agentId = parseAgentId(opts.agent, '--agent');
    const computeJobId = opts.job === undefined ? 0n : parseAgentId(opts.job, '--job');
    const baseModel = opts.base === undefined ? zeroHash : parseBytes32(opts.base, '--base');
    const datasetRoots = opts.dataset.map((d, i) => parseBytes32(d, `--dataset[${i}]`));
    const metrics = readMetrics(opts.metrics);
    if (pathKind(opts.weights, '--weights') !== 'file') throw new InvalidArgumentError('--weights', 'must be a file');
    if (pathKind(opts.config, '--config') !== 'file') throw new InvalidArgumentError('--config', 'must be a file');
    const ctx = await openContext(opts);
    const registry = provenanceContract(ctx, 'ProvenanceRegistry');
    const wallet = ctx.wallet();
    const { getDataset, getModel, signModel, registerModel } = await import('../../provenance/actions.ts');
    for (const [i, root] of datasetRoots.entries()) {
      if (!(await getDataset(ctx.client, { registry, root }))) throw new InvalidArgumentError(`--dataset[${i}]`, `${root} is not a registered dataset version on chain ${ctx.client.chain.id} (register it with \`machina dataset register\`)`);
    }
    if (baseModel !== zeroHash && !(await getModel(ctx.client, { registry, weightsDigest: baseModel }))) throw new InvalidArgumentError('--base', `${baseModel} is not a registered model`);
    const weightsDigest = (await hashPath(opts.weights, '--weights', { json })).digest;
    const configDigest = (await hashPath(opts.config, '--config', { json })).digest;
    if (await getModel(ctx.client, { registry, weightsDigest })) throw new MachinaError(`a model with these weights (${weightsDigest}) is already registered`, { code: 'MODEL_EXISTS', field: '--weights' });
    const input = {
      weightsDigest,
      trainerAgentId: agentId,
      configDigest,
      metricsDigest: keccak256(stringToHex(metrics)),
      baseModel,
      computeJobId,
      datasetRoots,
      name,
      metrics,
      uri: opts.uri ?? '',
    };
    const signature = await signModel(wallet, { chainId: ctx.client.chain.id, registry, input });
    const r = await registerModel(wallet, { registry, input, signer: wallet.account.address, signature });
    emit({ json }, { model: weightsDigest, name, trainerAgentId: agentId, signer: wallet.account.address, configDigest, metricsDigest: input.metricsDigest, baseModel, computeJobId, datasetRoots, tx: r.txHash }, () => [
      `registered model ${name}: ${weightsDigest}`,
      ...table([
        ['trainer agent', agentId],
        ['signed by', wallet.account.address],
        ['datasets', datasetRoots.join(', ')],
        ['config', configDigest],
        ['base model', baseModel === zeroHash ? 'none' : baseModel],
        ['tx', r.txHash],
      ]),
      `audit it with: machina audit ${weightsDigest}`,
    ]);
  });

  addChainOptions(
    model
      .command('show')
      .description('show a model record: trainer, datasets, config and metrics digests, base model, signer')
      .argument('<MODEL>', 'model id (weights digest) or the weights file'),
  ).action(async (raw: string, opts: GlobalOptions) => {
    const json = !!opts.json;
    const id = await resolveModelId(raw, 'MODEL', json);
    const ctx = await openContext(opts);
    const registry = provenanceContract(ctx, 'ProvenanceRegistry');
    const { getModel } = await import('../../provenance/actions.ts');
    const m = await getModel(ctx.client, { registry, weightsDigest: id });
    if (!m) throw new MachinaError(`model ${id} is not registered on chain ${ctx.client.chain.id}`, { code: 'NOT_FOUND', field: 'MODEL' });
    emit({ json }, { model: id, ...m }, () => [
      `model ${m.name}: ${id}`,
      ...table([
        ['trainer agent', m.trainerAgentId],
        ['signer', m.signer],
        ['registrant', m.registrant],
        ['registered', m.timestamp ? new Date(m.timestamp * 1000).toISOString() : undefined],
        ['datasets', m.datasetRoots.join(', ')],
        ['config', m.configDigest],
        ['metrics', m.metricsDigest],
        ['base model', m.baseModel === zeroHash ? 'none' : m.baseModel],
        ['compute job', m.computeJobId === 0n ? 'none' : m.computeJobId],
        ['uri', m.uri],
      ]),
    ]);
  });
}

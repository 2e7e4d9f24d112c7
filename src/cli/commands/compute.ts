// `machina compute submit|status|result|cancel|jobs`: the buyer's side of the compute market. Heavy modules
// (workload sandbox, market ABI helpers) load inside the actions so `machina --help` stays quick.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Address, Hex } from 'viem';
import { DEVNET_CHAIN_ID } from '../../chain/devnet.ts';
import type { JobState } from '../../compute/market.ts';
import { InvalidArgumentError, MachinaError } from '../../errors/index.ts';
import { formatTokenAmount, parseTokenAmount } from '../../pay/token.ts';
import { parseAddress, parseAgentId, parseIntIn } from '../args.ts';
import { openContext, type CommandContext } from '../context.ts';
import { emit, table } from '../output.ts';
import { addChainOptions, addSignerOptions, type GlobalOptions } from './options.ts';
import { addNodeOption, type NodeOptions } from './provenanceShared.ts';

type SubmitOptions = NodeOptions & {
  demo?: boolean;
  workload?: string;
  input?: string;
  replicas?: string;
  mode: string;
  maxPrice?: string;
  units?: string;
  bidWindow: string;
  deadline?: string;
  device: string;
  memory?: string;
  region?: string;
  wait?: boolean;
  timeout: string;
};

const mUSD = (units: bigint) => `${formatTokenAmount(units)} mUSD`;

/** The node URL to use for blobs if a node answers there, else undefined (the job then carries data: URIs). */
export async function reachableNode(opts: NodeOptions, ctx: CommandContext): Promise<string | undefined> {
  const { nodeUrlFrom } = await import('../../provenance/nodeClient.ts');
  const url = nodeUrlFrom(opts.nodeUrl, ctx.settings);
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_500) });
    return res.ok ? url : undefined;
  } catch {
    if (opts.nodeUrl !== undefined) throw new MachinaError(`no node answers at ${url}`, { code: 'NODE_UNREACHABLE', field: '--node-url' });
    return undefined;
  }
}

/** A job as the CLI prints it: the chain state plus what was paid, where the output lives and how long it took. */
export function jobView(job: JobState, extra: { outputURI?: string | null; refund?: bigint | null; latencyMs?: number; txHash?: Hex } = {}) {
  const paid = job.assignments.filter((a) => a.paid).reduce((s, a) => s + a.pricePerUnit * BigInt(job.units), 0n);
  return {
    jobId: job.jobId,
    status: job.status,
    mode: job.mode,
    replicas: job.replicas,
    units: job.units,
    poster: job.poster,
    workloadDigest: job.workloadDigest,
    inputDigest: job.inputDigest,
    acceptedDigest: job.acceptedDigest,
    outputURI: extra.outputURI ?? null,
    maxPricePerUnit: job.maxPricePerUnit,
    escrow: job.escrow,
    paid,
    refund: extra.refund ?? null,
    assignments: job.assignments.map((a, slot) => ({
      slot,
      providerId: a.providerId,
      pricePerUnit: a.pricePerUnit,
      outputDigest: a.outputDigest,
      paid: a.paid,
      amount: a.paid ? a.pricePerUnit * BigInt(job.units) : 0n,
      slashed: a.slashed,
    })),
    postedAt: job.postedAt,
    deadline: job.deadline,
    challengeEndsAt: job.challengeEndsAt || null,
    ...(extra.latencyMs !== undefined ? { latencyMs: extra.latencyMs } : {}),
    ...(extra.txHash ? { txHash: extra.txHash } : {}),
  };
}

function jobLines(v: ReturnType<typeof jobView>): string[] {
  return [
    `job ${v.jobId}: ${v.status}`,
    ...table([
      ['mode', `${v.mode}, ${v.replicas} replica(s), ${v.units} unit(s)`],
      ['accepted digest', v.acceptedDigest],
      ['output', v.outputURI && v.outputURI.length > 80 ? `${v.outputURI.slice(0, 77)}...` : v.outputURI],
      ['paid', mUSD(v.paid)],
      ['escrow held', mUSD(v.escrow)],
      ...(v.refund !== null ? ([['refund', mUSD(v.refund)]] as Array<[string, unknown]>) : []),
      ...v.assignments.map((p, i): [string, unknown] => [`replica ${i}`, `provider ${p.providerId} at ${mUSD(p.pricePerUnit)}/unit${p.outputDigest ? `, ${p.outputDigest.slice(0, 12)}…` : ', no result'}${p.paid ? ', paid' : ''}${p.slashed ? ', SLASHED' : ''}`]),
      ...(v.latencyMs !== undefined ? ([['latency', `${v.latencyMs} ms`]] as Array<[string, unknown]>) : []),
    ]),
  ];
}

function parseJobId(raw: string): bigint {
  const id = parseAgentId(raw, 'JOB');
  if (id === 0n) throw new InvalidArgumentError('JOB', 'job ids start at 1');
  return id;
}

/** The refund of a finalized job, from its JobFinalized/JobCancelled log. */
async function refundOf(ctx: CommandContext, market: Address, jobId: bigint): Promise<bigint | null> {
  const { computeMarketAbi } = await import('../../chain/artifacts/index.ts');
  for (const eventName of ['JobFinalized', 'JobCancelled'] as const) {
    const logs = await ctx.client.getContractEvents({ address: market, abi: computeMarketAbi, eventName, args: { jobId }, fromBlock: 0n, toBlock: 'latest' });
    const last = logs.at(-1);
    if (last) return (last.args as { refund?: bigint }).refund ?? null;
  }
  return null;
}

export function addComputeCommands(program: Command) {
  const compute = program.command('compute').description('buy compute: post jobs with escrow, follow them, fetch verified results');

  addNodeOption(
    addSignerOptions(
      compute
        .command('submit')
        .description('post a job (escrow from the signer, in mUSD) and optionally wait for its verified result')
        .option('--demo', 'the built-in trivial workload (a tiny WebAssembly module and its input)')
        .option('--workload <file>', 'workload bundle file')
        .option('--input <file>', 'input file')
        .option('--replicas <k>', 'providers that run it (redundant: 1-5, majority wins; optimistic: 1; default 1, with --demo 2 when two providers are live)')
        .option('--mode <mode>', 'verification: redundant or optimistic', 'redundant')
        .option('--max-price <mUSD>', 'most paid per unit of work to each replica, in mUSD (default 1)')
        .option('--units <n>', 'units of work (default: the workload\'s own, 1 for files)')
        .option('--bid-window <seconds>', 'auction window; 0 assigns the first eligible bids at once', '0')
        .option('--deadline <seconds>', 'seconds from now by which results must be committed (default 300)')
        .option('--device <kind>', 'device kind the job needs', 'cpu')
        .option('--memory <MB>', 'memory the job needs (default 0)')
        .option('--region <region>', 'region the job needs (default: any)')
        .option('--wait', 'wait until the job is completed, failed or expired, then print it')
        .option('--timeout <seconds>', 'with --wait: give up after this long', '180'),
    ),
  ).action(async (opts: SubmitOptions) => {
    const json = !!opts.json;
    if (!opts.demo && (!opts.workload || !opts.input)) throw new InvalidArgumentError('--workload', 'give --demo, or both --workload FILE and --input FILE');
    if (opts.demo && (opts.workload || opts.input)) throw new InvalidArgumentError('--demo', 'give either --demo or --workload/--input, not both');
    if (opts.mode !== 'redundant' && opts.mode !== 'optimistic') throw new InvalidArgumentError('--mode', `must be redundant or optimistic (got "${opts.mode}")`);
    let replicas = opts.replicas === undefined ? undefined : parseIntIn(opts.replicas, '--replicas', 1, 5);
    if (opts.mode === 'optimistic' && replicas !== undefined && replicas !== 1) throw new InvalidArgumentError('--replicas', 'must be 1 in optimistic mode');
    const maxPricePerUnit = parseTokenAmount(opts.maxPrice ?? '1', '--max-price');
    if (maxPricePerUnit === 0n) throw new InvalidArgumentError('--max-price', 'must be greater than zero');
    const bidWindow = parseIntIn(opts.bidWindow, '--bid-window', 0, 86_400);
    const deadlineSeconds = parseIntIn(opts.deadline ?? '300', '--deadline', 10, 30 * 86_400);
    const timeoutMs = parseIntIn(opts.timeout, '--timeout', 1, 7 * 86_400) * 1000;
    const needs = { deviceKind: opts.device, minMemoryMB: parseIntIn(opts.memory ?? '0', '--memory', 0, 2 ** 32 - 1), region: opts.region ?? '' };
    const read = (file: string, field: string) => {
      try {
        return new Uint8Array(readFileSync(file));
      } catch (err) {
        throw new InvalidArgumentError(field, `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
    };

    const { submitJob, waitForJob, jobResult, demoJob, demoReplicas } = await import('../../compute/buyer.ts');
    let workload: Uint8Array, input: Uint8Array, units: number;
    if (opts.demo) ({ workload, input, units } = demoJob());
    else [workload, input, units] = [read(opts.workload!, '--workload'), read(opts.input!, '--input'), 1];
    if (opts.units !== undefined) units = parseIntIn(opts.units, '--units', 1, 2 ** 32 - 1);

    const ctx = await openContext(opts);
    const wallet = ctx.wallet();
    const market = ctx.address('ComputeMarket');
    const token = ctx.address('SettlementToken');
    const progress = (line: string) => {
      if (!json) process.stderr.write(`${line}\n`);
    };
    // The demo asks for a verified result: two providers must agree when two are live.
    replicas ??= opts.demo && opts.mode === 'redundant' ? await demoReplicas(ctx.client, { market }) : 1;

    // The devnet buyer needs no setup: escrow missing from the wallet comes from the faucet.
    if (ctx.client.chain.id === DEVNET_CHAIN_ID) {
      const { faucet, tokenBalance } = await import('../../pay/token.ts');
      const escrow = maxPricePerUnit * BigInt(units) * BigInt(replicas);
      const balance = await tokenBalance(ctx.client, { token, owner: wallet.account.address });
      if (balance < escrow) {
        await faucet(ctx.client, wallet, { token, to: wallet.account.address, amount: escrow - balance + 10n ** 6n * 100n });
        progress(`took ${mUSD(escrow - balance + 10n ** 6n * 100n)} from the devnet faucet for the escrow`);
      }
    }

    const nodeUrl = await reachableNode(opts, ctx);
    const started = Date.now();
    const posted = await submitJob({
      wallet,
      client: ctx.client,
      market,
      token,
      nodeUrl,
      workload,
      input,
      units,
      maxPricePerUnit,
      replicas,
      mode: opts.mode,
      bidWindow,
      deadlineSeconds,
      needs,
    });
    progress(`job ${posted.jobId}: posted (tx ${posted.txHash})`);

    if (!opts.wait) {
      const { readJob } = await import('../../compute/market.ts');
      const job = await readJob(ctx.client, { market, jobId: posted.jobId });
      const view = jobView(job!, { txHash: posted.txHash });
      emit({ json }, view, () => [...jobLines(view), `follow it with: machina compute status ${posted.jobId}`]);
      return;
    }

    let last = '';
    const final = await waitForJob({
      client: ctx.client,
      wallet,
      market,
      jobId: posted.jobId,
      timeoutMs,
      pollMs: 50,
      onStatus: (s) => {
        const stage = s.status === 'assigned' && s.committed > 0 ? `committed (${s.committed}/${s.replicas})` : s.status === 'assigned' ? `assigned (${s.assigned}/${s.replicas})` : s.status;
        if (stage !== last) progress(`job ${posted.jobId}: ${stage} after ${Date.now() - started} ms`);
        last = stage;
      },
    });
    const latencyMs = Date.now() - started;
    const result = await jobResult({ client: ctx.client, market, jobId: posted.jobId });
    const view = jobView(final, { outputURI: result.outputURI, refund: await refundOf(ctx, market, posted.jobId), latencyMs, txHash: posted.txHash });
    emit({ json }, view, () => jobLines(view));
    if (final.status !== 'completed') process.exitCode = 1;
  });

  addChainOptions(
    compute
      .command('status')
      .description("a job's state: status, replicas, digests, payments")
      .argument('<JOB>'),
  ).action(async (raw: string, opts: GlobalOptions) => {
    const jobId = parseJobId(raw);
    const ctx = await openContext(opts);
    const market = ctx.address('ComputeMarket');
    const [{ readJob }, { jobResult }] = await Promise.all([import('../../compute/market.ts'), import('../../compute/buyer.ts')]);
    const job = await readJob(ctx.client, { market, jobId });
    if (!job) throw new MachinaError(`job ${jobId} not found`, { code: 'NOT_FOUND', field: 'JOB' });
    const result = await jobResult({ client: ctx.client, market, jobId });
    const view = jobView(job, { outputURI: result.outputURI, refund: await refundOf(ctx, market, jobId) });
    emit({ json: !!opts.json }, view, () => jobLines(view));
  });

  addChainOptions(
    compute
      .command('result')
      .description("fetch a completed job's output (checked against the accepted digest)")
      .argument('<JOB>')
      .option('--out <file>', 'write the output here (default: print it)'),
  ).action(async (raw: string, opts: GlobalOptions & { out?: string }) => {
    const jobId = parseJobId(raw);
    const ctx = await openContext(opts);
    const market = ctx.address('ComputeMarket');
    const [{ jobResult }, { fetchBlob }] = await Promise.all([import('../../compute/buyer.ts'), import('../../compute/blobs.ts')]);
    const r = await jobResult({ client: ctx.client, market, jobId });
    if (r.status !== 'completed' || !r.acceptedDigest || !r.outputURI) {
      throw new MachinaError(`job ${jobId} has no accepted result (status ${r.status})`, { code: 'NO_RESULT', field: 'JOB' });
    }
    const bytes = await fetchBlob(r.outputURI, r.acceptedDigest);
    if (opts.out) writeFileSync(opts.out, bytes);
    const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
    const printable = !text.includes('\uFFFD') && /^[\t\n\r\x20-\x7e\u00a0-\uffff]*$/.test(text);
    const out = {
      jobId,
      status: r.status,
      acceptedDigest: r.acceptedDigest,
      outputURI: r.outputURI,
      bytes: bytes.length,
      ...(opts.out ? { out: opts.out } : printable ? { text } : { base64: Buffer.from(bytes).toString('base64') }),
    };
    if (!opts.json && !opts.out) {
      if (printable) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      else process.stdout.write(`${Buffer.from(bytes).toString('hex')}\n`);
      return;
    }
    emit({ json: !!opts.json }, out, () => [`job ${jobId}: ${bytes.length} bytes written to ${opts.out} (digest ${r.acceptedDigest} checked)`]);
  });

  addSignerOptions(
    compute
      .command('cancel')
      .description('cancel an open job nobody was assigned to yet; the escrow is credited back')
      .argument('<JOB>'),
  ).action(async (raw: string, opts: GlobalOptions) => {
    const jobId = parseJobId(raw);
    const ctx = await openContext(opts);
    const { cancelJob } = await import('../../compute/market.ts');
    const r = await cancelJob(ctx.wallet(), { market: ctx.address('ComputeMarket'), jobId });
    emit({ json: !!opts.json }, { jobId, status: 'cancelled', refund: r.refund, tx: r.txHash }, () => [
      `job ${jobId}: cancelled, ${mUSD(r.refund)} credited back`,
      'withdraw it with: machina compute withdraw',
    ]);
  });

  addSignerOptions(
    compute
      .command('withdraw')
      .description("send the signer's market credit (refunds, payouts, rewards) to its wallet")
      .option('--to <address>', 'send it here instead'),
  ).action(async (opts: GlobalOptions & { to?: string }) => {
    const ctx = await openContext(opts);
    const to = opts.to === undefined ? undefined : parseAddress(opts.to, '--to');
    const { readCredit, withdrawCredit } = await import('../../compute/market.ts');
    const market = ctx.address('ComputeMarket');
    const wallet = ctx.wallet();
    const credit = await readCredit(ctx.client, { market, account: wallet.account.address });
    if (credit === 0n) {
      emit({ json: !!opts.json }, { amount: 0n, to: to ?? wallet.account.address, tx: null }, () => ['no credit to withdraw']);
      return;
    }
    const r = await withdrawCredit(wallet, { market, ...(to ? { to } : {}) });
    emit({ json: !!opts.json }, { amount: r.amount, to: to ?? wallet.account.address, tx: r.txHash }, () => [`withdrew ${mUSD(r.amount)} to ${to ?? wallet.account.address}`]);
  });

  addChainOptions(
    compute
      .command('jobs')
      .description('recent jobs, newest first (read from the chain)')
      .option('--limit <n>', 'how many (1-200)', '20')
      .option('--status <status>', 'only jobs in this status (open, assigned, challenged, completed, failed, cancelled, expired)')
      .option('--mine', "only the signer's jobs"),
  ).action(async (opts: GlobalOptions & { limit: string; status?: string; mine?: boolean }) => {
    const limit = parseIntIn(opts.limit, '--limit', 1, 200);
    const { readJob, readJobCount, JOB_STATUS } = await import('../../compute/market.ts');
    if (opts.status !== undefined && !(JOB_STATUS as readonly string[]).includes(opts.status)) throw new InvalidArgumentError('--status', `must be one of ${JOB_STATUS.slice(1).join(', ')} (got "${opts.status}")`);
    const ctx = await openContext(opts);
    const market = ctx.address('ComputeMarket');
    const me = opts.mine ? ctx.wallet().account.address.toLowerCase() : undefined;
    const count = await readJobCount(ctx.client, { market });
    const jobs: ReturnType<typeof jobView>[] = [];
    for (let id = count; id >= 1n && jobs.length < limit; ) {
      const batch: bigint[] = [];
      for (; id >= 1n && batch.length < 50; id--) batch.push(id);
      const states = await Promise.all(batch.map((jobId) => readJob(ctx.client, { market, jobId })));
      for (const s of states) {
        if (!s || (opts.status && s.status !== opts.status) || (me && s.poster.toLowerCase() !== me)) continue;
        if (jobs.length < limit) jobs.push(jobView(s));
      }
    }
    emit({ json: !!opts.json }, { total: count, jobs }, () =>
      jobs.length === 0
        ? [`no jobs (total ${count})`]
        : [`${count} job(s)`, ...jobs.map((j) => `  ${String(j.jobId).padStart(5)}  ${j.status.padEnd(10)} ${j.mode.padEnd(10)} x${j.replicas}  paid ${mUSD(j.paid)}`)],
    );
  });
}


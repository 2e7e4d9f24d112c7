// `machina compute submit|status|result|cancel|jobs`: the buyer's side of the compute market. Heavy modules
// (workload sandbox, market ABI helpers) load inside the actions so `machina --help` stays quick.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Address, Hex } from 'viem';
import { DEVNET_CHAIN_ID } from '../../chain/devnet.ts';
import type { JobState } from '../../compute/market.ts';
import type { BuyerVerification } from '../../compute/buyer.ts';
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
  mode?: string;
  verify?: boolean;
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

/** Largest workload or input `compute submit` puts on chain as a data: URI when no node answers (64 KiB). */
export const MAX_DATA_URI_BYTES = 64 * 1024;

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

/**
 * The refund of a settled job: from the node's index when a node answers with the job in the same state as the
 * chain (no log scan), else from its JobFinalized/JobCancelled log. Hosted RPCs refuse a log query from block 0,
 * so a failed scan reads as "unknown" (null) instead of failing the command.
 */
async function refundOf(ctx: CommandContext, market: Address, job: Pick<JobState, 'jobId' | 'status'>): Promise<bigint | null> {
  if (job.status === 'open' || job.status === 'assigned' || job.status === 'challenged') return null;
  const { nodeUrlFrom } = await import('../../provenance/nodeClient.ts');
  try {
    const res = await fetch(`${nodeUrlFrom(undefined, ctx.settings)}/v1/compute/jobs/${job.jobId}`, { signal: AbortSignal.timeout(2_000) });
    if (res.ok) {
      const indexed = (await res.json()) as { status?: unknown; refund?: unknown };
      if (indexed.status === job.status && (indexed.refund === null || (typeof indexed.refund === 'string' && /^\d+$/.test(indexed.refund)))) {
        return indexed.refund === null ? null : BigInt(indexed.refund);
      }
    } else await res.body?.cancel();
  } catch {
    // no node: read the chain's logs
  }
  const { computeMarketAbi } = await import('../../chain/artifacts/index.ts');
  try {
    for (const eventName of ['JobFinalized', 'JobCancelled'] as const) {
      const logs = await ctx.client.getContractEvents({ address: market, abi: computeMarketAbi, eventName, args: { jobId: job.jobId }, fromBlock: 0n, toBlock: 'latest' });
      const last = logs.at(-1);
      if (last) return (last.args as { refund?: bigint }).refund ?? null;
    }
  } catch {
    // the RPC refuses the range: the refund stays unknown
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
        .option('--replicas <k>', 'providers that run it (redundant: 1, 3 or 5, majority wins; optimistic: 1; default 1)')
        .option('--mode <mode>', 'verification: redundant or optimistic (default redundant; with --demo: redundant on 3 providers when 3 are live, else optimistic checked by you)')
        .option('--verify', 'optimistic with --wait: run the workload here too and accept a matching result at once, or challenge a different one (default with --demo)')
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
    if (opts.mode !== undefined && opts.mode !== 'redundant' && opts.mode !== 'optimistic') throw new InvalidArgumentError('--mode', `must be redundant or optimistic (got "${opts.mode}")`);
    let replicas = opts.replicas === undefined ? undefined : parseIntIn(opts.replicas, '--replicas', 1, 5);
    if (replicas !== undefined && replicas % 2 === 0) throw new InvalidArgumentError('--replicas', `must be 1, 3 or 5 so a majority always decides (got ${replicas})`);
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

    const { submitJob, waitForJob, jobResult, demoJob, demoPlan } = await import('../../compute/buyer.ts');
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
    // The demo's result is always verified: by a majority of 3 providers when 3 are live, else by running it here.
    let mode = opts.mode as 'redundant' | 'optimistic' | undefined;
    if (opts.demo && mode === undefined && replicas === undefined) ({ mode, replicas } = await demoPlan(ctx.client, { market }));
    mode ??= 'redundant';
    replicas ??= 1;
    const verify = opts.verify === true || (opts.demo === true && mode === 'optimistic');

    // Without a node the bytes go on chain, in the job itself, as data: URIs: only small ones, and never silently.
    const nodeUrl = await reachableNode(opts, ctx);
    if (!nodeUrl) {
      const { nodeUrlFrom } = await import('../../provenance/nodeClient.ts');
      const tried = nodeUrlFrom(opts.nodeUrl, ctx.settings);
      for (const [what, bytes] of [['workload', workload], ['input', input]] as const) {
        if (bytes.length > MAX_DATA_URI_BYTES) {
          throw new InvalidArgumentError(
            '--node-url',
            `no node answers at ${tried}, and the ${what} (${bytes.length} bytes) is over the ${MAX_DATA_URI_BYTES} bytes a job may carry on chain as a data: URI; start a node (machina up) or give --node-url of one whose blob store can hold it`,
          );
        }
      }
      // On stderr, also with --json: stdout stays the job alone.
      process.stderr.write(
        `warning: no node answers at ${tried}; the workload and input go on chain as data: URIs (${workload.length + input.length} bytes, public in the transaction). Start a node (machina up) or give --node-url to use its blob store.\n`,
      );
    }

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
      mode,
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
    let verification: BuyerVerification | undefined;
    const final = await waitForJob({
      client: ctx.client,
      wallet,
      market,
      jobId: posted.jobId,
      timeoutMs,
      pollMs: 50,
      verify: verify ? { workload, input, token } : undefined,
      onVerify: (v) => {
        verification = v;
        progress(`job ${posted.jobId}: ran it here too: ${v.agrees ? `same output ${v.expected.slice(0, 10)}…, accepted` : `got ${v.expected.slice(0, 10)}…, not ${v.committed.slice(0, 10)}…: challenged`} (tx ${v.txHash})`);
      },
      onStatus: (s) => {
        const stage = s.status === 'assigned' && s.committed > 0 ? `committed (${s.committed}/${s.replicas})` : s.status === 'assigned' ? `assigned (${s.assigned}/${s.replicas})` : s.status;
        if (stage !== last) progress(`job ${posted.jobId}: ${stage} after ${Date.now() - started} ms`);
        last = stage;
      },
    });
    const latencyMs = Date.now() - started;
    const result = await jobResult({ client: ctx.client, market, jobId: posted.jobId });
    const view = {
      ...jobView(final, { outputURI: result.outputURI, refund: await refundOf(ctx, market, final), latencyMs, txHash: posted.txHash }),
      // How the accepted result was checked: a majority of replicas, the buyer's own run, or an open challenge window.
      verifiedBy:
        final.status !== 'completed' ? null : final.mode === 'redundant' ? (final.replicas > 1 ? `majority of ${final.replicas} providers` : 'none (one replica)') : verification?.agrees ? 'the buyer re-ran it' : 'challenge window passed',
    };
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
    const view = jobView(job, { outputURI: result.outputURI, refund: await refundOf(ctx, market, job) });
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


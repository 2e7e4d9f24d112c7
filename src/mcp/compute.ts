// The MCP tools of the compute market: list jobs, read one job (replicas, digests, payouts, challenge),
// list providers (stake, earnings, slashes, reputation) — on the node's /mcp and on stdio — and, on stdio
// only (it spends from the local key), submit a job and optionally wait for its verified result.
// Results carry ids, digests, amounts and transaction hashes, never a key (toolResult redacts anyway).
import { constants as fsConstants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import nodePath from 'node:path';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Address, Hex } from 'viem';
import { getAddress } from 'viem';
import { z } from 'zod';
import type { MachinaPublicClient, MachinaWalletClient } from '../chain/clients.ts';
import type { Deployment } from '../chain/deployments.ts';
import { InvalidArgumentError, MachinaError, NotFoundError } from '../errors/index.ts';
import type { ComputeReads } from '../node/compute/httpQueries.ts';
import { LIST_URI_MAX, truncateJobUris, type JobDetail, type JobRow, type ProviderRow } from '../node/compute/queries.ts';
import { JOB_STATUS_NAMES } from '../node/compute/module.ts';
import { formatTokenAmount } from '../pay/token.ts';
import { guard, toolResult } from './results.ts';
import { decimal } from './schemas.ts';

export type ComputeSubmitParams = {
  workload: Uint8Array;
  input: Uint8Array;
  units?: number | undefined;
  replicas?: number | undefined;
  mode?: 'redundant' | 'optimistic' | undefined;
  maxPricePerUnit?: bigint | undefined;
  bidWindow?: number | undefined;
  deadlineSeconds?: number | undefined;
};
export type ComputeSubmitResult = { jobId: bigint; txHash: Hex; workloadDigest: Hex; inputDigest: Hex; poster: Address };

export type ComputeToolDeps = {
  /** The market's read side (the node's index, in process or over HTTP). */
  compute: ComputeReads;
  /** Posts a job with the local key (stdio only); without it compute_submit is not offered. */
  submit?: ((p: ComputeSubmitParams) => Promise<ComputeSubmitResult>) | undefined;
  /** Waits until the job settles (polls; pokes due jobs with the local key). */
  wait?: ((jobId: bigint, timeoutMs: number) => Promise<{ status: string }>) | undefined;
  /** The built-in trivial workload for `demo: true`. */
  demo?: (() => { workload: Uint8Array; input: Uint8Array; units: number }) | undefined;
  /** Where compute_submit may read `workload` and `input` from (default: the server's working directory). */
  files?: WorkspaceFiles | undefined;
};

/** The files compute_submit may read: under `workspace` only, never a dotfile or a denied directory, at most `maxBytes`. */
export type WorkspaceFiles = { workspace: string; deny?: readonly (string | undefined)[] | undefined; maxBytes?: number | undefined };

/** Largest local file compute_submit reads (the node's default cap per blob). */
export const MCP_MAX_FILE_BYTES = 64 * 1024 * 1024;

/** Names of the compute tools, in the order tools/list shows them (`compute_submit` only with a signer, on stdio). */
export const COMPUTE_TOOL_NAMES = ['compute_jobs', 'compute_job', 'compute_providers', 'compute_submit'] as const;

const STATUSES = JOB_STATUS_NAMES.filter((x) => x !== 'none') as [string, ...string[]];
const jobsOutput = z.looseObject({ jobs: z.array(z.looseObject({ jobId: z.string(), status: z.string() })), next: z.string().nullable() });
const jobOutput = z.looseObject({ jobId: z.string(), status: z.string(), assignments: z.array(z.looseObject({ providerId: z.string() })) });
const providersOutput = z.looseObject({ providers: z.array(z.looseObject({ providerId: z.string(), reputation: z.number() })) });
const submitOutput = z.looseObject({ jobId: z.string(), txHash: z.string(), status: z.string(), workloadDigest: z.string(), inputDigest: z.string() });

const musd = (v: string | null) => (v === null ? '-' : `${formatTokenAmount(BigInt(v))} mUSD`);

function jobLine(j: JobRow): string {
  const replicas = j.assignments.map((a) => `#${a.providerId}${a.paid ? ' paid' : ''}${a.slashed ? ' SLASHED' : ''}`).join(', ');
  return `job ${j.jobId} ${j.status} (${j.mode}, ${j.replicas} replica${j.replicas === 1 ? '' : 's'})${replicas ? `: ${replicas}` : ''}`;
}

function describeJob(j: JobDetail): string {
  const lines = [
    `${jobLine(j)}; posted by ${j.poster}; escrow ${musd(j.initialEscrow)}${j.refund && j.refund !== '0' ? `, refunded ${musd(j.refund)}` : ''}`,
    ...j.assignments.map(
      (a) =>
        `  slot ${a.slot}: provider ${a.providerId} at ${musd(a.pricePerUnit)}/unit, ${a.outputDigest ? `output ${a.outputDigest}` : 'no result yet'}${a.paid ? `, paid ${musd(a.amount)}` : ''}${a.slashed ? `, slashed ${musd(a.slashAmount)}` : ''}`,
    ),
  ];
  if (j.acceptedDigest) lines.push(`  accepted result ${j.acceptedDigest}`);
  if (j.challenge) {
    const c = j.challenge;
    lines.push(`  challenged by ${c.challenger} (claims ${c.claimedDigest}): ${c.resolved ? (c.upheld ? `upheld ${c.votesForChallenger}-${c.votesForProvider}` : `rejected ${c.votesForProvider}-${c.votesForChallenger}`) : `${c.votes.length} of ${c.requestHashes.length} arbiter(s) answered`}`);
  }
  return lines.join('\n');
}

function providerLine(p: ProviderRow): string {
  return `provider ${p.providerId} (${p.deviceKind}${p.region ? `, ${p.region}` : ''}, ${p.deviceCount}x${p.memoryMB} MB) ${p.live ? 'live' : 'not live'}: stake ${musd(p.stake)}, earned ${musd(p.earned)}, ${p.completed} completed, ${p.slashes} slash(es) (${musd(p.slashedAmount)}), reputation ${p.reputation}`;
}

/**
 * Registers compute_jobs, compute_job, compute_providers (and compute_submit when `deps.submit` is given).
 * @example
 * registerComputeTools(server, { compute: createHttpComputeQueries({ baseUrl: nodeUrl }) })
 */
export function registerComputeTools(server: McpServer, deps: ComputeToolDeps): void {
  const read = { readOnlyHint: true, openWorldHint: false } as const;
  const { compute } = deps;
  const needJob = async (jobId: string) => {
    const j = await compute.getJob(BigInt(jobId));
    if (!j) throw new NotFoundError(`compute job ${jobId}`, 'jobId');
    return j;
  };

  server.registerTool(
    'compute_jobs',
    {
      title: 'List compute jobs',
      description: 'Jobs of the compute market, newest first: status (open, assigned, challenged, completed, failed, cancelled, expired), mode, replicas with their providers, payouts and slashes. Filter by status, poster or provider; page with `cursor` (the `next` of the previous page). Amounts are mUSD base units (6 decimals).',
      inputSchema: z.object({
        status: z.enum(STATUSES).optional().describe('only jobs in this status'),
        poster: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 20-byte hex address').optional().describe('only jobs posted by this address'),
        provider: decimal('only jobs a provider (its agent id) took part in').optional(),
        limit: z.number().int('must be an integer').min(1, 'must be 1-100').max(100, 'must be 1-100').optional().describe('page size, 1-100 (default 20)'),
        cursor: decimal('`next` of the previous page').optional(),
      }),
      outputSchema: jobsOutput,
      annotations: { title: 'List compute jobs', ...read },
    },
    guard(async ({ status, poster, provider, limit, cursor }) => {
      const listed = await compute.listJobs({ status, poster: poster ? getAddress(poster) : undefined, provider: provider === undefined ? undefined : BigInt(provider), limit: limit ?? 20, cursor });
      const page = { ...listed, jobs: listed.jobs.map((j) => truncateJobUris(j, LIST_URI_MAX)) };
      const head = page.jobs.length === 0 ? 'no jobs' : `${page.jobs.length} job(s)${page.next ? ` (more: cursor ${page.next})` : ''}:`;
      return toolResult([head, ...page.jobs.map((j) => `  ${jobLine(j)}`)].join('\n'), page);
    }),
  );

  server.registerTool(
    'compute_job',
    {
      title: 'Get a compute job',
      description: "One job of the compute market: its spec (workload and input digests and URIs, needs, price, deadline), every replica with the provider's output digest and URI, whether it was paid or slashed, the accepted digest, the refund, bids, and any challenge with the arbiters' votes.",
      inputSchema: z.object({ jobId: decimal('the job id') }),
      outputSchema: jobOutput,
      annotations: { title: 'Get a compute job', ...read },
    },
    guard(async ({ jobId }) => {
      // Long URIs (data: URIs can be megabytes) are cut short and flagged: an answer an LLM reads stays small.
      const j = truncateJobUris(await needJob(jobId), LIST_URI_MAX);
      return toolResult(describeJob(j), j);
    }),
  );

  server.registerTool(
    'compute_providers',
    {
      title: 'List compute providers',
      description: 'Providers of the compute market (or one, with its recent jobs and slashes): offered resources and price, stake and locked stake, earned, completed jobs, slashes and the slashed amount, reputation (0-100), liveness. Amounts are mUSD base units (6 decimals).',
      inputSchema: z.object({ providerId: decimal('one provider (its agent id); all when absent').optional() }),
      outputSchema: providersOutput,
      annotations: { title: 'List compute providers', ...read },
    },
    guard(async ({ providerId }) => {
      if (providerId !== undefined) {
        const p = await compute.getProvider(BigInt(providerId));
        if (!p) throw new NotFoundError(`compute provider ${providerId}`, 'providerId');
        const small = { ...p, jobs: p.jobs.map((j) => truncateJobUris(j, LIST_URI_MAX)) };
        return toolResult([providerLine(p), ...p.jobs.slice(0, 10).map((j) => `  ${jobLine(j)}`)].join('\n'), { providers: [small] });
      }
      const [providers, stats] = await Promise.all([compute.listProviders(), compute.stats()]);
      const head = `${providers.length} provider(s), ${stats.liveProviders} live; ${stats.jobs.total} job(s), paid ${musd(stats.paid)}, slashed ${musd(stats.slashed)} in ${stats.slashCount} slash(es)`;
      return toolResult([head, ...providers.map((p) => `  ${providerLine(p)}`)].join('\n'), { providers, stats });
    }),
  );

  if (!deps.submit) return;
  const submit = deps.submit;
  server.registerTool(
    'compute_submit',
    {
      title: 'Submit a compute job',
      description:
        "Posts a compute job signed by this server's key, with escrow (maxPricePerUnit x units x replicas, mUSD) taken from it: `demo: true` runs the built-in trivial workload; otherwise give local files `workload` (a workload bundle) and `input`, which are uploaded to the node's blob store (public). The files must be inside this server's workspace directory (MACHINA_MCP_WORKSPACE, else its working directory; relative paths start there), not dotfiles, at most 64 MiB. Verification: `redundant` (replicas providers, majority digest wins) or `optimistic` (one provider, a challenge window). wait=true waits for the verified result.",
      inputSchema: z.object({
        demo: z.boolean().optional().describe('run the built-in trivial workload'),
        workload: z.string().min(1, 'must not be empty').max(4096, 'at most 4096 characters').optional().describe('path of the workload bundle, inside the workspace'),
        input: z.string().min(1, 'must not be empty').max(4096, 'at most 4096 characters').optional().describe('path of the input bytes, inside the workspace'),
        replicas: z.number().int('must be an integer').min(1, 'must be 1-5').max(5, 'must be 1-5').optional().describe('providers that run it (redundant mode), 1-5'),
        mode: z.enum(['redundant', 'optimistic']).optional(),
        maxPricePerUnit: decimal('highest price per unit of work, mUSD base units').optional(),
        units: z.number().int('must be an integer').min(1, 'must be at least 1').max(1_000_000, 'at most 1000000').optional(),
        bidWindowSeconds: z.number().int('must be an integer').min(0, 'must be 0-3600').max(3600, 'must be 0-3600').optional(),
        deadlineSeconds: z.number().int('must be an integer').min(10, 'must be 10-604800').max(604_800, 'must be 10-604800').optional(),
        wait: z.boolean().optional().describe('wait until the job is settled (default false)'),
        timeoutSeconds: z.number().int('must be an integer').min(1, 'must be 1-600').max(600, 'must be 1-600').optional().describe('with wait: how long (default 120)'),
      }),
      outputSchema: submitOutput,
      annotations: { title: 'Submit a compute job', readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    guard(async (p) => {
      let workload: Uint8Array;
      let input: Uint8Array;
      let units = p.units;
      if (p.demo) {
        if (p.workload !== undefined || p.input !== undefined) throw new InvalidArgumentError('demo', 'give demo or workload and input, not both');
        if (!deps.demo) throw new MachinaError('this server has no built-in demo workload', { code: 'UNAVAILABLE', field: 'demo' });
        const d = deps.demo();
        workload = d.workload;
        input = d.input;
        units ??= d.units;
      } else {
        if (p.workload === undefined) throw new InvalidArgumentError('workload', 'give a workload file (or demo: true)');
        if (p.input === undefined) throw new InvalidArgumentError('input', 'give an input file (or demo: true)');
        const files = deps.files ?? { workspace: process.cwd() };
        workload = await readWorkspaceFile(files, p.workload, 'workload');
        input = await readWorkspaceFile(files, p.input, 'input');
      }
      const r = await submit({
        workload,
        input,
        units,
        replicas: p.replicas,
        mode: p.mode,
        maxPricePerUnit: p.maxPricePerUnit === undefined ? undefined : BigInt(p.maxPricePerUnit),
        bidWindow: p.bidWindowSeconds,
        deadlineSeconds: p.deadlineSeconds,
      });
      let status = 'open';
      if (p.wait) {
        if (!deps.wait) throw new MachinaError('this server cannot wait for jobs', { code: 'UNAVAILABLE', field: 'wait' });
        status = (await deps.wait(r.jobId, (p.timeoutSeconds ?? 120) * 1000)).status;
      }
      // The node's view (assignments, payouts), when it has indexed the job already.
      const job = await compute.getJob(r.jobId).catch(() => undefined);
      const out = { ...(job ? truncateJobUris(job, LIST_URI_MAX) : {}), jobId: r.jobId.toString(), txHash: r.txHash, status: job && p.wait ? job.status : status, poster: r.poster, workloadDigest: r.workloadDigest, inputDigest: r.inputDigest };
      const summary = job && p.wait ? describeJob(job) : `posted job ${r.jobId} (tx ${r.txHash}): ${status}`;
      return toolResult(summary, out);
    }),
  );
}

const inside = (dir: string, file: string) => {
  const rel = nodePath.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !nodePath.isAbsolute(rel);
};

/** The workspace with its symlinks resolved; an INVALID_SETTING error when it does not exist. */
export async function realWorkspace(files: WorkspaceFiles): Promise<string> {
  try {
    return await realpath(files.workspace);
  } catch {
    throw new MachinaError(`the workspace ${files.workspace} does not exist`, { code: 'INVALID_SETTING', field: 'MACHINA_MCP_WORKSPACE' });
  }
}

/**
 * Why the resolved path `real` may not be used: outside the (resolved) `workspace` or the workspace itself, in a
 * dotted part, or in a denied directory (`{ denied }` names it); null when it may. Each caller words the refusal.
 * @example if (await workspaceRefusal(files, workspace, real)) throw refuse('…')
 */
export async function workspaceRefusal(files: WorkspaceFiles, workspace: string, real: string): Promise<'outside' | 'dotted' | { denied: string } | null> {
  if (!inside(workspace, real)) return 'outside';
  if (nodePath.relative(workspace, real).split(nodePath.sep).some((part) => part.startsWith('.'))) return 'dotted';
  for (const denied of files.deny ?? []) {
    if (!denied) continue;
    const d = await realpath(denied).catch(() => nodePath.resolve(denied));
    if (real === d || inside(d, real)) return { denied };
  }
  return null;
}

/**
 * The bytes of `file` if it lies inside the workspace (after resolving every symlink), is no dotfile and sits in
 * no dotted or denied directory, is a regular file, and has at most `maxBytes`; else an error naming `field`.
 * The tool's paths come from a model, which a prompt can steer: without this, any readable file (a keystore,
 * ~/.ssh) could be published to the node's blob store.
 * @example const bytes = await readWorkspaceFile({ workspace: process.cwd() }, 'jobs/w.bin', 'workload')
 */
export async function readWorkspaceFile(files: WorkspaceFiles, file: string, field: string): Promise<Uint8Array> {
  const maxBytes = files.maxBytes ?? MCP_MAX_FILE_BYTES;
  const workspace = await realWorkspace(files);
  const asked = nodePath.resolve(files.workspace, file);
  const refuse = (why: string) => new InvalidArgumentError(field, `${why}; give a file inside the workspace ${workspace} (set MACHINA_MCP_WORKSPACE to change it)`);
  let real: string;
  try {
    real = await realpath(asked);
  } catch {
    throw new InvalidArgumentError(field, `cannot read the file ${file} (no such file in the workspace ${workspace})`);
  }
  const why = await workspaceRefusal(files, workspace, real);
  if (why === 'outside') throw refuse(real === asked ? `${file} is outside the workspace` : `${file} leads outside the workspace (through a symlink)`);
  if (why === 'dotted') throw refuse(`${file} is a dotfile or inside a dotted directory`);
  if (why) throw refuse(`${file} is in Machina's own data (${why.denied})`);
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    // O_NOFOLLOW: the checked path cannot be swapped for a symlink between the check and the read.
    fh = await open(real, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  } catch {
    throw new InvalidArgumentError(field, `cannot read the file ${file}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new InvalidArgumentError(field, `${file} is not a regular file`);
    if (st.size > maxBytes) throw new InvalidArgumentError(field, `${file} has ${st.size} bytes, over the ${maxBytes}-byte limit`);
    return new Uint8Array(await fh.readFile());
  } finally {
    await fh.close();
  }
}

/**
 * Compute tool deps for `machina mcp` (stdio): reads through the node's API; with a local key,
 * compute_submit posts jobs (workload and input uploaded to the node's blob store) and waits for them.
 * @example
 * const compute = computeMcpDeps({ nodeUrl, client: ctx.client, deployment: ctx.deployment, wallet: ctx.wallet() })
 */
export async function computeMcpDeps(p: {
  nodeUrl: string;
  client?: MachinaPublicClient | undefined;
  deployment?: Deployment | undefined;
  wallet?: MachinaWalletClient | undefined;
  /** The only directory compute_submit reads files from (default: the working directory). */
  workspace?: string | undefined;
  /** Directories never read even inside the workspace (Machina's data directory, the keystore). */
  deny?: readonly (string | undefined)[] | undefined;
}): Promise<ComputeToolDeps> {
  const { createHttpComputeQueries } = await import('../node/compute/httpQueries.ts');
  const compute = createHttpComputeQueries({ baseUrl: p.nodeUrl });
  const market = p.deployment?.contracts.ComputeMarket?.address;
  const token = p.deployment?.contracts.SettlementToken?.address;
  const { client, wallet } = p;
  if (!client || !wallet || !market || !token) return { compute };
  const buyer = await import('../compute/buyer.ts');
  return {
    compute,
    files: { workspace: p.workspace ?? process.cwd(), deny: p.deny },
    demo: () => buyer.demoJob(),
    submit: async (s) => {
      const r = await buyer.submitJob({ wallet, client, market, token, nodeUrl: p.nodeUrl, ...s });
      return { jobId: r.jobId, txHash: r.txHash, workloadDigest: r.workloadDigest, inputDigest: r.inputDigest, poster: wallet.account.address };
    },
    wait: async (jobId, timeoutMs) => buyer.waitForJob({ client, wallet, market, jobId, timeoutMs }),
  };
}

/**
 * Compute tool deps inside the node (its /mcp): reads from the index in process, no compute_submit
 * (the node does not spend for callers).
 * @example
 * mcp: createMcpHttpHandler({ ..., compute: compute && nodeComputeMcpDeps(compute.parts) })
 */
export function nodeComputeMcpDeps(parts: { queries: ComputeReads }): ComputeToolDeps {
  return { compute: parts.queries };
}

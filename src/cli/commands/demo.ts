// `machina demo data`: the seed's medical flow end to end on the running node (`npm start`), with the devnet's
// development accounts playing hospitals, a research lab, a compute provider and a client agent. Progress goes
// to stderr; stdout is the summary of every balance (or, with --json, one object naming each account by address
// and role, amounts as decimal strings of base units).
import path from 'node:path';
import type { Command } from 'commander';
import { toHex } from 'viem';
import { DEVNET_CHAIN_ID, DEVNET_MNEMONIC } from '../../chain/devnet.ts';
import { InvalidArgumentError, MachinaError } from '../../errors/index.ts';
import { formatTokenAmount } from '../../pay/token.ts';
import type { MedicalDemoResult } from '../../runtime/demo/medicalData.ts';
import { parseAgentId, parseIntIn } from '../args.ts';
import { openContext } from '../context.ts';
import { emit } from '../output.ts';
import { addChainOptions, type GlobalOptions } from './options.ts';
import { addNodeOption, type NodeOptions } from './provenanceShared.ts';

const m = (units: bigint) => formatTokenAmount(units);

/** The human summary of a demo run: one table of flows per party, then the conservation and consent lines. */
export function demoSummary(r: MedicalDemoResult): string[] {
  const rows: Array<[string, string, string]> = [];
  const row = (who: string, what: string, amount: bigint) => rows.push([who, what, `${m(amount)} mUSD`]);
  for (const c of r.contributors) {
    row(`${c.name} ${short(c.address)}`, 'licence sales', c.sales);
    row('', 'royalties', c.royalties);
    row('', 'total earned', c.total);
    row('', 'withdrawn', c.withdrawn);
    if (c.held > 0n) row('', 'held (split dust, withdrawable later)', c.held);
  }
  for (const d of r.datasets) {
    row(`dataset ${d.listingId} ${d.name}`, 'licence revenue', d.licenceRevenue);
    row('', `royalties (${d.royaltyBps / 100}% of model revenue)`, d.royalties);
  }
  row(`model beneficiary ${short(r.beneficiary.address)}`, 'model revenue share', r.beneficiary.modelRevenue);
  row('', 'withdrawn', r.beneficiary.withdrawn);
  if (r.beneficiary.held > 0n) row('', 'held (split dust, withdrawable later)', r.beneficiary.held);
  row(`research lab (buyer) ${short(r.buyer.address)}`, 'training licences', r.buyer.licenceSpend);
  row('', 'compute job', r.buyer.computeSpend);
  row(`client agent ${short(r.client.address)}`, `${r.client.calls} inference calls`, r.client.spend);
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((x) => x[i]!.length)));
  const c = r.conservation;
  return [
    `medical data demo on chain ${r.chainId}: 3 contributors, ${r.datasets.length} datasets, 1 model, ${r.calls} paid inference calls at ${m(r.pricePerCall)} mUSD`,
    `model ${r.model.name} ${r.model.weightsDigest}`,
    `  trained in compute job ${r.model.computeJobId} on provider ${r.model.providerId}; vault ${r.model.vault}, serving agent ${r.model.servingAgentId}`,
    '',
    ...rows.map(([a, b, amount]) => `  ${a.padEnd(w[0]!)}  ${b.padEnd(w[1]!)}  ${amount.padStart(w[2]!)}`),
    '',
    `conservation: in ${m(c.in.licences)} (licences) + ${m(c.in.inference)} (inference) = ${m(c.in.total)} mUSD; out ${m(c.out.contributors)} (contributors) + ${m(c.out.beneficiary)} (beneficiary) = ${m(c.out.total)} mUSD: ${c.balanced ? 'balanced' : 'NOT BALANCED'}; market holds ${m(c.marketBalance)} = credits ${m(c.totalCredits)}`,
    `exact split to the last unit: ${r.exact ? 'yes' : 'NO'}`,
    `consent: ${r.consent.revoked.name} revoked its consent to listing ${r.consent.revoked.listingId}; models trained before it: ${r.consent.modelsTrainedBefore.length ? r.consent.modelsTrainedBefore.join(', ') : 'none'}`,
    `  a new training quote covers ${r.consent.quoteAfter.excluded.length ? `all but ${r.consent.quoteAfter.excluded.map(short).join(', ')}` : 'every contributor'} (mask ${r.consent.quoteBefore.includedMask.toString(2)} → ${r.consent.quoteAfter.includedMask.toString(2)})`,
  ];
}

function short(a: string): string {
  return `${a.slice(0, 6)}…${a.slice(-4)}`;
}

type DemoOptions = NodeOptions & { calls: string; provider?: string; workDir?: string; concurrency: string };

export function addDemoCommands(program: Command) {
  const demo = program.command('demo').description('end-to-end demonstrations on the running node (`npm start`)');

  addNodeOption(
    addChainOptions(
      demo
        .command('data')
        .description("the seed's medical flow: hospitals share consented patient records, a lab trains a model on them by compute-to-data, a client pays per inference, royalties flow back to every contributor; prints every balance")
        .option('--calls <n>', 'paid inference calls (1-100000)', '100')
        .option('--concurrency <n>', 'inference calls in flight at once (1-64)', '8')
        .option('--provider <id>', 'use this running compute provider (default: start one in this process, devnet account 8)')
        .option('--work-dir <dir>', 'where the synthetic records are written (default: <data dir>/demo)'),
    ),
  ).action(async (opts: DemoOptions) => {
    const json = !!opts.json;
    const calls = parseIntIn(opts.calls, '--calls', 1, 100_000);
    const concurrency = parseIntIn(opts.concurrency, '--concurrency', 1, 64);
    const providerId = opts.provider === undefined ? undefined : parseAgentId(opts.provider, '--provider');
    if (providerId === 0n) throw new InvalidArgumentError('--provider', 'provider ids start at 1');
    const ctx = await openContext(opts);
    if (ctx.client.chain.id !== DEVNET_CHAIN_ID) {
      throw new MachinaError(`the demo plays its parties with the devnet's development accounts: it runs on the devnet (chain ${DEVNET_CHAIN_ID}), not chain ${ctx.client.chain.id}`, { code: 'DEVNET_ONLY', field: '--rpc-url' });
    }
    const [{ runMedicalDemo }, { walletFor }, { devnetAccount }, { mnemonicToAccount }, { nodeUrlFrom }] = await Promise.all([
      import('../../runtime/demo/medicalData.ts'),
      import('../../chain/clients.ts'),
      import('../../chain/signer.ts'),
      import('viem/accounts'),
      import('../../provenance/nodeClient.ts'),
    ]);
    const started = Date.now();
    const r = await runMedicalDemo({
      client: ctx.client,
      deployment: ctx.deployment,
      nodeUrl: nodeUrlFrom(opts.nodeUrl, ctx.settings),
      wallet: (i) => walletFor(ctx.client, devnetAccount(i)),
      // The devnet's public development keys: the provider's delivery key is derived from its account.
      privateKey: (i) => toHex(mnemonicToAccount(DEVNET_MNEMONIC, { addressIndex: i }).getHdKey().privateKey!),
      calls,
      concurrency,
      providerId,
      workDir: path.resolve(opts.workDir ?? path.join(ctx.settings.dataDir, 'demo')),
      onStep: (line) => {
        if (!json) process.stderr.write(`${line}\n`);
      },
    });
    emit({ json }, { ...r, elapsedMs: Date.now() - started }, () => [...demoSummary(r), `(${((Date.now() - started) / 1000).toFixed(1)} s)`]);
    if (!r.conservation.balanced || !r.exact) process.exitCode = 1;
  });
}

export type { GlobalOptions };

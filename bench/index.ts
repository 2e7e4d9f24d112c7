// `npm run bench [gas|paygas|indexer|api|x402|provgas|merkle|hash|intake|matcher|compute|data|sim ...] [--json]`: every benchmark, each figure printed with its
// ratio to a baseline measured in the same run (for gas: the canonical contracts on the same calls).
// Progress goes to stderr; `--json` prints one JSON document on stdout for programs.
import { gasTable, measureGas } from './gas.ts';
import { batchGoalMet, measurePayGas, payGasTable } from './payGas.ts';
import { apiReport, measureApi } from './api.ts';
import { indexerReport, measureIndexer } from './indexer.ts';
import { measureX402, x402Report } from './x402.ts';
import { measureProvenanceGas, provenanceGasReport } from './provenanceGas.ts';
import { measureProvenanceHash, provenanceHashReport } from './provenanceHash.ts';
import { measureProvenanceMerkle, provenanceMerkleReport } from './provenanceMerkle.ts';
import { measureProvenanceIntake, provenanceIntakeReport } from './provenanceIntake.ts';
import { computeMatcherReport, measureComputeMatcher } from './computeMatcher.ts';
import { computeMarketReport, measureComputeMarket } from './computeMarket.ts';
import { dataMarketReport, measureDataMarket } from './dataMarket.ts';
import { measureSim, simReport } from './sim.ts';

const json = process.argv.includes('--json');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const wanted = (name: string) => only.length === 0 || only.includes(name);
const log = (line: string) => process.stderr.write(`${line}\n`);
const out = (text: string) => !json && process.stdout.write(`${text}\n`);
const results: Record<string, unknown> = {};

if (wanted('gas')) {
  log('gas: running the ERC-8004 call set on a fresh devnet ...');
  const rows = await measureGas();
  results.gas = rows.map((r) => ({ ...r, ours: Number(r.ours), ratio: r.canonical ? Number(r.ours) / r.canonical : null }));
  const compared = rows.filter((r) => r.canonical !== undefined);
  const met = compared.filter((r) => Number(r.ours) <= r.canonical! * 0.8).length;
  out(`ERC-8004 gas per transaction (21k base + calldata included)\n\n${gasTable(rows)}\n\n${met}/${compared.length} calls at least 20% below the canonical contracts (the goal)\n`);
}

if (wanted('paygas')) {
  log('paygas: agent account and x402 settlement on a fresh devnet ...');
  const rows = await measurePayGas();
  results.paygas = rows;
  out(`Agent account and settlement gas (whole transactions, ratios to each group's first row)\n\n${payGasTable(rows)}\n\nbatched settlement at most 0.5x of a lone transferWithAuthorization per payment (the goal): ${batchGoalMet(rows) ? 'met' : 'NOT met'}\n`);
}

if (wanted('indexer')) {
  log('indexer: building a devnet with 10k registrations and 50k feedbacks ...');
  const r = await measureIndexer({ log });
  results.indexer = r;
  out(`${indexerReport(r)}\n`);
}

if (wanted('api')) {
  log('api: measuring GET /v1/agents/{id} ...');
  const r = await measureApi({ log });
  results.api = r;
  out(`${apiReport(r)}\n`);
}

if (wanted('x402')) {
  log('x402: Machina gateway vs the official middleware ...');
  const r = await measureX402({ log });
  results.x402 = r;
  out(`${x402Report(r)}\n`);
}

if (wanted('provgas')) {
  log('provgas: anchoring and on-chain proof verification on a fresh devnet ...');
  const r = await measureProvenanceGas();
  results.provgas = r;
  out(`${provenanceGasReport(r)}\n`);
}

if (wanted('merkle')) {
  log('merkle: root of 1M digests and depth-20 proof checks vs @openzeppelin/merkle-tree ...');
  const r = await measureProvenanceMerkle({ log });
  results.merkle = r;
  out(`${provenanceMerkleReport(r)}\n`);
}

if (wanted('hash')) {
  log('hash: 1 GiB file vs sha256sum, 10,000-file directory ...');
  const r = await measureProvenanceHash({ log });
  results.hash = r;
  out(`${provenanceHashReport(r)}\n`);
}

if (wanted('intake')) {
  log('intake: aggregator intake over HTTP against bare node:http servers ...');
  const r = await measureProvenanceIntake({ log });
  results.intake = r;
  out(`${provenanceIntakeReport(r)}\n`);
}

if (wanted('matcher')) {
  log('matcher: 10k providers, 100k open jobs, against a brute-force reference ...');
  const r = await measureComputeMatcher({ log });
  results.matcher = r;
  out(`${computeMatcherReport(r)}\n`);
}

if (wanted('compute')) {
  log('compute: gas per job lifecycle step and demo-job latency on a fresh devnet ...');
  const r = await measureComputeMarket({ log });
  results.compute = r;
  out(`${computeMarketReport(r)}\n`);
}

if (wanted('data')) {
  log('data: delivery throughput, then gas per data-market step on a fresh devnet ...');
  const r = await measureDataMarket({ log });
  results.data = r;
  out(`${dataMarketReport(r)}\n`);
}

if (wanted('sim')) {
  log('sim: simulator speed on one core, then the same population on a fresh devnet ...');
  const r = await measureSim({ log });
  results.sim = r;
  out(`${simReport(r)}\n`);
}

if (json) process.stdout.write(`${JSON.stringify(results, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);

// `npm run bench`: every benchmark, each figure printed with its ratio to a baseline measured in
// the same run (or, for gas, to the canonical contracts on the same call set). `--json` for programs.
import { gasTable, measureGas } from './gas.ts';

const json = process.argv.includes('--json');
const rows = await measureGas();
if (json) {
  process.stdout.write(`${JSON.stringify({ gas: rows.map((r) => ({ ...r, ours: Number(r.ours), ratio: r.canonical ? Number(r.ours) / r.canonical : null })) }, null, 2)}\n`);
} else {
  process.stdout.write('ERC-8004 gas per transaction (21k base + calldata included)\n\n');
  process.stdout.write(`${gasTable(rows)}\n`);
  const compared = rows.filter((r) => r.canonical !== undefined);
  const met = compared.filter((r) => Number(r.ours) <= r.canonical! * 0.8).length;
  process.stdout.write(`\n${met}/${compared.length} calls at least 20% below the canonical contracts (the goal)\n`);
}

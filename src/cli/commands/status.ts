// `machina status`: is the chain reachable, is the protocol deployed there, is the node answering.
import type { Command } from 'commander';
import { connectChain } from '../../chain/clients.ts';
import { readDeployment } from '../../chain/deployments.ts';
import { loadSettings } from '../../config/settings.ts';
import { rpcUrlOf } from '../context.ts';
import { emit, table } from '../output.ts';
import { addChainOptions, type GlobalOptions } from './options.ts';

export function addStatusCommand(program: Command) {
  const cmd = program
    .command('status')
    .description('show the chain, the deployed contracts and the node')
    .option('--node-url <url>', 'node service URL (default http://127.0.0.1:8787)')
    .option('--port <port>', 'node service port (env MACHINA_NODE_PORT)')
    .action(async (opts: GlobalOptions & { nodeUrl?: string }) => {
      const settings = loadSettings(opts);
      const client = await connectChain(rpcUrlOf(settings));
      const blockNumber = await client.getBlockNumber();
      const deployment = readDeployment(settings.deploymentsDir, client.chain.id);
      const contracts = await Promise.all(
        Object.entries(deployment?.contracts ?? {}).map(async ([name, c]) => {
          const code = await client.getCode({ address: c.address });
          return { name, address: c.address, blockNumber: c.blockNumber, hasCode: !!code && code !== '0x' };
        }),
      );
      const nodeUrl = opts.nodeUrl ?? `http://${settings.host}:${settings.nodePort}`;
      let node: { url: string; reachable: boolean; status?: string } = { url: nodeUrl, reachable: false };
      try {
        const res = await fetch(`${nodeUrl}/health`, { signal: AbortSignal.timeout(2000) });
        node = { url: nodeUrl, reachable: true, status: ((await res.json()) as { status?: string }).status ?? String(res.status) };
      } catch {
        // unreachable is a status, not a failure
      }
      const result = { chainId: client.chain.id, blockNumber, deployed: !!deployment, contracts, node };
      emit({ json: !!opts.json }, result, () => [
        ...table([
          ['chain', `${client.chain.id} at block ${blockNumber}`],
          ['deployment', deployment ? `${contracts.length} contracts` : 'none (run `machina deploy`)'],
          ['node', node.reachable ? `${node.url} (${node.status})` : `${node.url} not reachable`],
        ]),
        ...contracts.map((c) => `  ${c.name.padEnd(20)} ${c.address}${c.hasCode ? '' : '  (NO CODE)'}`),
      ]);
      // A deployment file that does not match the chain is a failed status check.
      if (contracts.some((c) => !c.hasCode)) process.exitCode = 1;
    });
  addChainOptions(cmd);
}

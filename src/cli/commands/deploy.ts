// `machina deploy`: deploy (or complete) the protocol on the configured chain without starting a node.
import type { Command } from 'commander';
import { connectChain, walletFor } from '../../chain/clients.ts';
import { deployPlan, type DeployEvent } from '../../chain/deploy.ts';
import { resolveSigner } from '../../chain/signer.ts';
import { loadSettings } from '../../config/settings.ts';
import { ensureContractsBuilt } from '../../protocol/build.ts';
import { rpcUrlOf } from '../context.ts';
import { emit, table } from '../output.ts';
import { addChainOptions, type GlobalOptions } from './options.ts';

export function addDeployCommand(program: Command) {
  const cmd = program
    .command('deploy')
    .description('deploy the Machina protocol contracts (reuses an existing deployment file for the chain)')
    .action(async (opts: GlobalOptions) => {
      const settings = loadSettings(opts);
      const log = (line: string) => process.stderr.write(`${line}\n`);
      await ensureContractsBuilt(log);
      const { protocolPlan } = await import('../../protocol/plan.ts');
      const client = await connectChain(rpcUrlOf(settings));
      const account = resolveSigner({ settings, chainId: client.chain.id });
      const events: DeployEvent[] = [];
      const { deployment, file, deployedCount } = await deployPlan({
        client,
        wallet: account ? walletFor(client, account) : undefined,
        deploymentsDir: settings.deploymentsDir,
        plan: protocolPlan,
        onEvent: (e) => {
          events.push(e);
          if (e.kind === 'deployed') log(`deployed ${e.name} at ${e.address} (block ${e.blockNumber})`);
        },
      });
      emit({ json: !!opts.json }, { ...deployment, file, deployedCount }, () => [
        deployedCount > 0 ? `deployed ${deployedCount} contract(s) on chain ${deployment.chainId}` : `chain ${deployment.chainId} already has every contract; nothing deployed`,
        ...table(Object.entries(deployment.contracts).map(([n, c]) => [n, `${c.address} (block ${c.blockNumber})`])),
        `written to ${file}`,
      ]);
    });
  addChainOptions(cmd);
}

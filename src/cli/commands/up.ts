// `machina up` (= `npm start`): the whole machine on one command, down cleanly on Ctrl-C/SIGTERM.
import type { Command } from 'commander';
import { loadSettings } from '../../config/settings.ts';
import { ensureContractsBuilt, ensureDashboardBuilt } from '../../protocol/build.ts';
import { formatProgress } from '../../node/indexer/progress.ts';
import type { Machine } from '../../runtime/machine.ts';
import { emit, type OutputMode } from '../output.ts';
import { VERSION } from '../version.ts';
import { addChainOptions, type GlobalOptions } from './options.ts';

export function addUpCommand(program: Command) {
  const cmd = program
    .command('up')
    .description('boot the local devnet (or attach to MACHINA_RPC_URL), deploy the protocol and start the node')
    .option('--port <port>', 'node service port (env MACHINA_NODE_PORT, default 8787)')
    .option('--devnet-port <port>', 'devnet JSON-RPC port (env MACHINA_DEVNET_PORT, default 8545)')
    .option('--host <host>', 'address every listener binds to (env MACHINA_HOST, default 127.0.0.1)')
    .option('--data-dir <dir>', 'local state: devnet chain state (env MACHINA_DATA_DIR, default .machina)')
    .option('--fresh', 'start the devnet from an empty chain instead of the saved state')
    .option('--database-url <url>', 'PostgreSQL for the node index (env DATABASE_URL; default: embedded, in the data dir)')
    .option('--node-signer <on|off>', 'let the node sign writes itself (env MACHINA_NODE_SIGNER; default on for the devnet only)')
    .option('--public-url <url>', 'URL the node is reached at from outside (env MACHINA_PUBLIC_URL)')
    .action(async (opts: GlobalOptions) => {
      const mode: OutputMode = { json: !!opts.json };
      // Progress goes to stderr, so stdout stays one JSON document under --json.
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const settings = loadSettings(opts, process.env, { node: true });
      // Signals are caught from the start: one that arrives while booting stops the machine as soon
      // as it is up, instead of killing the process half-way and leaving anvil running.
      let stopSignal: string | undefined;
      let wake = () => {};
      const onSignal = (signal: string) => {
        stopSignal ??= signal;
        wake();
      };
      const onInt = () => onSignal('SIGINT');
      const onTerm = () => onSignal('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      try {
        await ensureContractsBuilt(log);
        await ensureDashboardBuilt(log);
        // Loaded here, not at the top: every other command would pay for the whole node's imports.
        const { protocolPlan } = await import('../../protocol/plan.ts');
        const { startMachine } = await import('../../runtime/machine.ts');
        log(settings.rpcUrl ? `attaching to ${new URL(settings.rpcUrl).origin} ...` : `starting devnet on ${settings.host}:${settings.devnetPort} ...`);
        const machine = await startMachine({
          settings,
          plan: protocolPlan,
          version: VERSION,
          onDeployEvent: (e) => {
            if (e.kind === 'deployed') log(`  deployed ${e.name.padEnd(20)} ${e.address}  (block ${e.blockNumber}, ${e.gasUsed} gas)`);
            if (e.kind === 'wired') log(`  wired    ${e.description}`);
          },
          onIndexProgress: (p) => log(`  ${formatProgress(p)}`),
          log,
        });
        if (!stopSignal) {
          printSummary(mode, machine, settings.rpcUrl);
          await new Promise<void>((resolve) => {
            wake = resolve;
            if (stopSignal) resolve();
          });
        }
        log(`\n${stopSignal}: stopping ...`);
        await machine.stop();
        log('stopped.');
      } finally {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      }
    });
  addChainOptions(cmd);
}

function printSummary(mode: OutputMode, machine: Machine, externalRpcUrl: string | undefined) {
  // An external RPC URL may carry an API key in its path: only its origin is shown.
  const rpcUrl = machine.devnet ? machine.devnet.rpcUrl : new URL(externalRpcUrl!).origin;
  const summary = {
    status: 'running',
    chainId: machine.deployment.chainId,
    rpcUrl,
    nodeUrl: machine.node.url,
    dashboardUrl: `${machine.node.url}/`,
    apiUrl: `${machine.node.url}/v1`,
    openapiUrl: `${machine.node.url}/v1/openapi.json`,
    mcpUrl: `${machine.node.url}/mcp`,
    nodeSigner: machine.nodeSigner ?? null,
    database: machine.store.kind,
    deploymentFile: machine.deploymentFile,
    contracts: machine.deployment.contracts,
  };
  emit(mode, summary, () => [
    '',
    `Machina is running on chain ${summary.chainId}`,
    `  chain RPC   ${summary.rpcUrl}`,
    `  dashboard   ${summary.dashboardUrl}`,
    `  API         ${summary.apiUrl}  (OpenAPI: ${summary.openapiUrl})`,
    `  MCP         ${summary.mcpUrl}  (streamable HTTP; stdio: npx machina mcp)`,
    `  index       ${summary.database === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : 'embedded database'}${summary.nodeSigner ? `, node signs as ${summary.nodeSigner}` : ', node signer off'}`,
    `  deployment  ${summary.deploymentFile}`,
    ...Object.entries(summary.contracts).map(([n, c]) => `    ${n.padEnd(20)} ${c.address}`),
    '',
    'Try, in another terminal:',
    '  npx machina agent register --name "my-agent" --description "My first agent" --service MCP=https://example.com/mcp',
    '',
    'Ctrl-C stops everything.',
  ]);
}

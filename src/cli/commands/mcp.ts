// `machina mcp`: an MCP server on stdio for an LLM agent's client (Claude Desktop, an IDE, an agent
// framework). It reads through the node's HTTP API and signs its writes with the local key, which
// never leaves this process. stdout is the MCP channel; every human line goes to stderr.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { parseDeployment, writeDeployment } from '../../chain/deployments.ts';
import { parseUrl, loadSettings } from '../../config/settings.ts';
import { MachinaError, formatError } from '../../errors/index.ts';
import type { NodeWriter } from '../../node/service/types.ts';
import { openContext, type CommandContext, type GlobalOptions } from '../context.ts';
import type { WalletToolDeps } from '../../mcp/wallet.ts';
import { VERSION } from '../version.ts';

type McpOptions = GlobalOptions & { nodeUrl?: string };

/**
 * Adds `machina mcp` to the program.
 * @example
 * addMcpCommand(program) // then: machina mcp --node-url http://127.0.0.1:8787
 */
export function addMcpCommand(program: Command): Command {
  return program
    .command('mcp')
    .description('run an MCP server on stdio: tools to register agents, read agents and trust scores, give feedback and request validation')
    .option('--node-url <url>', 'node to read from (env MACHINA_NODE_URL; default http://127.0.0.1:8787, following MACHINA_HOST and MACHINA_NODE_PORT)')
    .option('--rpc-url <url>', 'JSON-RPC URL of the chain to write to (env MACHINA_RPC_URL; default: the local devnet)')
    .option('--keystore <file>', 'encrypted keystore to sign with (env MACHINA_KEYSTORE, password in MACHINA_KEYSTORE_PASSWORD)')
    .option('--deployments-dir <dir>', 'where deployments/<chainId>.json live (env MACHINA_DEPLOYMENTS_DIR)')
    .option('--account <index>', 'devnet only: sign with development account 0-9 (default 0)')
    .action(async (opts: McpOptions) => {
      const log = (line: string) => process.stderr.write(`machina mcp: ${line}\n`);
      // The MCP server and the node's pieces load only for this command, not for every `machina` run.
      const [{ serveMcpStdio }, { MCP_TOOL_NAMES }, { WALLET_TOOL_NAMES }, { PROVENANCE_TOOL_NAMES, provenanceMcpDeps }, { walletMcpDeps }, { createChainWriter }, { createHttpQueries }] = await Promise.all([
        import('../../mcp/stdio.ts'),
        import('../../mcp/server.ts'),
        import('../../mcp/wallet.ts'),
        import('../../mcp/provenance.ts'),
        import('../../node/wallet/wiring.ts'),
        import('../../node/service/chainWriter.ts'),
        import('../../node/service/httpQueries.ts'),
      ]);
      const settings = loadSettings(opts);
      const nodeUrl = opts.nodeUrl
        ? parseUrl('--node-url', opts.nodeUrl)
        : process.env.MACHINA_NODE_URL
          ? parseUrl('MACHINA_NODE_URL', process.env.MACHINA_NODE_URL)
          : `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${settings.nodePort}`;

      // Reads need only the node; a chain that is down or not deployed disables the write tools
      // (they answer with the reason) instead of the whole server. Bad settings still stop it.
      let writer: NodeWriter | undefined;
      let writerError: MachinaError | undefined;
      let chainId: number | undefined;
      let wallet: WalletToolDeps | undefined;
      let chain: CommandContext | undefined;
      try {
        const ctx = await openContextOrNodeDeployment(opts, nodeUrl);
        chain = ctx;
        chainId = ctx.client.chain.id;
        if (ctx.account) writer = createChainWriter({ client: ctx.client, wallet: ctx.wallet(), deployment: ctx.deployment });
        // Wallet reads come from the node; `pay` spends with the local key, so it exists only here, never on the node's /mcp.
        if (ctx.deployment.contracts.AgentAccountFactory) {
          wallet = walletMcpDeps({ nodeUrl, client: ctx.client, deployment: ctx.deployment, wallet: ctx.account ? ctx.wallet() : undefined });
        }
      } catch (err) {
        if (!(err instanceof MachinaError) || err.code === 'INVALID_SETTING') throw err;
        writerError = new MachinaError(`writes are unavailable: ${err.message}`, { code: err.code, field: err.field });
        log(`${formatError(writerError)}; serving read tools only`);
      }

      const queries = createHttpQueries({ baseUrl: nodeUrl });
      // Provenance reads local files here (this process runs beside them), never on the node's /mcp.
      const provenance = provenanceMcpDeps({ nodeUrl, client: chain?.client, deployment: chain?.deployment, allowPaths: true, dataDir: settings.dataDir });
      // Compute reads come from the node; compute_submit spends with the local key, so it exists only here.
      const { computeMcpDeps, COMPUTE_TOOL_NAMES } = await import('../../mcp/compute.ts');
      // compute_submit reads files only inside the workspace (MACHINA_MCP_WORKSPACE, else the working directory), never Machina's own data.
      const compute = await computeMcpDeps({ nodeUrl, client: chain?.client, deployment: chain?.deployment, wallet: chain?.account ? chain.wallet() : undefined, workspace: settings.mcpWorkspace, deny: [settings.dataDir, settings.keystore] });
      // Data: catalogue and listing reads from the node; data_buy spends and data_fetch decrypts with the local key,
      // so they exist only here, writing inside the workspace only.
      const { dataMcpDeps, DATA_TOOL_NAMES } = await import('../../mcp/data.ts');
      const data = await dataMcpDeps({
        nodeUrl,
        client: chain?.client,
        deployment: chain?.deployment,
        wallet: chain?.account ? chain.wallet() : undefined,
        dataKey: chain?.account
          ? async () => {
              const [{ dataKeyFromPrivateKey }, { signerPrivateKey }] = await Promise.all([import('../../data/crypto.ts'), import('./data.ts')]);
              return dataKeyFromPrivateKey(await signerPrivateKey(chain!, opts));
            }
          : undefined,
        workspace: settings.mcpWorkspace,
        deny: [settings.dataDir, settings.keystore],
      });
      await checkNode(nodeUrl, chainId, log);
      log(
        `serving ${MCP_TOOL_NAMES.length + PROVENANCE_TOOL_NAMES.length + COMPUTE_TOOL_NAMES.length - (compute.submit ? 0 : 1) + DATA_TOOL_NAMES.length - (data.buy ? 0 : 1) - (data.fetch ? 0 : 1) + (wallet ? WALLET_TOOL_NAMES.length - (wallet.payingFetch ? 0 : 1) : 0)} tools on stdio; reading from ${nodeUrl}` +
          (writer ? `; signing as ${writer.address} on chain ${chainId}` : writerError ? '' : '; no signer (write tools answer SIGNER_NOT_CONFIGURED)'),
      );
      await serveMcpStdio({ queries, writer, writerError, version: VERSION, wallet, provenance, compute, data });
    });
}

/**
 * openContext, except that without a local deployments file the node's deployment is used: an MCP
 * client spawns `machina mcp` from a directory of its choosing, and the node already knows where
 * the contracts are (its /v1/contracts). The file exists only while openContext reads it.
 */
async function openContextOrNodeDeployment(opts: McpOptions, nodeUrl: string): Promise<CommandContext> {
  try {
    return await openContext(opts);
  } catch (err) {
    if (!(err instanceof MachinaError) || err.code !== 'NO_DEPLOYMENT') throw err;
    const source = `${nodeUrl.replace(/\/+$/, '')}/v1/contracts`;
    let json: unknown;
    try {
      const res = await fetch(source, { signal: AbortSignal.timeout(5_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      json = await res.json();
    } catch {
      throw err;
    }
    const chainId = (json as { chainId?: unknown }).chainId;
    const deployment = parseDeployment(json, source, typeof chainId === 'number' ? chainId : -1);
    const dir = mkdtempSync(path.join(tmpdir(), 'machina-mcp-'));
    try {
      writeDeployment(dir, deployment);
      const ctx = await openContext({ ...opts, deploymentsDir: dir });
      process.stderr.write(`machina mcp: no local deployment for chain ${ctx.client.chain.id}; using the node's (${source})\n`);
      return ctx;
    } catch (retryErr) {
      // The node indexes another chain than the one configured: the first error says it best.
      throw retryErr instanceof MachinaError && retryErr.code === 'NO_DEPLOYMENT' ? err : retryErr;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

// A node that is down now may be up by the first tool call, so this only warns.
async function checkNode(nodeUrl: string, chainId: number | undefined, log: (line: string) => void): Promise<void> {
  try {
    const res = await fetch(`${nodeUrl.replace(/\/+$/, '')}/health`, { signal: AbortSignal.timeout(2000) });
    const health = (await res.json()) as { chainId?: unknown };
    if (chainId !== undefined && typeof health.chainId === 'number' && health.chainId !== chainId) {
      log(`warning: the node indexes chain ${health.chainId} but writes go to chain ${chainId}; written changes will not show up in reads`);
    }
  } catch {
    log(`warning: no node answers at ${nodeUrl} yet (start it with \`machina up\`, or set MACHINA_NODE_URL / --node-url)`);
  }
}

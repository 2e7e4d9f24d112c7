// How a node takes the wallet domain in: the module when the deployment has the factory, and the
// parts the API and the MCP tools need (read side, the node's signer for owner actions, balances).
import type { Kysely } from 'kysely';
import type { MachinaPublicClient, MachinaWalletClient } from '../../chain/clients.ts';
import type { Deployment } from '../../chain/deployments.ts';
import type { WalletToolDeps } from '../../mcp/wallet.ts';
import { createPayingFetch } from '../../pay/index.ts';
import { createHttpWalletQueries } from './httpQueries.ts';
import type { NodeModule } from '../indexer/module.ts';
import { WALLET_FACTORY, walletModule } from './module.ts';
import { createWalletQueries } from './queries.ts';
import type { WalletQueries } from './types.ts';

/**
 * The wallet module, if `deployment` has the AgentAccountFactory (older deployments index without it).
 * @example
 * const store = await openNodeStore({ dataDir, modules: [identityModule(), ...walletModules(deployment)] })
 */
export function walletModules(deployment: Deployment): NodeModule[] {
  return deployment.contracts[WALLET_FACTORY] ? [walletModule()] : [];
}

export type WalletNodeParts = {
  wallets: WalletQueries | undefined;
  signerWallet: MachinaWalletClient | undefined;
  /** For createMcpServer / createMcpHttpHandler's `wallet`. */
  mcpWallet: WalletToolDeps | undefined;
};

/**
 * The wallet parts of the node's app deps.
 * @example
 * const parts = walletNodeParts({ client, deployment, db: store.db, signer: nodeWallet })
 * startNode({ ..., deps: { ...deps, wallets: parts.wallets, signerWallet: parts.signerWallet } })
 */
export function walletNodeParts(p: { client: MachinaPublicClient; deployment: Deployment; db: Kysely<any>; signer?: MachinaWalletClient | undefined }): WalletNodeParts {
  if (!p.deployment.contracts[WALLET_FACTORY]) return { wallets: undefined, signerWallet: p.signer, mcpWallet: undefined };
  const wallets = createWalletQueries({ db: p.db, client: p.client });
  return { wallets, signerWallet: p.signer, mcpWallet: { wallets, client: p.client, token: p.deployment.contracts.SettlementToken?.address } };
}

/**
 * The wallet tools for `machina mcp` (stdio): reads through the node's API, balances from the chain,
 * and `pay` with the local key (directly, or as an agent key of an account, inside its policy).
 * @example
 * await serveMcpStdio({ queries, writer, version, wallet: walletMcpDeps({ nodeUrl, client, deployment, wallet: ctx.wallet() }) })
 */
export function walletMcpDeps(p: { nodeUrl: string; client: MachinaPublicClient; deployment: Deployment; wallet?: MachinaWalletClient | undefined }): WalletToolDeps {
  const wallet = p.wallet;
  return {
    wallets: createHttpWalletQueries({ baseUrl: p.nodeUrl }),
    client: p.client,
    token: p.deployment.contracts.SettlementToken?.address,
    payingFetch: wallet
      ? ({ account, maxAmount }) =>
          createPayingFetch({
            client: p.client,
            payer: account ? { kind: 'account', account, keyWallet: wallet } : { kind: 'eoa', wallet },
            maxAmount,
            approvalTimeoutMs: 120_000,
          })
      : undefined,
  };
}

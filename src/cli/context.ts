// What a command needs to talk to the protocol: validated settings, a client on the right chain,
// the deployment there, and (for writes) a signer.
import type { Account, Address } from 'viem';
import { connectChain, walletFor, type MachinaPublicClient, type MachinaWalletClient } from '../chain/clients.ts';
import { contractAddress, readDeployment, type Deployment } from '../chain/deployments.ts';
import { resolveSigner } from '../chain/signer.ts';
import { loadSettings, type SettingFlags, type Settings } from '../config/settings.ts';
import { InvalidSettingError, MachinaError } from '../errors/index.ts';

export type GlobalOptions = SettingFlags & { json?: boolean; account?: string };

export type CommandContext = {
  settings: Settings;
  client: MachinaPublicClient;
  deployment: Deployment;
  address: (name: string) => Address;
  /** The signer's wallet client; throws a clear error if no key is configured. */
  wallet: () => MachinaWalletClient;
  account: Account | undefined;
};

/** The RPC URL a command talks to: MACHINA_RPC_URL, or the local devnet `machina up` started. */
export function rpcUrlOf(settings: Settings): string {
  return settings.rpcUrl ?? `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${settings.devnetPort}`;
}

/**
 * Connects to the chain and loads its Machina deployment.
 * @example
 * const ctx = await openContext(opts)
 */
export async function openContext(opts: GlobalOptions): Promise<CommandContext> {
  const settings = loadSettings(opts);
  const devAccount = opts.account === undefined ? undefined : parseAccountIndex(opts.account);
  const client = await connectChain(rpcUrlOf(settings));
  const deployment = readDeployment(settings.deploymentsDir, client.chain.id);
  if (!deployment) {
    throw new MachinaError(`no Machina deployment for chain ${client.chain.id} in ${settings.deploymentsDir} (run \`machina up\` or \`machina deploy\`)`, {
      code: 'NO_DEPLOYMENT',
      field: 'MACHINA_DEPLOYMENTS_DIR',
    });
  }
  if (devAccount !== undefined && (settings.privateKey || settings.keystore)) {
    throw new InvalidSettingError('--account', 'selects a devnet development account; it cannot be combined with MACHINA_PRIVATE_KEY or MACHINA_KEYSTORE');
  }
  if (devAccount !== undefined && client.chain.id !== 31337) {
    throw new InvalidSettingError('--account', `development accounts exist only on the devnet (chain 31337), not on chain ${client.chain.id}`);
  }
  const account = resolveSigner({ settings, chainId: client.chain.id, devAccount });
  let wallet: MachinaWalletClient | undefined;
  return {
    settings,
    client,
    deployment,
    account,
    address: (name) => contractAddress(deployment, name),
    wallet: () => {
      if (!account) throw new MachinaError('this command sends a transaction and needs a key (set MACHINA_PRIVATE_KEY or MACHINA_KEYSTORE)', { code: 'NO_SIGNER', field: 'MACHINA_PRIVATE_KEY' });
      wallet ??= walletFor(client, account);
      return wallet;
    },
  };
}

function parseAccountIndex(raw: string): number {
  if (!/^\d$/.test(raw)) throw new InvalidSettingError('--account', `must be a devnet account index 0-9 (got "${raw}")`);
  return Number(raw);
}

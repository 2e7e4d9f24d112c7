// viem clients for one chain, with the settings that local chains need (fast polling).
import { createPublicClient, createWalletClient, defineChain, http, webSocket, type Account, type Chain, type PublicClient, type Transport, type WalletClient } from 'viem';
import { MachinaError } from '../errors/index.ts';
import { withNonceRetry } from './nonceRetry.ts';
import { withGasMargin } from './write.ts';

export type MachinaPublicClient = PublicClient<Transport, Chain>;
export type MachinaWalletClient = WalletClient<Transport, Chain, Account>;

function transportFor(rpcUrl: string): Transport {
  return rpcUrl.startsWith('ws') ? webSocket(rpcUrl) : http(rpcUrl, { retryCount: 1, timeout: 30_000, batch: { batchSize: 200, wait: 0 } });
}

function isLocal(rpcUrl: string): boolean {
  const host = new URL(rpcUrl).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === '::1';
}

/**
 * Connects to `rpcUrl`, reads its chain id and returns a public client for it.
 * @example
 * const client = await connectChain('http://127.0.0.1:8545')
 */
export async function connectChain(rpcUrl: string): Promise<MachinaPublicClient> {
  const probe = createPublicClient({ transport: transportFor(rpcUrl) });
  let chainId: number;
  try {
    chainId = await probe.getChainId();
  } catch {
    throw new MachinaError(`cannot reach a chain at ${rpcUrl} (is \`machina up\` running, or is MACHINA_RPC_URL right?)`, {
      code: 'CHAIN_UNREACHABLE',
      field: 'MACHINA_RPC_URL',
    });
  }
  const chain = defineChain({
    id: chainId,
    name: chainId === 31337 ? 'Machina devnet' : `chain ${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  return createPublicClient({ chain, transport: transportFor(rpcUrl), pollingInterval: isLocal(rpcUrl) ? 50 : 2_000 }) as MachinaPublicClient;
}

/**
 * A wallet client on the same chain and transport as `client`, signing locally with `account`. Its contract writes
 * carry a gas margin over the estimate (`withGasMargin`): an exact estimate fails on chain as soon as the mined block
 * differs from the one estimated on (a batch whose items run under a gas cap reverted that way on a loaded machine).
 * Code that needs a larger margin wraps the wallet again; the outer margin wins. A write whose nonce another sender on
 * the same key took is signed again with a fresh one (`withNonceRetry`).
 */
export function walletFor(client: MachinaPublicClient, account: Account): MachinaWalletClient {
  const rpcUrl = client.chain.rpcUrls.default.http[0]!;
  const wallet = createWalletClient({ chain: client.chain, account, transport: transportFor(rpcUrl), pollingInterval: client.pollingInterval });
  return withGasMargin(withNonceRetry(wallet, client), client);
}

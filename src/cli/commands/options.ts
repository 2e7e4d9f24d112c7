// Options shared by every command that talks to a chain.
import type { Command } from 'commander';
export type { GlobalOptions } from '../context.ts';

export function addChainOptions(cmd: Command): Command {
  return cmd
    .option('--rpc-url <url>', 'JSON-RPC URL of an EVM chain (env MACHINA_RPC_URL; default: the local devnet)')
    .option('--keystore <file>', 'encrypted keystore to sign with (env MACHINA_KEYSTORE, password in MACHINA_KEYSTORE_PASSWORD)')
    .option('--deployments-dir <dir>', 'where deployments/<chainId>.json live (env MACHINA_DEPLOYMENTS_DIR)')
    .option('--json', 'print JSON for programs');
}

/** Adds chain options plus `--account`, for commands that send transactions. */
export function addSignerOptions(cmd: Command): Command {
  return addChainOptions(cmd).option('--account <index>', 'devnet only: sign with development account 0-9 (default 0)');
}

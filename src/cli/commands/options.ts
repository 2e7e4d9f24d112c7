// Options shared by the commands: the chain ones, --json, --data-dir.
import type { Command } from 'commander';
export type { GlobalOptions } from '../context.ts';

export function addChainOptions(cmd: Command): Command {
  return addJsonOption(
    cmd
      .option('--rpc-url <url>', 'JSON-RPC URL of an EVM chain (env MACHINA_RPC_URL; default: the local devnet)')
      .option('--keystore <file>', 'encrypted keystore to sign with (env MACHINA_KEYSTORE, password in MACHINA_KEYSTORE_PASSWORD)')
      .option('--deployments-dir <dir>', 'where deployments/<chainId>.json live (env MACHINA_DEPLOYMENTS_DIR)'),
  );
}

/** `--json`, for commands that take no chain options. */
export function addJsonOption(cmd: Command): Command {
  return cmd.option('--json', 'print JSON for programs');
}

/** `--data-dir`, for commands that read or write local state (saved manifests, block data for --offline). */
export function addDataDirOption(cmd: Command, what = 'saved manifests and block data for --offline'): Command {
  return cmd.option('--data-dir <dir>', `local state: ${what} (env MACHINA_DATA_DIR, default .machina)`);
}

/** Adds chain options plus `--account`, for commands that send transactions. */
export function addSignerOptions(cmd: Command): Command {
  return addChainOptions(cmd).option('--account <index>', 'devnet only: sign with development account 0-9 (default 0)');
}

// The embedded local devnet: an anvil process bound to loopback, started and stopped with Machina.
// The native binary is spawned directly so that stopping its PID stops the chain.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { MachinaError } from '../errors/index.ts';

export const DEVNET_CHAIN_ID = 31337;
/** anvil's well-known development mnemonic: its accounts are public test accounts, never real money. */
export const DEVNET_MNEMONIC = 'test test test test test test test test test test test junk';

export type Devnet = {
  rpcUrl: string;
  port: number;
  chainId: number;
  /** Stops the chain (saving its state first when it was started with one) and waits for exit. */
  stop: () => Promise<void>;
  process: ChildProcess;
};

export type StartDevnetParameters = {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** File that keeps the chain's state across restarts; omitted means an ephemeral chain. */
  stateFile?: string;
  chainId?: number;
};

/** Path of the native anvil binary shipped by @foundry-rs/anvil. */
export function anvilBinary(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('@foundry-rs/anvil-linux-amd64/package.json');
  return path.join(path.dirname(pkg), 'bin', 'anvil');
}

/**
 * Starts anvil and resolves once it accepts JSON-RPC.
 * @example
 * const devnet = await startDevnet({ port: 0 })
 * // ... use devnet.rpcUrl
 * await devnet.stop()
 */
export async function startDevnet({ host = '127.0.0.1', port = 8545, stateFile, chainId = DEVNET_CHAIN_ID }: StartDevnetParameters = {}): Promise<Devnet> {
  const args = ['--host', host, '--port', String(port), '--chain-id', String(chainId), '--accounts', '10'];
  if (stateFile) {
    mkdirSync(path.dirname(stateFile), { recursive: true });
    // Saved every few seconds too, so that a killed devnet loses little.
    args.push('--state', stateFile, '--state-interval', '5');
  }
  const child = spawn(anvilBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const boundPort = await new Promise<number>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /Listening on [^\s:]+:(\d+)/.exec(output);
      if (m) {
        cleanup();
        resolve(Number(m[1]));
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      const reason = /Address already in use|os error 98/.test(output)
        ? `port ${port} is already in use (set MACHINA_DEVNET_PORT or --devnet-port)`
        : `anvil exited with code ${code}: ${output.trim().split('\n').slice(-1)[0] ?? ''}`;
      reject(new MachinaError(`devnet: ${reason}`, { code: 'DEVNET_FAILED', field: 'MACHINA_DEVNET_PORT' }));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new MachinaError(`devnet: cannot start anvil (${err.message})`, { code: 'DEVNET_FAILED' }));
    };
    const cleanup = () => {
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
  // Keep draining output so anvil never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return { rpcUrl: `http://${urlHost}:${boundPort}`, port: boundPort, chainId, stop, process: child };
}

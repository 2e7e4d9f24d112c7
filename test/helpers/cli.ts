// Runs the real `machina` executable as a user would, and captures what it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const machinaBin = path.join(repoRoot, 'bin', 'machina.js');
const hostScript = path.join(repoRoot, 'test', 'helpers', 'cliHost.js');

export type CliResult = { code: number; stdout: string; stderr: string; json: <T = any>() => T };
export type CliOptions = { cwd?: string; timeoutMs?: number };

const result = (code: number, stdout: string, stderr: string): CliResult => ({ code, stdout, stderr, json: () => JSON.parse(stdout) });

/** The environment a command gets: `env` added to a clean environment (no MACHINA_* leaks in). */
function cleanEnv(env: Record<string, string>): Record<string, string> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MACHINA_'))) as Record<string, string>;
  return { ...base, ...env };
}

/** Runs `machina ...args` with `env` added to a clean environment (no MACHINA_* leaks in), as a new process. */
export function runCli(args: string[], env: Record<string, string> = {}, { cwd = repoRoot, timeoutMs = 60_000 }: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [machinaBin, ...args], { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(result(code ?? -1, stdout, stderr));
    });
  });
}

type Pending = { resolve: (r: CliResult) => void; timer: NodeJS.Timeout };
type Host = { child: ChildProcess; ready: Promise<void>; pending: Map<number, Pending>; stderr: string; dead?: string; stopping?: boolean };

let host: Host | undefined;
/** A host that died between commands: the next command fails with this (an error escaped the last one). */
let diedIdle: string | undefined;
let nextId = 1;
/** Requests run one at a time, in order (commands share the host's process.env, cwd and stdout). */
let queue: Promise<unknown> = Promise.resolve();

function startHost(): Host {
  const child = spawn(process.execPath, [hostScript], { cwd: repoRoot, env: cleanEnv({}), stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const h: Host = { child, pending: new Map(), stderr: '', ready: undefined as unknown as Promise<void> };
  child.stderr!.on('data', (c) => (h.stderr = (h.stderr + c).slice(-20_000)));
  h.ready = new Promise((resolve, reject) => {
    child.on('message', (m: { ready?: true; id?: number; code: number; stdout: string; stderr: string }) => {
      if (m.ready) return resolve();
      const p = h.pending.get(m.id!);
      if (!p) return;
      h.pending.delete(m.id!);
      clearTimeout(p.timer);
      idle(h);
      p.resolve(result(m.code, m.stdout, m.stderr));
    });
    child.on('exit', (code, signal) => {
      h.dead = `the machina CLI host exited (${code ?? signal})\n${h.stderr}`;
      if (host === h) host = undefined;
      reject(new Error(h.dead));
      if (h.pending.size === 0 && !h.stopping) diedIdle = h.dead;
      for (const p of h.pending.values()) {
        clearTimeout(p.timer);
        p.resolve(result(code ?? -1, '', h.dead));
      }
      h.pending.clear();
    });
  });
  h.ready.catch(() => {});
  idle(h);
  return h;
}

/** An idle host must not keep the test process alive. */
function idle(h: Host) {
  if (h.pending.size > 0) return;
  h.child.unref();
  h.child.channel?.unref();
  (h.child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
}

function busy(h: Host) {
  h.child.ref();
  h.child.channel?.ref();
  (h.child.stderr as unknown as { ref?: () => void } | null)?.ref?.();
}

/**
 * Runs `machina ...args` like runCli() (same environment, exit code, stdout and stderr), but inside
 * one long-lived process per test file that loaded the CLI once, the way bin/machina.js does: it
 * saves node + tsx start-up (1.5-3 s per command). For commands that finish on their own; long-running
 * ones (`up`, `provider start`, `mcp`) and checks about the process itself belong with runCli().
 * If a command leaves the host dead (an uncaught error after it returned), the next one reports it.
 */
export function runCliInHost(args: string[], env: Record<string, string> = {}, { cwd = repoRoot, timeoutMs = 60_000 }: CliOptions = {}): Promise<CliResult> {
  const run = async (): Promise<CliResult> => {
    if (diedIdle) {
      const dead = diedIdle;
      diedIdle = undefined;
      return result(-1, '', `before this command, after an earlier one: ${dead}`);
    }
    const h = (host ??= startHost());
    busy(h);
    try {
      await h.ready;
    } catch {
      return result(-1, '', h.dead ?? 'the machina CLI host did not start');
    }
    const id = nextId++;
    return new Promise<CliResult>((resolve) => {
      // Like runCli's SIGKILL after timeoutMs: the host goes (a new one starts for the next command).
      const timer = setTimeout(() => h.child.kill('SIGKILL'), timeoutMs);
      h.pending.set(id, { resolve, timer });
      h.child.send({ id, args, env: cleanEnv(env), cwd });
    });
  };
  const r = queue.then(run, run);
  queue = r.catch(() => {});
  return r;
}

/** Starts this file's CLI host now (e.g. in `before`, beside the devnet), so the first command does not wait for it. */
export function startCliHost(): void {
  if (!host || host.dead) host = startHost();
}

/** Stops this file's CLI host, if one runs (it also ends by itself when the test process exits). */
export function stopCliHost(): void {
  if (host) host.stopping = true;
  host?.child.kill();
  host = undefined;
}

// Runs the real `machina` executable as a user would, and captures what it prints.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const machinaBin = path.join(repoRoot, 'bin', 'machina.js');

export type CliResult = { code: number; stdout: string; stderr: string; json: <T = any>() => T };

/** Runs `machina ...args` with `env` added to a clean environment (no MACHINA_* leaks in). */
export function runCli(args: string[], env: Record<string, string> = {}, { cwd = repoRoot, timeoutMs = 60_000 } = {}): Promise<CliResult> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MACHINA_')));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [machinaBin, ...args], { cwd, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, json: () => JSON.parse(stdout) });
    });
  });
}

// How every command answers: a human summary by default, one JSON document with --json, and on
// failure one line (or one JSON error) and a non-zero exit code.
import { MachinaError, formatError } from '../errors/index.ts';

export type OutputMode = { json: boolean };

/** JSON with bigints as decimal strings, the way every Machina surface serialises them. */
export function toJson(value: unknown, space?: number): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), space);
}

/** Prints a command's result: `human` lines, or `data` as JSON under --json. */
export function emit(mode: OutputMode, data: unknown, human: () => string | string[]): void {
  if (mode.json) {
    process.stdout.write(`${toJson(data, 2)}\n`);
    return;
  }
  const lines = human();
  process.stdout.write(`${Array.isArray(lines) ? lines.join('\n') : lines}\n`);
}

/** Reports a failure and returns the exit code. */
export function emitError(mode: OutputMode, error: unknown): number {
  const message = formatError(error);
  if (mode.json) {
    const code = error instanceof MachinaError ? error.code : 'FAILED';
    const field = error instanceof MachinaError ? (error.field ?? null) : null;
    process.stdout.write(`${toJson({ error: { code, message, field } }, 2)}\n`);
  } else {
    process.stderr.write(`machina: ${message}\n`);
  }
  return 1;
}

/** `label  value` rows aligned on the label column. */
export function table(rows: Array<[string, unknown]>): string[] {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v === undefined || v === null || v === '' ? '-' : String(v)}`);
}

// Keeps key material out of every message Machina prints or returns: secrets are registered once
// when loaded, and every outgoing error text passes through `redact`.

const secrets = new Set<string>();

/** Registers a secret (private key, keystore password) so that `redact` removes it from any text. */
export function registerSecret(value: string): void {
  if (value.length >= 8) {
    secrets.add(value);
    if (value.startsWith('0x')) secrets.add(value.slice(2));
  }
}

/** Returns `text` with every registered secret (any letter case) replaced by `[redacted]`. */
export function redact(text: string): string {
  let out = text;
  for (const s of secrets) {
    const re = new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');
    out = out.replace(re, '[redacted]');
  }
  return out;
}

// Parsers for command arguments: each names the argument and the reason when a value is wrong.
import { isAddress, isHex, getAddress, parseEther, type Address, type Hex } from 'viem';
import { InvalidArgumentError } from '../errors/index.ts';

export function parseAgentId(raw: string, field = 'AGENT_ID'): bigint {
  if (!/^\d{1,78}$/.test(raw)) throw new InvalidArgumentError(field, `must be a non-negative integer (got "${raw}")`);
  return BigInt(raw);
}

export function parseAddress(raw: string, field: string): Address {
  if (!isAddress(raw, { strict: false })) throw new InvalidArgumentError(field, `must be a 20-byte hex address (got "${raw}")`);
  return getAddress(raw);
}

/** Whether `raw` is 32 bytes of hex (0x + 64 digits), e.g. to tell a root from a path. */
export function isBytes32(raw: string): boolean {
  return isHex(raw) && raw.length === 66;
}

/** 32 bytes of hex, lowercased: hashes, roots and digests compare and print one way. */
export function parseBytes32(raw: string, field: string): Hex {
  if (!isBytes32(raw)) throw new InvalidArgumentError(field, `must be 32 bytes of hex, 0x + 64 digits (got "${raw}")`);
  return raw.toLowerCase() as Hex;
}

/** A name of 1-`max` characters, not blank (dataset and model names). */
export function parseName(raw: string, field: string, max = 200): string {
  if (!raw.trim() || raw.length > max) throw new InvalidArgumentError(field, `must be 1-${max} characters, not blank (got ${raw.length} characters)`);
  return raw;
}

export function parseIntIn(raw: string, field: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new InvalidArgumentError(field, `must be an integer ${min}-${max} (got "${raw}")`);
  return Number(raw);
}

export function parseEtherAmount(raw: string, field: string): bigint {
  if (!/^\d+(\.\d{1,18})?$/.test(raw)) throw new InvalidArgumentError(field, `must be an amount in ether, e.g. 0.01 (got "${raw}")`);
  return parseEther(raw);
}

/** Commander collector for repeatable options. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

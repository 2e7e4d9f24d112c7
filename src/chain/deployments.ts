// deployments/<chainId>.json: where each protocol contract lives on a chain, shared by every
// surface so that nothing is redeployed or looked up twice.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { getAddress, isAddress, type Address } from 'viem';
import { InvalidSettingError, NotFoundError } from '../errors/index.ts';

export type ContractDeployment = { address: Address; blockNumber: number };
export type Deployment = { chainId: number; contracts: Record<string, ContractDeployment> };

export function deploymentFile(dir: string, chainId: number): string {
  return path.join(dir, `${chainId}.json`);
}

/**
 * Reads the deployment for `chainId`, or `undefined` if there is none. A malformed file is an error
 * naming the file, never silently replaced.
 * @example
 * const deployment = readDeployment('deployments', 31337)
 */
export function readDeployment(dir: string, chainId: number): Deployment | undefined {
  const file = deploymentFile(dir, chainId);
  if (!existsSync(file)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InvalidSettingError(file, `not valid JSON (${(err as Error).message})`);
  }
  return parseDeployment(json, file, chainId);
}

export function parseDeployment(json: unknown, source: string, chainId: number): Deployment {
  const d = json as { chainId?: unknown; contracts?: unknown };
  if (!d || typeof d !== 'object') throw new InvalidSettingError(source, 'must be a JSON object');
  if (d.chainId !== chainId) throw new InvalidSettingError(`${source}: chainId`, `expected ${chainId}, found ${JSON.stringify(d.chainId)}`);
  if (!d.contracts || typeof d.contracts !== 'object') throw new InvalidSettingError(`${source}: contracts`, 'must be an object');
  const contracts: Record<string, ContractDeployment> = {};
  for (const [name, value] of Object.entries(d.contracts as Record<string, unknown>)) {
    const c = value as { address?: unknown; blockNumber?: unknown };
    if (typeof c?.address !== 'string' || !isAddress(c.address)) {
      throw new InvalidSettingError(`${source}: contracts.${name}.address`, 'must be a 20-byte hex address');
    }
    if (typeof c.blockNumber !== 'number' || !Number.isSafeInteger(c.blockNumber) || c.blockNumber < 0) {
      throw new InvalidSettingError(`${source}: contracts.${name}.blockNumber`, 'must be a non-negative integer');
    }
    contracts[name] = { address: getAddress(c.address), blockNumber: c.blockNumber };
  }
  return { chainId, contracts };
}

/** Writes the deployment atomically (temp file + rename), so a crash never leaves half a file. */
export function writeDeployment(dir: string, deployment: Deployment): string {
  mkdirSync(dir, { recursive: true });
  const file = deploymentFile(dir, deployment.chainId);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(deployment, null, 2)}\n`);
  renameSync(tmp, file);
  return file;
}

/** The address of a named protocol contract, or a NotFoundError that says how to deploy it. */
export function contractAddress(deployment: Deployment, name: string): Address {
  const c = deployment.contracts[name];
  if (!c) throw new NotFoundError(`contract ${name} in the deployment for chain ${deployment.chainId} (run \`machina deploy\`)`);
  return c.address;
}

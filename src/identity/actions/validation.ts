// Validation actions over the ERC-8004 ValidationRegistry: an agent's owner asks a validator to
// check some work; the validator answers 0-100, possibly several times (e.g. soft then hard finality).
import { type Address, type Hash, type Hex, keccak256, toHex, zeroHash } from 'viem';
import { validationRegistryAbi } from '../../chain/artifacts/index.ts';
import type { MachinaPublicClient, MachinaWalletClient } from '../../chain/clients.ts';
import { writeAndWait } from '../../chain/write.ts';
import { InvalidArgumentError, NotFoundError, formatError } from '../../errors/index.ts';

/**
 * Requests validation of an agent's work. Without `requestHash`, the keccak256 of the request URI
 * and agent is used, so the same request is not filed twice by accident.
 * @example
 * const { requestHash } = await requestValidation(client, wallet, { validationRegistry, validator, agentId: 0n, requestURI: 'ipfs://…' })
 */
export async function requestValidation(
  client: MachinaPublicClient,
  wallet: MachinaWalletClient,
  p: { validationRegistry: Address; validator: Address; agentId: bigint; requestURI: string; requestHash?: Hex | undefined },
): Promise<{ requestHash: Hex; hash: Hash; blockNumber: bigint }> {
  const requestHash = p.requestHash ?? keccak256(toHex(`${p.agentId}:${p.requestURI}`));
  const { hash, blockNumber } = await writeAndWait(client, wallet, {
    address: p.validationRegistry,
    abi: validationRegistryAbi,
    functionName: 'validationRequest',
    args: [p.validator, p.agentId, p.requestURI, requestHash],
  });
  return { requestHash, hash, blockNumber };
}

/** The named validator answers a request with a score 0-100. */
export async function respondToValidation(
  client: MachinaPublicClient,
  wallet: MachinaWalletClient,
  p: { validationRegistry: Address; requestHash: Hex; response: number; responseURI?: string; responseHash?: Hex; tag?: string },
) {
  if (!Number.isInteger(p.response) || p.response < 0 || p.response > 100) throw new InvalidArgumentError('response', `must be an integer 0-100 (got ${p.response})`);
  return writeAndWait(client, wallet, {
    address: p.validationRegistry,
    abi: validationRegistryAbi,
    functionName: 'validationResponse',
    args: [p.requestHash, p.response, p.responseURI ?? '', p.responseHash ?? zeroHash, p.tag ?? ''],
  });
}

export type ValidationStatus = {
  requestHash: Hex;
  validator: Address;
  agentId: bigint;
  response: number;
  responseHash: Hex;
  tag: string;
  lastUpdate: bigint;
  /** False until the validator has answered at least once. */
  responded: boolean;
};

/** The latest state of a validation request; NotFoundError for an unknown hash. */
export async function getValidationStatus(client: MachinaPublicClient, p: { validationRegistry: Address; requestHash: Hex }): Promise<ValidationStatus> {
  const base = { address: p.validationRegistry, abi: validationRegistryAbi } as const;
  const [[validator, agentId, response, responseHash, tag, lastUpdate], responded] = await Promise.all([
    client.readContract({ ...base, functionName: 'getValidationStatus', args: [p.requestHash] }),
    client.readContract({ ...base, functionName: 'hasResponse', args: [p.requestHash] }),
  ]).catch((err: unknown) => {
    // The registry reverts for a hash that was never requested.
    if (formatError(err).includes('RequestNotFound')) throw new NotFoundError(`validation request ${p.requestHash}`, 'requestHash');
    throw err;
  });
  return { requestHash: p.requestHash, validator, agentId, response: Number(response), responseHash, tag, lastUpdate, responded };
}

/** Request hashes filed for an agent. */
export async function getAgentValidations(client: MachinaPublicClient, p: { validationRegistry: Address; agentId: bigint }): Promise<readonly Hex[]> {
  return client.readContract({ address: p.validationRegistry, abi: validationRegistryAbi, functionName: 'getAgentValidations', args: [p.agentId] });
}

/** Count and average response of an agent's answered validations (optionally by validators and tag). */
export async function getValidationSummary(
  client: MachinaPublicClient,
  p: { validationRegistry: Address; agentId: bigint; validators?: Address[]; tag?: string },
): Promise<{ count: bigint; averageResponse: number }> {
  const [count, avg] = await client.readContract({
    address: p.validationRegistry,
    abi: validationRegistryAbi,
    functionName: 'getSummary',
    args: [p.agentId, p.validators ?? [], p.tag ?? ''],
  });
  return { count: BigInt(count), averageResponse: Number(avg) };
}

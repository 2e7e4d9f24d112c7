// Calls an agent account makes: their hash as the account computes it, and recovering the calls of a queued
// action from the transaction that queued it (sent by the key directly or through the EntryPoint).
import { decodeFunctionData, encodeAbiParameters, keccak256, type Address, type Hex } from 'viem';
import type { MachinaPublicClient } from '../chain/clients.ts';
import { MachinaError } from '../errors/index.ts';
import { agentAccountAbi, entryPointAbi } from './abi.ts';

/** One call made by the account (`IAgentAccount.Call`). */
export type Call = { target: Address; value: bigint; data: Hex };

const callsParam = [{ type: 'tuple[]', components: [{ name: 'target', type: 'address' }, { name: 'value', type: 'uint256' }, { name: 'data', type: 'bytes' }] }] as const;

/**
 * `keccak256(abi.encode(calls))`, the `callsHash` of events and queued actions.
 * @example
 * const h = hashCalls([{ target: token, value: 0n, data }])
 */
export function hashCalls(calls: readonly Call[]): Hex {
  return keccak256(encodeAbiParameters(callsParam, [calls]));
}

/**
 * The `executeAsAgent` calls inside a transaction input sent to `account`, or to an EntryPoint for it.
 * @example
 * const batches = callsFromInput(tx.input, tx.to, account)
 */
export function callsFromInput(input: Hex, to: Address | null, account: Address): Call[][] {
  const found: Call[][] = [];
  const fromAccountCall = (data: Hex) => {
    try {
      const d = decodeFunctionData({ abi: agentAccountAbi, data });
      if (d.functionName === 'executeAsAgent') found.push((d.args[1] as readonly Call[]).map((c) => ({ target: c.target, value: c.value, data: c.data })));
    } catch {
      // not an account call
    }
  };
  if (to && to.toLowerCase() === account.toLowerCase()) fromAccountCall(input);
  else {
    try {
      const d = decodeFunctionData({ abi: entryPointAbi, data: input });
      if (d.functionName === 'handleOps') {
        for (const op of d.args[0] as readonly { sender: Address; callData: Hex }[]) {
          if (op.sender.toLowerCase() === account.toLowerCase()) fromAccountCall(op.callData);
        }
      }
    } catch {
      // not an EntryPoint call either
    }
  }
  return found;
}

/**
 * Finds the calls of queued action `pendingId` from the transaction that emitted its ActionQueued event.
 * @example
 * const calls = await findQueuedCalls(client, { account, pendingId: 1n, callsHash })
 */
export async function findQueuedCalls(
  client: MachinaPublicClient,
  p: { account: Address; pendingId: bigint; callsHash: Hex; fromBlock?: bigint; queuedAt?: number },
): Promise<Call[]> {
  const query = (fromBlock: bigint, toBlock?: bigint) =>
    client.getContractEvents({ address: p.account, abi: agentAccountAbi, eventName: 'ActionQueued', args: { pendingId: p.pendingId }, fromBlock, ...(toBlock === undefined ? {} : { toBlock }) });
  let logs;
  try {
    logs = await query(p.fromBlock ?? 0n);
  } catch (err) {
    // RPCs that cap log ranges: look only at the blocks stamped with the queue time.
    if (p.queuedAt === undefined) throw err;
    const [from, to] = await blocksAt(client, p.queuedAt);
    logs = await query(from, to);
  }
  const log = logs[0];
  if (!log) throw new MachinaError(`no ActionQueued event for pending action ${p.pendingId} of ${p.account}`, { code: 'PENDING_CALLS_NOT_FOUND', field: 'pendingId' });
  const tx = await client.getTransaction({ hash: log.transactionHash });
  const match = callsFromInput(tx.input, tx.to, p.account).find((calls) => hashCalls(calls) === p.callsHash);
  if (!match) {
    throw new MachinaError(`cannot recover the calls of pending action ${p.pendingId} from tx ${log.transactionHash} (it was not sent to the account or the EntryPoint); pass them explicitly`, {
      code: 'PENDING_CALLS_NOT_FOUND',
      field: 'pendingId',
    });
  }
  return match;
}

/** The first and last block whose timestamp is `timestamp` (binary search over the chain). */
async function blocksAt(client: MachinaPublicClient, timestamp: number): Promise<[bigint, bigint]> {
  const latest = await client.getBlockNumber();
  const firstAtOrAfter = async (t: bigint) => {
    let lo = 0n;
    let hi = latest + 1n;
    while (lo < hi) {
      const mid = (lo + hi) / 2n;
      if ((await client.getBlock({ blockNumber: mid })).timestamp >= t) hi = mid;
      else lo = mid + 1n;
    }
    return lo;
  };
  const from = await firstAtOrAfter(BigInt(timestamp));
  const to = (await firstAtOrAfter(BigInt(timestamp) + 1n)) - 1n;
  return [from, to < from ? from : to];
}

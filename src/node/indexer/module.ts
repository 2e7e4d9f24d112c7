// What a domain plugs into the node's indexer: its tables (migrations), the contracts whose events
// it consumes, and how a batch of those events changes its tables. Identity is the first module;
// payments, provenance, compute ... add theirs without touching it.
import type { Abi, Address, Hex } from 'viem';
import type { Kysely, Migration } from 'kysely';

/** One decoded log, in chain order, as modules and the events table see it. */
export type IndexedEvent = {
  chainId: number;
  blockNumber: number;
  blockHash: Hex;
  logIndex: number;
  txHash: Hex;
  timestamp: number;
  /** Deployment name of the emitting contract, e.g. `ReputationRegistry`. */
  contract: string;
  address: Address;
  event: string;
  /** Decoded arguments as viem returns them (bigints stay bigints). */
  args: Record<string, unknown>;
};

export type BatchContext = {
  chainId: number;
  /** Lets a module tell its background worker (e.g. a resolver) that work may be waiting. */
  touched: Set<string>;
};

export type ModuleWorker = {
  /** Called after each committed batch: new work may be waiting. */
  nudge(): void;
  stop(): Promise<void>;
};

/**
 * Contracts a factory creates at addresses known only from its events (Ponder's "factory"): the
 * indexer follows every child from the log that created it (including the creating transaction).
 */
export type ChildContracts = {
  /** The name child events carry in the events table and in `IndexedEvent.contract`, e.g. `AgentAccount`. */
  name: string;
  abi: Abi;
  /** The deployment contract (listed in the module's `contracts`), its event announcing a child, and the event's address argument. */
  factory: { contract: string; event: string; parameter: string };
};

export type NodeModule = {
  name: string;
  /** Kysely migrations of this module's tables, applied in name order and tracked per module. */
  migrations: Record<string, Migration>;
  /** Deployment contracts whose events this module receives (and the events table stores). */
  contracts: Array<{ name: string; abi: Abi }>;
  /** Factory-created contracts whose events this module receives too. */
  children?: ChildContracts[];
  /**
   * Tables derived from chain events. A trigger journals their changes near the chain head so a
   * reorg can undo them, and a re-index from scratch empties them. Node-written tables stay out.
   */
  tables: Array<{ name: string; primaryKey: string[] }>;
  /** The agent an event concerns, for the events table (default: its `agentId` argument). */
  agentIdOf?: (event: IndexedEvent) => bigint | null;
  /**
   * Applies events of this module's contracts, in chain order, inside the batch's transaction
   * (which also moves the checkpoint): all or nothing.
   */
  applyBatch?: (tx: Kysely<any>, events: IndexedEvent[], ctx: BatchContext) => Promise<void>;
  /** Background work outside the indexing transactions (e.g. fetching registration files). */
  startWorker?: (db: Kysely<any>) => ModuleWorker;
};

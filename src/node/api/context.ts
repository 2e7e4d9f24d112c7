// What every route module of the node API is given: the app to register on and the node's parts.
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { MachinaPublicClient, MachinaWalletClient } from '../../chain/clients.ts';
import type { Deployment } from '../../chain/deployments.ts';
import type { AgentRecord, EventFeed, NodeQueries, NodeWriter } from '../service/types.ts';
import type { WalletQueries } from '../wallet/types.ts';
import type { HostedRegistrations } from './hosting.ts';
import type { NodePay } from '../pay/routes.ts';
import type { NodeProvenance } from '../provenance/routes.ts';
import type { NodeCompute } from '../compute/routes.ts';
import type { NodeData } from '../data/routes.ts';
import type { NodeSim } from '../sim/routes.ts';

/** The node's parts the HTTP API serves; everything but the chain client reads the index. */
export type NodeAppDeps = {
  client: MachinaPublicClient;
  deployment: Deployment;
  version: string;
  queries: NodeQueries;
  feed: EventFeed;
  /** The node's own signer; without it every POST answers 403 SIGNER_NOT_CONFIGURED. */
  writer?: NodeWriter | undefined;
  hosted: HostedRegistrations;
  /** The URL the node is reached at from outside (agentURIs and cards point there). */
  publicUrl: string;
  /** Agent wallets (the wallet module's read side); without it /v1/wallets answers 404. */
  wallets?: WalletQueries | undefined;
  /** The node's signer as a wallet client, for owner actions on agent accounts it owns (approve / reject). */
  signerWallet?: MachinaWalletClient | undefined;
  /** x402: the pay service (facilitator, gateway, settlement) and the priced routes; without it no /x402 or /v1/payments routes. */
  pay?: NodePay | undefined;
  /** Provenance: anchors, datasets, models and the anchoring aggregator; without it no /v1/anchors, /v1/datasets or /v1/models routes. */
  provenance?: NodeProvenance | undefined;
  /** Compute market: providers, jobs, stats and the blob store; without it no /v1/compute or /v1/blobs routes. */
  compute?: NodeCompute | undefined;
  /** Data marketplace: listings, licences, royalties, licensed delivery; without it no /v1/data routes. */
  data?: NodeData | undefined;
  /** The lab's run store (`machina sim run` output); without it no /v1/sim routes. */
  sim?: NodeSim | undefined;
  /** The streamable-HTTP MCP handler, mounted at /mcp. */
  mcp?: ((request: Request) => Promise<Response>) | undefined;
  /** The dashboard's build directory, served at /. */
  webRoot?: string | undefined;
  /** Where the node logs (one redacted line each); stderr by default. */
  log?: ((line: string) => void) | undefined;
  /** SSE heartbeat period; 15 s by default. */
  heartbeatMs?: number | undefined;
  /** How long a read of one agent may be served from memory (cleared by every indexed batch); 0 turns it off. 1 s by default. */
  agentCacheMs?: number | undefined;
};

export type ApiContext = NodeAppDeps & {
  log: (line: string) => void;
  startedAt: number;
  /** queries.getAgent behind the read cache. */
  getAgent: (agentId: bigint) => Promise<AgentRecord | undefined>;
};

export type Api = OpenAPIHono;

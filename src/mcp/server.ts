// The Machina MCP server: tools through which an LLM agent registers itself, reads agents, trust
// scores, feedback and validations, gives feedback and asks for validation. Built over its
// dependencies (an index to read, optionally a signer to write), so the same server runs over
// stdio (`machina mcp`) and over streamable HTTP on the node.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { getAddress, type Address, type Hex } from 'viem';
import { MachinaError, NotFoundError } from '../errors/index.ts';
import type { AgentRecord, NodeQueries, NodeWriter, TrustRecord, ValidationRecord } from '../node/service/types.ts';
import * as s from './schemas.ts';
import { guard, toolResult } from './results.ts';
import { registerWalletTools, type WalletToolDeps } from './wallet.ts';
import { registerProvenanceTools, type ProvenanceToolDeps } from './provenance.ts';
import { registerComputeTools, type ComputeToolDeps } from './compute.ts';
import { registerDataTools, type DataToolDeps } from './data.ts';

export type CreateMcpServerParameters = {
  /** Read side: the node's index (in process, or over HTTP). */
  queries: NodeQueries;
  /** Write side; without it the write tools answer SIGNER_NOT_CONFIGURED. */
  writer?: NodeWriter | undefined;
  /** Why there is no writer, when it is known better than "none configured" (e.g. chain unreachable). */
  writerError?: MachinaError | undefined;
  /** Version reported to clients. */
  version: string;
  /** Agent wallets: adds the wallet tools (wallet_balance, wallet_policy, pending_approvals, pay). */
  wallet?: WalletToolDeps | undefined;
  /** Provenance: adds the anchor, verify and audit tools. */
  provenance?: ProvenanceToolDeps | undefined;
  /** Compute market: adds compute_jobs, compute_job, compute_providers (and compute_submit with a local signer). */
  compute?: ComputeToolDeps | undefined;
  /** Data marketplace: adds data_catalogue, data_listing (and data_buy, data_fetch with a local signer). */
  data?: DataToolDeps | undefined;
};

/** The names of the tools, in the order tools/list shows them. */
export const MCP_TOOL_NAMES = [
  'register_agent',
  'get_agent',
  'list_agents',
  'get_trust_score',
  'list_feedback',
  'give_feedback',
  'request_validation',
  'get_validation',
] as const;

const INSTRUCTIONS = [
  'Machina: ERC-8004 identity, reputation and validation for AI agents, read from an indexing node.',
  'Agent ids are decimal strings. Trust scores are 0-100 with a confidence 0-1 (how much is evidence rather than prior).',
  'register_agent, give_feedback and request_validation send transactions signed by this server\'s key; an owner cannot rate its own agent.',
  'A just-written change is readable once the node has indexed it (usually within a second or two).',
].join(' ');

/**
 * Builds an MCP server exposing Machina's identity tools over `queries` (and `writer` for writes).
 * Connect it to a transport: `await server.connect(new StdioServerTransport())`.
 * @example
 * const server = createMcpServer({ queries: createHttpQueries({ baseUrl: 'http://127.0.0.1:8787' }), writer, version: '0.1.0' })
 * await server.connect(transport)
 */
export function createMcpServer({ queries, writer, writerError, version, wallet, provenance, compute, data }: CreateMcpServerParameters): McpServer {
  const server = new McpServer({ name: 'machina', title: 'Machina', version }, { instructions: INSTRUCTIONS });

  const needWriter = (): NodeWriter => {
    if (writer) return writer;
    throw (
      writerError ??
      new MachinaError('this MCP server has no signer: set MACHINA_PRIVATE_KEY or MACHINA_KEYSTORE (on the devnet, `machina mcp --account N`)', {
        code: 'SIGNER_NOT_CONFIGURED',
        field: 'MACHINA_PRIVATE_KEY',
      })
    );
  };
  const needAgent = async (agentId: string): Promise<AgentRecord> => {
    const agent = await queries.getAgent(BigInt(agentId));
    if (!agent) throw new NotFoundError(`agent ${agentId}`, 'agentId');
    return agent;
  };
  const read = { readOnlyHint: true, openWorldHint: false } as const;
  const write = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true } as const;

  server.registerTool(
    'register_agent',
    {
      title: 'Register an agent',
      description:
        'Registers a new ERC-8004 agent identity on chain, owned by this server\'s signer, with a registration file (name, description, services, x402 support). Returns the new agentId.',
      inputSchema: s.registerAgentInput,
      outputSchema: s.registerAgentOutput,
      annotations: { title: 'Register an agent', ...write },
    },
    guard(async (p) => {
      const w = needWriter();
      const r = await w.registerAgent(p);
      return toolResult(`registered agent ${r.agentId} "${p.name}" owned by ${w.address} (tx ${r.txHash})`, { agentId: r.agentId, owner: w.address, txHash: r.txHash, agentURI: r.agentURI });
    }),
  );

  server.registerTool(
    'get_agent',
    {
      title: 'Get an agent',
      description: "Reads one agent from the node's index: owner, wallet, registration file (name, description, services), counts of feedback and validations, and its trust score.",
      inputSchema: s.getAgentInput,
      outputSchema: s.agentRecord,
      annotations: { title: 'Get an agent', ...read },
    },
    guard(async ({ agentId }) => {
      const agent = await needAgent(agentId);
      return toolResult(describeAgent(agent), agent);
    }),
  );

  server.registerTool(
    'list_agents',
    {
      title: 'List agents',
      description: 'Lists registered agents a page at a time; filter by text (q) or owner, sort by agentId, trust, feedback or recent activity.',
      inputSchema: s.listAgentsInput,
      outputSchema: s.agentPage,
      annotations: { title: 'List agents', ...read },
    },
    guard(async (p) => {
      const page = await queries.listAgents({
        offset: p.offset,
        limit: p.limit,
        q: p.q,
        owner: p.owner === undefined ? undefined : getAddress(p.owner),
        sort: p.sort,
        order: p.order,
      });
      const head = page.items.length === 0 ? `no agents (offset ${page.offset}, ${page.total} in all)` : `agents ${page.offset + 1}-${page.offset + page.items.length} of ${page.total}:`;
      const lines = page.items.map((a) => `  #${a.agentId} ${a.name ?? '(unnamed)'} - trust ${formatScore(a.trust)}, ${a.feedbackCount} feedback`);
      return toolResult([head, ...lines].join('\n'), page);
    }),
  );

  server.registerTool(
    'get_trust_score',
    {
      title: "Get an agent's trust score",
      description:
        "An agent's trust score (0-100) and confidence (0-1), computed from its feedback: clients backed by on-chain payment receipts weigh more than unbacked ones; few opinions stay near the neutral 50.",
      inputSchema: s.getAgentInput,
      outputSchema: s.trustOutput,
      annotations: { title: "Get an agent's trust score", ...read },
    },
    guard(async ({ agentId }) => {
      const { trust } = await needAgent(agentId);
      return toolResult(
        `agent ${agentId}: trust ${formatScore(trust)} from ${trust.feedbackCount} feedback by ${trust.clients} client(s), ${trust.verifiedClients} verified, ${trust.revokedCount} revoked`,
        { agentId, ...trust },
      );
    }),
  );

  server.registerTool(
    'list_feedback',
    {
      title: "List an agent's feedback",
      description: 'Lists the feedback given to an agent, oldest first: value, tags, endpoint, whether a payment receipt verified it, whether it was revoked.',
      inputSchema: s.listFeedbackInput,
      outputSchema: s.feedbackPage,
      annotations: { title: "List an agent's feedback", ...read },
    },
    guard(async (p) => {
      await needAgent(p.agentId);
      const page = await queries.listFeedback(BigInt(p.agentId), {
        offset: p.offset,
        limit: p.limit,
        ...(p.includeRevoked === undefined ? {} : { includeRevoked: p.includeRevoked }),
        ...(p.client === undefined ? {} : { client: getAddress(p.client) }),
        ...(p.tag1 === undefined ? {} : { tag1: p.tag1 }),
      });
      const head = page.items.length === 0 ? `no feedback on agent ${p.agentId} (offset ${page.offset}, ${page.total} in all)` : `feedback on agent ${p.agentId}, ${page.offset + 1}-${page.offset + page.items.length} of ${page.total}:`;
      const lines = page.items.map(
        (f) =>
          `  #${f.feedbackIndex} from ${f.client}: ${formatValue(f.value, f.valueDecimals)}${[f.tag1, f.tag2].some(Boolean) ? ` [${[f.tag1, f.tag2].filter(Boolean).join('/')}]` : ''}${f.receipt ? ' verified' : ''}${f.revoked ? ' REVOKED' : ''}`,
      );
      return toolResult([head, ...lines].join('\n'), page);
    }),
  );

  server.registerTool(
    'give_feedback',
    {
      title: 'Give feedback on an agent',
      description:
        "Records feedback on an agent on chain, signed by this server's key: a value (decimal string, usually 0-100), optional tags, the endpoint concerned and a link to a feedback file. An agent's owner cannot rate its own agent.",
      inputSchema: s.giveFeedbackInput,
      outputSchema: s.giveFeedbackOutput,
      annotations: { title: 'Give feedback on an agent', ...write },
    },
    guard(async (p) => {
      const w = needWriter();
      const r = await w.giveFeedback({
        agentId: BigInt(p.agentId),
        value: p.value,
        tag1: p.tag1,
        tag2: p.tag2,
        endpoint: p.endpoint,
        feedbackURI: p.feedbackURI,
        feedbackHash: p.feedbackHash as Hex | undefined,
      });
      return toolResult(`feedback ${r.feedbackIndex} on agent ${p.agentId}: ${p.value} from ${w.address} (tx ${r.txHash})`, {
        agentId: p.agentId,
        client: w.address,
        feedbackIndex: r.feedbackIndex,
        value: p.value,
        txHash: r.txHash,
      });
    }),
  );

  server.registerTool(
    'request_validation',
    {
      title: 'Request validation',
      description:
        "Asks a validator (an address) to check an agent's work described at requestURI; signed by this server's key, which must own or operate the agent. Returns the requestHash to follow with get_validation.",
      inputSchema: s.requestValidationInput,
      outputSchema: s.requestValidationOutput,
      annotations: { title: 'Request validation', ...write },
    },
    guard(async (p) => {
      const w = needWriter();
      const validator: Address = getAddress(p.validator);
      const r = await w.requestValidation({ agentId: BigInt(p.agentId), validator, requestURI: p.requestURI, ...(p.requestHash ? { requestHash: p.requestHash as Hex } : {}) });
      return toolResult(`validation of agent ${p.agentId} requested from ${validator}: requestHash ${r.requestHash} (tx ${r.txHash})`, {
        requestHash: r.requestHash,
        agentId: p.agentId,
        validator,
        requestURI: p.requestURI,
        txHash: r.txHash,
      });
    }),
  );

  server.registerTool(
    'get_validation',
    {
      title: 'Get a validation',
      description: 'Reads a validation request by its hash: the agent, the validator, the request, and the latest response (0-100) once the validator has answered.',
      inputSchema: s.getValidationInput,
      outputSchema: s.validationRecord,
      annotations: { title: 'Get a validation', ...read },
    },
    guard(async ({ requestHash }) => {
      const v = await queries.getValidation(requestHash.toLowerCase() as Hex);
      if (!v) throw new NotFoundError(`validation request ${requestHash}`, 'requestHash');
      return toolResult(describeValidation(v), v);
    }),
  );

  if (wallet) registerWalletTools(server, wallet);
  if (provenance) registerProvenanceTools(server, provenance);
  if (compute) registerComputeTools(server, compute);
  if (data) registerDataTools(server, data);
  return server;
}

function formatScore(t: TrustRecord): string {
  return `${Math.round(t.score * 10) / 10}/100 (confidence ${t.confidence.toFixed(2)})`;
}

function formatValue(value: string, decimals: number): string {
  const neg = value.startsWith('-');
  const digits = (neg ? value.slice(1) : value).padStart(decimals + 1, '0');
  const int = digits.slice(0, digits.length - decimals);
  const frac = decimals > 0 ? `.${digits.slice(digits.length - decimals)}` : '';
  return `${neg ? '-' : ''}${int}${frac}`;
}

function describeAgent(a: AgentRecord): string {
  const services = a.services.map((x) => x.name).join(', ');
  return [
    `agent ${a.agentId}: ${a.name ?? '(unnamed)'}${a.active ? '' : ' (inactive)'} - trust ${formatScore(a.trust)}`,
    `owner ${a.owner}; ${a.feedbackCount} feedback (${a.verifiedFeedbackCount} verified), ${a.validationCount} validation(s)${services ? `; services: ${services}` : ''}${a.x402Support ? '; accepts x402' : ''}`,
    ...(a.registrationError ? [`registration file: ${a.registrationError}`] : []),
  ].join('\n');
}

function describeValidation(v: ValidationRecord): string {
  const state = v.response === null ? 'pending' : `answered ${v.response}/100${v.tag ? ` (${v.tag})` : ''}`;
  return `validation ${v.requestHash} of agent ${v.agentId} by ${v.validator}: ${state}`;
}

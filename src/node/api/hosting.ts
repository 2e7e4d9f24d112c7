// Registration files the node hosts for agents registered through it: where they live
// (`{publicUrl}/agents/{id}/registration.json`), the MCP and A2A services the node adds to them,
// and which file answers for an agent (the hosted one while the chain still points at it).
import type { RegistrationFile } from '../../identity/registrationFile.ts';
import type { ChainWriterParameters } from '../service/chainWriter.ts';
import type { AgentRecord, NodeQueries } from '../service/types.ts';
import { ApiError } from './errors.ts';

/** Where the node keeps the registration files it hosts (the node's store implements it). */
export interface HostedRegistrations {
  getHostedRegistration(agentId: bigint): Promise<RegistrationFile | undefined>;
  putHostedRegistration(agentId: bigint, file: RegistrationFile): Promise<void>;
}

/** MCP protocol revision the node's streamable-HTTP endpoint speaks, and the A2A card version. */
export const MCP_VERSION = '2025-06-18';
export const A2A_VERSION = '0.3.0';

export const trimUrl = (url: string) => url.replace(/\/+$/, '');
export const hostedRegistrationUrl = (publicUrl: string, agentId: bigint) => `${trimUrl(publicUrl)}/agents/${agentId}/registration.json`;
export const hostedAgentCardUrl = (publicUrl: string, agentId: bigint) => `${trimUrl(publicUrl)}/agents/${agentId}/agent-card.json`;

/**
 * The file as the node hosts it: the caller's services plus the node's MCP endpoint and the agent's
 * A2A card on this node, each once (hosting again replaces them rather than adding copies).
 * @example
 * withNodeServices(file, 'http://127.0.0.1:8787', 3n).services // [..., {name:'MCP',...}, {name:'A2A',...}]
 */
export function withNodeServices(file: RegistrationFile, publicUrl: string, agentId: bigint): RegistrationFile {
  const mcp = { name: 'MCP', endpoint: `${trimUrl(publicUrl)}/mcp`, version: MCP_VERSION };
  const a2a = { name: 'A2A', endpoint: hostedAgentCardUrl(publicUrl, agentId), version: A2A_VERSION };
  const others = file.services.filter((s) => !(s.name === mcp.name && s.endpoint === mcp.endpoint) && !(s.name === 'A2A' && s.endpoint.startsWith(`${trimUrl(publicUrl)}/agents/`)));
  return { ...file, services: [...others, mcp, a2a] };
}

/**
 * The `hosting` option of createChainWriter for a node: agentURIs point at the node, and the file
 * stored there lists the node's MCP and A2A endpoints.
 * @example
 * const writer = createChainWriter({ client, wallet, deployment, hosting: nodeHosting({ publicUrl, hosted: store }) })
 */
export function nodeHosting({ publicUrl, hosted }: { publicUrl: string; hosted: HostedRegistrations }): NonNullable<ChainWriterParameters['hosting']> {
  return {
    baseUrl: trimUrl(publicUrl),
    host: (agentId, file) => hosted.putHostedRegistration(agentId, withNodeServices(file, publicUrl, agentId)),
  };
}

export type ResolvedRegistration = { file: RegistrationFile; hosted: boolean; agent: AgentRecord | undefined };

/**
 * The registration file that answers for `agentId`: the node's hosted copy while the agent is not
 * indexed yet or its agentURI still points at it (a copy left behind by a lost race for an id, or
 * replaced by the owner's setAgentURI, must not shadow the real one), else the indexed file.
 * Throws a 404 ApiError when there is neither.
 * @example
 * const { file, hosted } = await resolveRegistration({ getAgent: queries.getAgent, hosted: store, publicUrl }, 3n)
 */
export async function resolveRegistration(
  { getAgent, hosted, publicUrl }: { getAgent: NodeQueries['getAgent']; hosted: HostedRegistrations; publicUrl: string },
  agentId: bigint,
): Promise<ResolvedRegistration> {
  const [file, agent] = await Promise.all([hosted.getHostedRegistration(agentId), getAgent(agentId)]);
  if (file && (!agent || agent.agentURI === hostedRegistrationUrl(publicUrl, agentId))) return { file, hosted: true, agent };
  if (!agent) throw new ApiError(404, 'NOT_FOUND', `agent ${agentId} not found`, 'agentId');
  if (!agent.registration) {
    throw new ApiError(404, 'REGISTRATION_UNAVAILABLE', `agent ${agentId}: registration file unavailable${agent.registrationError ? ` (${agent.registrationError})` : ''}`, 'agentId');
  }
  return { file: agent.registration, hosted: false, agent };
}

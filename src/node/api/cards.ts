// A2A agent cards (A2A protocol 0.3): the node's own card, and one per agent the node hosts, built
// from that agent's ERC-8004 registration file so that the two never disagree.
import type { RegistrationFile } from '../../identity/registrationFile.ts';
import { A2A_VERSION, hostedAgentCardUrl, trimUrl } from './hosting.ts';
import type { AgentCard } from './schemas.ts';

const JSON_MODES = ['application/json'];

/**
 * The node's own card: a directory of ERC-8004 agents with trust scores, reachable over its HTTP
 * API (the card's url) and its MCP endpoint.
 * @example
 * nodeAgentCard({ publicUrl: 'http://127.0.0.1:8787', version: '0.1.0', chainId: 31337, canWrite: true })
 */
export function nodeAgentCard({ publicUrl, version, chainId, canWrite }: { publicUrl: string; version: string; chainId: number; canWrite: boolean }): AgentCard {
  const base = trimUrl(publicUrl);
  const skills: AgentCard['skills'] = [
    {
      id: 'agent-directory',
      name: 'Agent directory',
      description: `Search and read the ERC-8004 agents registered on chain ${chainId}: owner, registration file, services, feedback and validations (GET ${base}/v1/agents).`,
      tags: ['erc-8004', 'identity', 'discovery'],
      examples: ['find agents that summarize text', 'show agent 3'],
    },
    {
      id: 'trust-scores',
      name: 'Trust scores',
      description: `Sybil-resistant trust score (0-100, with confidence) of an agent from its feedback, weighted by receipts behind each client (GET ${base}/v1/agents/{id}/trust).`,
      tags: ['erc-8004', 'reputation', 'trust'],
      examples: ['how trustworthy is agent 3?'],
    },
    {
      id: 'event-stream',
      name: 'Protocol events',
      description: `Indexed protocol events, live over server-sent events (GET ${base}/v1/events/stream).`,
      tags: ['events', 'sse'],
    },
  ];
  if (canWrite) {
    skills.push({
      id: 'agent-registration',
      name: 'Agent registration and feedback',
      description: `Register an agent with a registration file hosted by this node, give feedback, request validation (POST ${base}/v1/agents, /v1/agents/{id}/feedback, /v1/validations).`,
      tags: ['erc-8004', 'registration', 'feedback', 'validation'],
    });
  }
  return {
    protocolVersion: A2A_VERSION,
    name: 'Machina node',
    description: `ERC-8004 agent directory and trust layer for chain ${chainId}: agents, registration files, feedback, validations and trust scores, over HTTP (OpenAPI at ${base}/v1/openapi.json) and MCP (${base}/mcp).`,
    url: `${base}/v1`,
    preferredTransport: 'HTTP+JSON',
    version,
    documentationUrl: `${base}/v1/openapi.json`,
    provider: { organization: 'Machina', url: base },
    capabilities: { streaming: false, pushNotifications: false, stateTransitionHistory: false },
    defaultInputModes: JSON_MODES,
    defaultOutputModes: JSON_MODES,
    skills,
  };
}

/**
 * The card of an agent the node hosts: the same name, description and image as its registration
 * file, one skill per service the file lists (its MCP and A2A endpoints among them).
 * @example
 * hostedAgentCard({ publicUrl, version: '0.1.0', agentId: 3n, file })
 */
export function hostedAgentCard({ publicUrl, version, agentId, file }: { publicUrl: string; version: string; agentId: bigint; file: RegistrationFile }): AgentCard {
  const base = trimUrl(publicUrl);
  const skills = file.services.map((s, i) => ({
    id: `service-${i}-${s.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
    name: s.name,
    description: `${s.name} endpoint${s.version ? ` (version ${s.version})` : ''}: ${s.endpoint}`,
    tags: [s.name.toLowerCase(), 'erc-8004'],
  }));
  return {
    protocolVersion: A2A_VERSION,
    name: file.name,
    description: file.description,
    // The agent's identity record on this node; the card itself lives at hostedAgentCardUrl.
    url: `${base}/v1/agents/${agentId}`,
    preferredTransport: 'HTTP+JSON',
    version,
    ...(file.image ? { iconUrl: file.image } : {}),
    documentationUrl: hostedAgentCardUrl(publicUrl, agentId).replace(/agent-card\.json$/, 'registration.json'),
    provider: { organization: 'Machina node', url: base },
    capabilities: { streaming: false, pushNotifications: false, stateTransitionHistory: false },
    defaultInputModes: JSON_MODES,
    defaultOutputModes: JSON_MODES,
    skills,
  };
}

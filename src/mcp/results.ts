// How every MCP tool answers: a one-line summary a person or a model can read, the same data as
// structured JSON, and failures as error results (never thrown) that name the field at fault.
// Everything leaving a tool passes through `redact`, so key material cannot slip out even when it
// reached a message by accident.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { InvalidArgumentError, MachinaError, formatError, redact } from '../errors/index.ts';

/** JSON with bigints as decimal strings, secrets removed. */
function safeJson(value: unknown, space?: number): string {
  return redact(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), space));
}

/**
 * A successful tool result: `summary` first, then the data as JSON text (for clients that ignore
 * structured content) and as `structuredContent`.
 * @example
 * return toolResult(`agent 3: summarizer`, agent)
 */
export function toolResult(summary: string, data: Record<string, unknown>): CallToolResult {
  const json = safeJson(data);
  return {
    content: [
      { type: 'text', text: redact(summary) },
      { type: 'text', text: json },
    ],
    structuredContent: JSON.parse(json) as Record<string, unknown>,
  };
}

/** The error shape every Machina surface uses: the HTTP API's `{error: {code, message, field}}`. */
export type ToolErrorBody = { error: { code: string; message: string; field: string | null } };

/**
 * A failed tool call as an error result: a readable line and the `{error}` JSON. No structured
 * content, since the client validates that against the tool's output schema.
 * @example
 * catch (err) { return toolError(err) }
 */
export function toolError(error: unknown): CallToolResult {
  const message = formatError(error);
  const body: ToolErrorBody = {
    error: {
      code: error instanceof MachinaError ? error.code : message.startsWith('reverted: ') ? 'REVERTED' : 'FAILED',
      message,
      field: error instanceof MachinaError ? (error.field ?? null) : null,
    },
  };
  const where = body.error.field && !body.error.message.startsWith(`${body.error.field}:`) ? ` (field: ${body.error.field})` : '';
  return {
    isError: true,
    content: [
      { type: 'text', text: redact(`${body.error.code}: ${body.error.message}${where}`) },
      { type: 'text', text: safeJson(body) },
    ],
  };
}

/**
 * Wraps a tool handler: every error becomes an error result (the SDK would otherwise echo the raw
 * message), and an input that carries key material is refused before it can be written on chain,
 * where (say, base64-encoded in a data: URI) no redaction could find it again.
 * @example
 * server.registerTool('get_agent', spec, guard(async ({ agentId }) => toolResult(...)))
 */
export const guard =
  <A extends Record<string, unknown>>(fn: (args: A) => Promise<CallToolResult>) =>
  async (args: A): Promise<CallToolResult> => {
    try {
      for (const [field, value] of Object.entries(args)) {
        const text = JSON.stringify(value) ?? '';
        if (redact(text) !== text) throw new InvalidArgumentError(field, 'contains key material; refused');
      }
      return await fn(args);
    } catch (err) {
      return toolError(err);
    }
  };

// Live events over server-sent events: replays what a client missed (Last-Event-ID or ?after=)
// from the index, then forwards the feed's batches; heartbeats keep proxies from closing idle
// streams, and every stream ends when its client leaves or the node shuts down.
import { createRoute, z } from '@hono/zod-openapi';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import type { EventRecord } from '../service/types.ts';
import type { Api, ApiContext } from './context.ts';
import { ApiError } from './errors.ts';
import { MAX_ROW_ID, streamQuery } from './inputs.ts';
import { errors } from './reads.ts';

const REPLAY_PAGE = 500;
/** A client that falls this far behind is dropped; it reconnects with Last-Event-ID and replays. */
const MAX_QUEUED = 10_000;

/** Open streams, so that shutdown can end them all at once. */
export type StreamRegistry = { close: () => void; readonly size: number };

function parseLastEventId(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,16}$/.test(raw.trim()) || Number(raw) > MAX_ROW_ID) throw new ApiError(400, 'INVALID_ARGUMENT', `Last-Event-ID: must be an event id 0-${MAX_ROW_ID}`, 'Last-Event-ID');
  return Number(raw);
}

const format = (events: EventRecord[]) => `id: ${events[events.length - 1]!.id}\nevent: events\ndata: ${JSON.stringify(events)}\n\n`;

/**
 * Registers GET /v1/events/stream; the registry it returns ends every open stream at shutdown.
 * @example
 * const streams = registerStream(app, ctx)
 * streams.close()
 */
export function registerStream(app: Api, ctx: ApiContext): StreamRegistry {
  const open = new Set<() => void>();
  const heartbeatMs = ctx.heartbeatMs ?? 15_000;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/events/stream',
      tags: ['events'],
      summary: 'Live events (text/event-stream): `event: events`, `data: Event[]`, `id:` the last event id; Last-Event-ID or ?after= replays missed events first',
      request: {
        query: streamQuery,
        headers: z.object({ 'last-event-id': z.string().optional().openapi({ description: 'resume after this event id' }) }),
      },
      responses: { 200: { description: 'Event stream', content: { 'text/event-stream': { schema: z.string() } } }, 400: errors[400] },
    }),
    async (c) => {
      const after = parseLastEventId(c.req.header('last-event-id')) ?? c.req.valid('query').after;
      if (c.req.method === 'HEAD') return c.body(null, 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      return streamSSE(c, (stream) => pump(ctx, stream, after, heartbeatMs, open));
    },
  );

  return {
    close: () => [...open].forEach((end) => end()),
    get size() {
      return open.size;
    },
  };
}

async function pump(ctx: ApiContext, stream: SSEStreamingApi, after: number | undefined, heartbeatMs: number, open: Set<() => void>): Promise<void> {
  let lastId = after;
  let queue: EventRecord[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const end = () => {
    ended = true;
    poke();
  };
  open.add(end);
  stream.onAbort(end);
  // Subscribe before replaying, so nothing committed during the replay is missed; duplicates are
  // dropped by id below.
  const unsubscribe = ctx.feed.subscribe((events) => {
    if (ended) return;
    queue.push(...events);
    if (queue.length > MAX_QUEUED) end();
    else poke();
  });
  let writing = false;
  const send = async (text: string) => {
    writing = true;
    try {
      await stream.write(text);
    } finally {
      writing = false;
    }
  };
  const heartbeat = setInterval(() => {
    if (!writing && !ended) void send(': heartbeat\n\n');
  }, heartbeatMs);
  try {
    await send('retry: 2000\n\n');
    if (after !== undefined) {
      for (;;) {
        const page = await ctx.queries.listEvents({ limit: REPLAY_PAGE, afterId: lastId });
        if (ended) return;
        if (page.length > 0) {
          await send(format(page));
          lastId = page[page.length - 1]!.id;
        }
        if (page.length < REPLAY_PAGE) break;
      }
    }
    while (!ended) {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      const batch = lastId === undefined ? queue : queue.filter((e) => e.id > lastId!);
      queue = [];
      if (batch.length === 0) continue;
      await send(format(batch));
      lastId = batch[batch.length - 1]!.id;
    }
  } catch (err) {
    ctx.log(`node: event stream ended: ${(err as Error).message}`);
  } finally {
    clearInterval(heartbeat);
    unsubscribe();
    open.delete(end);
  }
}

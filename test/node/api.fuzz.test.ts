// Property: whatever a client sends — random paths, methods, query strings, headers and bodies,
// huge numbers, unicode, path traversal, deep JSON, broken HTTP — a real node (devnet + indexed
// PostgreSQL, or the embedded database without it) answers 4xx with the error shape, or 2xx when
// the request happens to be valid; never 5xx, never key material, and it still answers /health.
import assert from 'node:assert/strict';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { privateKeyToAccount } from 'viem/accounts';
import { registerSecret } from '../../src/errors/index.ts';
import { registerAgent } from '../../src/identity/actions/agents.ts';
import { giveFeedback } from '../../src/identity/actions/feedback.ts';
import { buildRegistrationFile, toDataUri } from '../../src/identity/registrationFile.ts';
import { startTestChain, type TestChain } from '../helpers/chain.ts';
import { postgresAvailable, startApiNode, type ApiNode } from './apiNode.ts';

const RUNS = Number(process.env.API_FUZZ_RUNS ?? 10_000);
const NODE_KEY = '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a'; // anvil account 5
const keyPattern = new RegExp(NODE_KEY.slice(2), 'i');

type Req = { method: string; path: string; headers: Array<[string, string]>; body: Buffer | undefined; chunked: boolean; raw: boolean };
type Res = { status: number; headers: Record<string, string>; body: string };

// ---- generators ------------------------------------------------------------------------------

const nasty = fc.constantFrom(
  '', '0', '1', '2', '-1', '01', '1.5', '1e3', '0x1', 'NaN', 'Infinity', '-0', 'null', 'undefined', 'true', '[]', '{}',
  '%00', '%ZZ', '%', '%2', '..', '.', '%2e%2e', '..%2f..%2fetc%2fpasswd', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '....//....//etc/passwd',
  '..%5c..%5cwindows', '%c0%ae%c0%ae', '%ED%A0%80', '%F0%9F%A6%84', '%EF%BF%BF', '%C3%28', '🦄', 'ä', '\u202e', 'Ω≈ç√',
  '9'.repeat(78), '9'.repeat(79), '9'.repeat(2000), (2n ** 256n).toString(), (2n ** 256n - 1n).toString(), (2n ** 63n).toString(), (2n ** 64n).toString(),
  (2n ** 53n + 1n).toString(), '9007199254740991', '9007199254740992', '2147483648', '-2147483649', '1' + '0'.repeat(400),
  `0x${'f'.repeat(64)}`, `0x${'F'.repeat(64)}`, `0x${'g'.repeat(64)}`, `0x${'ab'.repeat(33)}`, `0x${'0'.repeat(40)}`, '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
  '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266', '0xF39FD6E51AAD88F6F4CE6AB8827279CFFFB92266', '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92267',
  "'; drop table agents; --", "1' or '1'='1", '<script>alert(1)</script>', '${jndi:ldap://x}', '{{7*7}}', '%0d%0aSet-Cookie:x=1', '\\', '/', '//', '?', '#', '&', '=',
  'IdentityRegistry', 'Registered', 'NewFeedback', 'agentId', 'trust', 'recent', 'asc', 'desc', 'false', '100', '101', '500', '501',
);

/** Strings that may not even be valid in a URL (the raw sender delivers them byte for byte). */
const anyText = fc.oneof(
  { weight: 3, arbitrary: nasty },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n }).map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 1, arbitrary: fc.integer().map(String) },
);

const encode = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return s; // lone surrogates: sent as they are
  }
};
/** A path or query component: percent-encoded, left raw, or already an escape sequence. */
const component = fc.oneof({ weight: 3, arbitrary: anyText.map(encode) }, { weight: 1, arbitrary: anyText });

const TEMPLATES = [
  '/health', '/v1/contracts', '/v1/stats', '/v1/agents', '/v1/agents/{id}', '/v1/agents/{id}/registration', '/v1/agents/{id}/feedback',
  '/v1/agents/{id}/validations', '/v1/agents/{id}/trust', '/v1/validations/{hash}', '/v1/validations', '/v1/events', '/v1/events/stream',
  '/v1/openapi.json', '/agents/{id}/registration.json', '/agents/{id}/agent-card.json', '/.well-known/agent-card.json', '/mcp', '/',
  '/index.html', '/assets/app.js', '/v1', '/agents', '/.well-known/',
];
const idValue = fc.oneof({ weight: 2, arbitrary: fc.constantFrom('0', '1', '2', '3', '99') }, { weight: 3, arbitrary: component });

const path = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...TEMPLATES), idValue, component).map(([t, id, h]) => t.replace('{id}', id).replace('{hash}', h)) },
  { weight: 2, arbitrary: fc.array(component, { minLength: 1, maxLength: 6 }).map((segs) => `/${segs.join('/')}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...TEMPLATES), fc.array(component, { maxLength: 3 })).map(([t, extra]) => `${t.replace('{id}', '1').replace('{hash}', '0x00')}/${extra.join('/')}`) },
  { weight: 1, arbitrary: fc.constantFrom('/../../etc/passwd', '/..%2f..%2f..%2fetc%2fpasswd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/../../../etc/passwd', '//v1//agents', '/v1/agents/', '/v1/./agents', '/V1/AGENTS', '/v1/agents/1/', '/\\..\\..\\etc\\passwd', '/.git/config', '/.env', '/node_modules/.bin/x', '/web/dist/index.html', '/v1/agents/%31', '*', 'http://evil.example/v1/agents', '/' + 'a'.repeat(9000)) },
);

const QUERY_KEYS = ['offset', 'limit', 'owner', 'q', 'active', 'x402', 'sort', 'order', 'includeRevoked', 'client', 'tag1', 'afterId', 'beforeId', 'agentId', 'contract', 'event', 'after'];
const query = fc
  .array(fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...QUERY_KEYS) }, { weight: 1, arbitrary: component }), fc.oneof(component, fc.constantFrom('0', '1', '20', '100', 'true', 'agentId'))), { maxLength: 6 })
  .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${encode(k)}=${v}`).join('&')}`));

const method = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('GET', 'POST', 'GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS') },
  { weight: 1, arbitrary: fc.constantFrom('TRACE', 'CONNECT', 'PROPFIND', 'get', 'FOO', 'G ET', '', 'POST\r\nX: y') },
);

const jsonValue = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: nasty },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.constantFrom('a\u0000b', '\ud800', 'x'.repeat(20_000), NODE_KEY) },
);
const service = fc.record({ name: jsonValue, endpoint: jsonValue, version: jsonValue }, { requiredKeys: [] });
const registerBody = fc.record(
  { name: jsonValue, description: jsonValue, image: jsonValue, services: fc.oneof(fc.array(service, { maxLength: 3 }), jsonValue), x402Support: fc.oneof(fc.boolean(), jsonValue), extra: jsonValue },
  { requiredKeys: [] },
);
const feedbackBody = fc.record(
  { value: fc.oneof(fc.constantFrom('87.5', '-3', '0', `1${'0'.repeat(50)}`, '1.1234567890123456789', ' 5', '5 ', '+5', '.5', '5.'), jsonValue), tag1: jsonValue, tag2: jsonValue, endpoint: jsonValue, feedbackURI: jsonValue, feedbackHash: jsonValue },
  { requiredKeys: [] },
);
const validationBody = fc.record({ agentId: fc.oneof(fc.constantFrom('0', '1', '2'), jsonValue), validator: jsonValue, requestURI: jsonValue, requestHash: jsonValue }, { requiredKeys: [] });

const body = fc.oneof(
  { weight: 3, arbitrary: fc.oneof(registerBody, feedbackBody, validationBody).map((o) => Buffer.from(JSON.stringify(o))) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 40_000 }).map((n) => Buffer.from('['.repeat(n) + ']'.repeat(n))) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }).map((n) => Buffer.from('{"a":'.repeat(n) + '1' + '}'.repeat(n))) },
  { weight: 1, arbitrary: fc.integer({ min: 60_000, max: 200_000 }).map((n) => Buffer.from(JSON.stringify({ name: 'n', description: 'd'.repeat(n) }))) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '', ' ', '{', '}', '{"name":}', "{'name':'x'}", 'null', '[]', '"str"', '1e999', '-', '{"name":"a","name":"b","description":"c"}',
      '{"__proto__":{"admin":true},"name":"a","description":"b"}', '{"constructor":{"prototype":{"x":1}}}', '{"name":"a","description":"b"}garbage',
      '\ufeff{"name":"a","description":"b"}', '{"name":"\\ud800","description":"b"}', '{"name":"a\\u0000","description":"b"}', '\u0000', '\xff\xfe',
      `{"value":"${'9'.repeat(70_000)}"}`,
    ).map((s) => Buffer.from(s, 'utf8')),
  },
);

const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/vnd.api+json', 'application/json;charset=latin1', 'text/plain', 'text/json', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', '', 'json', '*/*', 'application/json, text/plain'];
const headerName = fc.oneof(fc.constantFrom('x-test', 'accept', 'accept-encoding', 'origin', 'referer', 'cookie', 'authorization', 'x-forwarded-for', 'x-forwarded-host', 'if-none-match', 'range', 'expect', 'upgrade', 'te', 'connection'), fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/));
const headerValue = fc.oneof(fc.string({ maxLength: 40 }), nasty, fc.constantFrom('websocket', '100-continue', 'bytes=0-5', 'keep-alive', 'close', 'trailers', 'gzip, br', '*/*', 'text/event-stream'));
const headers = fc
  .tuple(
    fc.option(fc.constantFrom(...CONTENT_TYPES), { nil: undefined }),
    fc.option(fc.oneof(nasty, fc.constantFrom('0', '3', '999999')), { nil: undefined }),
    fc.array(fc.tuple(headerName, headerValue), { maxLength: 4 }),
    fc.oneof({ weight: 19, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 40_000 }) }),
  )
  .map(([ct, lastEventId, extra, huge]) => {
    const h: Array<[string, string]> = [];
    if (ct !== undefined) h.push(['content-type', ct]);
    if (lastEventId !== undefined) h.push(['last-event-id', lastEventId]);
    // Hop-by-hop and framing headers are the sender's to set.
    for (const [k, v] of extra) if (!['connection', 'content-length', 'transfer-encoding', 'host', 'upgrade', 'expect', 'te'].includes(k) || Math.random() < 0.3) h.push([k, v]);
    if (huge !== undefined) h.push(['x-huge', 'h'.repeat(huge)]);
    return h;
  });

const requestArb: fc.Arbitrary<Req> = fc
  .record({
    method,
    path,
    query,
    headers,
    body: fc.option(body, { freq: 3, nil: undefined }),
    chunked: fc.boolean(),
    raw: fc.boolean().map((b) => b && Math.random() < 0.4),
  })
  .map((r) => ({ method: r.method, path: r.path + r.query, headers: r.headers, body: ['GET', 'HEAD'].includes(r.method) && Math.random() < 0.7 ? undefined : r.body, chunked: r.chunked, raw: r.raw }));

// ---- senders ---------------------------------------------------------------------------------

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

function viaHttp(base: URL, r: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of r.headers) headers[k] = k in headers ? ([] as string[]).concat(headers[k]!, v) : v;
    if (r.body && !r.chunked) headers['content-length'] = String(r.body.length);
    const req = httpRequest({ host: base.hostname, port: base.port, method: r.method, path: r.path, headers, agent, timeout: 30_000 }, (res) => {
      if (/event-stream/.test(String(res.headers['content-type']))) {
        res.destroy();
        return resolve({ status: res.statusCode!, headers: flat(res.headers), body: '' });
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: flat(res.headers), body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', (err) => reject(Object.assign(err, { reusedSocket: req.reusedSocket })));
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode!, headers: flat(res.headers), body: '' });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    if (r.body) {
      if (r.chunked) for (let i = 0; i < r.body.length; i += 8192) req.write(r.body.subarray(i, i + 8192));
      else req.write(r.body);
    }
    req.end();
  });
}

const flat = (h: IncomingHttpHeaders) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]));

/** Bytes on a socket, exactly as generated (what no HTTP client library would send). */
function viaSocket(base: URL, r: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(base.port), base.hostname);
    const head = [`${r.method} ${r.path} HTTP/1.1`, `Host: ${base.host}`, ...r.headers.map(([k, v]) => `${k}: ${v}`)];
    if (r.body) head.push(r.chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${r.body.length}`);
    head.push('Connection: close');
    socket.write(Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'));
    if (r.body) socket.write(r.chunked ? Buffer.concat([Buffer.from(`${r.body.length.toString(16)}\r\n`), r.body, Buffer.from('\r\n0\r\n\r\n')]) : r.body);
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(new Error(`no answer to ${r.method} ${r.path.slice(0, 100)}`)), 30_000);
    const finish = () => {
      clearTimeout(timer);
      // Interim answers (100 Continue) precede the real one.
      while (/^HTTP\/1\.1 1\d\d /.test(data.toString('latin1', 0, 16)) && data.indexOf('\r\n\r\n') >= 0) data = data.subarray(data.indexOf('\r\n\r\n') + 4);
      const text = data.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (!m || end < 0) return reject(new Error(`no HTTP answer to ${JSON.stringify(r).slice(0, 300)}: ${JSON.stringify(text.slice(0, 200))}`));
      const hdrs: Record<string, string> = {};
      for (const line of text.slice(0, end).split('\r\n').slice(1)) {
        const i = line.indexOf(':');
        hdrs[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
      }
      let rest = data.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
      if (hdrs['transfer-encoding'] === 'chunked') {
        const parts: Buffer[] = [];
        for (;;) {
          const nl = rest.indexOf('\r\n');
          if (nl < 0) break;
          const size = parseInt(rest.subarray(0, nl).toString(), 16);
          if (!size) break;
          parts.push(rest.subarray(nl + 2, nl + 2 + size));
          rest = rest.subarray(nl + 2 + size + 2);
        }
        rest = Buffer.concat(parts);
      }
      resolve({ status: Number(m[1]), headers: hdrs, body: rest.toString('utf8') });
    };
    socket.on('data', (c: Buffer) => {
      data = Buffer.concat([data, c]);
      // An event stream never ends by itself: the headers are the answer.
      if (/\r\n\r\n/.test(data.toString('latin1')) && /content-type: text\/event-stream/i.test(data.toString('latin1'))) socket.destroy();
    });
    socket.on('close', finish);
    socket.on('error', () => {});
  });
}

async function send(base: URL, r: Req): Promise<Res> {
  // Node's client hands a CONNECT answer to a 'connect' listener, not as a response.
  if (!r.raw && r.method !== 'CONNECT') {
    try {
      return await viaHttp(base, r).catch((err: NodeJS.ErrnoException & { reusedSocket?: boolean }) => {
        // A kept-alive socket the server closed just as it was reused: Node's documented race
        // (the request never reached the server); send it again on a fresh connection.
        if (err.reusedSocket && (err.code === 'ECONNRESET' || /socket hang up/.test(err.message))) return viaHttp(base, r);
        throw err;
      });
    } catch (err) {
      // Node's client refuses to send some generated requests (bad method token, bytes in the
      // path or a header): those go over the raw socket instead, exactly as generated.
      if (!/ERR_INVALID|ERR_UNESCAPED|Invalid|ERR_HTTP/.test(`${(err as NodeJS.ErrnoException).code} ${(err as Error).message}`)) throw err;
    }
  }
  return viaSocket(base, r);
}

// ---- the property ----------------------------------------------------------------------------

describe('node HTTP API under malformed input', () => {
  let chain: TestChain;
  let api: ApiNode;
  const statuses = new Map<number, number>();

  before(async () => {
    registerSecret(NODE_KEY);
    chain = await startTestChain();
    const postgres = await postgresAvailable();
    if (!postgres && process.env.CI === 'true') throw new Error('PostgreSQL is required under CI (DATABASE_URL or 127.0.0.1:5432)');
    if (!postgres) process.stdout.write('# PostgreSQL not reachable: fuzzing against the embedded database\n');
    api = await startApiNode({ chain, signer: privateKeyToAccount(NODE_KEY), postgres, mcp: true });
    // Something to find: agents with registration files, feedback.
    const identityRegistry = chain.address('IdentityRegistry');
    const ids: bigint[] = [];
    for (const i of [1, 2, 3]) {
      const file = buildRegistrationFile({ name: `agent ${i}`, description: `fuzz target ${i}`, services: [{ name: 'MCP', endpoint: `https://a${i}.example/mcp` }] });
      ids.push((await registerAgent(chain.client, chain.wallet(i), { identityRegistry, agentURI: toDataUri(file) })).agentId);
    }
    // The second of them (ids follow those the deployment registered itself, e.g. the compute market's).
    await giveFeedback(chain.client, chain.wallet(4), { reputationRegistry: chain.address('ReputationRegistry'), agentId: ids[1]!, value: 80n, tag1: 'quality' });
    await api.synced();
  });

  after(async () => {
    agent.destroy();
    await api?.stop();
    await chain?.stop();
  });

  it(`answers ${RUNS} generated malformed requests with 4xx (or 2xx when valid), the error shape, never 5xx or key material`, async () => {
    const base = new URL(api.url);
    const result = await fc.check(
      fc.asyncProperty(requestArb, async (r) => {
        const res = await send(base, r);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const where = `${r.method} ${r.path.slice(0, 200)} -> ${res.status} ${res.body.slice(0, 300)}`;
        assert.ok(res.status >= 200 && res.status < 500, where);
        assert.doesNotMatch(res.body, keyPattern, where);
        // The MCP endpoint answers in JSON-RPC's own error shape; HEAD answers have no body.
        const mcp = /^\/mcp(\?|$)/.test(r.path);
        if (res.status >= 400 && r.method !== 'HEAD' && !mcp) {
          assert.match(res.headers['content-type'] ?? '', /^application\/json/, where);
          const json = JSON.parse(res.body);
          assert.deepEqual(Object.keys(json), ['error'], where);
          assert.equal(typeof json.error.code, 'string', where);
          assert.ok(json.error.code.length > 0, where);
          assert.equal(typeof json.error.message, 'string', where);
          assert.ok(json.error.field === null || typeof json.error.field === 'string', where);
        }
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    if (result.failed) {
      // A short account of the failing request (generated headers and bodies can be huge).
      const r = result.counterexample?.[0];
      const brief = r && { method: r.method, path: r.path.slice(0, 300), headers: r.headers.map(([k, v]) => [k, v.length > 200 ? `${v.slice(0, 50)}... (${v.length} chars)` : v]), body: r.body && (r.body.length > 300 ? `${r.body.length} bytes: ${r.body.subarray(0, 100).toString()}...` : r.body.toString()), chunked: r.chunked, raw: r.raw };
      assert.fail(`after ${result.numRuns} requests (seed ${result.seed}): ${(result.errorInstance as Error)?.message?.slice(0, 1_000)}\nrequest: ${JSON.stringify(brief)}`);
    }
    const summary = [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`).join(', ');
    process.stdout.write(`# statuses over ${RUNS} requests: ${summary}\n`);
    assert.ok([...statuses.keys()].some((s) => s >= 400), 'some requests were refused');

    // Still up, still indexing, nothing leaked in the logs.
    const health = await fetch(`${api.url}/health`);
    assert.equal(health.status, 200);
    assert.equal((await health.json()).status, 'ok');
    for (const line of api.logs) assert.doesNotMatch(line, keyPattern);
    assert.ok(!api.logs.some((l) => /failed: /.test(l)), `unexpected errors logged:\n${api.logs.filter((l) => /failed: /.test(l)).join('\n')}`);
  });
});

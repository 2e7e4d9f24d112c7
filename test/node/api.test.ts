// The node's HTTP API against a real devnet and a real index (embedded database): every route and
// its schema, paging and filters, errors naming the field, writes through the node's signer, hosted
// registration files and A2A cards, the OpenAPI document, live events over SSE, the dashboard, and
// key material never answered or logged.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { keccak256, toHex, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { z } from 'zod';
import { registerSecret } from '../../src/errors/index.ts';
import { getAgentCount, registerAgent } from '../../src/identity/actions/agents.ts';
import { giveFeedback, revokeFeedback } from '../../src/identity/actions/feedback.ts';
import { respondToValidation } from '../../src/identity/actions/validation.ts';
import { buildRegistrationFile, toDataUri } from '../../src/identity/registrationFile.ts';
import {
  agentCardSchema,
  agentRecordSchema,
  agentTrustSchema,
  contractsSchema,
  eventRecordSchema,
  feedbackRecordSchema,
  healthSchema,
  nodeStatsSchema,
  pageSchema,
  registrationSchema,
  validationRecordSchema,
} from '../../src/node/api/schemas.ts';
import { createRecordCache } from '../../src/node/api/cache.ts';
import { createNodeApp } from '../../src/node/app.ts';
import { createEventFeed } from '../../src/node/indexer/feed.ts';
import type { EventRecord } from '../../src/node/service/types.ts';
import { startTestChain, type TestChain } from '../helpers/chain.ts';
import { serveStore, startApiNode, type ApiNode } from './apiNode.ts';

/** The node's signer in this test: anvil account 3, loaded as a raw key the way settings load one. */
const NODE_KEY = '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6';
const keyPattern = new RegExp(NODE_KEY.slice(2), 'i');

type Answer = { status: number; headers: Headers; text: string; json: any };

describe('node HTTP API', () => {
  let chain: TestChain;
  let api: ApiNode;
  const answers: string[] = [];
  let hostedId: string;
  /** Agents the deployment itself registered (the compute market is one), ids 0..n-1, before this file registers any. */
  let preexisting: string[];
  /** The agent on another account with its file on chain (data: URI), and the one whose URI cannot be read. */
  let translatorId: string;
  let unreadableId: string;
  let requestHash: Hex;

  const call = async (p: string, init: RequestInit = {}, base = api.url): Promise<Answer> => {
    const res = await fetch(base + p, init);
    const text = await res.text();
    answers.push(`${res.status} ${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${text}`);
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
  const get = (p: string, headers: Record<string, string> = {}) => call(p, { headers });
  const post = (p: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    call(p, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  /** A 4xx with the error shape, naming `field`. */
  const assertError = (a: Answer, status: number, code: string, field: string | null) => {
    assert.equal(a.status, status, a.text);
    assert.match(a.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(Object.keys(a.json.error).sort(), ['code', 'field', 'message']);
    assert.equal(a.json.error.code, code, a.text);
    assert.equal(a.json.error.field, field, a.text);
    assert.equal(typeof a.json.error.message, 'string');
  };
  /** The answer is exactly what the output schema describes (no field missing, none extra). */
  const assertShape = (schema: z.ZodType, value: unknown) => assert.deepEqual(schema.parse(value), value);
  const waitFor = async <T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn();
      if (v !== undefined) return v;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  before(async () => {
    registerSecret(NODE_KEY);
    chain = await startTestChain();
    api = await startApiNode({ chain, signer: privateKeyToAccount(NODE_KEY), heartbeatMs: 200 });
    const { client } = chain;
    const identityRegistry = chain.address('IdentityRegistry');
    const reputationRegistry = chain.address('ReputationRegistry');
    // The deployment may already have registered agents of its own (the compute market registers itself).
    const deployed = await getAgentCount(client, { identityRegistry });
    preexisting = Array.from({ length: Number(deployed) }, (_, i) => String(i));
    // The hosted agent: registered through the API, its file hosted by the node.
    const reg = await post('/v1/agents', { name: 'summarizer', description: 'Summarizes long documents', services: [{ name: 'web', endpoint: 'https://summarizer.example', version: '1' }], x402Support: true });
    assert.equal(reg.status, 201, reg.text);
    hostedId = reg.json.agentId;
    assert.equal(hostedId, String(deployed));
    // The translator: registered from another account with its file on chain (data: URI), the file naming the id it
    // will get (the next one); then an agent with an unreadable URI.
    const nextId = await getAgentCount(client, { identityRegistry });
    const file = buildRegistrationFile({ name: 'translator', description: 'Translates text', services: [{ name: 'MCP', endpoint: 'https://translator.example/mcp' }], registration: { agentId: nextId, chainId: 31337, registry: identityRegistry } });
    const translator = await registerAgent(client, chain.wallet(1), { identityRegistry, agentURI: toDataUri(file) });
    assert.equal(translator.agentId, nextId);
    translatorId = String(translator.agentId);
    unreadableId = String((await registerAgent(client, chain.wallet(2), { identityRegistry, agentURI: 'ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy' })).agentId);
    // Feedback on the translator: two clients, one revoked.
    await giveFeedback(client, chain.wallet(4), { reputationRegistry, agentId: translator.agentId, value: 875n, valueDecimals: 1, tag1: 'quality', tag2: 'speed' });
    const r5 = await giveFeedback(client, chain.wallet(5), { reputationRegistry, agentId: translator.agentId, value: 10n, tag1: 'spam' });
    await revokeFeedback(client, chain.wallet(5), { reputationRegistry, agentId: translator.agentId, feedbackIndex: r5.feedbackIndex });
    await api.synced();
  });

  after(async () => {
    await api?.stop();
    await chain?.stop();
  });

  it('serves health, contracts and stats', async () => {
    const health = await get('/health');
    assert.equal(health.status, 200);
    assertShape(healthSchema, health.json);
    assert.equal(health.json.status, 'ok');
    assert.equal(health.json.chainId, 31337);
    assert.ok(health.json.indexedBlock >= 1);
    const contracts = await get('/v1/contracts');
    assertShape(contractsSchema, contracts.json);
    assert.deepEqual(contracts.json, chain.deployment);
    const stats = await get('/v1/stats');
    assertShape(nodeStatsSchema, stats.json);
    assert.equal(stats.json.agents, preexisting.length + 3);
    assert.equal(stats.json.feedback, 1);
  });

  it('refuses writes and MCP under a foreign host name (DNS rebinding), serves reads under any', async () => {
    const { request } = await import('node:http');
    const raw = (method: string, path: string, host: string, body?: string) =>
      new Promise<{ status: number; json: any }>((resolve, reject) => {
        const u = new URL(api.url);
        const req = request({ host: u.hostname, port: u.port, method, path, headers: { host, 'content-type': 'application/json', ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) } }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const rebound = await raw('POST', '/v1/agents', 'attacker.example:80', JSON.stringify({ name: 'x', description: 'y' }));
    assert.equal(rebound.status, 403);
    assert.equal(rebound.json.error.code, 'FOREIGN_HOST');
    assert.equal(rebound.json.error.field, 'host');
    assert.equal((await raw('POST', '/mcp', 'attacker.example', '{}')).status, 403);
    assert.equal((await raw('GET', '/v1/stats', 'attacker.example')).status, 200);
    // Loopback names and IP addresses cannot be rebound: they pass the guard.
    assert.notEqual((await raw('POST', '/v1/agents', `localhost:${new URL(api.url).port}`, '{}')).json?.error?.code, 'FOREIGN_HOST');
  });

  it('lists agents with paging, filters and sorting, each record exactly the Agent schema', async () => {
    const all = await get('/v1/agents');
    assert.equal(all.status, 200);
    assertShape(pageSchema(agentRecordSchema, 'AgentPage'), all.json);
    const ids = [...preexisting, hostedId, translatorId, unreadableId];
    assert.deepEqual(all.json.items.map((a: any) => a.agentId), ids);
    assert.equal(all.json.total, ids.length);
    assert.deepEqual([all.json.offset, all.json.limit], [0, 20]);

    const page = await get(`/v1/agents?offset=${ids.indexOf(translatorId)}&limit=1`);
    assert.deepEqual(page.json.items.map((a: any) => a.agentId), [translatorId]);
    assert.equal(page.json.total, ids.length);
    assert.deepEqual((await get(`/v1/agents?offset=${ids.length + 2}`)).json.items, []);

    const owner = chain.wallet(1).account.address;
    assert.deepEqual((await get(`/v1/agents?owner=${owner.toLowerCase()}`)).json.items.map((a: any) => a.agentId), [translatorId]);
    assert.deepEqual((await get('/v1/agents?q=TRANSLAT')).json.items.map((a: any) => a.agentId), [translatorId]);
    assert.deepEqual((await get('/v1/agents?x402=true')).json.items.map((a: any) => a.agentId), [hostedId]);
    assert.deepEqual((await get('/v1/agents?sort=agentId&order=desc')).json.items.map((a: any) => a.agentId), [...ids].reverse());
    assert.equal((await get('/v1/agents?sort=feedback')).json.items[0].agentId, translatorId);
  });

  it('answers bad paging and filters with 400 naming the field', async () => {
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=1.5', 'limit'],
      ['offset=-1', 'offset'],
      ['offset=99999999999999999999', 'offset'],
      ['limit=1&limit=2', 'limit'],
      ['owner=0x123', 'owner'],
      ['owner=0xF39fd6e51aad88F6F4ce6aB8827279cffFb92266', 'owner'],
      ['sort=name', 'sort'],
      ['order=up', 'order'],
      ['active=yes', 'active'],
      ['q=%00', 'q'],
      [`q=${'x'.repeat(201)}`, 'q'],
    ]) {
      assertError(await get(`/v1/agents?${query}`), 400, 'INVALID_ARGUMENT', field!);
    }
    assertError(await get('/v1/events?limit=501'), 400, 'INVALID_ARGUMENT', 'limit');
    assertError(await get('/v1/events?afterId=9007199254740992'), 400, 'INVALID_ARGUMENT', 'afterId');
    assertError(await get('/v1/events?contract=Identity%20Registry'), 400, 'INVALID_ARGUMENT', 'contract');
    assertError(await get(`/v1/agents/${translatorId}/feedback?client=nope`), 400, 'INVALID_ARGUMENT', 'client');
  });

  it('serves one agent, its feedback, validations and trust; unknown or malformed ids are 404 / 400', async () => {
    const agent = await get(`/v1/agents/${translatorId}`);
    assertShape(agentRecordSchema, agent.json);
    assert.equal(agent.json.name, 'translator');
    assert.equal(agent.json.owner, chain.wallet(1).account.address);
    assert.equal(agent.json.feedbackCount, 1);

    const feedback = await get(`/v1/agents/${translatorId}/feedback`);
    assertShape(pageSchema(feedbackRecordSchema, 'FeedbackPage'), feedback.json);
    assert.equal(feedback.json.total, 1);
    assert.deepEqual([feedback.json.items[0].value, feedback.json.items[0].valueDecimals], ['875', 1]);
    assert.equal((await get(`/v1/agents/${translatorId}/feedback?includeRevoked=true`)).json.total, 2);
    assert.equal((await get(`/v1/agents/${translatorId}/feedback?includeRevoked=true&client=${chain.wallet(5).account.address}`)).json.total, 1);
    assert.equal((await get(`/v1/agents/${translatorId}/feedback?tag1=quality`)).json.total, 1);

    const trust = await get(`/v1/agents/${translatorId}/trust`);
    assertShape(agentTrustSchema, trust.json);
    assert.equal(trust.json.agentId, translatorId);
    assert.deepEqual({ ...trust.json, agentId: undefined }, { ...agent.json.trust, agentId: undefined });

    assertShape(pageSchema(validationRecordSchema, 'ValidationPage'), (await get(`/v1/agents/${translatorId}/validations`)).json);

    for (const route of ['', '/registration', '/feedback', '/validations', '/trust']) {
      assertError(await get(`/v1/agents/99${route}`), 404, 'NOT_FOUND', 'agentId');
      assertError(await get(`/v1/agents/-1${route}`), 400, 'INVALID_ARGUMENT', 'agentId');
      assertError(await get(`/v1/agents/${2n ** 256n}${route}`), 400, 'INVALID_ARGUMENT', 'agentId');
    }
    // The largest uint256 is a valid id (the index stores it as numeric): simply not found.
    assertError(await get(`/v1/agents/${2n ** 256n - 1n}`), 404, 'NOT_FOUND', 'agentId');
    assertError(await get(`/v1/validations/0x${'00'.repeat(32)}`), 404, 'NOT_FOUND', 'requestHash');
    assertError(await get('/v1/validations/0x1234'), 400, 'INVALID_ARGUMENT', 'requestHash');
  });

  it('registers an agent whose hosted registration file lists the node MCP and A2A endpoints, and serves its A2A card', async () => {
    const reg = await get(`/agents/${hostedId}/registration.json`);
    assert.equal(reg.status, 200);
    assertShape(registrationSchema, reg.json);
    assert.equal(reg.json.name, 'summarizer');
    assert.deepEqual(reg.json.registrations, [{ agentId: Number(hostedId), agentRegistry: `eip155:31337:${chain.address('IdentityRegistry')}` }]);
    const byName = Object.fromEntries(reg.json.services.map((s: any) => [s.name, s]));
    assert.equal(byName.web.endpoint, 'https://summarizer.example');
    assert.equal(byName.MCP.endpoint, `${api.url}/mcp`);
    assert.equal(byName.A2A.endpoint, `${api.url}/agents/${hostedId}/agent-card.json`);
    assert.deepEqual((await get(`/v1/agents/${hostedId}/registration`)).json, reg.json);

    // The chain points at the node; the indexer read the same file back from it.
    const agent = (await get(`/v1/agents/${hostedId}`)).json;
    assert.equal(agent.agentURI, `${api.url}/agents/${hostedId}/registration.json`);
    assert.equal(agent.owner, privateKeyToAccount(NODE_KEY).address);
    await waitFor('the indexed registration', async () => ((await get(`/v1/agents/${hostedId}`)).json.registration ? true : undefined));
    assert.deepEqual((await get(`/v1/agents/${hostedId}`)).json.registration, reg.json);

    // The A2A endpoint the registration lists is the card, consistent with the file.
    const card = await call(byName.A2A.endpoint.slice(api.url.length));
    assert.equal(card.status, 200);
    assertShape(agentCardSchema, card.json);
    assert.equal(card.json.name, reg.json.name);
    assert.equal(card.json.description, reg.json.description);
    assert.equal(card.json.protocolVersion, '0.3.0');
    assert.deepEqual(
      card.json.skills.map((s: any) => s.name),
      reg.json.services.map((s: any) => s.name),
    );
    assert.ok(card.json.skills.some((s: any) => s.description.includes(`${api.url}/mcp`)));
    assert.ok(card.json.skills.some((s: any) => s.description.includes(`${api.url}/agents/${hostedId}/agent-card.json`)));
  });

  it('serves indexed registration files for agents it does not host, and 404s for unreadable ones or cards it does not host', async () => {
    const reg = await get(`/agents/${translatorId}/registration.json`);
    assert.equal(reg.status, 200);
    assert.equal(reg.json.name, 'translator');
    assertError(await get(`/agents/${translatorId}/agent-card.json`), 404, 'NOT_HOSTED', 'agentId');
    assertError(await get(`/agents/${unreadableId}/registration.json`), 404, 'REGISTRATION_UNAVAILABLE', 'agentId');
    assertError(await get('/agents/99/registration.json'), 404, 'NOT_FOUND', 'agentId');
    assertError(await get('/agents/x/agent-card.json'), 400, 'INVALID_ARGUMENT', 'agentId');
  });

  it("serves the node's own A2A agent card", async () => {
    const card = await get('/.well-known/agent-card.json');
    assert.equal(card.status, 200);
    assertShape(agentCardSchema, card.json);
    assert.equal(card.json.url, `${api.url}/v1`);
    assert.equal(card.json.capabilities.streaming, false);
    assert.deepEqual(card.json.defaultInputModes, ['application/json']);
    const skills = card.json.skills.map((s: any) => s.id);
    for (const id of ['agent-directory', 'trust-scores', 'agent-registration']) assert.ok(skills.includes(id), id);
    assert.equal(card.headers.get('access-control-allow-origin'), '*');
  });

  it('gives feedback and requests validation through the node signer; chain refusals map to 4xx', async () => {
    const fb = await post(`/v1/agents/${translatorId}/feedback`, { value: '92', tag1: 'quality', feedbackHash: keccak256(toHex('report')) });
    assert.equal(fb.status, 201, fb.text);
    assert.equal(fb.json.feedbackIndex, 1);
    assert.match(fb.json.txHash, /^0x[0-9a-f]{64}$/);
    // The record cache must not hide the new feedback.
    await waitFor('feedback indexed', async () => ((await get(`/v1/agents/${translatorId}`)).json.feedbackCount === 2 ? true : undefined), 2_000);

    // The node owns the hosted agent: rating it is self-feedback; the translator is not the node's to validate.
    assertError(await post(`/v1/agents/${hostedId}/feedback`, { value: '100' }), 409, 'SELF_FEEDBACK', 'agentId');
    assertError(await post('/v1/agents/77/feedback', { value: '50' }), 404, 'NOT_FOUND', 'agentId');
    const validator = chain.wallet(6).account.address;
    assertError(await post('/v1/validations', { agentId: translatorId, validator, requestURI: 'ipfs://work' }), 403, 'NOT_AGENT_OWNER', 'agentId');

    const v = await post('/v1/validations', { agentId: hostedId, validator, requestURI: 'ipfs://work-1' });
    assert.equal(v.status, 201, v.text);
    requestHash = v.json.requestHash;
    assertError(await post('/v1/validations', { agentId: hostedId, validator, requestURI: 'ipfs://work-1' }), 409, 'ALREADY_EXISTS', 'requestHash');
    await respondToValidation(chain.client, chain.wallet(6), { validationRegistry: chain.address('ValidationRegistry'), requestHash, response: 90, tag: 'hard' });
    await api.synced();
    const got = await get(`/v1/validations/${requestHash.toUpperCase().replace('0X', '0x')}`);
    assert.equal(got.status, 200, got.text);
    assertShape(validationRecordSchema, got.json);
    assert.equal(got.json.response, 90);
    const list = await get(`/v1/agents/${hostedId}/validations`);
    assert.equal(list.json.total, 1);
  });

  it('checks write bodies whole: type, size, JSON, unknown and invalid fields', async () => {
    assertError(await post('/v1/agents', { name: 'a', description: 'b' }, { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE', 'content-type');
    assertError(await post('/v1/agents', { name: 'a', description: 'b' }, {}), 415, 'UNSUPPORTED_MEDIA_TYPE', 'content-type');
    assertError(await post('/v1/agents', '{"name": "a",'), 400, 'INVALID_JSON', 'body');
    assertError(await post('/v1/agents', ''), 400, 'INVALID_JSON', 'body');
    assertError(await post('/v1/agents', '[1,2]'), 400, 'INVALID_ARGUMENT', 'body');
    assertError(await post('/v1/agents', { name: 'a', description: 'x'.repeat(70_000) }), 413, 'PAYLOAD_TOO_LARGE', 'body');
    // Chunked, no content-length: counted while read.
    const chunked = new ReadableStream({
      start(c) {
        for (let i = 0; i < 80; i++) c.enqueue(new TextEncoder().encode('x'.repeat(1024)));
        c.close();
      },
    });
    assertError(await call('/v1/agents', { method: 'POST', headers: { 'content-type': 'application/json' }, body: chunked, duplex: 'half' } as RequestInit), 413, 'PAYLOAD_TOO_LARGE', 'body');
    assertError(await post('/v1/agents', { name: 'a', description: 'b', nmae: 'c' }), 400, 'INVALID_ARGUMENT', 'nmae');
    assertError(await post('/v1/agents', { description: 'b' }), 400, 'INVALID_ARGUMENT', 'name');
    assertError(await post('/v1/agents', { name: 42, description: 'b' }), 400, 'INVALID_ARGUMENT', 'name');
    assertError(await post('/v1/agents', { name: 'a', description: 'b', services: [{ name: 'MCP', endpoint: '' }] }), 400, 'INVALID_ARGUMENT', 'services[0].endpoint');
    assertError(await post('/v1/agents', { name: 'a\u0000b', description: 'b' }), 400, 'INVALID_ARGUMENT', 'name');
    assertError(await post(`/v1/agents/${translatorId}/feedback`, { value: 87 }), 400, 'INVALID_ARGUMENT', 'value');
    assertError(await post(`/v1/agents/${translatorId}/feedback`, { value: '1e5' }), 400, 'INVALID_ARGUMENT', 'value');
    assertError(await post(`/v1/agents/${translatorId}/feedback`, { value: `1${'0'.repeat(40)}` }), 400, 'INVALID_ARGUMENT', 'value');
    assertError(await post(`/v1/agents/${translatorId}/feedback`, { value: '1', feedbackHash: '0x12' }), 400, 'INVALID_ARGUMENT', 'feedbackHash');
    assertError(await post('/v1/validations', { agentId: hostedId, validator: '0x0000000000000000000000000000000000000000', requestURI: 'x' }), 400, 'INVALID_ARGUMENT', 'validator');
    assertError(await post('/v1/validations', { agentId: 0, validator: chain.wallet(6).account.address, requestURI: 'x' }), 400, 'INVALID_ARGUMENT', 'agentId');
  });

  it('answers unknown routes 404 and wrong methods 405 with Allow', async () => {
    assertError(await get('/v1/nope'), 404, 'NOT_FOUND', 'path');
    assertError(await get('/v1/agents/1/extra'), 404, 'NOT_FOUND', 'path');
    const del = await call('/v1/agents/1', { method: 'DELETE' });
    assertError(del, 405, 'METHOD_NOT_ALLOWED', 'method');
    assert.equal(del.headers.get('allow'), 'GET, HEAD');
    assertError(await call('/v1/agents', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' }), 405, 'METHOD_NOT_ALLOWED', 'method');
    assertError(await call('/health', { method: 'POST' }), 405, 'METHOD_NOT_ALLOWED', 'method');
  });

  it('refuses writes on a node without a signer (403) and writes that carry key material (400, not echoed)', async () => {
    const readOnly = createNodeApp({ client: chain.client, deployment: chain.deployment, version: 't', queries: api.store.queries, feed: api.store.feed, hosted: api.store, publicUrl: 'http://127.0.0.1:1', log: () => {} });
    for (const [p, body] of [
      ['/v1/agents', { name: 'a', description: 'b' }],
      ['/v1/agents/1/feedback', { value: '1' }],
      ['/v1/validations', { agentId: '1', validator: chain.wallet(6).account.address, requestURI: 'x' }],
    ] as const) {
      const res = await readOnly.request(p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(res.status, 403);
      assert.equal((await res.json()).error.code, 'SIGNER_NOT_CONFIGURED');
    }
    const leak = await post('/v1/agents', { name: 'leaky', description: `my key is ${NODE_KEY}` });
    assertError(leak, 400, 'INVALID_ARGUMENT', 'description');
    const escaped = await post('/v1/agents', `{"name":"leaky","description":"${[...NODE_KEY.slice(2)].map((ch) => `\\u00${ch.charCodeAt(0).toString(16)}`).join('')}"}`);
    assertError(escaped, 400, 'INVALID_ARGUMENT', 'description');
  });

  it('publishes an OpenAPI 3.1 document generated from the route schemas, covering every route', async () => {
    const doc = await get('/v1/openapi.json');
    assert.equal(doc.status, 200);
    assert.equal(doc.json.openapi, '3.1.0');
    assert.equal(doc.json.servers[0].url, api.url);
    const documented = new Set(Object.entries(doc.json.paths as Record<string, object>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
    for (const route of [
      'GET /health', 'GET /v1/contracts', 'GET /v1/stats', 'GET /v1/agents', 'GET /v1/agents/{agentId}', 'GET /v1/agents/{agentId}/registration',
      'GET /v1/agents/{agentId}/feedback', 'GET /v1/agents/{agentId}/validations', 'GET /v1/agents/{agentId}/trust', 'GET /v1/validations/{requestHash}',
      'GET /v1/events', 'GET /v1/events/stream', 'POST /v1/agents', 'POST /v1/agents/{agentId}/feedback', 'POST /v1/validations',
      'GET /agents/{agentId}/registration.json', 'GET /.well-known/agent-card.json', 'GET /agents/{agentId}/agent-card.json',
    ]) assert.ok(documented.has(route), route);
    for (const name of ['Agent', 'Feedback', 'Validation', 'Event', 'TrustRecord', 'Error', 'RegisterAgent', 'AgentCard']) assert.ok(doc.json.components.schemas[name], name);
    const listParams = doc.json.paths['/v1/agents'].get.parameters.map((p: any) => p.name).sort();
    assert.deepEqual(listParams, ['active', 'limit', 'offset', 'order', 'owner', 'q', 'sort', 'x402']);
    assert.equal(doc.json.paths['/v1/agents'].post.requestBody.required, true);
  });

  it('lists events newest first, or ascending after an id, with filters', async () => {
    const latest = await get('/v1/events?limit=5');
    assertShape(z.object({ items: z.array(eventRecordSchema) }), latest.json);
    const ids = latest.json.items.map((e: EventRecord) => e.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
    const asc = (await get('/v1/events?afterId=1&limit=3')).json.items.map((e: EventRecord) => e.id);
    assert.deepEqual(asc, [2, 3, 4]);
    const feedbackEvents = (await get(`/v1/events?contract=ReputationRegistry&event=NewFeedback&agentId=${translatorId}`)).json.items;
    assert.ok(feedbackEvents.length >= 2);
    assert.ok(feedbackEvents.every((e: EventRecord) => e.event === 'NewFeedback' && e.agentId === translatorId));
  });

  it('streams events over SSE: replays after Last-Event-ID or ?after=, then live batches, with heartbeats; leaving unsubscribes', async () => {
    const baseline = api.subscribers();
    const all = (await get('/v1/events?afterId=0&limit=500')).json.items as EventRecord[];
    const res = await fetch(`${api.url}/v1/events/stream`, { headers: { 'last-event-id': '2' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const reader = res.body!.getReader();
    let buffer = '';
    const messages: Array<{ id: number; events: EventRecord[] }> = [];
    let heartbeats = 0;
    const readUntil = async (done: () => boolean, timeoutMs: number) => {
      const until = Date.now() + timeoutMs;
      while (!done()) {
        const left = until - Date.now();
        if (left <= 0) throw new Error('timed out reading the event stream');
        const chunk = await Promise.race([reader.read(), new Promise<never>((_, rej) => setTimeout(() => rej(new Error('timed out reading the event stream')), left))]);
        if (chunk.done) throw new Error('stream ended');
        buffer += new TextDecoder().decode(chunk.value);
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          if (block.startsWith(':')) heartbeats++;
          const id = /^id: (\d+)$/m.exec(block);
          const data = /^data: (.*)$/m.exec(block);
          if (id && data) {
            assert.match(block, /^event: events$/m);
            messages.push({ id: Number(id[1]), events: JSON.parse(data[1]!) });
          }
        }
      }
    };
    // Replay: every event after id 2, in order, each message's id its last event's.
    await readUntil(() => messages.flatMap((m) => m.events).length >= all.length - 2, 5_000);
    const replayed = messages.flatMap((m) => m.events);
    assert.deepEqual(replayed.map((e) => e.id), all.filter((e) => e.id > 2).map((e) => e.id));
    for (const m of messages) assert.equal(m.id, m.events[m.events.length - 1]!.id);
    assert.equal(api.subscribers(), baseline + 1);

    // Live: a registration from the CLI's side of the world arrives within 2 s.
    const t0 = Date.now();
    await registerAgent(chain.client, chain.wallet(7), { identityRegistry: chain.address('IdentityRegistry'), agentURI: 'https://live.example/agent.json' });
    await readUntil(() => messages.flatMap((m) => m.events).some((e) => e.event === 'Registered' && e.args.agentURI === 'https://live.example/agent.json'), 2_000);
    assert.ok(Date.now() - t0 < 2_000);
    const seen = messages.flatMap((m) => m.events).map((e) => e.id);
    assert.equal(new Set(seen).size, seen.length, 'no event twice');
    await readUntil(() => heartbeats >= 1, 2_000);

    await reader.cancel();
    await waitFor('the stream to unsubscribe', async () => (api.subscribers() === baseline ? true : undefined), 2_000);

    // ?after= replays too; a bad Last-Event-ID is a 400 naming it.
    const after = await fetch(`${api.url}/v1/events/stream?after=${all[all.length - 1]!.id - 1}`);
    const afterReader = after.body!.getReader();
    const first = await afterReader.read();
    assert.match(new TextDecoder().decode(first.value), /retry: 2000|id: /);
    await afterReader.cancel();
    assertError(await get('/v1/events/stream', { 'last-event-id': 'abc' }), 400, 'INVALID_ARGUMENT', 'Last-Event-ID');
    assertError(await get('/v1/events/stream?after=-5'), 400, 'INVALID_ARGUMENT', 'after');
    await waitFor('streams to unsubscribe', async () => (api.subscribers() === baseline ? true : undefined), 2_000);
  });

  it('closes promptly with SSE clients connected, even one that stopped reading', async () => {
    const extra = await serveStore(chain, api.store, { heartbeatMs: 20 });
    const { port } = new URL(extra.url);
    // A client that sends the request and never reads: its socket buffers fill with heartbeats.
    const stuck = connect(Number(port), '127.0.0.1');
    stuck.on('error', () => {});
    stuck.write(`GET /v1/events/stream?after=0 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    stuck.pause();
    const reading = await fetch(`${extra.url}/v1/events/stream`);
    assert.equal(reading.status, 200);
    await waitFor('both streams open', async () => (extra.node.app.openStreams === 2 ? true : undefined), 2_000);
    const t0 = Date.now();
    await extra.node.close();
    assert.ok(Date.now() - t0 < 3_000, `close took ${Date.now() - t0} ms`);
    assert.equal(extra.node.app.openStreams, 0);
    stuck.destroy();
    await reading.body?.cancel().catch(() => {});
  });

  it('serves the dashboard with SPA fallback, never outside its root, and a notice when it is not built', async () => {
    const webRoot = mkdtempSync(path.join(tmpdir(), 'machina-web-'));
    mkdirSync(path.join(webRoot, 'assets'));
    writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><title>Machina dashboard</title><div id="root"></div>');
    writeFileSync(path.join(webRoot, 'assets', 'app-1234.js'), 'console.log("dashboard")');
    const secret = path.join(path.dirname(webRoot), 'outside-secret.txt');
    writeFileSync(secret, 'outside the web root');
    const web = await serveStore(chain, api.store, { webRoot });
    try {
      const index = await get('/', {}).then(() => call('/', {}, web.url));
      assert.equal(index.status, 200);
      assert.match(index.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(index.text, /Machina dashboard/);
      const spa = await call('/agents-view/3', {}, web.url);
      assert.match(spa.text, /Machina dashboard/);
      const js = await call('/assets/app-1234.js', {}, web.url);
      assert.match(js.headers.get('content-type') ?? '', /^text\/javascript/);
      assert.match(js.headers.get('cache-control') ?? '', /immutable/);
      assertError(await call('/assets/missing.js', {}, web.url), 404, 'NOT_FOUND', 'path');
      for (const p of ['/..%2foutside-secret.txt', '/%2e%2e/outside-secret.txt', '/assets/..%2f..%2foutside-secret.txt', '/..%5coutside-secret.txt', '/%2e%2e%2f%2e%2e%2fetc%2fpasswd']) {
        const a = await call(p, {}, web.url);
        assert.ok(a.status === 404 || a.status === 400 || (a.status === 200 && /Machina dashboard/.test(a.text)), `${p}: ${a.status}`);
        assert.doesNotMatch(a.text, /outside the web root|root:x:0/);
      }
      // API paths never fall back to the dashboard.
      assertError(await call('/v1/unknown', {}, web.url), 404, 'NOT_FOUND', 'path');
      assertError(await call('/agents/1/nothing', {}, web.url), 404, 'NOT_FOUND', 'path');
    } finally {
      await web.node.close();
      rmSync(webRoot, { recursive: true, force: true });
      rmSync(secret, { force: true });
    }
    // This node has no webRoot: / explains.
    const notBuilt = await get('/');
    assert.equal(notBuilt.status, 200);
    assert.match(notBuilt.text, /dashboard is not built/);
  });

  it('never answers or logs key material', () => {
    assert.ok(answers.length > 50);
    for (const a of answers) assert.doesNotMatch(a, keyPattern);
    assert.ok(api.logs.length > 0);
    for (const line of api.logs) assert.doesNotMatch(line, keyPattern);
  });
});

describe('agent read cache', () => {
  it('shares concurrent loads, expires, and never keeps an answer loaded across a committed batch', async () => {
    const feed = createEventFeed();
    const cache = createRecordCache<bigint, { v: number }>({ feed, ttlMs: 100 });
    let loads = 0;
    let value = 1;
    const load = async () => {
      loads++;
      const v = value;
      await new Promise((r) => setTimeout(r, 20));
      return { v };
    };
    const [a, b] = await Promise.all([cache.get(1n, load), cache.get(1n, load)]);
    assert.deepEqual([a, b, loads], [{ v: 1 }, { v: 1 }, 1]);
    assert.deepEqual(await cache.get(1n, load), { v: 1 });
    assert.equal(loads, 1);

    // A batch commits while a load is in flight: that (older) answer must not be cached.
    value = 2;
    feed.publish([{ id: 1 } as EventRecord]);
    const inFlight = cache.get(2n, load);
    feed.publish([{ id: 2 } as EventRecord]);
    await inFlight;
    assert.equal(cache.size, 0);

    // Unknown keys are not cached; entries expire.
    assert.equal(await cache.get(3n, async () => undefined), undefined);
    assert.deepEqual(await cache.get(1n, load), { v: 2 });
    await new Promise((r) => setTimeout(r, 120));
    value = 3;
    assert.deepEqual(await cache.get(1n, load), { v: 3 });
    cache.close();
  });
});

// x402 throughput and added latency: paid requests through the Machina gateway (verify, record,
// serve; settlement in the background, in batches) against the official x402 server middleware
// (@x402/hono paymentMiddleware: verify, serve, settle on chain before answering) with the same
// official facilitator, and the same route unpaid as the baseline, all in one run on one devnet.
// Each paid request carries its own pre-signed EIP-3009 authorization.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { x402ResourceServer } from '@x402/core/server';
import type { FacilitatorClient } from '@x402/core/server';
import { decodePaymentRequiredHeader, encodePaymentSignatureHeader } from '@x402/core/http';
import { ExactEvmScheme as ExactEvmServer } from '@x402/evm/exact/server';
import { paymentMiddleware } from '@x402/hono';
import { Hono } from 'hono';
import { getAddress, nonceManager } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { walletFor } from '../src/chain/clients.ts';
import { x402Gateway } from '../src/node/pay/gateway.ts';
import { createFacilitator } from '../src/pay/x402/facilitator.ts';
import { faucet, parseTokenAmount, signTransferAuthorization } from '../src/pay/token.ts';
import { startPayChain, startPayNode } from '../test/pay/payNode.ts';

export type X402BenchRow = { name: string; what: string; requestsPerSecond: number; p50Ms: number; p99Ms: number; addedP50Ms: number | null; addedP99Ms: number | null; failures: number };
export type X402BenchResult = { connections: number; durationSeconds: number; rows: X402BenchRow[]; throughputRatio: number; settledAfter: { payments: number; batches: number; ms: number }; goals: { throughputRatio: number; addedP50Ms: number } };

type Load = { requestsPerSecond: number; failures: number; requests: number };

// anvil's public development key 9: the official path's facilitator, with a local nonce manager so
// concurrent settlements do not collide.
const DEV_KEY_9 = '0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6';

/** Loads `url` with autocannon in a child process; request i carries header line i of `headersFile` (if any). */
function load(url: string, headersFile: string | null, connections: number, durationSeconds: number): Promise<Load> {
  const script = `
    import autocannon from 'autocannon';
    import { readFileSync } from 'node:fs';
    const [url, file, connections, duration] = JSON.parse(process.argv[1]);
    const headers = file ? JSON.parse(readFileSync(file, 'utf8')) : null;
    let i = 0;
    const r = await autocannon({
      url, connections, duration, timeout: 30,
      requests: [{ setupRequest: (req) => headers ? ({ ...req, headers: { ...req.headers, 'payment-signature': headers[i++ % headers.length] } }) : req }],
    });
    process.stdout.write(JSON.stringify({ requestsPerSecond: r.requests.total / r.duration, failures: r.non2xx + r.errors + r.timeouts, requests: r.requests.total }));
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, JSON.stringify([url, headersFile, connections, durationSeconds])], { cwd: path.resolve(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as Load) : reject(new Error(`autocannon exited ${code}: ${err.slice(0, 500)}`))));
  });
}

/** Sequential latency of `n` requests (one at a time), in ms: p50 and p99. */
async function latency(url: string, headers: string[] | null, n: number): Promise<{ p50: number; p99: number; failures: number }> {
  const times: number[] = [];
  let failures = 0;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await fetch(url, headers ? { headers: { 'payment-signature': headers[i]! } } : undefined);
    await res.arrayBuffer();
    times.push(performance.now() - t);
    if (res.status !== 200) failures++;
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(n * 0.5)]!, p99: times[Math.min(n - 1, Math.floor(n * 0.99))]!, failures };
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

export type MeasureX402Parameters = { log?: (line: string) => void; connections?: number; durationSeconds?: number; latencyRequests?: number };

/**
 * Measures the Machina x402 gateway against the official middleware on a fresh devnet.
 * @example
 * const r = await measureX402({ log: console.error })
 * console.log(x402Report(r))
 */
export async function measureX402({ log = () => {}, connections = 8, durationSeconds = 5, latencyRequests = 300 }: MeasureX402Parameters = {}): Promise<X402BenchResult> {
  const chain = await startPayChain();
  const node = await startPayNode({ chain, flushMs: 500, maxBatch: 200 });
  const simNode = await startPayNode({ chain, flushMs: 500, maxBatch: 200, verify: 'simulate' });
  const tmp = mkdtempSync(path.join(tmpdir(), 'machina-x402-bench-'));
  const servers: Server[] = [];
  try {
    const network = `eip155:${chain.client.chain.id}` as const;
    const payTo = chain.payee;
    const price = parseTokenAmount('0.001');
    const handler = (c: import('hono').Context) => c.json({ data: 'the resource', n: 42 });

    // Machina: the gateway over the node's pay service (records in the node's database, settles in batches).
    const machina = new Hono();
    machina.use('/paid', x402Gateway(node.pay, () => ({ price, agentId: chain.agentId })));
    machina.get('/paid', handler);
    machina.get('/free', handler);
    machina.use('/paid-sim', x402Gateway(simNode.pay, () => ({ price, agentId: chain.agentId })));
    machina.get('/paid-sim', handler);
    // Official: @x402/hono's paymentMiddleware with the official facilitator in process.
    const facilitatorWallet = walletFor(chain.client, privateKeyToAccount(DEV_KEY_9, { nonceManager }));
    const official = createFacilitator({ client: chain.client, wallet: facilitatorWallet });
    const facilitatorClient: FacilitatorClient = {
      verify: (p, r) => official.verify(p, r),
      settle: (p, r) => official.settle(p, r),
      getSupported: async () => official.getSupported() as Awaited<ReturnType<FacilitatorClient['getSupported']>>,
    } as FacilitatorClient;
    const resourceServer = new x402ResourceServer(facilitatorClient).register(network, new ExactEvmServer());
    const reference = new Hono();
    reference.use(paymentMiddleware({ 'GET /paid': { accepts: { scheme: 'exact', network, payTo, price: { amount: price.toString(), asset: chain.token, extra: { name: 'Machina USD', version: '2' } } }, description: 'bench' } }, resourceServer));
    reference.get('/paid', handler);
    reference.get('/free', handler);
    servers.push(createServer(getRequestListener(machina.fetch)), createServer(getRequestListener(reference.fetch)));
    const urls: Record<'machina' | 'official', string> = { machina: await listen(servers[0]!), official: await listen(servers[1]!) };

    // Payers: many funded keys, each request its own authorization.
    const payers = Array.from({ length: 8 }, (_, i) => walletFor(chain.client, privateKeyToAccount(`0x${(0xb0b0n + BigInt(i)).toString(16).padStart(64, '0')}`)));
    for (const p of payers) await faucet(chain.client, chain.wallet(0), { token: chain.token, to: p.account.address, amount: parseTokenAmount('100000') });
    const signAll = async (base: string, n: number, route: string): Promise<string[]> => {
      const pr = decodePaymentRequiredHeader((await fetch(`${base}/${route}`)).headers.get('payment-required')!);
      const req = pr.accepts[0]!;
      const validBefore = BigInt(Math.floor(Date.now() / 1000) + 3600);
      const out: string[] = [];
      for (let i = 0; i < n; i++) {
        const { authorization: a, signature } = await signTransferAuthorization(payers[i % payers.length]!, { token: getAddress(req.asset), to: getAddress(req.payTo), value: BigInt(req.amount), validBefore });
        out.push(encodePaymentSignatureHeader({ x402Version: 2, accepted: req, payload: { authorization: { ...a, value: String(a.value), validAfter: '0', validBefore: String(a.validBefore) }, signature } }));
      }
      return out;
    };

    const rows: X402BenchRow[] = [];
    const measure = async (name: string, what: string, base: string, paid: boolean, budget: number, route = paid ? 'paid' : 'free') => {
      const headers = paid ? await signAll(base, budget + latencyRequests, route) : null;
      let file: string | null = null;
      if (headers) {
        file = path.join(tmp, `${name.replace(/\W+/g, '_')}.json`);
        writeFileSync(file, JSON.stringify(headers.slice(latencyRequests)));
      }
      const lat = await latency(`${base}/${route}`, headers, latencyRequests);
      const l = await load(`${base}/${route}`, file, connections, durationSeconds);
      if (headers && l.requests > budget) log(`x402: ${name}: ${l.requests} requests for ${budget} authorizations; the rest were replays`);
      rows.push({ name, what, requestsPerSecond: Math.round(l.requestsPerSecond), p50Ms: round(lat.p50), p99Ms: round(lat.p99), addedP50Ms: null, addedP99Ms: null, failures: l.failures + lat.failures });
      log(`x402: ${name}: ${Math.round(l.requestsPerSecond)} req/s, p50 ${round(lat.p50)} ms, p99 ${round(lat.p99)} ms, ${l.failures + lat.failures} failures`);
    };

    log('x402: unpaid baselines ...');
    await measure('unpaid route (Machina server)', 'same handler, no payment', urls.machina, false, 0);
    await measure('unpaid route (official server)', 'same handler, no payment', urls.official, false, 0);
    log('x402: official @x402/hono middleware (verify + serve + settle) ...');
    await measure('official @x402/hono paymentMiddleware', 'verify, serve, settle on chain (one tx per request)', urls.official, true, 2_000);
    log('x402: Machina gateway (verify + record + serve; batched settlement) ...');
    await measure('Machina x402 gateway', 'verify (local signature check, cached balance), record, serve; settlement in batches', urls.machina, true, 6_000);
    await measure('Machina x402 gateway, verify: simulate', 'official verify (eth_call simulation), record, serve; settlement in batches', urls.machina, true, 3_000, 'paid-sim');
    const [freeM, freeO, off, ours, sim] = rows as [X402BenchRow, X402BenchRow, X402BenchRow, X402BenchRow, X402BenchRow];
    for (const r of [ours, sim]) {
      r.addedP50Ms = round(r.p50Ms - freeM.p50Ms);
      r.addedP99Ms = round(r.p99Ms - freeM.p99Ms);
    }
    off.addedP50Ms = round(off.p50Ms - freeO.p50Ms);
    off.addedP99Ms = round(off.p99Ms - freeO.p99Ms);

    const t0 = Date.now();
    for (;;) {
      await node.pay.settler.flush();
      await simNode.pay.settler.flush();
      const pending = await node.pay.list({ status: 'pending', offset: 0, limit: 1 });
      if (pending.total === 0 || Date.now() - t0 > 300_000) break;
    }
    const settled = await node.pay.list({ status: 'settled', offset: 0, limit: 1 });
    return {
      connections,
      durationSeconds,
      rows,
      throughputRatio: round(ours.requestsPerSecond / Math.max(1, off.requestsPerSecond)),
      settledAfter: { payments: settled.total, batches: node.pay.settler.stats().batches, ms: Date.now() - t0 },
      goals: { throughputRatio: 2, addedP50Ms: 2 },
    };
  } finally {
    for (const s of servers) s.closeAllConnections(), s.close();
    await node.stop();
    await simNode.stop();
    await chain.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

/** The figures as a table with ratios. */
export function x402Report(r: X402BenchResult): string {
  const lines = [
    `x402 paid requests (${r.connections} connections, ${r.durationSeconds} s each; latency: sequential requests; "added" = minus the same server's unpaid route)`,
    '',
    '| server | req/s | p50 ms | p99 ms | added p50 | added p99 | failures |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...r.rows.map((x) => `| ${x.name} | ${x.requestsPerSecond} | ${x.p50Ms} | ${x.p99Ms} | ${x.addedP50Ms ?? '-'} | ${x.addedP99Ms ?? '-'} | ${x.failures} |`),
    '',
    `Machina / official throughput: ${r.throughputRatio}× (goal ≥ ${r.goals.throughputRatio}×); Machina added p50 ${r.rows[3]?.addedP50Ms} ms (goal ≤ ${r.goals.addedP50Ms} ms)`,
    `background settlement (Machina gateway): ${r.settledAfter.payments} payments settled in ${r.settledAfter.batches} settleBatch transaction(s) over the run; the backlog left at the end took ${r.settledAfter.ms} ms`,
  ];
  return lines.join('\n');
}

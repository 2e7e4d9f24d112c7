// Aggregator intake over HTTP: concurrent clients (in a separate process) post batches of unique
// digests to POST /v1/anchors on a node running the anchoring aggregator on the devnet; a digest
// counts once its 202 came back, which the node sends only after the digest is fsynced to its
// journal. Baseline in the same run: the same requests against a bare node:http server that only
// reads the body, checks it and throws it away. At the end every acknowledged digest is looked up:
// it must be anchored, with a proof that verifies (none lost).
// Run alone: node --import tsx bench/provenanceIntake.ts [--json]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { bytesToHex } from 'viem';
import { digestLeaf, verifyProof } from '../src/provenance/merkle/index.ts';
import { startTestChain } from '../test/helpers/chain.ts';
import { ensureProvenanceContracts, startProvenanceNode } from '../test/node/fixtures/provenanceNode.ts';

export type IntakeRow = { name: string; what: string; digestsPerSecond: number; requestsPerSecond: number; acked: number; failures: number };
export type IntakeResult = {
  connections: number;
  durationSeconds: number;
  rawPerRequest: number;
  jsonPerRequest: number;
  rows: IntakeRow[];
  /** Aggregator raw intake / bare server raw intake. */
  ratioToBaseline: number;
  /** Aggregator raw intake / bare server that fsyncs each body (the naive durable server). */
  ratioToDurableBaseline: number;
  /** fsyncs the journal did for the raw run, against its requests: group commit at work. */
  journal: { requests: number; fsyncs: number; syncMs: number };
  /** After the run: every acknowledged digest anchored with a verifying proof. */
  lost: number;
  checked: number;
  batches: number;
  anchorMs: number;
  goal: { digestsPerSecond: number };
};

type Load = { requests: number; failures: number; elapsedMs: number; acked: Array<[number, number]> };

/**
 * Digest `i` of request `seq` of client `w` in run `run`: unique without bookkeeping, so the parent
 * rebuilds exactly the digests each acknowledged request carried.
 */
export function digestsOf(run: Buffer, w: number, seq: number, n: number): Buffer {
  const out = Buffer.alloc(n * 32);
  for (let i = 0; i < n; i++) {
    run.copy(out, i * 32, 0, 16);
    out.writeUInt32BE(w, i * 32 + 16);
    out.writeUInt32BE(seq, i * 32 + 20);
    out.writeUInt32BE(i, i * 32 + 24);
  }
  return out;
}

/** The load generator, in its own process so it does not share the server's thread. */
export function load(url: string, opts: { connections: number; durationSeconds: number; perRequest: number; mode: 'raw' | 'json'; run: string }): Promise<Load> {
  const script = `
    import http from 'node:http';
    const [url, o] = JSON.parse(process.argv[1]);
    const run = Buffer.from(o.run, 'hex');
    const digestsOf = ${digestsOf.toString()};
    const agent = new http.Agent({ keepAlive: true, maxSockets: o.connections });
    const target = new URL(url + '/v1/anchors');
    const post = (body, type) => new Promise((resolve) => {
      const req = http.request({ agent, method: 'POST', hostname: target.hostname, port: target.port, path: target.pathname, headers: { 'content-type': type, 'content-length': body.length } }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve(res.statusCode));
        res.on('error', () => resolve(0));
      });
      req.on('error', () => resolve(0));
      req.end(body);
    });
    const acked = [];
    let requests = 0, failures = 0;
    const t0 = performance.now();
    const end = Date.now() + o.durationSeconds * 1000;
    await Promise.all(Array.from({ length: o.connections }, async (_, w) => {
      for (let seq = 0; Date.now() < end; seq++) {
        const raw = digestsOf(run, w, seq, o.perRequest);
        let body, type;
        if (o.mode === 'raw') { body = raw; type = 'application/octet-stream'; }
        else {
          const ds = [];
          for (let i = 0; i < o.perRequest; i++) ds.push('0x' + raw.toString('hex', i * 32, i * 32 + 32));
          body = Buffer.from(JSON.stringify({ digests: ds })); type = 'application/json';
        }
        const status = await post(body, type);
        requests++;
        if (status === 202) acked.push([w, seq]); else failures++;
      }
    }));
    process.stdout.write(JSON.stringify({ requests, failures, elapsedMs: performance.now() - t0, acked }));
    agent.destroy();
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, JSON.stringify([url, opts])], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as Load) : reject(new Error(`load generator exited ${code}: ${err.slice(0, 500)}`))));
  });
}

/**
 * The baselines: a bare server that reads the body, checks it is whole digests (or JSON with a
 * digests array), answers 202 and keeps nothing; with `durableFile`, the naive durable server that
 * appends each body to a file and fdatasyncs it before answering (one fsync per request, no group commit).
 */
function bareServer(durableFile?: string): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const file = durableFile ? open(durableFile, 'a') : undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      let n: number;
      if (req.headers['content-type'] === 'application/octet-stream') n = body.length % 32 === 0 ? body.length / 32 : -1;
      else n = (JSON.parse(body.toString('utf8')) as { digests: string[] }).digests.filter((d) => /^0x[0-9a-fA-F]{64}$/.test(d)).length;
      if (file && n > 0) {
        const fh = await file;
        await fh.write(body);
        await fh.datasync();
      }
      res.writeHead(n > 0 ? 202 : 400, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: n }));
    });
  });
  const close = async () => {
    server.closeAllConnections();
    server.close();
    await (await file)?.close();
  };
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, close })));
}

export type MeasureIntakeParameters = { log?: (line: string) => void; connections?: number; durationSeconds?: number; rawPerRequest?: number; jsonPerRequest?: number; json?: boolean };

/**
 * Measures aggregator intake (raw and JSON bodies) against the bare-server baseline, then checks that
 * nothing acknowledged was lost.
 * @example
 * const r = await measureProvenanceIntake({ log: console.error })
 * console.log(provenanceIntakeReport(r))
 */
export async function measureProvenanceIntake({ log = () => {}, connections = 16, durationSeconds = 5, rawPerRequest = 4096, jsonPerRequest = 10_000, json = true }: MeasureIntakeParameters = {}): Promise<IntakeResult> {
  const chain = await startTestChain();
  await ensureProvenanceContracts(chain);
  const node = await startProvenanceNode({ chain, intervalMs: 1_000, maxBatch: 1_000_000 });
  const bare = await bareServer();
  const scratch = mkdtempSync(path.join(tmpdir(), 'machina-intake-'));
  const durable = await bareServer(path.join(scratch, 'digests.bin'));
  const rows: IntakeRow[] = [];
  const runs: Array<{ run: Buffer; perRequest: number; acked: Array<[number, number]> }> = [];
  const agg = node.parts.aggregator!;
  try {
    const measure = async (name: string, what: string, url: string, mode: 'raw' | 'json', perRequest: number, keep: boolean) => {
      const run = randomBytes(16);
      log(`provenance intake: ${name} ...`);
      const r = await load(url, { connections, durationSeconds, perRequest, mode, run: run.toString('hex') });
      const acked = r.acked.length * perRequest;
      rows.push({ name, what, digestsPerSecond: Math.round(acked / (r.elapsedMs / 1000)), requestsPerSecond: round(r.requests / (r.elapsedMs / 1000)), acked, failures: r.failures });
      if (keep) runs.push({ run, perRequest, acked: r.acked });
    };
    await measure('bare node:http, raw', `parse and discard ${rawPerRequest} raw digests a request`, bare.url, 'raw', rawPerRequest, false);
    await measure('bare node:http + fsync, raw', 'append each body to a file and fdatasync it before 202 (one fsync a request)', durable.url, 'raw', rawPerRequest, false);
    const before = agg.stats();
    await measure('aggregator, raw', `POST /v1/anchors application/octet-stream, ${rawPerRequest} digests a request, fsynced before 202`, node.url, 'raw', rawPerRequest, true);
    const fsyncs = agg.stats().syncs - before.syncs;
    const syncMs = agg.stats().syncMs - before.syncMs;
    const rawRequests = runs[0]!.acked.length;
    if (json) await measure('bare node:http, JSON', `parse and discard ${jsonPerRequest} hex digests a request`, bare.url, 'json', jsonPerRequest, false);
    if (json) await measure('aggregator, JSON', `POST /v1/anchors JSON, ${jsonPerRequest} digests a request, receipts in the answer`, node.url, 'json', jsonPerRequest, true);

    log('provenance intake: anchoring what was taken in, then checking every acknowledged digest ...');
    const t0 = Date.now();
    await agg.flush(600_000);
    const anchorMs = Date.now() - t0;
    let lost = 0;
    let checked = 0;
    for (const { run, perRequest, acked } of runs) {
      for (const [w, seq] of acked) {
        const ds = digestsOf(run, w, seq, perRequest);
        for (let i = 0; i < perRequest; i++) {
          const d = ds.subarray(i * 32, i * 32 + 32);
          const r = agg.receipt(d);
          checked++;
          // Every proof is built; one in 64 is also verified (hashing, the costly part).
          if (!r || r.status !== 'anchored' || (checked % 64 === 0 && !verifyProof(r.batch!.root, digestLeaf(bytesToHex(d)), r.batch!.proof))) lost++;
        }
      }
    }
    const [bareRaw, durableRaw, aggRaw] = rows as [IntakeRow, IntakeRow, IntakeRow];
    return {
      connections,
      durationSeconds,
      rawPerRequest,
      jsonPerRequest,
      rows,
      ratioToBaseline: round(aggRaw.digestsPerSecond / Math.max(1, bareRaw.digestsPerSecond)),
      ratioToDurableBaseline: round(aggRaw.digestsPerSecond / Math.max(1, durableRaw.digestsPerSecond)),
      journal: { requests: rawRequests, fsyncs, syncMs },
      lost,
      checked,
      batches: agg.stats().batches,
      anchorMs,
      goal: { digestsPerSecond: 50_000 },
    };
  } finally {
    await bare.close();
    await durable.close();
    rmSync(scratch, { recursive: true, force: true });
    await node.stop();
    await chain.stop();
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

/** The figures as a table with the ratio to the baseline and the goal. */
export function provenanceIntakeReport(r: IntakeResult): string {
  const aggRaw = r.rows.find((x) => x.name === 'aggregator, raw')!;
  const aggJson = r.rows.find((x) => x.name === 'aggregator, JSON');
  return [
    `Aggregator intake over HTTP (${r.connections} concurrent clients, ${r.durationSeconds} s each; a digest counts once its 202 is back, which comes after fsync)`,
    '',
    '| server | digests/s | requests/s | digests acknowledged | failures |',
    '|---|---:|---:|---:|---:|',
    ...r.rows.map((x) => `| ${x.name} | ${x.digestsPerSecond} | ${x.requestsPerSecond} | ${x.acked} | ${x.failures} |`),
    '',
    `aggregator raw / bare server raw: ${r.ratioToBaseline}×; / bare server with one fsync a request: ${r.ratioToDurableBaseline}×; journal: ${r.journal.fsyncs} fsync(s) for ${r.journal.requests} acknowledged raw request(s) (group commit), ${r.journal.syncMs} ms writing and syncing`,
    `goal ≥ ${r.goal.digestsPerSecond} digests/s: raw ${aggRaw.digestsPerSecond >= r.goal.digestsPerSecond ? 'met' : 'NOT met'}${aggJson ? `, JSON ${aggJson.digestsPerSecond >= r.goal.digestsPerSecond ? 'met' : 'NOT met'}` : ''}`,
    `none lost: ${r.checked} acknowledged digests checked after anchoring (${r.batches} batch(es), ${r.anchorMs} ms to anchor the backlog): ${r.lost === 0 ? 'all anchored, proofs valid' : `${r.lost} LOST`}`,
  ].join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.dirname, 'provenanceIntake.ts')) {
  const json = process.argv.includes('--json');
  const r = await measureProvenanceIntake({ log: (l) => process.stderr.write(`${l}\n`) });
  process.stdout.write(json ? `${JSON.stringify(r, null, 2)}\n` : `${provenanceIntakeReport(r)}\n`);
}

// Issue #6's "Done means", on the stack `npm start` runs (startMachine: devnet, deploy, index, node with the
// compute keeper, the blob store and the devnet arbiter):
// 1. `machina provider start` in one process and `machina compute submit --demo --wait --json` in another
//    complete a verified, paid job;
// 2. the demo: 5 provider daemons (one cheating 30% of the time, one also validating optimistic results) and
//    2 buyer agents paying escrow from their agent accounts run 100 jobs; every honest result is paid, every
//    cheated result is caught and slashed, the cheater ends with less than it started with, and the node's API
//    shows it all.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { erc20Abi, parseEther, parseEventLogs, parseUnits, toFunctionSelector, type Address, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { computeMarketAbi } from '../src/chain/artifacts/index.ts';
import { walletFor, type MachinaWalletClient } from '../src/chain/clients.ts';
import { devnetAccount } from '../src/chain/signer.ts';
import { readConfig, readCredit, readProvider, submitJob, waitForJob, type JobState } from '../src/compute/index.ts';
import { startProviderDaemon, type ProviderDaemon, type ProviderEvent } from '../src/compute/provider/daemon.ts';
import { seededRng } from '../src/compute/provider/pricing.ts';
import { ensureProvider } from '../src/compute/provider/setup.ts';
import { demoWorkload, exampleOnnxWorkload, exampleTrainWorkload, runWorkload, seededBytes } from '../src/compute/workloads/index.ts';
import { loadSettings } from '../src/config/settings.ts';
import { registerAgent } from '../src/identity/actions/agents.ts';
import { faucet } from '../src/pay/token.ts';
import { protocolPlan } from '../src/protocol/plan.ts';
import { startMachine, type Machine } from '../src/runtime/machine.ts';
import { bindAgentWallet, createAgentAccount, setAgentKey } from '../src/wallet/index.ts';
import { machinaBin, repoRoot, runCli } from './helpers/cli.ts';
import { seedEmbeddedDatabase } from './helpers/pglite.ts';

const mUSD = (n: string) => parseUnits(n, 6);
const JOBS = 100;
const OPTIMISTIC_EVERY = 4; // every 4th job is optimistic (one provider, challenge window), the rest redundant k=3

describe('compute market end to end (issue #6 "Done means")', () => {
  let dir: string;
  let machine: Machine;
  let env: Record<string, string>;
  let market: Address;
  let token: Address;
  const children: ChildProcess[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'machina-issue6-'));
    const settings = loadSettings({ devnetPort: '0', port: '0', dataDir: path.join(dir, 'data'), deploymentsDir: path.join(dir, 'deployments'), fresh: true }, {}, { node: true });
    // The node's embedded database starts as an initialised empty cluster (no initdb: test/helpers/pglite.ts).
    await seedEmbeddedDatabase(path.join(settings.dataDir, 'node', '31337'));
    machine = await startMachine({ settings, plan: protocolPlan, version: 'test' });
    market = machine.deployment.contracts.ComputeMarket!.address;
    token = machine.deployment.contracts.SettlementToken!.address;
    env = {
      MACHINA_RPC_URL: machine.devnet!.rpcUrl,
      MACHINA_DEPLOYMENTS_DIR: path.join(dir, 'deployments'),
      MACHINA_NODE_URL: machine.node.url,
      MACHINA_DATA_DIR: path.join(dir, 'cli-data'),
    };
  });

  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await machine?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('`machina provider start` and `machina compute submit --demo --wait --json` complete a verified, paid job', async (t) => {
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MACHINA_')));
    const provider = spawn(process.execPath, [machinaBin, 'provider', 'start', '--json'], { cwd: repoRoot, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(provider);
    let stderr = '';
    provider.stderr!.on('data', (c) => (stderr += c));
    const events: Array<Record<string, unknown>> = [];
    const lines = createInterface({ input: provider.stdout! });
    const started = new Promise<void>((resolve, reject) => {
      lines.on('line', (line) => {
        const e = JSON.parse(line) as Record<string, unknown>;
        events.push(e);
        if (e.type === 'started') resolve();
      });
      provider.on('exit', (code) => reject(new Error(`provider exited ${code} before starting\n${stderr}`)));
    });
    await started;

    const submitted = Date.now();
    const r = await runCli(['compute', 'submit', '--demo', '--wait', '--json'], env, { timeoutMs: 120_000 });
    assert.equal(r.code, 0, `compute submit exited ${r.code}\n${r.stderr}\n${r.stdout}`);
    const job = r.json<{ jobId: string; status: string; acceptedDigest: string; assignments: Array<{ providerId: string; paid: boolean }> }>();
    t.diagnostic(`demo job ${job.jobId} ${job.status} ${Date.now() - submitted} ms after the CLI started (CLI start-up included)`);
    assert.equal(job.status, 'completed');
    assert.match(job.acceptedDigest, /^0x[0-9a-f]{64}$/);
    // Verified: the accepted digest is what the demo workload really outputs.
    const demo = demoWorkload();
    const honest = await runWorkload(demo.bundle, demo.input, { timeoutMs: 10_000, memoryMB: 128 });
    assert.equal(job.acceptedDigest, honest.outputDigest);
    // Paid: every replica paid, the provider's credit holds it on chain.
    assert.ok(job.assignments.length >= 1 && job.assignments.every((a) => a.paid), JSON.stringify(job.assignments));
    const operator = devnetAccount(1).address;
    assert.ok((await readCredit(machine.client, { market, account: operator })) > 0n, 'the provider was credited');

    provider.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => provider.on('exit', resolve));
    assert.equal(code, 0, `provider start exited ${code} on SIGINT\n${stderr}`);
    assert.ok(events.some((e) => e.type === 'committed'), 'the daemon reported its commit');
  });

  it('100 jobs, 5 providers (one cheats 30%), 2 buyer agents: honest results paid, every cheat slashed', { timeout: 600_000 }, async (t) => {
    const { client } = machine;
    const identityRegistry = machine.deployment.contracts.IdentityRegistry!.address;
    const validationRegistry = machine.deployment.contracts.ValidationRegistry!.address;
    const cfg = await readConfig(client, { market });
    const balanceOf = (who: Address) => client.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [who] });

    // Five providers on dev accounts 3..7; provider 7 cheats 30% of the time (seeded), provider 3 also validates.
    const CHEATER = 7;
    const daemons: ProviderDaemon[] = [];
    const eventsOf = new Map<number, ProviderEvent[]>();
    const providerIdOf = new Map<number, bigint>();
    const operators = new Map<number, Address>();
    for (const idx of [3, 4, 5, 6, 7]) {
      const wallet = walletFor(client, devnetAccount(idx));
      operators.set(idx, wallet.account.address);
      const { providerId } = await ensureProvider(client, wallet, {
        market,
        token,
        identityRegistry,
        resources: { deviceKind: 'cpu', region: 'local', deviceCount: 4, memoryMB: 1024, pricePerUnit: mUSD('0.01') },
        stake: cfg.minStake + cfg.slashAmount * 6n,
        useFaucet: true,
        name: `provider ${idx}`,
      });
      providerIdOf.set(idx, providerId);
    }
    const cheaterOperator = operators.get(CHEATER)!;
    const cheaterId = providerIdOf.get(CHEATER)!;
    const holdingsOf = async (idx: number) => {
      const p = (await readProvider(client, { market, providerId: providerIdOf.get(idx)! }))!;
      return (await balanceOf(operators.get(idx)!)) + p.stake + (await readCredit(client, { market, account: operators.get(idx)! }));
    };
    const cheaterBefore = await holdingsOf(CHEATER);

    for (const idx of [3, 4, 5, 6, 7]) {
      const events: ProviderEvent[] = [];
      eventsOf.set(idx, events);
      daemons.push(
        await startProviderDaemon({
          client,
          wallet: walletFor(client, devnetAccount(idx)),
          market,
          token,
          providerId: providerIdOf.get(idx)!,
          pricePerUnit: mUSD('0.01') + BigInt(idx) * 1_000n,
          cheatRate: idx === CHEATER ? 0.3 : 0,
          rng: seededRng(idx),
          validator: idx === 3,
          validationRegistry,
          nodeUrl: machine.node.url,
          onEvent: (e) => events.push(e),
        }),
      );
    }

    // Two buyer agents, each with an agent account whose key may only approve the market and post jobs, within a cap.
    const buyers: Array<{ account: Address; key: MachinaWalletClient }> = [];
    for (const idx of [8, 9]) {
      const owner = walletFor(client, devnetAccount(idx));
      const { agentId } = await registerAgent(client, owner, { identityRegistry, agentURI: `https://buyer-${idx}.example/agent.json` });
      const { account } = await createAgentAccount(owner, { factory: machine.deployment.contracts.AgentAccountFactory!.address, agentId });
      await bindAgentWallet(owner, { identityRegistry, account, agentId });
      await faucet(client, owner, { token, to: account, amount: mUSD('500') });
      const key = walletFor(client, privateKeyToAccount(generatePrivateKey()));
      await client.waitForTransactionReceipt({ hash: await owner.sendTransaction({ to: key.account.address, value: parseEther('10') }) });
      await setAgentKey(owner, {
        account,
        key: key.account.address,
        policy: {
          limits: [{ asset: token, perTx: mUSD('10'), windowCap: mUSD('400'), windowSeconds: 86_400 }],
          rules: [
            { target: token, selector: 'approve', conditions: [{ param: 0, op: 'inRecipients', value: market }] },
            { target: market, selector: toFunctionSelector('postJob((bytes32,bytes32,string,string,(bytes32,uint32,bytes32),uint96,uint32,uint40,uint32,uint8,uint8,bool))') },
          ],
          recipients: [market],
        },
      });
      buyers.push({ account, key });
    }
    const accountBefore = await Promise.all(buyers.map((b) => balanceOf(b.account)));

    // 100 jobs: mostly the wasm demo module on distinct inputs, plus ONNX inference and seeded training runs.
    const demo = demoWorkload();
    const onnx = exampleOnnxWorkload();
    const train = exampleTrainWorkload();
    const workloadFor = (i: number) => (i % 25 === 7 ? onnx : i % 25 === 19 ? train : { bundle: demo.bundle, input: seededBytes(1000 + i, 256) });
    // What an honest run outputs, per distinct workload and input (the demo inputs differ per job).
    const expectedOf = new Map<string, Promise<Hex>>();
    const keyOf = (i: number) => (i % 25 === 7 ? 'onnx' : i % 25 === 19 ? 'train' : `demo-${i}`);
    for (let i = 0; i < JOBS; i++) {
      const w = workloadFor(i);
      if (!expectedOf.has(keyOf(i))) expectedOf.set(keyOf(i), runWorkload(w.bundle, w.input, { timeoutMs: 30_000, memoryMB: 512 }).then((r) => r.outputDigest));
    }
    const started = Date.now();
    const posted: Array<{ jobId: bigint; mode: 'redundant' | 'optimistic'; expected: Hex }> = new Array(JOBS);
    // Each buyer agent posts its own jobs (even ones by buyer 0, odd by buyer 1), the two side by side, as two agents would.
    const post = async (i: number) => {
      const w = workloadFor(i);
      const buyer = buyers[i % 2]!;
      const mode = i % OPTIMISTIC_EVERY === 3 ? 'optimistic' : 'redundant';
      const { jobId } = await submitJob({
        client,
        wallet: buyer.key,
        agentAccount: buyer.account,
        market,
        token,
        nodeUrl: machine.node.url,
        workload: w.bundle,
        input: w.input,
        units: 1,
        maxPricePerUnit: mUSD('0.05'),
        replicas: mode === 'optimistic' ? 1 : 3,
        mode,
        bidWindow: 0,
        deadlineSeconds: 240,
      });
      posted[i] = { jobId, mode, expected: await expectedOf.get(keyOf(i))! };
    };
    await Promise.all([0, 1].map(async (b) => {
      for (let i = b; i < JOBS; i += 2) await post(i);
    }));
    // One job at a time: by the time one is final the later ones mostly are too, and 100 pollers at once
    // would take the CPU the daemons need.
    const finals: JobState[] = [];
    for (const p of posted) finals.push(await waitForJob({ client, market, jobId: p.jobId, timeoutMs: 300_000, pollMs: 200 }));
    t.diagnostic(`${JOBS} jobs settled in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const d of daemons) await d.stop();

    // Nobody here pokes the jobs: the node's keeper settles what is due, as on `npm start`.
    // Outcomes, from the chain's own events.
    const logs = parseEventLogs({ abi: computeMarketAbi, logs: await client.getLogs({ address: market, fromBlock: 0n, toBlock: 'latest' }) });
    const paid = new Set(logs.filter((l) => l.eventName === 'ProviderPaid').map((l) => `${l.args.jobId}/${l.args.providerId}`));
    const slashed = logs.filter((l) => l.eventName === 'Slashed');
    const slashedKeys = new Set(slashed.map((l) => `${l.args.jobId}/${l.args.providerId}`));
    const commits = logs.filter((l) => l.eventName === 'ResultCommitted');
    const jobIds = new Set(posted.map((p) => p.jobId));
    const expectedByJob = new Map(posted.map((p) => [p.jobId, p.expected]));

    const byStatus: Record<string, number> = {};
    for (const f of finals) byStatus[f.status] = (byStatus[f.status] ?? 0) + 1;
    t.diagnostic(`final statuses: ${JSON.stringify(byStatus)}`);
    for (const f of finals) assert.ok(['completed', 'failed'].includes(f.status), `job ${f.jobId} ended ${f.status}`);

    let honestResults = 0;
    let cheats = 0;
    for (const c of commits.filter((c) => jobIds.has(c.args.jobId))) {
      const key = `${c.args.jobId}/${c.args.providerId}`;
      const right = c.args.outputDigest === expectedByJob.get(c.args.jobId);
      if (right) {
        honestResults++;
        assert.ok(paid.has(key), `honest result ${key} was paid`);
        assert.ok(!slashedKeys.has(key), `honest result ${key} was not slashed`);
      } else {
        cheats++;
        assert.equal(c.args.providerId, cheaterId, `only the cheater commits wrong digests (${key})`);
        assert.ok(slashedKeys.has(key), `cheated result ${key} was caught and slashed`);
        assert.ok(!paid.has(key), `cheated result ${key} was not paid`);
      }
    }
    const cheatedEvents = eventsOf.get(CHEATER)!.filter((e) => e.type === 'cheated').length;
    t.diagnostic(`${honestResults} honest results paid, ${cheats} cheated results slashed (the cheater reported ${cheatedEvents})`);
    assert.equal(cheats, cheatedEvents, 'every cheat the daemon made reached the chain and was judged');
    assert.ok(cheats >= 5, `the cheater cheated (${cheats})`);
    for (const s of slashed) assert.equal(s.args.providerId, cheaterId, 'no honest provider was slashed');
    const upheld = logs.filter((l) => l.eventName === 'ChallengeResolved' && l.args.upheld).length;
    t.diagnostic(`${upheld} optimistic results overturned by a challenge, ${slashed.length - upheld} minority results slashed`);

    // The cheater ends with less than it started with; the market still holds exactly what it owes.
    const cheaterAfter = await holdingsOf(CHEATER);
    t.diagnostic(`cheater holdings ${cheaterBefore} → ${cheaterAfter} (mUSD base units)`);
    assert.ok(cheaterAfter < cheaterBefore, 'the cheater lost money');
    for (const idx of [3, 4, 5, 6]) assert.ok((await holdingsOf(idx)) > 0n);
    const liabilities = await client.readContract({ address: market, abi: computeMarketAbi, functionName: 'totalLiabilities' });
    assert.equal(await balanceOf(market), liabilities, 'market balance == escrow + stakes + credits + bonds');
    // Escrow came out of the buyer agents' accounts.
    const accountAfter = await Promise.all(buyers.map((b) => balanceOf(b.account)));
    assert.ok(accountAfter.every((a, i) => a < accountBefore[i]!), 'buyers paid from their agent accounts');

    // The node's API shows it: statuses, the cheater's slashes, every honest provider's earnings.
    await waitFor(async () => {
      const stats = (await (await fetch(`${machine.node.url}/v1/compute/stats`)).json()) as { slashCount: number };
      return stats.slashCount === slashed.length;
    }, 'the node indexed every slash');
    const providers = (await (await fetch(`${machine.node.url}/v1/compute/providers`)).json()) as {
      providers: Array<{ providerId: string; slashes: number; completed: number; earned: string; operator: string }>;
    };
    const cheaterRow = providers.providers.find((p) => p.providerId === cheaterId.toString())!;
    assert.equal(cheaterRow.slashes, slashed.length);
    assert.equal(cheaterRow.operator.toLowerCase(), cheaterOperator.toLowerCase());
    for (const idx of [3, 4, 5, 6]) {
      const row = providers.providers.find((p) => p.providerId === providerIdOf.get(idx)!.toString())!;
      assert.equal(row.slashes, 0);
      assert.ok(BigInt(row.earned) > 0n, `provider ${idx} earned`);
    }
    for (const f of finals.slice(0, 10)) {
      const row = (await (await fetch(`${machine.node.url}/v1/compute/jobs/${f.jobId}`)).json()) as { status: string };
      assert.equal(row.status, f.status);
    }
  });
});

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// `machina data ...` and `machina demo data` from the command line. Wrong input is refused before anything is sent,
// naming the flag and the reason: checked through the CLI's own entry point (main), which is what the executable
// runs, in one CLI host process for the file (runCliInHost) rather than a process per case. Then one happy path on
// the stack `npm start` runs (startMachine: devnet, deployment, index, node): publish → consent → buy → fetch, with
// one contributor who did not consent left out of the sale and of the delivery, and the refusals that need chain
// state (a consent by a non-contributor, a price above --max-price, a fetch by a key that holds no licence).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { devnetAccount } from '../../src/chain/signer.ts';
import { writePatientRecords } from '../../src/data/examples/patients.ts';
import type { Machine } from '../../src/runtime/machine.ts';
import { runCli, runCliInHost, startCliHost, stopCliHost } from '../helpers/cli.ts';

/** What the CLI gets besides a clean environment: the node's settings, once it runs. */
let env: Record<string, string> = {};
/** Runs `machina ...args` in this file's CLI host (the executable's own entry point, loaded once), capturing what it prints. */
const machina = (...args: string[]) => runCliInHost(args, env);

/** Asserts a refusal: exit code 1, the JSON error naming `field`, its message matching `message`. */
async function refused(args: string[], field: string, message: RegExp) {
  const r = await machina(...args, '--json');
  assert.equal(r.code, 1, `${args.join(' ')}: expected a refusal, got ${r.code}: ${r.stdout}${r.stderr}`);
  const e = r.json().error;
  assert.equal(e.field, field, `${args.join(' ')}: ${JSON.stringify(e)}`);
  assert.match(e.message, message, `${args.join(' ')}: ${JSON.stringify(e)}`);
  return e;
}

const A = devnetAccount(5).address;
const B = devnetAccount(6).address;

describe('machina data CLI', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'machina-data-cli-'));
  const records = path.join(tmp, 'cohort');
  writePatientRecords(records, { sites: ['site-a', 'site-b'], perSite: 6, seed: 11 });
  const consentDoc = path.join(tmp, 'consent.txt');
  writeFileSync(consentDoc, 'I consent to research use of my records.\n');
  const publishArgs = (...extra: string[]) => ['data', 'publish', records, '--name', 'cohort', '--price-access', '2', '--purposes', 'research,public-health', ...extra];
  before(() => startCliHost());
  after(() => {
    stopCliHost();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('publish refuses bad flags before hashing or sending, naming the flag', async () => {
    const started = Date.now();
    await refused(publishArgs('--contributor', `${A}:60%:site-a`, '--contributor', `${B}:30%:site-b`), '--contributor', /^--contributor: shares sum to 90%; they must sum to 100%$/);
    await refused(publishArgs('--contributor', `${A}:60%:site-a`, '--contributor', `${A}:40%:site-b`), '--contributor', /named twice/);
    await refused(publishArgs('--contributor', `0x1234:100%:site-a`), '--contributor[0].account', /20-byte hex address/);
    await refused(publishArgs('--contributor', `${A}:0%:site-a`, '--contributor', `${B}:100%:site-b`), '--contributor[0].share', /greater than 0%/);
    await refused(publishArgs('--contributor', `${A}:100%:../elsewhere`), '--contributor[0].subdir', /inside the dataset folder/);
    await refused(publishArgs('--contributor', `${A}:100%`), '--contributor[0]', /ADDR:SHARE%:SUBDIR/);
    await refused(publishArgs(), '--contributor', /at least one contributor/);
    await refused(publishArgs('--contributor', `${A}:100%:site-a`, '--royalty', '120%'), '--royalty', /0%-100%/);
    await refused(publishArgs('--contributor', `${A}:100%:site-a`, '--royalty', '10%'), '--royalty', /only from models trained on the data/);
    await refused(['data', 'publish', records, '--purposes', 'research,astrology', '--contributor', `${A}:100%:site-a`], '--purposes', /unknown purpose "astrology"/);
    await refused(['data', 'publish', records, '--price-access', '1', '--contributor', `${A}:100%:site-a`], '--purposes', /required/);
    await refused(['data', 'publish', records, '--purposes', 'research', '--contributor', `${A}:100%:site-a`], '--price-access', /required unless --compute-only/);
    await refused(['data', 'publish', records, '--compute-only', '--purposes', 'research', '--contributor', `${A}:100%:site-a`], '--compute-only', /only Training licences/);
    // Compute-only data goes to named providers only: refused before the folder is hashed (its subdir does not even exist).
    await refused(
      ['data', 'publish', records, '--compute-only', '--price-training', '5', '--purposes', 'research', '--contributor', `${A}:100%:site-nowhere`],
      '--provider',
      /^--provider: required with --compute-only: name the compute provider\(s\) allowed to train on the data/,
    );
    await refused(publishArgs('--contributor', `${A}:100%:site-a`, '--training'), '--price-training', /required with --training/);
    await refused(publishArgs('--contributor', `${A}:100%:site-a`, '--expiry', '2001-01-01'), '--expiry', /in the future/);
    await refused(publishArgs('--contributor', `${A}:100%:site-a`, '--duration', 'forever'), '--duration', /30d/);
    await refused(publishArgs('--contributor', `${A}:100%:site-a`, '--provider', 'x'), '--provider[0]', /non-negative integer/);
    await refused(publishArgs('--contributor', `${A}:100%:site-nowhere`), '--contributor[0].subdir', /no folder site-nowhere/);
    // A file of nobody's: every record has one contributor.
    await refused(publishArgs('--contributor', `${A}:100%:site-a`), '--contributor', /belong to no contributor, e\.g\. site-b\//);
    await refused(['data', 'publish', path.join(tmp, 'missing'), '--price-access', '1', '--purposes', 'research', '--contributor', `${A}:100%:x`], 'DIR', /no such file or folder/);
    process.stdout.write(`# ${21} publish refusals in ${Date.now() - started} ms\n`);
  });

  it('consent, buy, fetch, royalties, list, show, licences, audit, withdraw and demo refuse bad input, naming it', async () => {
    await refused(['data', 'consent', '0', '--document', consentDoc, '--scope', 'research'], 'LISTING', /start at 1/);
    await refused(['data', 'consent', '1', '--scope', 'research'], '--document', /required/);
    await refused(['data', 'consent', '1', '--document', consentDoc], '--scope', /required/);
    await refused(['data', 'consent', '1', '--document', consentDoc, '--scope', 'research,telepathy'], '--scope', /unknown purpose "telepathy"/);
    await refused(['data', 'consent', '1', '--document', consentDoc, '--scope', 'training'], '--scope', /besides training and commercial/);
    await refused(['data', 'consent', '1', '--document', path.join(tmp, 'nope.pdf'), '--scope', 'research'], '--document', /no such file/);
    await refused(['data', 'consent', '1', '--revoke', '--scope', 'research'], '--revoke', /takes no --document or --scope/);
    await refused(['data', 'buy', '1', '--kind', 'rent'], '--kind', /access or training/);
    await refused(['data', 'buy', 'one', '--kind', 'access'], 'LISTING', /non-negative integer/);
    await refused(['data', 'buy', '1', '--kind', 'access', '--purposes', ''], '--purposes', /at least one purpose/);
    await refused(['data', 'buy', '1', '--kind', 'access', '--max-price', 'lots'], '--max-price', /./);
    await refused(['data', 'fetch', '0', '--out', tmp], 'LICENCE', /start at 1/);
    await refused(['data', 'royalties', '--to', A], '--to', /only with --withdraw/);
    await refused(['data', 'royalties', '--route', '0x1234'], '--route', /32 bytes/);
    await refused(['data', 'royalties', '--account', A, '--withdraw'], '--withdraw', /signer's own credit/);
    await refused(['data', 'withdraw', '--to', 'nobody'], '--to', /20-byte hex address/);
    await refused(['data', 'list', '--limit', '0'], '--limit', /1-100/);
    await refused(['data', 'list', '--purpose', 'fun'], '--purpose', /unknown purpose/);
    await refused(['data', 'show', 'x'], 'LISTING', /non-negative integer/);
    await refused(['data', 'licences', 'x'], 'LICENCE', /non-negative integer/);
    await refused(['data', 'audit', '0'], 'LISTING', /start at 1/);
    await refused(['demo', 'data', '--calls', '0'], '--calls', /1-100000/);
    // A usage error (a missing required option) ends with commander's message and a non-zero code.
    const usage = await machina('data', 'buy', '1');
    assert.notEqual(usage.code, 0);
    assert.match(usage.stderr, /--kind/);
  });

  describe('on a running node (devnet + index + data routes)', () => {
    let dir: string;
    let machine: Machine;
    let listingId: string;
    let licenceId: string;

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'machina-data-cli-node-'));
      // Loaded here: the refusals above need neither the node nor the deployment plan.
      const [{ loadSettings }, { protocolPlan }, { startMachine }] = await Promise.all([import('../../src/config/settings.ts'), import('../../src/protocol/plan.ts'), import('../../src/runtime/machine.ts')]);
      const settings = loadSettings({ devnetPort: '0', port: '0', dataDir: path.join(dir, 'data'), deploymentsDir: path.join(dir, 'deployments'), fresh: true }, {}, { node: true });
      machine = await startMachine({ settings, plan: protocolPlan, version: 'test' });
      env = {
        MACHINA_RPC_URL: machine.devnet!.rpcUrl,
        MACHINA_DEPLOYMENTS_DIR: path.join(dir, 'deployments'),
        MACHINA_NODE_URL: machine.node.url,
        MACHINA_DATA_DIR: path.join(dir, 'cli-data'),
      };
    });
    after(async () => {
      await machine?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('publish → consent → buy → fetch: the contributor who did not consent is left out of the sale and the delivery', async () => {
      const t = Date.now();
      // Account 2 lists the folder (registering it in provenance first); A (account 5) and B (account 6) contribute.
      const pub = await machina(...publishArgs('--contributor', `${A}:60%:site-a`, '--contributor', `${B}:40%:site-b`, '--attribution', '--account', '2', '--json'));
      assert.equal(pub.code, 0, pub.stdout + pub.stderr);
      const p = pub.json();
      listingId = p.listingId;
      assert.match(listingId, /^\d+$/);
      assert.equal(p.files, 12);
      assert.equal(p.recordsOnNode, true, p.recordsError);
      assert.deepEqual(p.contributors.map((c: any) => [c.account, c.shareBps, c.files]), [[A, 6000, 6], [B, 4000, 6]]);
      assert.ok(p.registerTx, 'registered in provenance on the way');
      // Listing the same folder again is refused, naming it.
      const again = await machina(...publishArgs('--contributor', `${A}:60%:site-a`, '--contributor', `${B}:40%:site-b`, '--account', '2', '--json'));
      assert.equal(again.code, 1);
      assert.equal(again.json().error.field, 'DIR');
      assert.match(again.json().error.message, new RegExp(`already listed as listing ${listingId}`));

      // Only A consents; a non-contributor cannot.
      const notContributor = await machina('data', 'consent', listingId, '--document', consentDoc, '--scope', 'research', '--account', '4', '--json');
      assert.equal(notContributor.code, 1);
      assert.equal(notContributor.json().error.field, 'LISTING');
      assert.match(notContributor.json().error.message, /is not a contributor of listing/);
      const consent = await machina('data', 'consent', listingId, '--document', consentDoc, '--scope', 'research,public-health', '--account', '5', '--json');
      assert.equal(consent.code, 0, consent.stdout + consent.stderr);
      assert.equal(consent.json().index, 0);
      assert.deepEqual(consent.json().scopeNames, ['research', 'public-health']);

      // The buyer (account 3): above --max-price is refused before paying; then the sale covers A alone.
      const dear = await machina('data', 'buy', listingId, '--kind', 'access', '--purposes', 'research', '--max-price', '1.5', '--account', '3', '--json');
      assert.equal(dear.code, 1);
      assert.equal(dear.json().error.field, '--max-price');
      const buy = await machina('data', 'buy', listingId, '--kind', 'access', '--purposes', 'research', '--account', '3', '--json');
      assert.equal(buy.code, 0, buy.stdout + buy.stderr);
      const b = buy.json();
      licenceId = b.licenceId;
      assert.equal(b.price, '2000000');
      assert.equal(b.includedMask, '1');
      assert.deepEqual(b.contributors.map((c: any) => c.included), [true, false]);

      // A key that holds no licence gets nothing; the holder gets A's records, each checked against the root.
      const thief = await machina('data', 'fetch', licenceId, '--out', path.join(tmp, 'stolen'), '--account', '4', '--json');
      assert.equal(thief.code, 1, thief.stdout);
      assert.match(thief.json().error.message, /holds no licence|not.*licen/i);
      assert.ok(!existsSync(path.join(tmp, 'stolen', 'site-a')));
      const out = path.join(tmp, 'fetched');
      const fetched = await machina('data', 'fetch', licenceId, '--out', out, '--account', '3', '--json');
      assert.equal(fetched.code, 0, fetched.stdout + fetched.stderr);
      const f = fetched.json();
      assert.equal(f.verified, true);
      assert.equal(f.root, p.root);
      assert.equal(f.files.length, 6);
      assert.ok(f.files.every((x: any) => x.path.startsWith('site-a/')));
      assert.deepEqual(f.excluded.map((e: any) => [e.index, e.account, e.files]), [[1, B, 6]]);
      assert.deepEqual(readdirSync(path.join(out, 'site-a')).length, 6);
      assert.ok(!existsSync(path.join(out, 'site-b')));

      // A was credited the whole price (the only covered contributor) and withdraws it.
      const roy = await machina('data', 'royalties', '--withdraw', '--account', '5', '--json');
      assert.equal(roy.code, 0, roy.stdout + roy.stderr);
      assert.equal(roy.json().withdrawn.amount, '2000000');
      const show = await machina('data', 'show', listingId, '--json');
      assert.equal(show.code, 0, show.stderr);
      assert.equal(show.json().sales, '1');
      assert.equal(show.json().revenue, '2000000');
      process.stdout.write(`# publish → consent → buy → fetch → withdraw in ${Date.now() - t} ms\n`);
    });

    it('buy again: the unused licence held is reused (nothing paid, said so); --again buys another', async () => {
      const args = ['data', 'buy', listingId, '--kind', 'access', '--purposes', 'research', '--account', '3'];
      const reused = await machina(...args, '--json');
      assert.equal(reused.code, 0, reused.stdout + reused.stderr);
      const r = reused.json();
      assert.equal(r.reused, true);
      assert.equal(r.licenceId, licenceId);
      assert.equal(r.price, '0');
      assert.equal((await machina('data', 'show', listingId, '--json')).json().sales, '1', 'nothing sold');
      const words = await machina(...args);
      assert.equal(words.code, 0, words.stderr);
      assert.match(words.stdout, new RegExp(`licence ${licenceId}: access of listing ${listingId}, reused: .*nothing bought \\(--again buys another\\)`));
      // --again: a second licence, paid for and sold.
      const again = await machina(...args, '--again', '--json');
      assert.equal(again.code, 0, again.stdout + again.stderr);
      const a = again.json();
      assert.equal(a.reused, false);
      assert.notEqual(a.licenceId, licenceId);
      assert.equal(a.price, '2000000');
      assert.equal((await machina('data', 'show', listingId, '--json')).json().sales, '2');
    });

    it('the executable: `machina data licences` lists the holder\'s licence (one spawned CLI)', async () => {
      mkdirSync(path.join(dir, 'cli-data'), { recursive: true });
      const r = await runCli(['data', 'licences', '--account', '3', '--json'], env);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const items = r.json().items as Array<{ licenceId: string; listingId: string; kind: string }>;
      assert.ok(items.some((l) => l.licenceId === licenceId && l.listingId === listingId && l.kind === 'access'), r.stdout);
    });
  });
});

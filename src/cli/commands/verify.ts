// `machina verify PATH RECEIPT [--offline]`: recompute the digest, check the proof, check the root
// on chain (or in saved block data) and exit with the verdict's code (VERIFY_VERDICTS), so scripts can
// tell a changed file (11) from a forged proof (12) from a chain that is down (16).
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadSettings } from '../../config/settings.ts';
import { InvalidArgumentError } from '../../errors/index.ts';
import type { VerifyReceiptReturnType } from '../../provenance/verify.ts';
import type { SavedAnchor } from '../../provenance/types.ts';
import { rpcUrlOf } from '../context.ts';
import { emit } from '../output.ts';
import { progressBar } from '../progress.ts';
import { addChainOptions, addDataDirOption, type GlobalOptions } from './options.ts';
import { pathKind } from './provenanceShared.ts';

type VerifyOptions = GlobalOptions & { offline?: boolean; anchors?: string; digest?: string };

export function addVerifyCommand(program: Command) {
  addDataDirOption(
    addChainOptions(
      program
        .command('verify')
        .description(
          'verify an anchor receipt: the file or folder still hashes to it, the proof reaches the batch root, and the root is anchored on chain; exits with the verdict code (0 valid, 3 pending, 10-16 failures: 10 a receipt that is unreadable or malformed, 11 a PATH changed or gone since)',
        )
        .argument('<PATH>', 'the file or folder the receipt is for ("-" to check only the receipt, e.g. for a bare digest)')
        .argument('<RECEIPT>', 'the receipt file (JSON) `machina anchor` printed; a missing file is a usage error (exit 1)')
        .option('--offline', 'no RPC at all: check the root against saved block data (`machina anchors` saves it)')
        .option('--anchors <file>', 'with --offline: saved block data to use instead of the local cache'),
    ),
    'block data saved for --offline (online checks add to it)',
  ).action(async (target: string, receiptFile: string, opts: VerifyOptions) => {
    const json = !!opts.json;
    if (opts.anchors !== undefined && !opts.offline) throw new InvalidArgumentError('--anchors', 'only with --offline');
    if (!existsSync(receiptFile)) throw new InvalidArgumentError('RECEIPT', `no such file: ${receiptFile}`);
    // A PATH deleted since it was anchored is a changed file (11), not a usage error.
    const gone = target !== '-' && !existsSync(target);
    const kind = target === '-' || gone ? undefined : pathKind(target, 'PATH');
    const { verifyReceipt, verifyExitCode } = await import('../../provenance/verify.ts');
    const report = (r: VerifyReceiptReturnType) => {
      const exitCode = verifyExitCode(r.verdict);
      process.exitCode = exitCode;
      const { receipt: _r, anchor: _a, ...out } = r;
      emit({ json }, { ...out, exitCode, offline: !!opts.offline }, () => [
        `${r.verdict}: ${r.message.replace(/^valid(?: \(offline\))?: /, '')}`,
        ...r.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${c.detail ? `: ${c.detail}` : ''}`),
      ]);
    };
    let text: string;
    try {
      text = readFileSync(receiptFile, 'utf8');
    } catch (err) {
      // A folder or an unreadable file where the receipt should be: the receipt cannot be checked (10).
      const e = err as NodeJS.ErrnoException;
      const reason = e.code === 'EISDIR' ? 'it is a folder, not a receipt file' : e.code === 'EACCES' || e.code === 'EPERM' ? 'permission denied' : e.message;
      const detail = `cannot read receipt ${receiptFile}: ${reason}`;
      return report({ verdict: 'malformed-receipt', ok: false, message: detail, checks: [{ name: 'receipt', ok: false, detail }] });
    }
    const settings = loadSettings(opts);

    let savedAnchors: SavedAnchor[] | undefined;
    let client;
    if (opts.offline) {
      const { readSavedAnchors, loadAnchorsCache } = await import('../../provenance/anchorsCache.ts');
      if (opts.anchors !== undefined) savedAnchors = readSavedAnchors(opts.anchors);
      else {
        // The chain is named by the receipt itself; a receipt too broken to say is reported by verifyReceipt.
        const chainId = receiptChainId(text);
        savedAnchors = chainId === undefined ? [] : loadAnchorsCache(settings.dataDir, chainId);
      }
    } else if (!gone) {
      const { connectChain } = await import('../../chain/clients.ts');
      // An unreachable chain is a verdict (16), reported after the checks that need no chain.
      client = await connectChain(rpcUrlOf(settings)).catch(() => undefined);
    }
    const bar = progressBar({ json, what: 'hashing' });
    const r = await verifyReceipt({
      receipt: text,
      // A gone PATH is handed over as a file: hashing it fails, which is the file-changed verdict.
      ...(kind === 'file' || gone ? { file: target } : kind === 'dir' ? { dir: target } : {}),
      client,
      offline: !!opts.offline,
      savedAnchors,
      onProgress: bar.update,
    });
    bar.stop();
    if (gone && r.verdict === 'file-changed') {
      r.message = `PATH ${target} no longer exists: the receipt is for digest ${r.digest ?? '?'}, and there is nothing left to hash`;
      r.checks = r.checks.map((c) => (c.name === 'digest' && !c.ok ? { ...c, detail: `${target} no longer exists` } : c));
    }
    if (r.verdict === 'unreachable' && !client) r.message = `cannot reach the chain at ${rpcUrlOf(settings)} to check root ${r.root ?? ''} (is it up? or use --offline with saved block data)`;
    if (r.anchor) {
      const { saveAnchors } = await import('../../provenance/anchorsCache.ts');
      saveAnchors(settings.dataDir, [r.anchor]);
    }
    report(r);
  });
}

function receiptChainId(text: string): number | undefined {
  try {
    const id = (JSON.parse(text) as { chainId?: unknown }).chainId;
    return typeof id === 'number' && Number.isInteger(id) && id > 0 ? id : undefined;
  } catch {
    return undefined;
  }
}

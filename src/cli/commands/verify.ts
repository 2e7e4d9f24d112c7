// `machina verify PATH RECEIPT [--offline]`: recompute the digest, check the proof, check the root
// on chain (or in saved block data) and exit with the verdict's code (VERIFY_VERDICTS), so scripts can
// tell a changed file (11) from a forged proof (12) from a chain that is down (16).
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadSettings } from '../../config/settings.ts';
import { InvalidArgumentError } from '../../errors/index.ts';
import type { SavedAnchor } from '../../provenance/types.ts';
import { rpcUrlOf } from '../context.ts';
import { emit } from '../output.ts';
import { progressBar } from '../progress.ts';
import { addChainOptions, type GlobalOptions } from './options.ts';
import { pathKind } from './provenanceShared.ts';

type VerifyOptions = GlobalOptions & { offline?: boolean; anchors?: string; digest?: string };

export function addVerifyCommand(program: Command) {
  addChainOptions(
    program
      .command('verify')
      .description('verify an anchor receipt: the file or folder still hashes to it, the proof reaches the batch root, and the root is anchored on chain; exits with the verdict code (0 valid, 3 pending, 10-16 failures)')
      .argument('<PATH>', 'the file or folder the receipt is for ("-" to check only the receipt, e.g. for a bare digest)')
      .argument('<RECEIPT>', 'the receipt file (JSON) `machina anchor` printed')
      .option('--offline', 'no RPC at all: check the root against saved block data (`machina anchors` saves it)')
      .option('--anchors <file>', 'with --offline: saved block data to use instead of the local cache'),
  ).action(async (target: string, receiptFile: string, opts: VerifyOptions) => {
    const json = !!opts.json;
    if (opts.anchors !== undefined && !opts.offline) throw new InvalidArgumentError('--anchors', 'only with --offline');
    if (!existsSync(receiptFile)) throw new InvalidArgumentError('RECEIPT', `no such file: ${receiptFile}`);
    const kind = target === '-' ? undefined : pathKind(target, 'PATH');
    const text = readFileSync(receiptFile, 'utf8');
    const settings = loadSettings(opts);
    const [{ verifyReceipt }, { VERIFY_VERDICTS }] = await Promise.all([import('../../provenance/verify.ts'), import('../../provenance/types.ts')]);

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
    } else {
      const { connectChain } = await import('../../chain/clients.ts');
      // An unreachable chain is a verdict (16), reported after the checks that need no chain.
      client = await connectChain(rpcUrlOf(settings)).catch(() => undefined);
    }
    const bar = progressBar({ json, what: 'hashing' });
    const r = await verifyReceipt({
      receipt: text,
      ...(kind === 'file' ? { file: target } : kind === 'dir' ? { dir: target } : {}),
      client,
      offline: !!opts.offline,
      savedAnchors,
      onProgress: bar.update,
    });
    bar.stop();
    if (r.verdict === 'unreachable' && !client) r.message = `cannot reach the chain at ${rpcUrlOf(settings)} to check root ${r.root ?? ''} (is it up? or use --offline with saved block data)`;
    if (r.anchor) {
      const { saveAnchors } = await import('../../provenance/anchorsCache.ts');
      saveAnchors(settings.dataDir, [r.anchor]);
    }
    const exitCode = VERIFY_VERDICTS[r.verdict];
    process.exitCode = exitCode;
    const { receipt: _r, anchor: _a, ...out } = r;
    emit({ json }, { ...out, exitCode, offline: !!opts.offline }, () => [
      `${r.verdict}: ${r.message.replace(/^valid(?: \(offline\))?: /, '')}`,
      ...r.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${c.detail ? `: ${c.detail}` : ''}`),
    ]);
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

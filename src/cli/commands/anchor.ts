// `machina anchor PATH|--digest HEX [--wait]`: submit a file's or folder's digest to the node's
// aggregator and print the receipt (final with --wait); `machina anchors`: the roots anchored on
// chain, saved as block data for `machina verify --offline`.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Hex } from 'viem';
import { loadSettings } from '../../config/settings.ts';
import { InvalidArgumentError, formatError } from '../../errors/index.ts';
import type { AnchorReceipt, ReceiptSubject, SavedAnchor } from '../../provenance/types.ts';
import { parseBytes32, parseIntIn } from '../args.ts';
import { openContext, rpcUrlOf } from '../context.ts';
import { emit, table } from '../output.ts';
import { addChainOptions, addDataDirOption, type GlobalOptions } from './options.ts';
import { addNodeOption, hashPath, nodeFor, provenanceContract, short, type NodeOptions } from './provenanceShared.ts';

type AnchorOptions = NodeOptions & { digest?: string; wait?: boolean; timeout: string; out?: string; name?: string };

export function addAnchorCommands(program: Command) {
  addDataDirOption(
    addNodeOption(
      addChainOptions(
        program
          .command('anchor')
          .description("anchor a file's or folder's digest on chain through the node's aggregator and print the receipt")
          .argument('[PATH]', 'file or folder to anchor (a folder is anchored by its manifest root)')
          .option('--digest <hex>', 'anchor this 32-byte digest instead of hashing a path')
          .option('--name <name>', 'a name recorded in the receipt')
          .option('--wait', 'wait until the digest is anchored and print the final receipt')
          .option('--timeout <seconds>', 'with --wait: how long to wait', '120')
          .option('--out <file>', 'also write the receipt to this file'),
      ),
    ),
    'where --wait saves the block data for --offline',
  ).action(async (rawPath: string | undefined, opts: AnchorOptions) => {
    const json = !!opts.json;
    if ((rawPath === undefined) === (opts.digest === undefined)) throw new InvalidArgumentError('PATH', 'give a file or folder, or --digest HEX (one of them)');
    const timeoutMs = parseIntIn(opts.timeout, '--timeout', 1, 86_400) * 1000;
    let digest: Hex;
    let subject: ReceiptSubject;
    if (opts.digest !== undefined) {
      digest = parseBytes32(opts.digest, '--digest');
      subject = { kind: 'digest', ...(opts.name ? { name: opts.name } : {}) };
    } else {
      const h = await hashPath(rawPath!, 'PATH', { json });
      digest = h.digest;
      subject = opts.name ? { ...h.subject, name: opts.name } : h.subject;
    }
    const settings = loadSettings(opts);
    const [node, { parseReceipt }] = await Promise.all([nodeFor(opts, settings), import('../../provenance/receipt.ts')]);
    const [first] = await node.submit([digest], subject);
    let receipt: AnchorReceipt = parseReceipt(first);
    if (opts.wait && receipt.status !== 'anchored') {
      if (!json) process.stderr.write(`submitted ${short(digest)} to ${node.baseUrl}; waiting for the anchoring (up to ${timeoutMs / 1000} s)\n`);
      const last = await node.waitReceipt(digest, { timeoutMs });
      if (last) receipt = parseReceipt(last);
    }
    let saved: string | undefined;
    if (receipt.status === 'anchored') saved = await saveAnchorOf(receipt, opts, json);
    if (opts.out) writeFileSync(opts.out, `${JSON.stringify(receipt, null, 2)}\n`);
    if (opts.wait && receipt.status !== 'anchored') {
      if (!json) process.stderr.write(`machina: still pending after ${timeoutMs / 1000} s; ask again later with \`machina anchor --digest ${digest} --wait\`\n`);
      process.exitCode = 3;
    }
    emit({ json }, receipt, () => [
      `${receipt.status === 'anchored' ? 'anchored' : 'submitted (pending)'}: ${digest}${subject.name ? ` (${subject.name})` : ''}`,
      ...table([
        ['node', receipt.node ?? node.baseUrl],
        ['chain', receipt.chainId],
        ['registry', receipt.registry],
        ['batch root', receipt.batch?.root],
        ['batch', receipt.batch ? `leaf ${receipt.batch.index} of ${receipt.batch.size}, proof of ${receipt.batch.proof.length} step(s)` : undefined],
        ['tx', receipt.anchor?.txHash],
        ['block', receipt.anchor ? `${receipt.anchor.blockNumber} at ${new Date(receipt.anchor.timestamp * 1000).toISOString()}` : undefined],
        ['receipt file', opts.out],
        ['saved for --offline', saved],
      ]),
      ...(opts.out ? [] : ['(save the receipt with --out FILE or --json > FILE; check it later with `machina verify PATH RECEIPT`)']),
    ]);
  });

  addDataDirOption(
    addChainOptions(
      program
        .command('anchors')
        .description('list the roots anchored on chain and save them as block data for `machina verify --offline`')
        .option('--limit <n>', 'how many of the newest to show (1-10000)', '20'),
    ),
    'where the block data for --offline is saved',
  ).action(async (opts: GlobalOptions & { limit: string }) => {
    const limit = parseIntIn(opts.limit, '--limit', 1, 10_000);
    const ctx = await openContext(opts);
    const registry = provenanceContract(ctx, 'AnchorRegistry');
    const { listChainAnchors } = await import('../../provenance/chainAnchors.ts');
    const { saveAnchors, anchorsCacheFile } = await import('../../provenance/anchorsCache.ts');
    const anchors = await listChainAnchors(ctx.client, { registry, fromBlock: BigInt(ctx.deployment.contracts.AnchorRegistry!.blockNumber) });
    saveAnchors(ctx.settings.dataDir, anchors);
    const file = anchorsCacheFile(ctx.settings.dataDir, ctx.client.chain.id);
    const newest = anchors.slice(-limit).reverse();
    emit({ json: !!opts.json }, { chainId: ctx.client.chain.id, registry, total: anchors.length, saved: file, anchors: newest }, () =>
      anchors.length === 0
        ? [`no roots anchored at ${registry} on chain ${ctx.client.chain.id}`]
        : [
            `${anchors.length} root(s) anchored at ${registry} on chain ${ctx.client.chain.id}; block data saved to ${file}`,
            ...newest.map((a) => `  ${a.root}  block ${a.blockNumber.padStart(6)}  ${new Date(a.timestamp * 1000).toISOString()}  ${short(a.submitter)}${a.size !== undefined ? `  ${a.size} digest(s)` : ''}`),
          ],
    );
  });
}

/** Checks a final receipt on chain and saves its anchor for offline verification; a warning when the chain is away. */
async function saveAnchorOf(receipt: AnchorReceipt, opts: GlobalOptions, json: boolean): Promise<string | undefined> {
  try {
    const settings = loadSettings(opts);
    const [{ connectChain }, { verifyReceipt }, { saveAnchors, anchorsCacheFile }] = await Promise.all([
      import('../../chain/clients.ts'),
      import('../../provenance/verify.ts'),
      import('../../provenance/anchorsCache.ts'),
    ]);
    const client = await connectChain(rpcUrlOf(settings));
    const r = await verifyReceipt({ receipt, client });
    if (!r.ok || !r.anchor) {
      if (!json) process.stderr.write(`machina: warning: the node's receipt does not check out on chain: ${r.message}\n`);
      return undefined;
    }
    saveAnchors(settings.dataDir, [r.anchor as SavedAnchor]);
    return anchorsCacheFile(settings.dataDir, receipt.chainId);
  } catch (err) {
    if (!json) process.stderr.write(`machina: warning: block data not saved for --offline (${formatError(err)})\n`);
    return undefined;
  }
}

// `machina dataset hash|register|show|list`: dataset versions. `register` hashes a folder, records
// its manifest root on chain (with the version it derives from), and gives the node the manifest and
// the folder's location, so an audit can later re-hash the very files a model was trained on.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { zeroHash } from 'viem';
import { loadSettings } from '../../config/settings.ts';
import { InvalidArgumentError, MachinaError, formatError } from '../../errors/index.ts';
import { parseBytes32, parseIntIn, parseName } from '../args.ts';
import { openContext } from '../context.ts';
import { emit, table } from '../output.ts';
import type { ProvenanceNode } from '../../provenance/nodeClient.ts';
import type { Manifest } from '../../provenance/types.ts';
import { addChainOptions, addDataDirOption, addJsonOption, addSignerOptions, type GlobalOptions } from './options.ts';
import { addNodeOption, hashPath, nodeFor, pathKind, provenanceContract, short, type NodeOptions } from './provenanceShared.ts';

type RegisterOptions = NodeOptions & { name: string; parent?: string; uri?: string };

/** The node takes a manifest only once its indexer has seen the registration, a moment after the receipt. */
async function putManifestWhenIndexed(node: ProvenanceNode, m: Manifest, location: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await node.putManifest(m.root, m, location);
      return;
    } catch (err) {
      if (!(err instanceof MachinaError && err.code === 'NOT_FOUND') || Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export function addDatasetCommands(program: Command) {
  const dataset = program.command('dataset').description('dataset versions: hash a folder, register a version with its lineage, show and list them');

  addJsonOption(
    addDataDirOption(
      dataset
        .command('hash')
        .description("hash a folder: its manifest (path, size and root of every file) and the manifest root, the dataset's digest")
        .argument('<DIR>')
        .option('--out <file>', 'write the manifest (JSON) to this file'),
      'where the manifest is also kept, for `machina diff` and `machina audit`',
    ),
  ).action(async (dir: string, opts: GlobalOptions & { out?: string }) => {
    if (pathKind(dir, 'DIR') !== 'dir') throw new InvalidArgumentError('DIR', `${dir} is a file, not a folder (hash a file with \`machina anchor\`)`);
    const json = !!opts.json;
    const h = await hashPath(dir, 'DIR', { json });
    const m = h.manifest!;
    if (opts.out) writeFileSync(opts.out, `${JSON.stringify(m)}\n`);
    const { saveManifestLocally } = await import('../../provenance/manifestCache.ts');
    saveManifestLocally(loadSettings(opts).dataDir, m, path.resolve(dir));
    emit({ json }, { root: m.root, files: m.files.length, totalBytes: m.totalBytes, chunkSize: m.chunkSize, manifest: opts.out ?? null }, () => [
      `${m.root}  ${dir}`,
      ...table([['files', m.files.length], ['bytes', m.totalBytes], ['manifest', opts.out]]),
    ]);
  });

  addDataDirOption(
    addNodeOption(
      addSignerOptions(
        dataset
          .command('register')
          .description("register a folder as a dataset version on chain (signed with the local key) and upload its manifest and location to the node")
          .argument('<DIR>')
          .requiredOption('--name <name>', 'dataset name, e.g. patients (1-200 characters)')
          .option('--parent <root>', 'the version this one derives from (its manifest root)')
          .option('--uri <uri>', "where the manifest can be fetched (default: the node's /v1/datasets/ROOT/manifest)"),
      ),
    ),
    'where the manifest is also kept, for `machina diff` and `machina audit`',
  ).action(async (dir: string, opts: RegisterOptions) => {
    const json = !!opts.json;
    if (pathKind(dir, 'DIR') !== 'dir') throw new InvalidArgumentError('DIR', `${dir} is a file, not a folder`);
    const name = parseName(opts.name, '--name');
    const parent = opts.parent === undefined ? undefined : parseBytes32(opts.parent, '--parent');
    const ctx = await openContext(opts);
    const registry = provenanceContract(ctx, 'ProvenanceRegistry');
    const wallet = ctx.wallet();
    const { getDataset, registerDataset } = await import('../../provenance/actions.ts');
    if (parent && !(await getDataset(ctx.client, { registry, root: parent }))) throw new InvalidArgumentError('--parent', `${parent} is not a registered dataset version on chain ${ctx.client.chain.id}`);
    const h = await hashPath(dir, 'DIR', { json });
    const m = h.manifest!;
    const location = path.resolve(dir);
    const node = await nodeFor(opts, ctx.settings);
    const existing = await getDataset(ctx.client, { registry, root: m.root });
    if (existing) throw new MachinaError(`this folder's contents (root ${m.root}) are already registered as ${existing.name} v${existing.version}`, { code: 'DATASET_EXISTS', field: 'DIR' });
    const uri = opts.uri ?? `${node.baseUrl}/v1/datasets/${m.root}/manifest`;
    const r = await registerDataset(wallet, { registry, name, root: m.root, parent, fileCount: m.files.length, totalBytes: BigInt(m.totalBytes), uri });
    const { saveManifestLocally } = await import('../../provenance/manifestCache.ts');
    saveManifestLocally(ctx.settings.dataDir, m, location);
    // The chain holds the root; the node holds the manifest and where the files are. Without the node
    // the version still stands (the local cache has the manifest), so its absence is a warning.
    let uploaded = true;
    let uploadError: string | undefined;
    try {
      await putManifestWhenIndexed(node, m, location);
    } catch (err) {
      uploaded = false;
      uploadError = formatError(err);
      if (!json) process.stderr.write(`machina: warning: manifest not uploaded to ${node.baseUrl} (${uploadError}); it is kept locally\n`);
    }
    const { version } = r;
    emit({ json }, { root: m.root, name, version, parent: parent ?? null, files: m.files.length, totalBytes: m.totalBytes, uri, location, tx: r.txHash, uploaded, uploadError: uploadError ?? null }, () => [
      `registered dataset ${name} v${version}: ${m.root}`,
      ...table([
        ['files', `${m.files.length} (${m.totalBytes} bytes)`],
        ['parent', parent],
        ['location', location],
        ['manifest', uploaded ? uri : `kept locally (${uploadError})`],
        ['tx', r.txHash],
      ]),
    ]);
  });

  addNodeOption(
    addChainOptions(
      dataset
        .command('show')
        .description('show a dataset version: name, version, parent, files, registrant, and whether the node has its manifest')
        .argument('<ROOT>'),
    ),
  ).action(async (rawRoot: string, opts: NodeOptions) => {
    const root = parseBytes32(rawRoot, 'ROOT');
    const ctx = await openContext(opts);
    const registry = provenanceContract(ctx, 'ProvenanceRegistry');
    const { getDataset } = await import('../../provenance/actions.ts');
    const d = await getDataset(ctx.client, { registry, root });
    if (!d) throw new MachinaError(`dataset version ${root} is not registered on chain ${ctx.client.chain.id}`, { code: 'NOT_FOUND', field: 'ROOT' });
    let onNode: Record<string, unknown> | undefined;
    let nodeError: string | undefined;
    try {
      onNode = await (await nodeFor(opts, ctx.settings)).dataset(root);
    } catch (err) {
      nodeError = formatError(err);
    }
    emit({ json: !!opts.json }, { ...d, node: onNode ?? null, nodeError: nodeError ?? null }, () => [
      `dataset ${d.name} v${d.version}: ${root}`,
      ...table([
        ['parent', d.parent === zeroHash ? 'none' : d.parent],
        ['files', `${d.fileCount} (${d.totalBytes} bytes)`],
        ['registrant', d.registrant],
        ['registered', d.timestamp ? new Date(d.timestamp * 1000).toISOString() : undefined],
        ['manifest uri', d.uri],
        ['on the node', onNode ? `${onNode.hasManifest ? 'manifest stored' : 'no manifest'}${onNode.location ? `, files at ${String(onNode.location)}` : ''}` : nodeError ?? 'unknown'],
      ]),
    ]);
  });

  addJsonOption(
    addNodeOption(
      dataset
        .command('list')
        .description("list dataset versions from the node's index, newest first")
        .option('--name <name>', 'only versions of this dataset')
        .option('--limit <n>', 'how many (1-100)', '50'),
    ),
  ).action(async (opts: NodeOptions & { name?: string; limit: string }) => {
    const limit = parseIntIn(opts.limit, '--limit', 1, 100);
    const page = await (await nodeFor(opts)).datasets({ name: opts.name, limit });
    const items = page?.items ?? [];
    emit({ json: !!opts.json }, page, () =>
      items.length === 0
        ? [`no dataset versions${opts.name ? ` named ${opts.name}` : ''}`]
        : items.map((d) => `  ${String(d.root)}  ${String(d.name)} v${String(d.version)}  ${String(d.fileCount)} files${d.parent && d.parent !== zeroHash ? `  from ${short(String(d.parent))}` : ''}`),
    );
  });
}

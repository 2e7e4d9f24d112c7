// `machina audit MODEL`: walk a model's lineage (base models, dataset versions, their parents),
// verify every link and re-hash the training files where they live; exits with the verdict's code
// (AUDIT_VERDICTS), and names a tampered file with its dataset and version.
import type { Command } from 'commander';
import type { Hex } from 'viem';
import { InvalidArgumentError, formatError } from '../../errors/index.ts';
import { collect, parseBytes32 } from '../args.ts';
import { openContext } from '../context.ts';
import { emit } from '../output.ts';
import { progressBar } from '../progress.ts';
import { resolveModelId } from './model.ts';
import { addChainOptions, addDataDirOption } from './options.ts';
import { addNodeOption, nodeFor, short, type NodeOptions } from './provenanceShared.ts';

type AuditOptions = NodeOptions & { location?: string[] };

export function addAuditCommand(program: Command) {
  addDataDirOption(
    addNodeOption(
      addChainOptions(
        program
          .command('audit')
          .description("verify a model's lineage: its record and trainer signature, its base models, every dataset version it was trained on and their parents, re-hashing the files; exits 0 intact, 21-27 with the first problem")
          .argument('<MODEL>', 'model id (weights digest) or the weights file')
          .option('--location <root=dir>', "the folder holding a dataset version's files, overriding the node's (repeatable)", collect),
      ),
    ),
    'manifests saved by `machina dataset hash|register`, used when the node has none',
  ).action(async (raw: string, opts: AuditOptions) => {
    const json = !!opts.json;
    const locations = new Map<string, string>();
    for (const l of opts.location ?? []) {
      const i = l.indexOf('=');
      if (i < 0) throw new InvalidArgumentError('--location', `must be ROOT=DIR (got "${l.slice(0, 100)}")`);
      locations.set(parseBytes32(l.slice(0, i), '--location'), l.slice(i + 1));
    }
    const modelId = await resolveModelId(raw, 'MODEL', json);
    const ctx = await openContext(opts);
    const [{ auditModel }, { AUDIT_VERDICTS }, node, { loadManifestLocally }] = await Promise.all([
      import('../../provenance/audit.ts'),
      import('../../provenance/types.ts'),
      nodeFor(opts, ctx.settings),
      import('../../provenance/manifestCache.ts'),
    ]);
    let nodeWarned = false;
    const bar = progressBar({ json, what: 'auditing' });
    const report = await auditModel({
      client: ctx.client,
      deployment: ctx.deployment,
      modelId,
      // The node first (it stores what `dataset register` uploaded), then this machine's cache.
      manifests: async (root: Hex) => {
        let found;
        try {
          found = await node.manifest(root);
        } catch (err) {
          if (!nodeWarned && !json) process.stderr.write(`machina: warning: ${formatError(err)}; using locally saved manifests\n`);
          nodeWarned = true;
        }
        found ??= loadManifestLocally(ctx.settings.dataDir, root);
        if (found && locations.has(root)) found = { ...found, location: locations.get(root) };
        return found;
      },
      locate: (root: Hex) => locations.get(root) ?? loadManifestLocally(ctx.settings.dataDir, root)?.location,
      onProgress: (p) => bar.update(p.bytes, p.totalBytes, `${p.dataset} ${p.files}/${p.totalFiles} files`),
    });
    bar.stop();
    const exitCode = AUDIT_VERDICTS[report.verdict];
    process.exitCode = exitCode;
    emit({ json }, { ...report, exitCode }, () => [
      report.ok ? `intact: model ${modelId}, ${report.links.length} link(s) verified` : `${report.verdict}: ${report.findings[0]!.message}`,
      ...report.links.map((l) => `  ${l.ok ? 'ok  ' : 'FAIL'} ${l.kind} ${l.name}${l.version !== undefined ? ` v${l.version}` : ''} ${short(l.id)}${l.files !== undefined ? ` (${l.files} files)` : ''}`),
      ...(report.findings.length > 1 ? ['findings:', ...report.findings.map((f) => `  ${f.verdict}: ${f.message}`)] : []),
    ]);
  });
}

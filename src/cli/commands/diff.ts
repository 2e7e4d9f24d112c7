// `machina diff A B`: what changed between two dataset versions, each given as a manifest root (from
// the node or the local cache), a folder (hashed now) or a manifest file: files added, removed, changed.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadSettings } from '../../config/settings.ts';
import { InvalidArgumentError, MachinaError, formatError } from '../../errors/index.ts';
import type { Manifest } from '../../provenance/types.ts';
import { isBytes32, parseBytes32 } from '../args.ts';
import { emit } from '../output.ts';
import { addDataDirOption, addJsonOption } from './options.ts';
import { addNodeOption, hashPath, nodeFor, pathKind, short, type NodeOptions } from './provenanceShared.ts';

type DiffOptions = NodeOptions;

export function addDiffCommand(program: Command) {
  addJsonOption(
    addDataDirOption(
      addNodeOption(
        program
          .command('diff')
          .description('show what changed between two dataset versions: files added, removed and changed')
          .argument('<A>', 'the earlier version: a manifest root (0x…), a folder, or a manifest file')
          .argument('<B>', 'the later version, likewise'),
      ),
      'manifests saved by `machina dataset hash|register`, looked up before the node',
    ),
  ).action(async (a: string, b: string, opts: DiffOptions) => {
    const json = !!opts.json;
    const [before, after] = [await resolveManifest(a, 'A', opts), await resolveManifest(b, 'B', opts)];
    const { diffManifests } = await import('../../provenance/diff.ts');
    const d = diffManifests(before, after);
    emit({ json }, { before: before.root, after: after.root, added: d.added, removed: d.removed, changed: d.changed, unchanged: d.unchanged }, () => [
      `${short(before.root)} -> ${short(after.root)}: ${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed, ${d.unchanged} unchanged`,
      ...d.added.map((f) => `+ ${f.path} (${f.size} bytes)`),
      ...d.removed.map((f) => `- ${f.path} (${f.size} bytes)`),
      ...d.changed.map((c) => `~ ${c.path} (${c.before.size} -> ${c.after.size} bytes, ${short(c.before.root)} -> ${short(c.after.root)})`),
    ]);
  });
}

/** A manifest from a root, a folder or a manifest file. */
export async function resolveManifest(arg: string, field: string, opts: DiffOptions): Promise<Manifest> {
  const { parseManifest } = await import('../../provenance/manifest.ts');
  if (isBytes32(arg)) {
    const root = parseBytes32(arg, field);
    const settings = loadSettings(opts);
    const { loadManifestLocally } = await import('../../provenance/manifestCache.ts');
    let found = loadManifestLocally(settings.dataDir, root);
    let nodeError: string | undefined;
    if (!found) {
      try {
        found = await (await nodeFor(opts, settings)).manifest(root);
      } catch (err) {
        nodeError = formatError(err);
      }
    }
    if (!found) throw new MachinaError(`${field}: no manifest for root ${root} in the local cache or on the node${nodeError ? ` (${nodeError})` : ''}`, { code: 'MANIFEST_UNAVAILABLE', field });
    const m = parseManifest(found.manifest);
    if (m.root.toLowerCase() !== root) throw new MachinaError(`${field}: the manifest found for ${root} recomputes to ${m.root}`, { code: 'MANIFEST_MISMATCH', field });
    return m;
  }
  if (pathKind(arg, field) === 'dir') return (await hashPath(arg, field, { json: !!opts.json })).manifest!;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(arg, 'utf8'));
  } catch (err) {
    throw new InvalidArgumentError(field, `${arg} is not a manifest file (${(err as Error).message})`);
  }
  // Accept a bare manifest or the {manifest, location} a node or the cache stores.
  const inner = typeof json === 'object' && json !== null && 'manifest' in json ? (json as { manifest: unknown }).manifest : json;
  return parseManifest(inner);
}

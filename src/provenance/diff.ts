// What changed between two dataset versions, and between a manifest and the directory that should
// match it: the files added, removed and changed, by path.
import type { Hex } from 'viem';
import { ProvenanceError } from './errors.ts';
import { hashFilesWithProgress, listFiles, type DirectoryProgress, type FoundFile } from './directory.ts';
import { CHUNK_SIZE, type Manifest, type ManifestDiff, type ManifestEntry } from './types.ts';

/**
 * Files added, removed and changed (by size or root) from `before` to `after`, each list in manifest
 * order (paths by UTF-8 bytes), and how many are the same.
 *
 * @example const { added, removed, changed } = diffManifests(v1, v2)
 */
export function diffManifests(before: Manifest, after: Manifest): ManifestDiff {
  const old = new Map(before.files.map((f) => [f.path, f]));
  const seen = new Set<string>();
  const diff: ManifestDiff = { added: [], removed: [], changed: [], unchanged: 0 };
  for (const f of after.files) {
    const was = old.get(f.path);
    if (!was) diff.added.push(f);
    else {
      seen.add(f.path);
      if (was.root.toLowerCase() === f.root.toLowerCase() && was.size === f.size) diff.unchanged++;
      else diff.changed.push({ path: f.path, before: was, after: f });
    }
  }
  for (const f of before.files) if (!seen.has(f.path)) diff.removed.push(f);
  return diff;
}

export type DirectoryCheck = {
  /** True when the directory holds exactly the manifest's files, each with its recorded root. */
  ok: boolean;
  changed: { path: string; expected: Hex; actual: Hex }[];
  /** In the manifest, not on disk. */
  missing: string[];
  /** On disk, not in the manifest. */
  extra: string[];
};

export type CheckDirectoryOptions = {
  onProgress?: ((p: DirectoryProgress) => void) | undefined;
  signal?: AbortSignal | undefined;
  concurrency?: number | undefined;
};

/**
 * Rehashes the manifest's files in `dir` and reports every file whose root differs, every file the
 * manifest lists that is gone, and every file on disk it does not list. Symbolic links and special
 * files still stop the check with an error naming them; empty directories are ignored.
 *
 * @example const r = await checkDirectory('data/v1', manifest); if (!r.ok) console.log(r.changed)
 */
export async function checkDirectory(dir: string, m: Manifest, opts: CheckDirectoryOptions = {}): Promise<DirectoryCheck> {
  if (m.chunkSize !== CHUNK_SIZE) throw new ProvenanceError('chunkSize', `must be ${CHUNK_SIZE} (got ${m.chunkSize})`);
  const onDisk = await listFiles(dir, { signal: opts.signal, allowEmptyDirs: true });
  const expected = new Map<string, ManifestEntry>(m.files.map((f) => [f.path, f]));
  const present = new Set(onDisk.map((f) => f.path));
  const toHash: FoundFile[] = onDisk.filter((f) => expected.has(f.path));
  const extra = onDisk.filter((f) => !expected.has(f.path)).map((f) => f.path);
  const missing = m.files.filter((f) => !present.has(f.path)).map((f) => f.path);
  const digests = await hashFilesWithProgress(toHash, opts);
  const changed: DirectoryCheck['changed'] = [];
  toHash.forEach((f, i) => {
    const want = expected.get(f.path)!.root.toLowerCase() as Hex;
    const got = digests[i]!.root;
    if (got !== want) changed.push({ path: f.path, expected: want, actual: got });
  });
  return { ok: changed.length === 0 && missing.length === 0 && extra.length === 0, changed, missing, extra };
}

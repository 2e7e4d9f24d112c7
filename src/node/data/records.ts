// The records partition a seller gives its own node: where the dataset's files live and which files are
// each contributor's. Checked before anything is kept: the folder must hash to the listing's dataset root,
// every file must belong to exactly one contributor, and each contributor's files must hash to the
// recordsRoot the listing carries on chain. A bad field is a 400 naming it; nothing is half-written.
import type { Hex } from 'viem';
import { MachinaError } from '../../errors/index.ts';
import { hashDirectory } from '../../provenance/directory.ts';
import { buildManifest } from '../../provenance/manifest.ts';
import type { Manifest, ManifestEntry } from '../../provenance/types.ts';
import { ApiError } from '../api/errors.ts';
import { isStorableText } from '../api/inputs.ts';
import { MAX_LOCATION, parseDirectoryLocation } from '../provenance/routes.ts';
import type { RecordFile } from './queries.ts';

const MAX_PATHS = 200_000;

const bad = (field: string, reason: string) => new ApiError(400, 'INVALID_ARGUMENT', `${field}: ${reason}`, field);

/** A contributor of the listing as the index holds it. */
export type ListedContributor = { index: number; account: string; recordsRoot: Hex };

export type RecordsPartition = { location: string; manifest: Manifest; files: RecordFile[]; perContributor: { index: number; files: number }[] };

/** `contributors` of the body, shape-checked: [{index, paths: string[]}], indexes unique and known. */
function parseContributors(v: unknown, listed: readonly ListedContributor[]): { index: number; paths: string[] }[] {
  if (!Array.isArray(v)) throw bad('contributors', 'must be an array of {index, paths}');
  if (v.length === 0) throw bad('contributors', 'must name at least one contributor');
  let total = 0;
  const seen = new Set<number>();
  const out = v.map((c, i) => {
    const field = `contributors[${i}]`;
    if (c === null || typeof c !== 'object' || Array.isArray(c)) throw bad(field, 'must be an object {index, paths}');
    for (const k of Object.keys(c)) if (k !== 'index' && k !== 'paths') throw bad(`${field}.${k}`, 'unknown field');
    const { index, paths } = c as { index: unknown; paths: unknown };
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) throw bad(`${field}.index`, 'must be a non-negative integer');
    if (index >= listed.length) throw bad(`${field}.index`, `the listing has ${listed.length} contributor(s), indexes 0-${listed.length - 1} (got ${index})`);
    if (seen.has(index)) throw bad(`${field}.index`, `contributor ${index} is named twice`);
    seen.add(index);
    if (!Array.isArray(paths) || paths.length === 0) throw bad(`${field}.paths`, 'must be a non-empty array of file paths relative to location');
    total += paths.length;
    if (total > MAX_PATHS) throw bad(`${field}.paths`, `at most ${MAX_PATHS} paths in all`);
    paths.forEach((p, j) => {
      if (typeof p !== 'string' || p.length === 0 || p.length > MAX_LOCATION || !isStorableText(p)) throw bad(`${field}.paths[${j}]`, 'must be a non-empty relative path');
    });
    return { index, paths: paths as string[] };
  });
  for (const c of listed) if (!seen.has(c.index)) throw bad('contributors', `contributor ${c.index} (${c.account}) is missing: every contributor's files must be named`);
  return out;
}

/**
 * Checks a records partition against the listing: hashes the folder (its root must be `root`), assigns every
 * file to exactly one contributor, and checks each contributor's files hash to its recordsRoot.
 * @example
 * const part = await checkRecordsPartition({ root, contributors: listed, location: body.location, partition: body.contributors })
 */
export async function checkRecordsPartition(p: { listingId: bigint; root: Hex; contributors: readonly ListedContributor[]; location: unknown; partition: unknown }): Promise<RecordsPartition> {
  const location = await parseDirectoryLocation(p.location);
  const parts = parseContributors(p.partition, p.contributors);
  let manifest: Manifest;
  try {
    manifest = await hashDirectory(location);
  } catch (err) {
    throw bad('location', `cannot hash the folder: ${err instanceof MachinaError ? err.message : (err as Error).message}`);
  }
  if (manifest.root.toLowerCase() !== p.root.toLowerCase()) {
    throw bad('location', `the folder hashes to ${manifest.root}; listing ${p.listingId}'s dataset root is ${p.root.toLowerCase()} (a file changed, was added or removed, or this is another folder)`);
  }
  const byPath = new Map<string, ManifestEntry>(manifest.files.map((f) => [f.path, f]));
  const owner = new Map<string, number>();
  const perContributor: { index: number; files: number }[] = [];
  parts.forEach((c, i) => {
    const entries: ManifestEntry[] = [];
    c.paths.forEach((raw, j) => {
      const field = `contributors[${i}].paths[${j}]`;
      const p0 = raw.replace(/^\.\//, '');
      const e = byPath.get(p0);
      if (!e) throw bad(field, `${JSON.stringify(raw.slice(0, 200))} is not a file of the folder`);
      const other = owner.get(p0);
      if (other !== undefined) throw bad(field, `${JSON.stringify(p0)} is named for contributor ${other} already: a file belongs to one contributor`);
      owner.set(p0, c.index);
      entries.push(e);
    });
    const expected = p.contributors.find((x) => x.index === c.index)!.recordsRoot.toLowerCase();
    const got = buildManifest(entries).root.toLowerCase();
    if (got !== expected) throw bad(`contributors[${i}].paths`, `contributor ${c.index}'s ${entries.length} file(s) hash to ${got}; its recordsRoot on the listing is ${expected}`);
    perContributor.push({ index: c.index, files: entries.length });
  });
  const orphan = manifest.files.find((f) => !owner.has(f.path));
  if (orphan) throw bad('contributors', `file ${JSON.stringify(orphan.path)} belongs to no contributor: every file of the folder must be named once`);
  // In the manifest's order (paths by UTF-8 bytes), each with its contributor.
  const files: RecordFile[] = manifest.files.map((f) => ({ ...f, contributor: owner.get(f.path)! }));
  return { location, manifest, files, perContributor: perContributor.sort((a, b) => a.index - b.index) };
}

// Manifests kept on this machine (`<dataDir>/manifests/<root>.json`, with the folder that held the
// files), so `machina audit` and `machina diff` work without a node that stores them.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Hex } from 'viem';
import type { Manifest } from './types.ts';

export type CachedManifest = { manifest: unknown; location?: string | undefined };

export function manifestCacheFile(dataDir: string, root: Hex): string {
  return path.join(dataDir, 'manifests', `${root.toLowerCase()}.json`);
}

/**
 * Saves a manifest (and where its files are) under its root; written atomically.
 * @example
 * saveManifestLocally(settings.dataDir, manifest, path.resolve(dir))
 */
export function saveManifestLocally(dataDir: string, manifest: Manifest, location?: string): string {
  const file = manifestCacheFile(dataDir, manifest.root);
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ manifest, ...(location ? { location } : {}) }));
  renameSync(tmp, file);
  return file;
}

/** The locally saved manifest of `root`, unchecked (callers parse it); undefined if none or unreadable. */
export function loadManifestLocally(dataDir: string, root: Hex): CachedManifest | undefined {
  const file = manifestCacheFile(dataDir, root);
  if (!existsSync(file)) return undefined;
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as { manifest?: unknown; location?: unknown };
    return { manifest: j.manifest, location: typeof j.location === 'string' ? j.location : undefined };
  } catch {
    return undefined;
  }
}

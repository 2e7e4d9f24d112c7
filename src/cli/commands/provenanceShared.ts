// What the provenance commands share: the node option, hashing a path (file or folder) into a digest
// with a progress bar, and the registry addresses. Heavy modules (WASM Merkle, hashing, contract
// ABIs) load only inside these functions, so `machina --help` stays quick.
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Address, Hex } from 'viem';
import { loadSettings, type Settings } from '../../config/settings.ts';
import { InvalidArgumentError, MachinaError } from '../../errors/index.ts';
import type { ProvenanceNode } from '../../provenance/nodeClient.ts';
import type { Manifest, ReceiptSubject } from '../../provenance/types.ts';
import type { CommandContext } from '../context.ts';
import { progressBar } from '../progress.ts';
import type { GlobalOptions } from './options.ts';

export type NodeOptions = GlobalOptions & { nodeUrl?: string | undefined };

export function addNodeOption(cmd: Command): Command {
  return cmd.option('--node-url <url>', 'node to talk to (env MACHINA_NODE_URL; default http://127.0.0.1:8787, following MACHINA_HOST and MACHINA_NODE_PORT)');
}

/**
 * The node client `--node-url` (or the settings) name; `settings` saves re-reading them when at hand.
 * @example
 * const node = await nodeFor(opts, ctx.settings)
 */
export async function nodeFor(opts: NodeOptions, settings: Settings = loadSettings(opts)): Promise<ProvenanceNode> {
  const { createProvenanceNode, nodeUrlFrom } = await import('../../provenance/nodeClient.ts');
  return createProvenanceNode({ baseUrl: nodeUrlFrom(opts.nodeUrl, settings) });
}

export type HashedPath = { digest: Hex; subject: ReceiptSubject; kind: 'file' | 'dir'; manifest?: Manifest | undefined; path: string };

/** `file` or `dir` for an existing path, or an error naming `field`. */
export function pathKind(p: string, field: string): 'file' | 'dir' {
  let st;
  try {
    st = statSync(p);
  } catch {
    throw new InvalidArgumentError(field, `no such file or folder: ${p}`);
  }
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  throw new InvalidArgumentError(field, `${p} is neither a regular file nor a folder`);
}

/**
 * Hashes a file (its chunk-tree root) or a folder (its manifest root), with a progress bar on stderr.
 * @example
 * const { digest, subject } = await hashPath('data/', 'PATH', { json: false })
 */
export async function hashPath(p: string, field: string, { json }: { json: boolean }): Promise<HashedPath> {
  const kind = pathKind(p, field);
  const [{ hashFile }, { hashDirectory }] = await Promise.all([import('../../provenance/hash.ts'), import('../../provenance/directory.ts')]);
  const { CHUNK_SIZE } = await import('../../provenance/types.ts');
  const bar = progressBar({ json, what: `hashing ${path.basename(p)}` });
  try {
    if (kind === 'file') {
      const d = await hashFile(p, { onProgress: bar.update });
      return { digest: d.root, kind, path: p, subject: { kind: 'file', name: path.basename(p), size: d.size.toString(), chunkSize: d.chunkSize } };
    }
    const m = await hashDirectory(p, { onProgress: (x) => bar.update(x.bytes, x.totalBytes, `${x.files}/${x.totalFiles} files`) });
    return { digest: m.root, kind, path: p, manifest: m, subject: { kind: 'dataset', name: path.basename(path.resolve(p)), files: m.files.length, totalBytes: m.totalBytes, chunkSize: CHUNK_SIZE } };
  } finally {
    bar.stop();
  }
}

/** A deployed provenance contract, or a clear error when this deployment predates it. */
export function provenanceContract(ctx: CommandContext, name: 'AnchorRegistry' | 'ProvenanceRegistry'): Address {
  const c = ctx.deployment.contracts[name];
  if (!c) throw new MachinaError(`chain ${ctx.client.chain.id} has no ${name} in its deployment (redeploy with \`machina deploy\`)`, { code: 'NO_DEPLOYMENT', field: 'MACHINA_DEPLOYMENTS_DIR' });
  return c.address;
}

export function short(h: string): string {
  return h.length > 20 ? `${h.slice(0, 10)}…${h.slice(-6)}` : h;
}

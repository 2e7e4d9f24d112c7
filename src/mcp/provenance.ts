// The MCP tools of provenance: anchor a digest through the node's aggregator, verify a receipt (each
// bad input is a verdict, not an error), and audit a model's lineage. Local paths are read only by
// the stdio server (`machina mcp`), which runs on the user's machine; the node's /mcp takes digests.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Hex } from 'viem';
import { z } from 'zod';
import type { MachinaPublicClient } from '../chain/clients.ts';
import type { Deployment } from '../chain/deployments.ts';
import { InvalidArgumentError, MachinaError } from '../errors/index.ts';
import { loadManifestLocally } from '../provenance/manifestCache.ts';
import { createProvenanceNode } from '../provenance/nodeClient.ts';
import type { AnchorReceipt, AuditReport, ReceiptSubject } from '../provenance/types.ts';
import type { NodeProvenance } from '../node/provenance/routes.ts';
import { guard, toolResult } from './results.ts';

export type ProvenanceToolDeps = {
  /** The aggregator: submit digests, read receipts (the node's API, in process or over HTTP). */
  aggregator: { submit: (digests: readonly Hex[], subject?: ReceiptSubject) => Promise<unknown[]>; receipt: (digest: Hex) => Promise<unknown | undefined> };
  /** Manifests (and where the files are) for audits. */
  manifests: (root: Hex) => Promise<{ manifest: unknown; location?: string | undefined } | undefined>;
  /** Where this machine keeps a dataset version's files; preferred to the location `manifests` gives. */
  locate?: ((root: Hex) => string | undefined) | undefined;
  /** For verify's on-chain checks and audits; without it verify answers `unreachable` and audit CHAIN_UNAVAILABLE. */
  client?: MachinaPublicClient | undefined;
  deployment?: Deployment | undefined;
  /** Whether tools may read local files and folders (stdio only: the server runs beside the files). */
  allowPaths?: boolean | undefined;
  /** The node's shared auditor (one audit per model at a time); without it the tool audits itself. */
  audit?: ((modelId: Hex) => Promise<AuditReport>) | undefined;
};

/** Names of the provenance tools, in the order tools/list shows them. */
export const PROVENANCE_TOOL_NAMES = ['anchor', 'verify', 'audit'] as const;

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const bytes32 = (what: string) => z.string().regex(BYTES32, 'must be 32 bytes of hex, 0x + 64 hex digits').describe(what);
const localPath = (what: string) => z.string().min(1, 'must not be empty').max(4096, 'at most 4096 characters').describe(what);

const receiptOutput = z.looseObject({ digest: z.string(), status: z.string(), receipt: z.looseObject({ type: z.string() }) });
const verifyOutput = z.looseObject({ verdict: z.string(), ok: z.boolean(), exitCode: z.number(), message: z.string(), checks: z.array(z.looseObject({ name: z.string(), ok: z.boolean() })) });
const auditOutput = z.looseObject({ verdict: z.string(), ok: z.boolean(), exitCode: z.number(), model: z.string(), links: z.array(z.looseObject({ kind: z.string(), id: z.string() })), findings: z.array(z.looseObject({ verdict: z.string(), message: z.string() })) });

/**
 * Registers anchor, verify and audit on `server`.
 * @example
 * registerProvenanceTools(server, provenanceMcpDeps({ nodeUrl, client, deployment, allowPaths: true }))
 */
export function registerProvenanceTools(server: McpServer, deps: ProvenanceToolDeps): void {
  const needPathsAllowed = (field: string) => {
    if (!deps.allowPaths) throw new InvalidArgumentError(field, 'this server does not read local files (it is the node\'s); hash locally and send the digest, or use `machina mcp` on your machine');
  };
  const pathsNote = deps.allowPaths ? ' Give a local `path` (file or folder) or a `digest`.' : ' This server takes digests only (hash files locally: `machina dataset hash`, or a file\'s chunk-tree root).';

  server.registerTool(
    'anchor',
    {
      title: 'Anchor a digest',
      description: `Submits a digest (a file's chunk-tree root or a folder's manifest root) to the node's aggregator, which anchors it on chain in the next batch, and returns the receipt: pending at first, final (batch root, inclusion proof, tx, block) once anchored; wait=true waits up to timeoutSeconds.${pathsNote}`,
      inputSchema: z.object({
        digest: bytes32('the 32-byte digest to anchor').optional(),
        path: localPath('a local file or folder to hash and anchor (stdio server only)').optional(),
        name: z.string().max(200, 'at most 200 characters').optional().describe('a name recorded in the receipt'),
        wait: z.boolean().optional().describe('wait for the anchoring (default false)'),
        timeoutSeconds: z.number().int('must be an integer').min(1, 'must be 1-120').max(120, 'must be 1-120').optional().describe('with wait: how long, 1-120 s (default 60)'),
      }),
      outputSchema: receiptOutput,
      annotations: { title: 'Anchor a digest', readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    guard(async ({ digest, path, name, wait, timeoutSeconds }) => {
      if ((digest === undefined) === (path === undefined)) throw new InvalidArgumentError('digest', 'give a digest or a path (one of them)');
      let d: Hex;
      let subject: ReceiptSubject;
      if (path !== undefined) {
        needPathsAllowed('path');
        const h = await hashLocal(path);
        d = h.digest;
        subject = name ? { ...h.subject, name } : h.subject;
      } else {
        d = digest!.toLowerCase() as Hex;
        subject = { kind: 'digest', ...(name ? { name } : {}) };
      }
      const { parseReceipt } = await import('../provenance/receipt.ts');
      let receipt: AnchorReceipt = parseReceipt((await deps.aggregator.submit([d], subject))[0]);
      if (wait && receipt.status !== 'anchored') {
        const deadline = Date.now() + (timeoutSeconds ?? 60) * 1000;
        while (receipt.status !== 'anchored' && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 250));
          const next = await deps.aggregator.receipt(d);
          if (next) receipt = parseReceipt(next);
        }
      }
      const summary =
        receipt.status === 'anchored'
          ? `anchored ${d} in root ${receipt.batch!.root} (leaf ${receipt.batch!.index} of ${receipt.batch!.size}), block ${receipt.anchor!.blockNumber}, tx ${receipt.anchor!.txHash}`
          : `submitted ${d}: pending; the aggregator anchors it in its next batch (call anchor again with wait=true, or keep this receipt and ask later)`;
      return toolResult(summary, { digest: d, status: receipt.status, receipt });
    }),
  );

  server.registerTool(
    'verify',
    {
      title: 'Verify an anchor receipt',
      description: `Verifies an anchor receipt: the digest (recomputed from \`path\`, or the given \`digest\`) matches, the inclusion proof reaches the batch root, and the root is anchored on chain as the receipt says. Answers a verdict (valid, pending, malformed-receipt, file-changed, proof-invalid, wrong-chain, root-not-anchored, anchor-mismatch, unreachable) with its exit code; a bad receipt is a verdict, not an error.${deps.allowPaths ? '' : ' Local paths are not read by this server.'}`,
      inputSchema: z.object({
        receipt: z.union([z.string().max(1_000_000, 'at most 1 MB'), z.record(z.string(), z.unknown())]).describe('the receipt: its JSON text or the object'),
        digest: bytes32('the digest the receipt should be for').optional(),
        path: localPath('a local file or folder the receipt should be for (stdio server only)').optional(),
      }),
      outputSchema: verifyOutput,
      annotations: { title: 'Verify an anchor receipt', readOnlyHint: true, openWorldHint: true },
    },
    guard(async ({ receipt, digest, path }) => {
      if (digest !== undefined && path !== undefined) throw new InvalidArgumentError('path', 'give a path or a digest, not both');
      let target: { file?: string; dir?: string } = {};
      if (path !== undefined) {
        needPathsAllowed('path');
        target = (await pathKindOf(path)) === 'dir' ? { dir: path } : { file: path };
      }
      const [{ verifyReceipt }, { VERIFY_VERDICTS }] = await Promise.all([import('../provenance/verify.ts'), import('../provenance/types.ts')]);
      const r = await verifyReceipt({ receipt, ...target, ...(digest ? { digest: digest.toLowerCase() as Hex } : {}), client: deps.client });
      const { receipt: _r, anchor: _a, ...out } = r;
      return toolResult(`${r.verdict} (exit code ${VERIFY_VERDICTS[r.verdict]}): ${r.message}`, { ...out, exitCode: VERIFY_VERDICTS[r.verdict] });
    }),
  );

  server.registerTool(
    'audit',
    {
      title: "Audit a model's lineage",
      description:
        "Walks a model's lineage (its record and trainer signature, base models, the dataset versions it was trained on and their parents) and verifies every link: each dataset registered, its manifest recomputing to the registered root, and its files still hashing to the manifest. Answers a verdict (intact, file-tampered, file-missing, manifest-mismatch, dataset-unregistered, signature-invalid, model-unknown, manifest-unavailable) and findings naming any tampered file with its dataset and version.",
      inputSchema: z.object({ model: bytes32('the model id: its weights digest') }),
      outputSchema: auditOutput,
      annotations: { title: "Audit a model's lineage", readOnlyHint: true, openWorldHint: true },
    },
    guard(async ({ model }) => {
      if (!deps.client || !deps.deployment) throw new MachinaError('this MCP server cannot read the chain, which an audit needs', { code: 'CHAIN_UNAVAILABLE' });
      const [{ auditModel }, { AUDIT_VERDICTS }] = await Promise.all([import('../provenance/audit.ts'), import('../provenance/types.ts')]);
      const modelId = model.toLowerCase() as Hex;
      const report = deps.audit
        ? await deps.audit(modelId)
        : await auditModel({ client: deps.client, deployment: deps.deployment, modelId, manifests: deps.manifests, locate: deps.locate });
      const head = report.ok ? `intact: model ${report.model}, ${report.links.length} link(s) verified` : `${report.verdict}: ${report.findings[0]!.message}`;
      const more = report.findings.slice(1, 20).map((f) => `  ${f.verdict}: ${f.message}`);
      return toolResult([head, ...more].join('\n'), { ...report, exitCode: AUDIT_VERDICTS[report.verdict] });
    }),
  );
}

async function pathKindOf(p: string): Promise<'file' | 'dir'> {
  const { stat } = await import('node:fs/promises');
  const st = await stat(p).catch(() => {
    throw new InvalidArgumentError('path', `no such file or folder: ${p}`);
  });
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  throw new InvalidArgumentError('path', `${p} is neither a regular file nor a folder`);
}

async function hashLocal(p: string): Promise<{ digest: Hex; subject: ReceiptSubject }> {
  const [{ hashFile }, { hashDirectory }, { basename, resolve }, { CHUNK_SIZE }] = await Promise.all([import('../provenance/hash.ts'), import('../provenance/directory.ts'), import('node:path'), import('../provenance/types.ts')]);
  if ((await pathKindOf(p)) === 'file') {
    const d = await hashFile(p);
    return { digest: d.root, subject: { kind: 'file', name: basename(p), size: d.size.toString(), chunkSize: d.chunkSize } };
  }
  const m = await hashDirectory(p);
  return { digest: m.root, subject: { kind: 'dataset', name: basename(resolve(p)), files: m.files.length, totalBytes: m.totalBytes, chunkSize: CHUNK_SIZE } };
}

/**
 * Provenance tool deps over a node's HTTP API (stdio's `machina mcp`, or the node pointing at itself),
 * with the local manifest cache as a fallback for audits when `dataDir` is given.
 * @example
 * const provenance = provenanceMcpDeps({ nodeUrl, client, deployment, allowPaths: true, dataDir: settings.dataDir })
 */
export function provenanceMcpDeps(p: { nodeUrl: string; client?: MachinaPublicClient | undefined; deployment?: Deployment | undefined; allowPaths?: boolean; dataDir?: string | undefined }): ProvenanceToolDeps {
  const node = createProvenanceNode({ baseUrl: p.nodeUrl });
  const dataDir = p.dataDir;
  return {
    aggregator: { submit: node.submit, receipt: node.receipt },
    manifests: async (root) => {
      try {
        const found = await node.manifest(root);
        if (found) return found;
      } catch (err) {
        if (!dataDir) throw err;
      }
      return dataDir ? loadManifestLocally(dataDir, root) : undefined;
    },
    // The node's location is a path on the uploader's machine; this machine's cache knows better.
    locate: dataDir ? (root) => loadManifestLocally(dataDir, root)?.location : undefined,
    client: p.client,
    deployment: p.deployment,
    allowPaths: p.allowPaths,
  };
}

/**
 * Provenance tool deps inside the node (its /mcp): the aggregator and the stored manifests in
 * process, no local paths. Without an aggregator (no signer) `anchor` answers SIGNER_NOT_CONFIGURED.
 * @example
 * mcp: createMcpHttpHandler({ ..., provenance: provenance && nodeProvenanceMcpDeps({ provenance: provenance.parts, client, deployment, nodeUrl: publicUrl }) })
 */
export function nodeProvenanceMcpDeps(p: { provenance: NodeProvenance; client: MachinaPublicClient; deployment: Deployment; nodeUrl: string }): ProvenanceToolDeps {
  const agg = () => {
    if (!p.provenance.aggregator) throw new MachinaError('this node does not run the anchoring aggregator (it needs a signer: MACHINA_NODE_SIGNER=on and a key)', { code: 'SIGNER_NOT_CONFIGURED' });
    return p.provenance.aggregator;
  };
  return {
    aggregator: {
      submit: async (digests, subject) => {
        const packed = new Uint8Array(digests.length * 32);
        digests.forEach((d, i) => packed.set(Buffer.from(d.slice(2), 'hex'), i * 32));
        await agg().submit(packed, subject);
        // One tree per batch for the whole request, not one per digest.
        return agg().receipts(packed, p.nodeUrl);
      },
      receipt: async (digest) => p.provenance.aggregator?.receipt(digest.toLowerCase() as Hex, p.nodeUrl),
    },
    manifests: async (root) => {
      const m = await p.provenance.queries.getManifest(root);
      return m ? { manifest: m.manifest, location: m.location ?? undefined } : undefined;
    },
    client: p.client,
    deployment: p.deployment,
    allowPaths: false,
    audit: p.provenance.audit,
  };
}

// Pieces of the provenance pages: transaction links, roots that link to their dataset, the browser's
// own check of a receipt's inclusion proof, and a receipt shown field by field.
import type { ReactNode } from 'react';
import { concat, keccak256, type Hex } from 'viem';
import type { AnchorReceipt } from '../api.ts';
import { dateTime } from '../format.ts';
import { href } from '../router.ts';
import { Address, Badge, Hash } from './common.tsx';
import './ProvenanceParts.css';

/** Block explorers of public chains; a local chain has none, so its links go to the node's event log. */
const EXPLORERS: Record<number, string> = {
  1: 'https://etherscan.io',
  10: 'https://optimistic.etherscan.io',
  137: 'https://polygonscan.com',
  8453: 'https://basescan.org',
  42161: 'https://arbiscan.io',
  84532: 'https://sepolia.basescan.org',
  11155111: 'https://sepolia.etherscan.io',
  11155420: 'https://sepolia-optimism.etherscan.io',
  421614: 'https://sepolia.arbiscan.io',
};

/** A transaction hash that links to an explorer (public chains) or to the anchoring events in the event log. */
export function TxLink({ hash, chainId, contract = 'AnchorRegistry', event, testId }: { hash: string; chainId: number | undefined; contract?: string; event?: string; testId?: string }) {
  const explorer = chainId === undefined ? undefined : EXPLORERS[chainId];
  const target = explorer ? `${explorer}/tx/${hash}` : href('/events', { contract, event: event ?? '' });
  return (
    <a href={target} data-testid={testId} data-tx={hash} title={`transaction ${hash}`} {...(explorer ? { target: '_blank', rel: 'noreferrer' } : {})}>
      <Hash value={hash} />
    </a>
  );
}

/** A dataset root, linking to its Dataset page. */
export function DatasetLink({ root, children }: { root: string; children?: ReactNode }) {
  return (
    <a href={href(`/datasets/${root}`)} data-testid="dataset-link" data-root={root}>
      {children ?? <Hash value={root} />}
    </a>
  );
}

/**
 * The standard-tree check (@openzeppelin/merkle-tree): leaf = keccak256(keccak256(abi.encode(bytes32))),
 * inner nodes hash the sorted pair. Done here too so a person sees the proof hold without trusting the node.
 */
export function proofHolds(digest: string, proof: readonly string[], root: string): boolean {
  try {
    let node = keccak256(keccak256(digest as Hex));
    for (const sibling of proof) {
      const [a, b] = BigInt(node) < BigInt(sibling) ? [node, sibling as Hex] : [sibling as Hex, node];
      node = keccak256(concat([a, b]));
    }
    return node.toLowerCase() === root.toLowerCase();
  } catch {
    return false;
  }
}

/** A receipt as a person reads it: status, batch and position, the proof (checked here), the anchoring transaction. */
export function ReceiptView({ receipt }: { receipt: AnchorReceipt }) {
  const r = receipt;
  const holds = r.batch ? proofHolds(r.digest, r.batch.proof, r.batch.root) : undefined;
  return (
    <div className="receipt-view" data-testid="receipt" data-status={r.status} data-digest={r.digest}>
      <dl className="facts">
        <dt>digest</dt>
        <dd>
          <code className="break">{r.digest}</code>
        </dd>
        <dt>status</dt>
        <dd>
          {r.status === 'anchored' ? (
            <Badge tone="good" testId="receipt-status">
              anchored
            </Badge>
          ) : (
            <Badge tone="mid" testId="receipt-status">
              pending: waits for the next batch
            </Badge>
          )}
        </dd>
        {r.subject && (
          <>
            <dt>subject</dt>
            <dd>
              {r.subject.kind}
              {r.subject.name ? ` “${r.subject.name}”` : ''}
              {r.subject.kind === 'file' && ` · ${r.subject.size} bytes`}
              {r.subject.kind === 'dataset' && ` · ${r.subject.files} files, ${r.subject.totalBytes} bytes`}
            </dd>
          </>
        )}
        <dt>submitted</dt>
        <dd>{r.submittedAt.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC')}</dd>
        <dt>chain · registry</dt>
        <dd>
          {r.chainId} · <Address value={r.registry} />
        </dd>
        {r.batch && (
          <>
            <dt>batch root</dt>
            <dd>
              <code className="break" data-testid="receipt-root">
                {r.batch.root}
              </code>
            </dd>
            <dt>position</dt>
            <dd>
              leaf {r.batch.index} of {r.batch.size}
            </dd>
            <dt>inclusion proof</dt>
            <dd>
              {holds ? (
                <Badge tone="good" testId="proof-check">
                  proof leads to the root
                </Badge>
              ) : (
                <Badge tone="bad" testId="proof-check">
                  proof does not lead to the root
                </Badge>
              )}
              <span className="muted"> {r.batch.proof.length} sibling hash{r.batch.proof.length === 1 ? '' : 'es'}</span>
              {r.batch.proof.length > 0 && (
                <ol className="proof" data-testid="receipt-proof">
                  {r.batch.proof.map((p, i) => (
                    <li key={i}>
                      <code>{p}</code>
                    </li>
                  ))}
                </ol>
              )}
            </dd>
          </>
        )}
        {r.anchor && (
          <>
            <dt>anchored in</dt>
            <dd>
              tx <TxLink hash={r.anchor.txHash} chainId={r.chainId} event="RootAnchored" testId="receipt-tx" /> · block {r.anchor.blockNumber} · {dateTime(r.anchor.timestamp)}
            </dd>
            <dt>submitter</dt>
            <dd>
              <Address value={r.anchor.submitter} full />
            </dd>
          </>
        )}
      </dl>
      <details className="raw">
        <summary>receipt JSON (what `machina verify FILE RECEIPT` takes)</summary>
        <pre data-testid="receipt-json">{JSON.stringify(r, null, 2)}</pre>
      </details>
    </div>
  );
}

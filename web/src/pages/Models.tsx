// Registered models: name, weights digest, trainer agent, the dataset versions it was trained on
// and the model it was fine-tuned from; each opens its lineage page. Refreshed live on
// ModelRegistered events.
import { useState } from 'react';
import { ApiError, nonZero, provenanceApi } from '../api.ts';
import { Card, Empty, ErrorNote, Hash, Loading } from '../components/common.tsx';
import { DatasetLink } from '../components/ProvenanceParts.tsx';
import { dateTime, timeAgo } from '../format.ts';
import { useLiveResource, useNow } from '../hooks.ts';
import { href } from '../router.ts';

const PAGE = 25;

export function Models() {
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const models = useLiveResource((s) => provenanceApi.models({ limit: PAGE, cursor }, s), [cursor], ['ProvenanceRegistry'], { keepPrevious: true });
  const now = useNow();
  const page = models.data;
  return (
    <div className="page" data-testid="models-page">
      <h1>Models</h1>
      <Card
        title={
          <>
            Registered models <span className="live-tag">live</span>
          </>
        }
      >
        {models.error instanceof ApiError && models.error.status === 404 ? <Empty>This node runs no provenance service.</Empty> : models.error && <ErrorNote error={models.error} />}
        {!page && !models.error && <Loading what="models" />}
        {page && page.items.length === 0 && <Empty>No model registered yet. Try `machina model register`.</Empty>}
        {page && page.items.length > 0 && (
          <table className="table" data-testid="models-table">
            <thead>
              <tr>
                <th>Model</th>
                <th>Weights digest</th>
                <th>Trainer</th>
                <th>Trained on</th>
                <th>Fine-tuned from</th>
                <th>Registered</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((m) => {
                const id = m.weightsDigest;
                const base = nonZero(m.baseModel);
                return (
                  <tr key={id} className="clickable" data-testid="model-row" data-id={id} onClick={() => (location.hash = href(`/lineage/${id}`))}>
                    <td>
                      <a href={href(`/lineage/${id}`)} className="agent-link">
                        {m.name}
                      </a>
                    </td>
                    <td>
                      <Hash value={id} />
                    </td>
                    <td onClick={(e) => e.stopPropagation()}>
                      <a href={href(`/agents/${m.trainerAgentId}`)}>agent #{m.trainerAgentId}</a>
                    </td>
                    <td onClick={(e) => e.stopPropagation()}>
                      {m.datasetRoots.map((r) => (
                        <div key={r}>
                          <DatasetLink root={r} />
                        </div>
                      ))}
                    </td>
                    <td onClick={(e) => e.stopPropagation()}>
                      {base ? (
                        <a href={href(`/lineage/${base}`)}>
                          <Hash value={base} />
                        </a>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td className="when" title={dateTime(m.registered.timestamp)}>
                      {timeAgo(m.registered.timestamp, now)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        {(cursors.length > 0 || page?.nextCursor) && (
          <div className="pager">
            <button disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
              ← Newer
            </button>
            <button disabled={!page?.nextCursor} onClick={() => page?.nextCursor && setCursors([...cursors, page.nextCursor])}>
              Older →
            </button>
          </div>
        )}
      </Card>
    </div>
  );
}

// The lineage picture: dataset versions, the versions derived from them, the models trained on them
// and the models fine-tuned from those, as an SVG DAG laid out in columns by depth (sources left).
// Nodes link to their pages; edges carry their kind; a dataset an audit found tampered is red and
// names the files.
import type { LineageEdge, LineageNode } from '../api.ts';
import { href } from '../router.ts';

/** What an audit found wrong with one node: the files (tampered / missing) and the messages. */
export type NodeProblem = { files: { path: string; verdict: string }[]; messages: string[] };

const NODE_W = 200;
const NODE_H = 62;
const LINE_H = 15;
const COL_GAP = 86;
const ROW_GAP = 26;
/** A lane: where an edge crosses a column it skips. */
const LANE_H = 10;
const LANE_GAP = 12;
const PAD = 24;
const HEAD = 22;
const MAX_FILES = 3;

const EDGE_LABEL: Record<LineageEdge['kind'], string> = { parent: 'derived', 'trained-on': 'trained on', 'base-model': 'fine-tuned' };

/** An edge turned to point downstream: from what came first to what was made from it. */
type Flow = { up: string; down: string; kind: LineageEdge['kind'] };

/**
 * The node writes edges downstream (parent → derived version, dataset → model, base → fine-tuned).
 * The picture holds to what the records say whichever way an edge comes: datasets before the
 * models trained on them, a lower version before a higher one, an older model before a newer.
 */
export function toFlow(e: LineageEdge, byId: Map<string, LineageNode>): Flow {
  const a = byId.get(e.from);
  const b = byId.get(e.to);
  let up = e.from;
  let down = e.to;
  if (e.kind === 'trained-on' && a && b && a.kind !== b.kind) [up, down] = a.kind === 'dataset' ? [e.from, e.to] : [e.to, e.from];
  else if (e.kind === 'parent' && a?.version != null && b?.version != null && a.version !== b.version) [up, down] = a.version < b.version ? [e.from, e.to] : [e.to, e.from];
  else if (e.kind === 'base-model' && a?.timestamp !== undefined && b?.timestamp !== undefined && a.timestamp !== b.timestamp) [up, down] = a.timestamp < b.timestamp ? [e.from, e.to] : [e.to, e.from];
  return { up, down, kind: e.kind };
}

type Placed = LineageNode & { x: number; y: number; h: number; depth: number };
/** A drawn edge: the points it passes (source's right side, through lanes in skipped columns, target's left side). */
type Route = Flow & { points: { x: number; y: number }[]; through: number };

/**
 * Columns by longest path from a source (Sugiyama): an edge that skips columns gets a lane (a
 * dummy) in each column it crosses, so it runs between nodes rather than under them; rows follow
 * the average row of the neighbours, swept forward, back and forward again.
 */
export function layout(nodes: LineageNode[], edges: LineageEdge[], problems: Map<string, NodeProblem>) {
  const byId = new Map(nodes.map((n) => [n.id.toLowerCase(), { ...n, id: n.id.toLowerCase() }]));
  const flows = edges
    .map((e) => toFlow({ ...e, from: e.from.toLowerCase(), to: e.to.toLowerCase() }, byId))
    .filter((f) => byId.has(f.up) && byId.has(f.down) && f.up !== f.down);

  // Longest path by relaxation; a cycle (which the registry cannot make) stops after n rounds.
  const depth = new Map<string, number>([...byId.keys()].map((id) => [id, 0]));
  for (let round = 0, changed = true; changed && round < byId.size; round++) {
    changed = false;
    for (const f of flows) {
      const d = depth.get(f.up)! + 1;
      if (d > depth.get(f.down)!) (depth.set(f.down, d), (changed = true));
    }
  }

  // Chains through lanes: every link joins adjacent columns.
  const chains = flows.map((f, i) => {
    const chain = [f.up];
    for (let d = depth.get(f.up)! + 1; d < depth.get(f.down)!; d++) {
      const lane = `~${i}:${d}`;
      depth.set(lane, d);
      chain.push(lane);
    }
    chain.push(f.down);
    return chain;
  });
  const ups = new Map<string, string[]>();
  const downs = new Map<string, string[]>();
  for (const chain of chains)
    for (let k = 1; k < chain.length; k++) {
      ups.set(chain[k]!, [...(ups.get(chain[k]!) ?? []), chain[k - 1]!]);
      downs.set(chain[k - 1]!, [...(downs.get(chain[k - 1]!) ?? []), chain[k]!]);
    }

  const columns: string[][] = [];
  for (const [id, d] of depth) (columns[d] ??= []).push(id);
  const isLane = (id: string) => id.startsWith('~');
  const label = (id: string) => {
    const n = byId.get(id);
    return n ? `${n.kind === 'dataset' ? 0 : 1}:${n.name}:${String(n.version ?? 0).padStart(6, '0')}` : `2:${id}`;
  };
  const byLabel = (a: string, b: string) => (label(a) < label(b) ? -1 : label(a) > label(b) ? 1 : 0);
  const rowOf = new Map<string, number>();
  columns.forEach((col) => col.sort(byLabel).forEach((id, i) => rowOf.set(id, i)));
  const sweep = (order: number[], neighbours: Map<string, string[]>) => {
    for (const c of order) {
      const col = columns[c]!;
      const centre = (id: string) => {
        const rows = (neighbours.get(id) ?? []).map((u) => rowOf.get(u)!);
        return rows.length ? rows.reduce((s, r) => s + r, 0) / rows.length : rowOf.get(id)!;
      };
      const key = new Map(col.map((id) => [id, centre(id)]));
      col.sort((a, b) => key.get(a)! - key.get(b)! || byLabel(a, b));
      col.forEach((id, i) => rowOf.set(id, i));
    }
  };
  const forward = columns.map((_, c) => c).slice(1);
  sweep(forward, ups);
  sweep([...forward].reverse().map((c) => c - 1), downs);
  sweep(forward, ups);

  const heightOf = (id: string) => {
    if (isLane(id)) return LANE_H;
    const p = problems.get(id);
    if (!p) return NODE_H;
    const lines = Math.min(p.files.length, MAX_FILES) + (p.files.length > MAX_FILES ? 1 : 0) + (p.files.length === 0 ? 1 : 0);
    return NODE_H + lines * LINE_H;
  };
  const gapOf = (id: string) => (isLane(id) ? LANE_GAP : ROW_GAP);
  const colHeights = columns.map((col) => col.reduce((s, id, i) => s + heightOf(id) + (i ? gapOf(id) : 0), 0));
  const tallest = Math.max(NODE_H, ...colHeights);
  const placed = new Map<string, Placed>();
  const lanes = new Map<string, { x: number; y: number }>();
  columns.forEach((col, c) => {
    let y = PAD + HEAD + (tallest - colHeights[c]!) / 2;
    col.forEach((id, i) => {
      if (i) y += gapOf(id);
      const h = heightOf(id);
      const x = PAD + c * (NODE_W + COL_GAP);
      if (isLane(id)) lanes.set(id, { x, y: y + h / 2 });
      else placed.set(id, { ...byId.get(id)!, x, y, h, depth: c });
      y += h;
    });
  });
  const routes: Route[] = flows.map((f, i) => {
    const a = placed.get(f.up)!;
    const b = placed.get(f.down)!;
    const points = [{ x: a.x + NODE_W, y: a.y + a.h / 2 }];
    for (const lane of chains[i]!.slice(1, -1)) {
      const l = lanes.get(lane)!;
      points.push({ x: l.x, y: l.y }, { x: l.x + NODE_W, y: l.y });
    }
    points.push({ x: b.x - 2, y: b.y + b.h / 2 });
    return { ...f, points, through: chains[i]!.length - 2 };
  });
  const width = PAD * 2 + columns.length * NODE_W + Math.max(0, columns.length - 1) * COL_GAP;
  const height = PAD * 2 + HEAD + tallest;
  return { placed, routes, columns: columns.map((col) => col.filter((id) => !isLane(id))), width, height };
}

/** Curves between columns, straight through lanes. */
function pathOf(points: { x: number; y: number }[]): string {
  let d = `M${points[0]!.x},${points[0]!.y}`;
  for (let k = 1; k < points.length; k++) {
    const p = points[k - 1]!;
    const q = points[k]!;
    if (k % 2 === 0) d += ` L${q.x},${q.y}`;
    else {
      const dx = Math.max(30, (q.x - p.x) / 2);
      d += ` C${p.x + dx},${p.y} ${q.x - dx},${q.y} ${q.x},${q.y}`;
    }
  }
  return d;
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
function short(h: string): string {
  return `${h.slice(0, 10)}…${h.slice(-4)}`;
}

const COLUMN_NAMES = (kinds: Set<string>) => (kinds.size === 1 ? (kinds.has('dataset') ? 'datasets' : 'models') : 'datasets · models');

export function LineageGraph({ nodes, edges, focus, problems }: { nodes: LineageNode[]; edges: LineageEdge[]; focus: string; problems: Map<string, NodeProblem> }) {
  const { placed, routes, columns, width, height } = layout(nodes, edges, problems);
  const f = focus.toLowerCase();
  return (
    <div className="lineage-wrap">
      <svg
        className="lineage"
        data-testid="lineage-svg"
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`lineage: ${nodes.length} nodes, ${edges.length} edges`}
        xmlns="http://www.w3.org/2000/svg"
      >
        <defs>
          <marker id="lineage-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" fill="#8a90a0" />
          </marker>
        </defs>
        {columns.map((col, c) => (
          <text key={c} className="column-label" x={PAD + c * (NODE_W + COL_GAP)} y={PAD + 8}>
            {`depth ${c} · ${COLUMN_NAMES(new Set(col.map((id) => placed.get(id)!.kind)))}`}
          </text>
        ))}
        {routes.map((e) => {
          // The label sits in the first gap, where edges leaving one node still fan apart.
          const [p, q] = [e.points[0]!, e.points[1]!];
          return (
            <g key={`${e.up}-${e.down}-${e.kind}`} className={`edge kind-${e.kind}`} data-testid="lineage-edge" data-from={e.up} data-to={e.down} data-kind={e.kind}>
              <path d={pathOf(e.points)} markerEnd="url(#lineage-arrow)" />
              <text x={(p.x + q.x) / 2} y={(p.y + q.y) / 2 - 5} textAnchor="middle">
                {EDGE_LABEL[e.kind] ?? e.kind}
              </text>
            </g>
          );
        })}
        {[...placed.values()].map((n) => {
          const p = problems.get(n.id);
          const target = n.kind === 'dataset' ? href(`/datasets/${n.id}`) : href(`/lineage/${n.id}`);
          const title = n.kind === 'dataset' ? `${n.name} v${n.version ?? '?'}` : n.name;
          return (
            <a
              key={n.id}
              href={target}
              className={`node kind-${n.kind}${n.id === f ? ' focus' : ''}${p ? ' tampered' : ''}`}
              data-testid="lineage-node"
              data-id={n.id}
              data-kind={n.kind}
              data-name={n.name}
              data-version={n.version ?? ''}
              data-depth={n.depth}
              data-tampered={p ? 'true' : 'false'}
              data-files={p ? p.files.map((x) => x.path).join('\n') : ''}
            >
              <title>{`${n.kind} ${title}\n${n.id}${p ? `\n${[...p.files.map((x) => `${x.verdict}: ${x.path}`), ...p.messages].join('\n')}` : ''}`}</title>
              <rect x={n.x} y={n.y} width={NODE_W} height={n.h} rx={9} />
              <text className="title" x={n.x + 12} y={n.y + 22}>
                {n.kind === 'dataset' ? '▤ ' : '◆ '}
                {clip(title, 24)}
              </text>
              <text className="meta" x={n.x + 12} y={n.y + 40}>
                {n.kind} · {short(n.id)}
              </text>
              {n.timestamp !== undefined && (
                <text className="meta" x={n.x + 12} y={n.y + 54}>
                  {new Date(n.timestamp * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC
                </text>
              )}
              {p &&
                (p.files.length === 0 ? (
                  <text className="meta bad" x={n.x + 12} y={n.y + NODE_H + 6}>
                    {clip(p.messages[0] ?? 'audit failed', 29)}
                  </text>
                ) : (
                  [...p.files.slice(0, MAX_FILES).map((x) => `✗ ${x.verdict === 'file-missing' ? 'missing' : 'tampered'}: ${x.path}`), ...(p.files.length > MAX_FILES ? [`and ${p.files.length - MAX_FILES} more`] : [])].map((line, i) => (
                    <text key={i} className="meta bad" data-testid="lineage-bad-file" x={n.x + 12} y={n.y + NODE_H + 6 + i * LINE_H}>
                      {clip(line, 29)}
                    </text>
                  ))
                ))}
            </a>
          );
        })}
      </svg>
    </div>
  );
}

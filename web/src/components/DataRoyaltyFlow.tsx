// Where a model's revenue went, as a Sankey-style picture: the revenue on the left, split into what
// the model's beneficiary kept and the royalty each licensed dataset received, and each dataset's
// royalty split among its contributors on the right. Band widths are proportional to the amounts
// (the same scale everywhere), every node is labelled with its amount. Before any revenue is routed,
// the bands show the split the terms promise (royalty bps and contributor shares) instead.
import type { DataRoyaltyFlow as Flow } from '../api.ts';
import { shortAddress } from '../format.ts';
import { href } from '../router.ts';
import { musd, musdNumber } from './ComputeParts.tsx';
import { bps } from './DataParts.tsx';

const W = 980;
const NODE_W = 14;
const X = [150, 450, 730];
const GAP = 14;
/** Vertical room a node needs for its two label lines, whatever its band width. */
const SLOT = 34;
const TOP = 26;
/** Height the largest column's bands take up. */
const BANDS_H = 260;
const COLORS = ['#4f46e5', '#0e9f6e', '#d97706', '#db2777', '#0891b2', '#7c3aed', '#65a30d', '#dc2626'];
const BENEFICIARY = '#8a90a0';

type Node = { id: string; x: number; y: number; h: number; slot: number; color: string; label: string; amountLabel: string; href?: string; kind: 'revenue' | 'beneficiary' | 'dataset' | 'contributor'; revoked?: boolean };
type Band = { from: Node; to: Node; y0: number; y1: number; w: number; color: string; kind: 'beneficiary' | 'dataset' | 'contributor'; amount: string; attrs: Record<string, string> };

/** Amount as a number for drawing: mUSD when revenue was routed, else the promised share in bps. */
function weightOf(flow: Flow): { routed: boolean; revenue: number; beneficiary: number; datasets: { paid: number; contributors: number[] }[] } {
  const routed = /^\d+$/.test(flow.revenue) && BigInt(flow.revenue) > 0n;
  if (routed)
    return {
      routed,
      revenue: musdNumber(flow.revenue),
      beneficiary: musdNumber(flow.toBeneficiary),
      datasets: flow.datasets.map((d) => ({ paid: musdNumber(d.paid), contributors: d.contributors.map((c) => musdNumber(c.amount)) })),
    };
  const sum = flow.datasets.reduce((s, d) => s + d.royaltyBps, 0);
  return {
    routed,
    revenue: 10_000,
    beneficiary: Math.max(0, 10_000 - sum),
    datasets: flow.datasets.map((d) => ({ paid: d.royaltyBps, contributors: d.contributors.map((c) => (d.royaltyBps * c.shareBps) / 10_000) })),
  };
}

export function layoutFlow(flow: Flow) {
  const w = weightOf(flow);
  const middleCount = 1 + flow.datasets.length;
  const rightCount = flow.datasets.reduce((s, d) => s + d.contributors.length, 0);
  const scale = w.revenue > 0 ? BANDS_H / w.revenue : 0;
  const hOf = (v: number) => Math.max(v > 0 ? 1.5 : 0, v * scale);
  const label = (v: string, share: string) => (w.routed ? musd(v) : share);

  // Middle column: the beneficiary, then each dataset; right column: each dataset's contributors, in the same order.
  const mid: Node[] = [];
  const right: Node[] = [];
  let y = TOP;
  const benH = hOf(w.beneficiary);
  const ben: Node = {
    id: 'beneficiary',
    kind: 'beneficiary',
    x: X[1]!,
    y,
    h: benH,
    slot: Math.max(benH, SLOT),
    color: BENEFICIARY,
    label: `beneficiary ${shortAddress(flow.beneficiary)}`,
    amountLabel: label(flow.toBeneficiary, `${bps(10_000 - flow.datasets.reduce((s, d) => s + d.royaltyBps, 0))} of revenue`),
    href: href(`/wallets/${flow.beneficiary}`),
  };
  mid.push(ben);
  y += ben.slot + GAP;
  let ry = TOP;
  const contributorsOf: Node[][] = [];
  flow.datasets.forEach((d, j) => {
    const color = COLORS[j % COLORS.length]!;
    const dh = hOf(w.datasets[j]!.paid);
    // Datasets line up with their contributors where there is room for it.
    const top = Math.max(y, ry);
    const node: Node = {
      id: `dataset:${d.listingId}`,
      kind: 'dataset',
      x: X[1]!,
      y: top,
      h: dh,
      slot: Math.max(dh, SLOT),
      color,
      label: `${d.name ? d.name : `listing #${d.listingId}`} · ${bps(d.royaltyBps)}`,
      amountLabel: label(d.paid, `${bps(d.royaltyBps)} of revenue`),
      href: href(`/data/listings/${d.listingId}`),
    };
    mid.push(node);
    y = top + node.slot + GAP;
    ry = Math.max(ry, top);
    const cs: Node[] = d.contributors.map((c, i) => {
      const ch = hOf(w.datasets[j]!.contributors[i]!);
      const n: Node = {
        id: `contributor:${d.listingId}:${c.index}`,
        kind: 'contributor',
        x: X[2]!,
        y: ry,
        h: ch,
        slot: Math.max(ch, SLOT),
        color,
        label: `${shortAddress(c.account)} · ${bps(c.shareBps)}${c.revoked ? ' (revoked)' : ''}`,
        amountLabel: label(c.amount, `${bps((d.royaltyBps * c.shareBps) / 10_000)} of revenue`),
        href: href(`/wallets/${c.account}`),
        ...(c.revoked ? { revoked: true } : {}),
      };
      ry += n.slot + GAP;
      return n;
    });
    contributorsOf.push(cs);
  });
  const bottom = Math.max(y, ry, TOP + hOf(w.revenue) + GAP);
  const revH = hOf(w.revenue);
  const rev: Node = {
    id: 'revenue',
    kind: 'revenue',
    x: X[0]!,
    y: TOP + Math.max(0, (bottom - GAP - TOP - revH) / 2),
    h: revH,
    slot: revH,
    color: '#1b1f2a',
    label: flow.name ? `${flow.name}` : 'model revenue',
    amountLabel: w.routed ? `${musd(flow.revenue)} revenue` : 'no revenue routed yet',
  };

  const bands: Band[] = [];
  let out = rev.y;
  const fromRev = (to: Node, v: number, kind: 'beneficiary' | 'dataset', amount: string, attrs: Record<string, string>) => {
    const bw = hOf(v);
    bands.push({ from: rev, to, y0: out, y1: to.y, w: bw, color: to.color, kind, amount, attrs });
    out += bw;
  };
  fromRev(ben, w.beneficiary, 'beneficiary', flow.toBeneficiary, { account: flow.beneficiary });
  flow.datasets.forEach((d, j) => {
    const dn = mid[j + 1]!;
    fromRev(dn, w.datasets[j]!.paid, 'dataset', d.paid, { 'listing-id': d.listingId, 'royalty-bps': String(d.royaltyBps) });
    let dout = dn.y;
    d.contributors.forEach((c, i) => {
      const cn = contributorsOf[j]![i]!;
      const bw = hOf(w.datasets[j]!.contributors[i]!);
      bands.push({ from: dn, to: cn, y0: dout, y1: cn.y, w: bw, color: dn.color, kind: 'contributor', amount: c.amount, attrs: { 'listing-id': d.listingId, account: c.account, index: String(c.index), 'share-bps': String(c.shareBps), revoked: String(!!c.revoked) } });
      dout += bw;
    });
  });
  const nodes = [rev, ...mid, ...contributorsOf.flat()];
  return { nodes, bands, height: bottom - GAP + 10, routed: w.routed, middleCount, rightCount };
}

function bandPath(b: Band): string {
  const x0 = b.from.x + NODE_W;
  const x1 = b.to.x;
  const xm = (x0 + x1) / 2;
  return `M${x0},${b.y0} C${xm},${b.y0} ${xm},${b.y1} ${x1},${b.y1} L${x1},${b.y1 + b.w} C${xm},${b.y1 + b.w} ${xm},${b.y0 + b.w} ${x0},${b.y0 + b.w} Z`;
}

export function DataRoyaltyFlow({ flow }: { flow: Flow }) {
  const { nodes, bands, height, routed } = layoutFlow(flow);
  return (
    <div className="flow-wrap" data-testid="royalty-flow" data-digest={flow.weightsDigest} data-revenue={flow.revenue} data-routed={String(routed)}>
      <svg viewBox={`0 0 ${W} ${height}`} width="100%" role="img" aria-label={`royalty flow of model ${flow.weightsDigest}: ${musd(flow.revenue)} revenue to ${flow.datasets.length} datasets and the beneficiary`} xmlns="http://www.w3.org/2000/svg">
        <text className="flow-col" x={X[0]} y={12}>
          model revenue
        </text>
        <text className="flow-col" x={X[1]} y={12}>
          beneficiary · datasets (royalty)
        </text>
        <text className="flow-col" x={X[2]} y={12}>
          contributors (share)
        </text>
        {bands.map((b) => (
          <path
            key={`${b.from.id}>${b.to.id}`}
            className={`flow-band kind-${b.kind}${b.to.revoked ? ' revoked' : ''}`}
            d={bandPath(b)}
            fill={b.color}
            data-testid="flow-band"
            data-kind={b.kind}
            data-from={b.from.id}
            data-to={b.to.id}
            data-amount={b.amount}
            data-width={b.w.toFixed(3)}
            {...Object.fromEntries(Object.entries(b.attrs).map(([k, v]) => [`data-${k}`, v]))}
          >
            <title>{`${b.from.label} → ${b.to.label}: ${routed ? musd(b.amount) : b.to.amountLabel}`}</title>
          </path>
        ))}
        {nodes.map((n) => {
          const left = n.kind === 'revenue';
          const tx = left ? n.x - 8 : n.x + NODE_W + 6;
          const cy = n.y + Math.max(n.h, 0) / 2;
          const body = (
            <>
              <rect x={n.x} y={n.y} width={NODE_W} height={Math.max(n.h, 1)} rx={2} fill={n.color} className={n.revoked ? 'revoked' : ''} />
              <text className="flow-label" x={tx} y={cy - 2} textAnchor={left ? 'end' : 'start'} data-testid="flow-label">
                {n.label}
              </text>
              <text className="flow-amount" x={tx} y={cy + 12} textAnchor={left ? 'end' : 'start'} data-testid="flow-amount">
                {n.amountLabel}
              </text>
            </>
          );
          return (
            <g key={n.id} className={`flow-node kind-${n.kind}`} data-testid="flow-node" data-id={n.id} data-kind={n.kind}>
              {n.href ? <a href={n.href}>{body}</a> : body}
            </g>
          );
        })}
      </svg>
      <div className="legend">
        {routed ? <span className="muted">band widths are proportional to the amounts credited (mUSD)</span> : <span className="muted">no revenue routed yet: band widths show the split the royalty terms promise</span>}
        {flow.datasets.some((d) => d.contributors.some((c) => c.revoked)) && <span className="muted">a contributor who revoked consent keeps the royalties of models trained before the revocation</span>}
      </div>
    </div>
  );
}

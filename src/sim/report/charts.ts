// Charts of a simulation as plain SVG strings, with no dependencies: the CLI's HTML report, the README and the
// dashboard embed the same files. Long runs are thinned to about one point per pixel, keeping each bucket's
// minimum and maximum so a one-step crash still shows.
import type { SeriesTable, SimEvent, SimRun, SweepPoint, SweepResult } from '../types.ts';
import { summaryOf } from './labels.ts';

export type RunCharts = { price: string; liquidations: string; pnl: string; breaker: string };

const WIDTH = 800;
const PALETTE = ['#1f5fa8', '#c4342d', '#2e8540', '#d9822b', '#7048a8', '#8c564b', '#c2408f', '#5f6b73', '#17a2b8', '#8a8a00'];
const FONT = 'font-family="system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif"';
/** Lines keep at most about this many points (two per bucket), bars this many buckets. */
const MAX_BUCKETS = 400;

/** Text made safe for SVG and HTML, in element content and in attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A number short enough for a tick label: 1.2k, 3.4M, 0.0012, 12.5. */
export function formatTick(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a === 0) return '0';
  const units: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e4, 'k']];
  for (const [v, s] of units) if (a >= v) return `${Number((n / (s === 'k' ? 1e3 : v)).toPrecision(3))}${s}`;
  if (a >= 1000) return Math.round(n).toLocaleString('en-US');
  if (a >= 0.001) return String(Number(n.toPrecision(3)));
  return n.toExponential(1);
}

/** One unit for all of an axis's labels, chosen by its largest tick: 0, 5k, 10k, 15k rather than 0, 5,000, 10k. */
export function axisFormat(ticks: readonly number[]): (n: number) => string {
  const top = Math.max(0, ...ticks.map(Math.abs));
  const unit = ([[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e4, 'k']] as const).find(([v]) => top >= v);
  if (!unit) return formatTick;
  const div = unit[1] === 'k' ? 1e3 : unit[0];
  return (n) => (n === 0 ? '0' : `${Number((n / div).toPrecision(3))}${unit[1]}`);
}

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0];
  if (max - min < 1e-12 * Math.max(1, Math.abs(max))) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    return niceTicks(min - pad, max + pad, count);
  }
  const raw = (max - min) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const out: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 0.5; v += step) out.push(Number(v.toPrecision(12)));
  // Ticks must cover the data: extend one step if the last tick fell short.
  if (out[out.length - 1]! < max) out.push(Number((out[out.length - 1]! + step).toPrecision(12)));
  return out;
}

// ───────────────────────────────────────────────────────────────────────────── one panel

type Values = ArrayLike<number>;
export type LineSpec = { label: string; y: Values; color?: string; dash?: string; axis?: 'left' | 'right'; dots?: boolean; legend?: boolean };
export type BarSpec = { label: string; y: Values; color?: string; axis?: 'left' | 'right' };
export type BandSpec = { label: string; lo: Values; hi: Values; color?: string; legend?: boolean };
export type SpanSpec = { label: string; ranges: { from: number; to: number }[]; color?: string };
export type MarkerSpec = { label: string; at: number[]; color?: string };
export type PanelSpec = {
  title: string;
  x: Values;
  xLabel: string;
  yLabel: string;
  y2Label?: string;
  lines?: LineSpec[];
  bars?: BarSpec[];
  bands?: BandSpec[];
  spans?: SpanSpec[];
  markers?: MarkerSpec[];
  /** Start the left axis at zero (amounts) rather than at the data's minimum (prices). */
  zeroBased?: boolean;
  /** Label the left axis in percent (values are fractions). */
  yPercent?: boolean;
  /** Put the x ticks exactly at these values (sweeps: the swept values). */
  xTicks?: number[];
  height?: number;
};

type Scale = { min: number; max: number; ticks: number[]; map: (v: number) => number };

function scale(values: number[], lo: number, hi: number, opts: { zero?: boolean; ticks?: number[]; invert?: boolean; tight?: boolean; count?: number }): Scale {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min === Infinity) [min, max] = [0, 1];
  if (opts.zero) [min, max] = [Math.min(0, min), Math.max(0, max)];
  // Nothing but zeros (no bad debt at all): a 0..1 axis, not one centred on zero.
  if (opts.zero && min === 0 && max === 0) max = 1;
  let ticks = opts.ticks ?? niceTicks(min, max, opts.count);
  if (opts.tight && max > min) ticks = ticks.filter((t) => t >= min - 1e-9 * Math.abs(min) && t <= max + 1e-9 * Math.abs(max));
  else if (!opts.ticks) [min, max] = [Math.min(min, ticks[0]!), Math.max(max, ticks[ticks.length - 1]!)];
  if (max === min) max = min + 1;
  const span = max - min;
  const map = opts.invert ? (v: number) => hi - ((v - min) / span) * (hi - lo) : (v: number) => lo + ((v - min) / span) * (hi - lo);
  return { min, max, ticks, map };
}

/** Bucket boundaries [start, end) over n rows, at most MAX_BUCKETS of them. */
function buckets(n: number): [number, number][] {
  const b = Math.min(n, MAX_BUCKETS);
  const out: [number, number][] = [];
  for (let i = 0; i < b; i++) out.push([Math.floor((i * n) / b), Math.floor(((i + 1) * n) / b)]);
  return out.filter(([s, e]) => e > s);
}

/** The rows a line keeps: all of them, or each bucket's minimum and maximum in row order. */
function thin(y: Values): number[] {
  const n = y.length;
  if (n <= MAX_BUCKETS * 2) return Array.from({ length: n }, (_, i) => i);
  const keep: number[] = [];
  for (const [s, e] of buckets(n)) {
    let lo = s;
    let hi = s;
    for (let i = s; i < e; i++) {
      if (y[i]! < y[lo]!) lo = i;
      if (y[i]! > y[hi]!) hi = i;
    }
    if (lo === hi) keep.push(lo);
    else keep.push(Math.min(lo, hi), Math.max(lo, hi));
  }
  return keep;
}

const f1 = (v: number) => (Math.round(v * 10) / 10).toString();

function path(points: [number, number][]): string {
  let d = '';
  let pen = false;
  for (const [px, py] of points) {
    if (!Number.isFinite(px) || !Number.isFinite(py)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${f1(px)} ${f1(py)}`;
    pen = true;
  }
  return d;
}

/** One chart panel (axes, grid, data, legend) as an SVG group placed at `top`. */
function panel(spec: PanelSpec, top: number): { svg: string; height: number } {
  const height = spec.height ?? 320;
  const lines = spec.lines ?? [];
  const bars = spec.bars ?? [];
  const bands = spec.bands ?? [];
  const hasRight = [...lines, ...bars].some((s) => s.axis === 'right');
  const legend = legendItems(spec);
  const legendRows = layoutLegend(legend);
  const m = { left: 68, right: hasRight ? 68 : 24, top: 34 + legendRows.height, bottom: 46 };
  const x0 = m.left;
  const x1 = WIDTH - m.right;
  const y0 = top + height - m.bottom;
  const y1 = top + m.top;
  const xs = Array.from(spec.x);
  const xScale = scale(xs, x0, x1, spec.xTicks ? { ticks: spec.xTicks } : { tight: true, count: 8 });
  const leftValues: number[] = [];
  const rightValues: number[] = [];
  // Bars sum their steps per bucket (a bar a pixel or wider), so the axis must reach the largest sum.
  const barSums = bars.map((b) => {
    const n = Math.min(xs.length, b.y.length);
    return buckets(n).map(([s, e]) => {
      let sum = 0;
      for (let i = s; i < e; i++) sum += Number.isFinite(b.y[i]!) ? b.y[i]! : 0;
      return { s, e, n, sum };
    });
  });
  for (const l of lines) for (let i = 0; i < l.y.length; i++) (l.axis === 'right' ? rightValues : leftValues).push(l.y[i]!);
  for (const [k, b] of bars.entries()) for (const { sum } of barSums[k]!) (b.axis === 'right' ? rightValues : leftValues).push(sum);
  for (const b of bands) for (let i = 0; i < b.lo.length; i++) leftValues.push(b.lo[i]!, b.hi[i]!);
  const yL = scale(leftValues, y1, y0, { zero: spec.zeroBased || bars.some((b) => b.axis !== 'right'), invert: true });
  const yR = scale(rightValues, y1, y0, { zero: true, invert: true });
  const yOf = (s: { axis?: 'left' | 'right' }) => (s.axis === 'right' ? yR : yL);
  const out: string[] = [];

  out.push(`<text x="${WIDTH / 2}" y="${top + 22}" text-anchor="middle" font-size="16" font-weight="600" fill="#1b1f24">${escapeXml(spec.title)}</text>`);
  out.push(legendRows.svg(top + 30));
  // Shaded spans first, under everything else.
  for (const s of spec.spans ?? []) {
    const color = s.color ?? '#f0ad4e';
    const merged = mergeRanges(s.ranges.map((r) => [clamp(xScale.map(r.from), x0, x1), clamp(xScale.map(r.to), x0, x1)] as [number, number]));
    out.push(`<g fill="${color}" fill-opacity="0.22" data-series="${escapeXml(s.label)}" data-kind="span">`);
    for (const [a, b] of merged) out.push(`<rect x="${f1(a)}" y="${y1}" width="${f1(Math.max(1, b - a))}" height="${y0 - y1}"/>`);
    out.push('</g>');
  }
  // Grid and axes.
  out.push('<g stroke="#d0d7de" stroke-width="1">');
  for (const t of yL.ticks) out.push(`<line x1="${x0}" x2="${x1}" y1="${f1(yL.map(t))}" y2="${f1(yL.map(t))}"/>`);
  out.push('</g>');
  out.push(`<g font-size="12" fill="#3d444d" ${FONT}>`);
  const yTick = spec.yPercent ? (t: number) => `${Number((t * 100).toPrecision(3))}%` : axisFormat(yL.ticks);
  const y2Tick = axisFormat(yR.ticks);
  for (const t of yL.ticks) out.push(`<text x="${x0 - 6}" y="${f1(yL.map(t) + 4)}" text-anchor="end">${escapeXml(yTick(t))}</text>`);
  if (hasRight) for (const t of yR.ticks) out.push(`<text x="${x1 + 6}" y="${f1(yR.map(t) + 4)}">${escapeXml(y2Tick(t))}</text>`);
  const xTicks = spec.xTicks ?? xScale.ticks.filter((t) => t >= xScale.min && t <= xScale.max);
  const xTick = axisFormat(xTicks);
  for (const t of xTicks) {
    const px = xScale.map(t);
    out.push(`<line x1="${f1(px)}" x2="${f1(px)}" y1="${y0}" y2="${y0 + 5}" stroke="#57606a"/>`);
    out.push(`<text x="${f1(px)}" y="${y0 + 18}" text-anchor="middle">${escapeXml(xTick(t))}</text>`);
  }
  out.push(`<text x="${(x0 + x1) / 2}" y="${y0 + 38}" text-anchor="middle" font-size="13">${escapeXml(spec.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${f1((y0 + y1) / 2)}) rotate(-90)" text-anchor="middle" font-size="13">${escapeXml(spec.yLabel)}</text>`);
  if (hasRight && spec.y2Label) out.push(`<text transform="translate(${WIDTH - 12} ${f1((y0 + y1) / 2)}) rotate(90)" text-anchor="middle" font-size="13">${escapeXml(spec.y2Label)}</text>`);
  out.push('</g>');
  out.push(`<path d="M${x0} ${y1}V${y0}H${x1}${hasRight ? `V${y1}` : ''}" fill="none" stroke="#57606a" stroke-width="1"/>`);

  // Bands, bars, lines, markers.
  for (const b of bands) {
    const color = b.color ?? PALETTE[0]!;
    const n = Math.min(xs.length, b.lo.length, b.hi.length);
    const upper: [number, number][] = [];
    const lower: [number, number][] = [];
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(b.lo[i]!) || !Number.isFinite(b.hi[i]!)) continue;
      upper.push([xScale.map(xs[i]!), yL.map(b.hi[i]!)]);
      lower.push([xScale.map(xs[i]!), yL.map(b.lo[i]!)]);
    }
    if (upper.length > 0) out.push(`<path d="${path([...upper, ...lower.reverse()])}Z" fill="${color}" fill-opacity="0.15" stroke="none" data-series="${escapeXml(b.label)}" data-kind="band"/>`);
  }
  for (const [k, b] of bars.entries()) {
    const color = b.color ?? PALETTE[(k + 3) % PALETTE.length]!;
    const ys = yOf(b);
    const zero = ys.map(Math.max(ys.min, 0));
    const rects: string[] = [];
    for (const { s, e, n, sum } of barSums[k]!) {
      if (sum === 0) continue;
      const a = xScale.map(xs[s]!);
      const z = e < n ? xScale.map(xs[e]!) : xScale.map(xs[n - 1]!) + (n > 1 ? (xScale.map(xs[n - 1]!) - xScale.map(xs[0]!)) / (n - 1) : 4);
      const top = ys.map(sum);
      rects.push(`<rect x="${f1(a)}" y="${f1(Math.min(top, zero))}" width="${f1(Math.max(1, z - a - 0.5))}" height="${f1(Math.max(0.5, Math.abs(zero - top)))}"/>`);
    }
    out.push(`<g fill="${color}" data-series="${escapeXml(b.label)}" data-kind="bars">${rects.join('')}</g>`);
  }
  for (const [k, l] of lines.entries()) {
    const color = l.color ?? PALETTE[k % PALETTE.length]!;
    const ys = yOf(l);
    const n = Math.min(xs.length, l.y.length);
    const keep = thin(Array.from({ length: n }, (_, i) => l.y[i]!));
    const pts = keep.map((i): [number, number] => [xScale.map(xs[i]!), Number.isFinite(l.y[i]!) ? ys.map(l.y[i]!) : NaN]);
    out.push(`<path d="${path(pts)}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round"${l.dash ? ` stroke-dasharray="${l.dash}"` : ''} data-series="${escapeXml(l.label)}" data-kind="line"/>`);
    if (l.dots) {
      out.push(`<g fill="${color}">`);
      for (const [px, py] of pts) if (Number.isFinite(py)) out.push(`<circle cx="${f1(px)}" cy="${f1(py)}" r="3.5"/>`);
      out.push('</g>');
    }
  }
  for (const [k, mk] of (spec.markers ?? []).entries()) {
    const color = mk.color ?? PALETTE[(k + 1) % PALETTE.length]!;
    const seen = new Set<number>();
    const ticks: string[] = [];
    for (const at of mk.at) {
      const px = Math.round(clamp(xScale.map(at), x0, x1));
      if (seen.has(px)) continue;
      seen.add(px);
      ticks.push(`<path d="M${px} ${y1}V${y0}M${px - 4} ${y1 - 6}L${px + 4} ${y1 - 6}L${px} ${y1}Z"/>`);
    }
    out.push(`<g stroke="${color}" fill="${color}" stroke-opacity="0.55" stroke-width="1" data-series="${escapeXml(mk.label)}" data-kind="markers" data-count="${mk.at.length}">${ticks.join('')}</g>`);
  }
  return { svg: `<g ${FONT}>${out.join('')}</g>`, height };
}

type LegendItem = { label: string; color: string; kind: 'line' | 'dash' | 'box' | 'marker' };

function legendItems(spec: PanelSpec): LegendItem[] {
  const items: LegendItem[] = [];
  for (const [k, l] of (spec.lines ?? []).entries()) if (l.legend !== false) items.push({ label: l.label, color: l.color ?? PALETTE[k % PALETTE.length]!, kind: l.dash ? 'dash' : 'line' });
  for (const [k, b] of (spec.bars ?? []).entries()) items.push({ label: b.label, color: b.color ?? PALETTE[(k + 3) % PALETTE.length]!, kind: 'box' });
  for (const b of spec.bands ?? []) if (b.legend !== false) items.push({ label: b.label, color: b.color ?? PALETTE[0]!, kind: 'box' });
  // Spans and markers with nothing to show stay out of the legend (the description still counts them).
  for (const s of spec.spans ?? []) if (s.ranges.length > 0) items.push({ label: s.label, color: s.color ?? '#f0ad4e', kind: 'box' });
  for (const [k, mk] of (spec.markers ?? []).entries()) if (mk.at.length > 0) items.push({ label: mk.label, color: mk.color ?? PALETTE[(k + 1) % PALETTE.length]!, kind: 'marker' });
  return items;
}

/** Legend entries in rows across the chart's width; text width estimated (no layout engine in a string). */
function layoutLegend(items: LegendItem[]): { height: number; svg: (y: number) => string } {
  const rows: { item: LegendItem; x: number }[][] = [[]];
  let x = 68;
  for (const item of items) {
    const w = 26 + item.label.length * 6.6 + 18;
    if (x + w > WIDTH - 16 && rows[rows.length - 1]!.length > 0) {
      rows.push([]);
      x = 68;
    }
    rows[rows.length - 1]!.push({ item, x });
    x += w;
  }
  const height = items.length === 0 ? 0 : rows.length * 18;
  return {
    height,
    svg: (y) =>
      `<g font-size="12" fill="#1b1f24">${rows
        .flatMap((row, r) =>
          row.map(({ item, x: lx }) => {
            const cy = y + r * 18 + 6;
            const swatch =
              item.kind === 'box'
                ? `<rect x="${lx}" y="${cy - 5}" width="18" height="10" fill="${item.color}" fill-opacity="0.5"/>`
                : item.kind === 'marker'
                  ? `<path d="M${lx + 9} ${cy - 6}V${cy + 6}M${lx + 5} ${cy - 6}L${lx + 13} ${cy - 6}L${lx + 9} ${cy}Z" stroke="${item.color}" fill="${item.color}"/>`
                  : `<line x1="${lx}" x2="${lx + 18}" y1="${cy}" y2="${cy}" stroke="${item.color}" stroke-width="2.5"${item.kind === 'dash' ? ' stroke-dasharray="5 3"' : ''}/>`;
            return `${swatch}<text x="${lx + 24}" y="${cy + 4}">${escapeXml(item.label)}</text>`;
          }),
        )
        .join('')}</g>`,
  };
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** Pixel ranges that touch or overlap become one. */
function mergeRanges(ranges: [number, number][]): [number, number][] {
  const sorted = ranges.filter(([a, b]) => b >= a).sort((p, q) => p[0] - q[0]);
  const out: [number, number][] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

/** A whole SVG document of stacked panels, titled for screen readers. */
function svgDocument(title: string, description: string, panels: PanelSpec[], heading?: string): string {
  let y = heading ? 36 : 0;
  const groups: string[] = heading ? [`<text x="${WIDTH / 2}" y="26" text-anchor="middle" font-size="18" font-weight="700" fill="#1b1f24" ${FONT}>${escapeXml(heading)}</text>`] : [];
  for (const p of panels) {
    const { svg, height } = panel(p, y);
    groups.push(svg);
    y += height;
  }
  const t = escapeXml(title);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${y}" width="${WIDTH}" height="${y}" role="img" aria-label="${t}">` +
    `<title>${t}</title><desc>${escapeXml(description)}</desc>` +
    `<rect width="${WIDTH}" height="${y}" fill="#ffffff"/>${groups.join('')}</svg>\n`
  );
}

/**
 * One chart panel as a standalone SVG document.
 * @example
 * const svg = lineChart({ title: 'Price', x: [0, 1, 2], xLabel: 'step', yLabel: 'price', lines: [{ label: 'pool', y: [1, 0.8, 0.9] }] })
 */
export function lineChart(spec: PanelSpec & { description?: string }): string {
  return svgDocument(spec.title, spec.description ?? spec.title, [spec]);
}

// ───────────────────────────────────────────────────────────────────────────── a run's charts

/** A column of the table, or a column of zeros when the simulator did not record it. */
function column(t: SeriesTable, name: string): Float64Array {
  const rows = t.data.step?.length ?? Object.values(t.data)[0]?.length ?? 0;
  return t.data[name] ?? new Float64Array(rows);
}

/** Only the series whose column the table has (a scenario without lending has no bad debt to draw). */
function present<T extends { y: Values }>(t: SeriesTable, specs: (T & { column: string })[]): T[] {
  return specs.filter((s) => t.data[s.column] !== undefined);
}

/** Step ranges where `flag` is on, as [from, to) in x units. */
export function flagRanges(x: Values, flag: Values): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  const n = Math.min(x.length, flag.length);
  const dx = n > 1 ? (x[n - 1]! - x[0]!) / (n - 1) : 1;
  let start = -1;
  for (let i = 0; i <= n; i++) {
    const on = i < n && flag[i]! > 0;
    if (on && start < 0) start = i;
    if (!on && start >= 0) {
      out.push({ from: x[start]!, to: i < n ? x[i]! : x[n - 1]! + dx });
      start = -1;
    }
  }
  return out;
}

const eventSteps = (events: SimEvent[], kind: SimEvent['kind']) => events.filter((e) => e.kind === kind).map((e) => e.step);

/** Breaker events that start a pause (trips), when the simulator tells trips from recoveries. */
function breakerTrips(events: SimEvent[]): number[] {
  const breaker = events.filter((e) => e.kind === 'breaker');
  const trips = breaker.filter((e) => /trip|pause/i.test(String(e.detail.action ?? e.detail.kind ?? e.detail.type ?? 'trip')));
  return trips.map((e) => e.step);
}

/**
 * The four charts of one run: price path (pool, feed, TWAP; breaker trips marked, pauses shaded), liquidations
 * (liquidated collateral per step, cumulative bad debt), PnL per strategy, and the breaker (fee and pauses).
 * @example
 * const { price } = runCharts(await runSimulation(scenario, 1))
 */
export function runCharts(run: SimRun): RunCharts {
  const s = run.series;
  const step = column(s, 'step');
  const paused = { label: 'swaps paused', ranges: flagRanges(step, column(s, 'paused')), color: '#f0ad4e' };
  const trips = { label: 'breaker trip', at: breakerTrips(run.events), color: '#c4342d' };
  const shocks = { label: 'shock', at: eventSteps(run.events, 'shock'), color: '#5f6b73' };
  const who = `${run.scenario}, seed ${run.seed}`;
  const price = lineChart({
    title: `Price path — ${who}`,
    description: `Pool price, external feed and TWAP over ${run.steps} steps; ${trips.at.length} breaker trips marked, ${paused.ranges.length} paused spans shaded.`,
    x: step,
    xLabel: 'step',
    yLabel: 'price (token1 per token0)',
    lines: present<LineSpec>(s, [
      { column: 'price', label: 'pool price', y: column(s, 'price'), color: PALETTE[0]! },
      { column: 'feed', label: 'external feed', y: column(s, 'feed'), color: PALETTE[5]!, dash: '5 3' },
      { column: 'twap', label: 'TWAP', y: column(s, 'twap'), color: PALETTE[2]! },
    ]),
    spans: [paused],
    markers: shocks.at.length > 0 ? [trips, shocks] : [trips],
  });
  const liquidations = lineChart({
    title: `Liquidations and bad debt — ${who}`,
    description: `Collateral liquidated per step (bars) and cumulative bad debt (line); ${run.metrics.liquidationCount} liquidations, bad debt ${formatTick(run.metrics.badDebt)}.`,
    x: step,
    xLabel: 'step',
    yLabel: 'collateral liquidated (token0)',
    y2Label: 'bad debt, cumulative (token1)',
    bars: present<BarSpec>(s, [{ column: 'liquidatedCollateral', label: 'collateral liquidated', y: column(s, 'liquidatedCollateral'), color: PALETTE[3]! }]),
    lines: present<LineSpec>(s, [{ column: 'badDebt', label: 'bad debt (cumulative)', y: column(s, 'badDebt'), color: PALETTE[1]!, axis: 'right' }]),
  });
  const p = run.pnlSeries;
  const strategies = p.columns.filter((c) => c !== 'step' && c !== 'time');
  const pnl = lineChart({
    title: `Profit and loss by strategy — ${who}`,
    description: `Total PnL of each strategy's agents over time: ${strategies.join(', ')}.`,
    x: column(p, 'step'),
    xLabel: 'step',
    yLabel: 'PnL (token1)',
    zeroBased: true,
    lines: strategies.map((name, k) => ({ label: name, y: column(p, name), color: PALETTE[k % PALETTE.length]! })),
  });
  const breaker = lineChart({
    title: `Dynamic fee and circuit breaker — ${who}`,
    description: `Swap fee in ppm over time; ${paused.ranges.length} paused spans shaded, ${trips.at.length} trips marked.`,
    x: step,
    xLabel: 'step',
    yLabel: 'swap fee (ppm)',
    zeroBased: true,
    lines: present<LineSpec>(s, [{ column: 'fee', label: 'swap fee', y: column(s, 'fee'), color: PALETTE[4]! }]),
    spans: [paused],
    markers: [trips],
  });
  return { price, liquidations, pnl, breaker };
}

// ───────────────────────────────────────────────────────────────────────────── sweeps

/** A parameter name for an axis, its last part in words: `agents.herdShare` → `herd share`. */
function humanize(name: string): string {
  return (name.split('.').pop() || name)
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[._]+/g, ' ')
    .toLowerCase();
}

/** The points of one series in x order. */
function seriesPoints(sweep: SweepResult, label: string): SweepPoint[] {
  return sweep.points.filter((p) => p.series === label).sort((a, b) => a.x - b.x);
}

/** The sweep's series: its labels, or one unnamed series when nothing but x was swept. */
function seriesOf(sweep: SweepResult): string[] {
  if (sweep.seriesLabels.length > 0) return sweep.seriesLabels;
  return [...new Set(sweep.points.map((p) => p.series))];
}

/**
 * The lab's chart, three panels against the swept parameter, one line per series (e.g. protections off / on):
 * crash depth (mean, with the median-to-95th-percentile band across seeds), bad debt (mean, and its 95% value
 * at risk), and underwater debt (debt above its collateral valued at the fundamental feed — what a stale oracle
 * hides; mean and 95th percentile). The third panel is left out for sweeps written before that metric existed.
 * @example
 * writeFileSync('sweep.svg', sweepChart(await runSweep(scenario)))
 */
export function sweepChart(sweep: SweepResult): string {
  const labels = seriesOf(sweep);
  const color = (k: number) => PALETTE[k % PALETTE.length]!;
  const xTicks = sweep.xValues.length <= 12 ? [...sweep.xValues].sort((a, b) => a - b) : undefined;
  const byLabel = labels.map((label) => ({ label, pts: seriesPoints(sweep, label) }));
  // Series values name themselves with their parameter: "off" under `protections` reads "protections off".
  const param = sweep.seriesParam ? humanize(sweep.seriesParam) : '';
  const named = (label: string) => (!label ? 'all runs' : param && !label.toLowerCase().startsWith(param) ? `${param} ${label}` : label);
  // Each series gets its own x values (a series may miss a point), so one panel per metric draws series by series.
  const xAll = [...sweep.xValues].sort((a, b) => a - b);
  const at = (pts: SweepPoint[], pick: (p: SweepPoint) => number) => xAll.map((x) => {
    const p = pts.find((q) => q.x === x);
    return p ? pick(p) : NaN;
  });
  const xLabel = humanize(sweep.xParam);
  const crash: PanelSpec = {
    title: 'Crash depth (line: mean across seeds; band: median to 95th percentile)',
    x: xAll,
    xLabel,
    yLabel: 'crash depth (price below the feed)',
    yPercent: true,
    zeroBased: true,
    height: 330,
    ...(xTicks ? { xTicks } : {}),
    bands: byLabel.map(({ label, pts }, k) => ({ label: `${named(label)}: median–p95`, lo: at(pts, (p) => p.summary.crashDepth.p50), hi: at(pts, (p) => p.summary.crashDepth.p95), color: color(k), legend: false })),
    lines: byLabel.map(({ label, pts }, k) => ({ label: named(label), y: at(pts, (p) => p.summary.crashDepth.mean), color: color(k), dots: true })),
  };
  const debt: PanelSpec = {
    title: 'Bad debt (solid: mean; dashed: 95% value at risk)',
    x: xAll,
    xLabel,
    yLabel: 'bad debt (token1)',
    zeroBased: true,
    height: 310,
    ...(xTicks ? { xTicks } : {}),
    lines: byLabel.flatMap(({ label, pts }, k) => [
      { label: named(label), y: at(pts, (p) => p.summary.badDebt.mean), color: color(k), dots: true },
      { label: `${named(label)}: VaR 95%`, y: at(pts, (p) => p.badDebtVaR95), color: color(k), dash: '5 3', legend: false },
    ]),
  };
  // Summaries kept before underwaterDebt existed lack it: the panel is drawn only when every point has it.
  const underwaterOf = (p: SweepPoint) => summaryOf(p.summary, 'underwaterDebt');
  const withUnderwater = sweep.points.length > 0 && sweep.points.every((p) => underwaterOf(p) !== undefined);
  const underwater: PanelSpec = {
    title: 'Underwater debt at the fundamental price (solid: mean; dashed: 95th percentile)',
    x: xAll,
    xLabel,
    yLabel: 'underwater debt (token1)',
    zeroBased: true,
    height: 310,
    ...(xTicks ? { xTicks } : {}),
    lines: byLabel.flatMap(({ label, pts }, k) => [
      { label: named(label), y: at(pts, (p) => underwaterOf(p)?.mean ?? NaN), color: color(k), dots: true },
      { label: `${named(label)}: p95`, y: at(pts, (p) => underwaterOf(p)?.p95 ?? NaN), color: color(k), dash: '5 3', legend: false },
    ]),
  };
  const title = `${sweep.scenario}: crash depth and ${withUnderwater ? 'debt' : 'bad debt'} vs ${xLabel}${sweep.seriesParam ? `, by ${humanize(sweep.seriesParam)}` : ''}`;
  const description = `${withUnderwater ? 'Three' : 'Two'} panels over ${xLabel} = ${xAll.join(', ')}; series ${labels.map(named).join(', ')}. Top: mean crash depth with its median-to-95th-percentile band across seeds. Then: mean bad debt and its 95th percentile (value at risk).${withUnderwater ? ' Bottom: mean underwater debt (debt above its collateral valued at the fundamental feed, peak over the run) and its 95th percentile.' : ''}`;
  return svgDocument(title, description, withUnderwater ? [crash, debt, underwater] : [crash, debt], title);
}

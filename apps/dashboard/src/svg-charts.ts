// Tiny server-side SVG charts for the status page (no client JS, no build step):
// a multi-series line chart and a bar chart with an optional reference line.
import { escapeHtml, raw, type SafeHtml } from "./html.js";

export interface LineSeries {
  label: string;
  points: ReadonlyArray<readonly [number, number]>;
  color?: string;
  dashed?: boolean;
}

export interface ReferenceLine {
  value: number;
  label: string;
}

export interface LineChartOptions {
  title: string;
  series: readonly LineSeries[];
  xLabel?: string;
  yLabel?: string;
  referenceLines?: readonly ReferenceLine[];
  width?: number;
  height?: number;
  /** Longer series are thinned to this many points (first and last kept). */
  maxPoints?: number;
}

export interface Bar {
  label: string;
  value: number;
}

export interface BarChartOptions {
  title: string;
  bars: readonly Bar[];
  reference?: ReferenceLine;
  yLabel?: string;
  width?: number;
  height?: number;
}

export const PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"];
const MARGIN = { top: 28, right: 16, bottom: 40, left: 56 };

/** Maps `domain` linearly onto `range`; a zero-width domain maps to the middle of the range. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): (v: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (d1 === d0) return () => (r0 + r1) / 2;
  return (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
}

/** Keeps at most `max` points, evenly spaced by index, always including the first and last. */
export function thin<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max || max < 2) return [...points];
  const out: T[] = [];
  const step = (points.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(points[Math.round(i * step)]!);
  return out;
}

/**
 * Domain covering `values` (finite ones). A single value v (one point, or a flat line) gets
 * [0, 2v] (or [2v, 0], or [−1, 1] for 0): the point sits mid-height on an axis that starts at
 * zero, so its size reads at a glance — a ±10 % pad would draw a meaningless 0.9–1.1 axis.
 */
export function extent(values: readonly number[], includeZero = false): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (includeZero) finite.push(0);
  if (finite.length === 0) return [0, 1];
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  if (lo === hi) return lo > 0 ? [0, 2 * lo] : lo < 0 ? [2 * lo, 0] : [-1, 1];
  return [lo, hi];
}

export function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (a >= 1e6 || a < 1e-3) return v.toExponential(1);
  if (a >= 100) return v.toFixed(0);
  if (a >= 1) return v.toFixed(2).replace(/\.?0+$/, "");
  return v.toPrecision(2);
}

const num = (v: number) => (Math.round(v * 10) / 10).toString();

function frame(title: string, width: number, height: number, body: string): SafeHtml {
  return raw(
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="100%" preserveAspectRatio="xMidYMid meet" role="img" aria-label="${escapeHtml(title)}" xmlns="http://www.w3.org/2000/svg">` +
      `<title>${escapeHtml(title)}</title>` +
      `<text x="${MARGIN.left}" y="16" class="chart-title" font-size="13" font-weight="600" fill="currentColor">${escapeHtml(title)}</text>` +
      body +
      `</svg>`,
  );
}

function noData(title: string, width: number, height: number): SafeHtml {
  return frame(title, width, height, `<text x="${width / 2}" y="${height / 2}" text-anchor="middle" font-size="12" fill="#6b7280">no data yet</text>`);
}

function yAxis(y: (v: number) => number, domain: [number, number], x0: number, x1: number): string {
  let out = "";
  for (let i = 0; i <= 4; i++) {
    const v = domain[0] + ((domain[1] - domain[0]) * i) / 4;
    const py = num(y(v));
    out += `<line x1="${x0}" x2="${x1}" y1="${py}" y2="${py}" stroke="#e5e7eb" stroke-width="1"/>`;
    out += `<text x="${x0 - 6}" y="${py}" dy="0.32em" text-anchor="end" font-size="10" fill="#6b7280">${escapeHtml(formatTick(v))}</text>`;
  }
  return out;
}

function referenceMarkup(ref: ReferenceLine, y: (v: number) => number, x0: number, x1: number): string {
  const py = num(y(ref.value));
  return (
    `<line class="reference" x1="${x0}" x2="${x1}" y1="${py}" y2="${py}" stroke="#f59e0b" stroke-width="1.5" stroke-dasharray="6 4"/>` +
    `<text x="${x1}" y="${py}" dy="-4" text-anchor="end" font-size="10" fill="#b45309">${escapeHtml(ref.label)}</text>`
  );
}

export function lineChart(opts: LineChartOptions): SafeHtml {
  const width = opts.width ?? 640;
  const height = opts.height ?? 260;
  const maxPoints = opts.maxPoints ?? 400;
  const series = opts.series
    .map((s) => ({ ...s, points: thin(s.points.filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py)), maxPoints) }))
    .filter((s) => s.points.length > 0);
  if (series.length === 0) return noData(opts.title, width, height);
  const refs = opts.referenceLines ?? [];
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const yDomain = extent([...series.flatMap((s) => s.points.map((p) => p[1])), ...refs.map((r) => r.value)]);
  const x0 = MARGIN.left;
  const x1 = width - MARGIN.right;
  const xBase = height - MARGIN.bottom + 14;
  // One x (a single evaluation): the points sit mid-width under one label, with no invented x range.
  const singleX = Math.min(...xs) === Math.max(...xs);
  const xDomain: [number, number] = singleX ? [xs[0]!, xs[0]!] : extent(xs);
  const x = linearScale(xDomain, [x0, x1]);
  const y = linearScale(yDomain, [height - MARGIN.bottom, MARGIN.top]);
  let body = yAxis(y, yDomain, x0, x1);
  if (singleX) {
    const label = opts.xLabel ? `${opts.xLabel} ${formatTick(xs[0]!)}` : formatTick(xs[0]!);
    body += `<text x="${(x0 + x1) / 2}" y="${xBase}" text-anchor="middle" font-size="10" fill="#6b7280">${escapeHtml(label)}</text>`;
  } else {
    body += `<text x="${x0}" y="${xBase}" font-size="10" fill="#6b7280">${escapeHtml(formatTick(xDomain[0]))}</text>`;
    body += `<text x="${x1}" y="${xBase}" text-anchor="end" font-size="10" fill="#6b7280">${escapeHtml(formatTick(xDomain[1]))}</text>`;
    if (opts.xLabel) body += `<text x="${(x0 + x1) / 2}" y="${xBase}" text-anchor="middle" font-size="10" fill="#6b7280">${escapeHtml(opts.xLabel)}</text>`;
  }
  if (opts.yLabel) body += `<text x="12" y="${(height - MARGIN.bottom + MARGIN.top) / 2}" transform="rotate(-90 12 ${(height - MARGIN.bottom + MARGIN.top) / 2})" text-anchor="middle" font-size="10" fill="#6b7280">${escapeHtml(opts.yLabel)}</text>`;
  for (const ref of refs) body += referenceMarkup(ref, y, x0, x1);
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const d = s.points.map(([px, py], k) => `${k === 0 ? "M" : "L"}${num(x(px))},${num(y(py))}`).join("");
    const dash = s.dashed ? ` stroke-dasharray="4 3"` : "";
    body += `<path class="series" d="${d}" fill="none" stroke="${escapeHtml(color)}" stroke-width="2"${dash}><title>${escapeHtml(s.label)}</title></path>`;
    if (s.points.length === 1) body += `<circle cx="${num(x(s.points[0]![0]))}" cy="${num(y(s.points[0]![1]))}" r="3" fill="${escapeHtml(color)}"/>`;
  });
  // Legend along the bottom edge.
  let lx = x0;
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    body += `<rect x="${lx}" y="${height - 14}" width="10" height="10" fill="${escapeHtml(color)}"/><text x="${lx + 14}" y="${height - 5}" font-size="11" fill="currentColor">${escapeHtml(s.label)}</text>`;
    lx += 24 + s.label.length * 6.5;
  });
  return frame(opts.title, width, height, body);
}

export function barChart(opts: BarChartOptions): SafeHtml {
  const width = opts.width ?? 640;
  const height = opts.height ?? 240;
  const bars = opts.bars.filter((b) => Number.isFinite(b.value));
  if (bars.length === 0) return noData(opts.title, width, height);
  const yDomain = extent([...bars.map((b) => b.value), ...(opts.reference ? [opts.reference.value] : [])], true);
  const x0 = MARGIN.left;
  const x1 = width - MARGIN.right;
  const y = linearScale(yDomain, [height - MARGIN.bottom, MARGIN.top]);
  const slot = (x1 - x0) / bars.length;
  const barWidth = Math.max(2, slot * 0.6);
  let body = yAxis(y, yDomain, x0, x1);
  if (opts.yLabel) body += `<text x="12" y="${(height - MARGIN.bottom + MARGIN.top) / 2}" transform="rotate(-90 12 ${(height - MARGIN.bottom + MARGIN.top) / 2})" text-anchor="middle" font-size="10" fill="#6b7280">${escapeHtml(opts.yLabel)}</text>`;
  bars.forEach((b, i) => {
    const cx = x0 + slot * (i + 0.5);
    const top = Math.min(y(b.value), y(0));
    const h = Math.abs(y(b.value) - y(0));
    body += `<rect class="bar" x="${num(cx - barWidth / 2)}" y="${num(top)}" width="${num(barWidth)}" height="${num(h)}" fill="${PALETTE[0]}"><title>${escapeHtml(`${b.label}: ${formatTick(b.value)}`)}</title></rect>`;
    body += `<text x="${num(cx)}" y="${height - MARGIN.bottom + 14}" text-anchor="middle" font-size="11" fill="currentColor">${escapeHtml(b.label)}</text>`;
    body += `<text x="${num(cx)}" y="${num(top)}" dy="-3" text-anchor="middle" font-size="10" fill="#374151">${escapeHtml(formatTick(b.value))}</text>`;
  });
  if (opts.reference) body += referenceMarkup(opts.reference, y, x0, x1);
  return frame(opts.title, width, height, body);
}

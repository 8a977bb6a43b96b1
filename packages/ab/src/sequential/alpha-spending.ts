// The A/B looks every day at a growing sample, so a fixed-level test at each look would promote
// an equal challenger far more often than α. A group-sequential boundary spends α over the looks:
// Lan & DeMets (1983) α-spending with the O'Brien–Fleming-type function, one-sided (we only
// ever promote), boundaries by the recursive numerical integration of Armitage, McPherson &
// Rowe (1969) as set out in Jennison & Turnbull, "Group Sequential Methods" (2000), ch. 19.
import { erfc, normalQuantile } from "@mlq/core";

/** α spent by information fraction t: 2 − 2Φ(z_{1−α/2} / √t) (Lan–DeMets O'Brien–Fleming type); α at t ≥ 1. */
export function obrienFlemingSpent(t: number, alpha: number): number {
  if (!(t > 0)) return 0;
  if (t >= 1) return alpha;
  return upperTail(normalQuantile(1 - alpha / 2) / Math.sqrt(t)) * 2;
}

export type SpendingFunction = (t: number, alpha: number) => number;

export interface SequentialBoundary {
  /** Information fractions of the looks, as given (clipped to (0, 1], never decreasing). */
  readonly fractions: number[];
  /** Upper z boundary of each look; Infinity where a look spends nothing. */
  readonly boundaries: number[];
  /** Cumulative α spent after each look. */
  readonly spent: number[];
}

const LOWER = -8; // the continuation region's lower end on the z scale (Φ(−8) ≈ 6e-16)

/**
 * Upper boundaries c_1..c_K for looks at information fractions t_1 < … < t_K such that, under
 * H0 (z has independent increments: z_k √t_k = z_{k−1} √t_{k−1} + N(0, t_k − t_{k−1})),
 * P(z_j < c_j for j < k, z_k ≥ c_k) = α(t_k) − α(t_{k−1}). A look whose fraction does not grow
 * adds no information and gets the previous boundary; a fraction ≥ 1 is the final look, which
 * spends whatever α is left. Deterministic: the same looks always give the same boundaries.
 */
export function sequentialBoundaries(
  fractions: readonly number[],
  alpha: number,
  spend: SpendingFunction = obrienFlemingSpent,
): SequentialBoundary {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  const ts: number[] = [];
  const boundaries: number[] = [];
  const spent: number[] = [];
  let density: Grid | null = null; // sub-density of z at the previous look on its continuation region
  let prevT = 0;
  let prevSpent = 0;
  let prevC = Infinity;
  for (const raw of fractions) {
    const t = Math.min(1, Math.max(prevT, Number.isFinite(raw) ? raw : 0));
    ts.push(t);
    if (!(t > prevT)) {
      boundaries.push(prevC);
      spent.push(prevSpent);
      continue;
    }
    const target = Math.max(0, spend(t, alpha) - prevSpent);
    let c: number;
    if (density === null) {
      c = target > 0 ? -normalQuantile(target) : Infinity;
      density = normalGrid(Math.min(c, 12));
    } else {
      const d: Grid = density;
      const exit = (x: number) => exitProbability(d, prevT, t, x);
      c = target > 0 ? solveDecreasing(exit, target) : Infinity;
      density = propagate(d, prevT, t, Math.min(c, 12));
    }
    boundaries.push(c);
    prevSpent += target;
    spent.push(prevSpent);
    prevT = t;
    prevC = c;
  }
  return { fractions: ts, boundaries, spent };
}

interface Grid {
  z: Float64Array;
  /** Sub-density times the Simpson weight × step, so a sum is an integral. */
  wf: Float64Array;
}

/** Grid step on the z scale: a sixth of the narrowest kernel, within [0.002, 0.025]. */
const stepFor = (kernelSd: number) => Math.min(0.025, Math.max(0.002, kernelSd / 6));

function simpsonGrid(upper: number, step: number, f: (z: number) => number): Grid {
  let m = Math.max(2, Math.ceil((upper - LOWER) / step));
  if (m % 2 === 1) m++;
  const h = (upper - LOWER) / m;
  const z = new Float64Array(m + 1);
  const wf = new Float64Array(m + 1);
  for (let i = 0; i <= m; i++) {
    const x = LOWER + i * h;
    const w = i === 0 || i === m ? 1 : i % 2 === 1 ? 4 : 2;
    z[i] = x;
    wf[i] = ((w * h) / 3) * f(x);
  }
  return { z, wf };
}

const phi = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);

function normalGrid(upper: number): Grid {
  return simpsonGrid(upper, stepFor(1), phi);
}

/** P(continue to the previous look, then z ≥ c at this one). */
function exitProbability(prev: Grid, t0: number, t1: number, c: number): number {
  const sd = Math.sqrt(t1 - t0);
  const a = Math.sqrt(t1);
  const b = Math.sqrt(t0);
  let p = 0;
  for (let i = 0; i < prev.z.length; i++) p += prev.wf[i]! * upperTail((c * a - prev.z[i]! * b) / sd);
  return p;
}

/** Sub-density of z at t1 on (LOWER, upper], from the previous look's continuation region. */
function propagate(prev: Grid, t0: number, t1: number, upper: number): Grid {
  const sd = Math.sqrt(t1 - t0);
  const a = Math.sqrt(t1);
  const b = Math.sqrt(t0);
  const scale = a / sd;
  // The kernel in the previous z is a normal centred at z·a/b with sd `sd/b`: sum only within ±9 sd.
  const halfWidth = (8 * sd) / b;
  const zs = prev.z;
  const h0 = zs.length > 1 ? zs[1]! - zs[0]! : 1;
  return simpsonGrid(upper, stepFor(sd / b), (z) => {
    const centre = (z * a) / b;
    const lo = Math.max(0, Math.floor((centre - halfWidth - LOWER) / h0));
    const hi = Math.min(zs.length - 1, Math.ceil((centre + halfWidth - LOWER) / h0));
    let s = 0;
    for (let i = lo; i <= hi; i++) s += prev.wf[i]! * phi((z * a - zs[i]! * b) / sd);
    return s * scale;
  });
}

/** 1 − Φ(x), accurate in the far tail. */
function upperTail(x: number): number {
  return 0.5 * erfc(x / Math.SQRT2);
}

/** x with f(x) = target for f decreasing in x (bisection to 1e-6). */
function solveDecreasing(f: (x: number) => number, target: number): number {
  let lo = -8;
  let hi = 40;
  if (f(hi) >= target) return hi;
  for (let i = 0; i < 60 && hi - lo > 1e-6; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) > target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

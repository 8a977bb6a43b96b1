// Reads the calibration payload tolerantly: the calibrator's JSON may grow fields, and old
// runs may lack some, so the page renders whatever numeric fields each bucket has.

export interface CalibrationBucket {
  name: string;
  /** The bucket's slippage per side (%), the field the chart plots; null when absent. */
  slippagePct: number | null;
  multiplier: number | null;
  trades: number | null;
  /** Every numeric field of the bucket, for the table. */
  fields: Record<string, number>;
}

const SLIPPAGE_KEYS = ["ema_slippage_per_side_pct", "avg_slippage_per_side_pct", "slippage_per_side_pct", "slippage_pct", "mean_slippage_per_side_pct"];
const MULTIPLIER_KEYS = ["position_size_multiplier", "multiplier"];
const TRADES_KEYS = ["trades", "trades_analyzed", "n_trades", "count", "n"];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function pick(fields: Record<string, number>, keys: readonly string[], fallback?: (k: string) => boolean): number | null {
  for (const k of keys) if (k in fields) return fields[k]!;
  if (fallback) for (const [k, v] of Object.entries(fields)) if (fallback(k)) return v;
  return null;
}

/** Buckets of `payload[key]` (e.g. time_of_day, regime_slippage), in the payload's order. */
export function calibrationBuckets(payload: unknown, key: string): CalibrationBucket[] {
  if (!isRecord(payload)) return [];
  const section = payload[key];
  if (!isRecord(section)) return [];
  const out: CalibrationBucket[] = [];
  for (const [name, value] of Object.entries(section)) {
    const fields: Record<string, number> = {};
    if (typeof value === "number" && Number.isFinite(value)) fields.slippage_pct = value;
    else if (isRecord(value)) for (const [k, v] of Object.entries(value)) if (typeof v === "number" && Number.isFinite(v)) fields[k] = v;
    out.push({
      name,
      fields,
      slippagePct: pick(fields, SLIPPAGE_KEYS, (k) => k.includes("slippage")),
      multiplier: pick(fields, MULTIPLIER_KEYS, (k) => k.includes("multiplier")),
      trades: pick(fields, TRADES_KEYS),
    });
  }
  return out;
}

/** The assumed slippage per side (%) the payload states, or null. */
export function assumedSlippage(payload: unknown): number | null {
  if (!isRecord(payload)) return null;
  for (const k of ["assumed_slippage_per_side_pct", "assumed_slippage_pct", "assumed_per_side_pct"]) {
    const v = payload[k];
    if (typeof v === "number" && Number.isFinite(v)) return v;
  }
  return null;
}

export function recommendations(payload: unknown): string[] {
  if (!isRecord(payload) || !Array.isArray(payload.recommendations)) return [];
  return payload.recommendations.map((r) => (typeof r === "string" ? r : JSON.stringify(r)));
}

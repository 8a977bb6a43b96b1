// Two version cards side by side (`mlq models diff A B`): test metrics, importances and their
// ranks, data windows, row counts and the settings that differ. Pure: cards in, rows out.
import type { VersionCard } from "./version-card.js";

export interface DiffRow {
  /** e.g. "direction.auc", "window.trainEndMs", "params.eta". */
  readonly key: string;
  readonly a: number | string | null;
  readonly b: number | string | null;
  /** b − a where both are numbers, else null. */
  readonly delta: number | null;
}

export interface ImportanceDiffRow {
  readonly model: string;
  readonly feature: string;
  readonly a: number | null;
  readonly b: number | null;
  readonly delta: number | null;
  readonly rankA: number | null;
  readonly rankB: number | null;
}

export interface VersionDiff {
  readonly a: string;
  readonly b: string;
  readonly metrics: readonly DiffRow[];
  /** null when neither version recorded importance. */
  readonly importance: readonly ImportanceDiffRow[] | null;
  /** Which side has no importance recorded, if any. */
  readonly importanceMissing: readonly string[];
  readonly windows: readonly DiffRow[];
  readonly rows: readonly DiffRow[];
  /** Only the settings (hyperparameters, slippage_mult) whose values differ. */
  readonly settings: readonly DiffRow[];
}

const delta = (a: unknown, b: unknown): number | null => (typeof a === "number" && typeof b === "number" ? b - a : null);
const scalar = (v: unknown): number | string | null =>
  v === null || v === undefined ? null : typeof v === "number" || typeof v === "string" ? v : JSON.stringify(v);
const row = (key: string, a: unknown, b: unknown): DiffRow => ({ key, a: scalar(a), b: scalar(b), delta: delta(a, b) });
/** Keys of both objects: a's order first, then b's new ones. */
const unionKeys = (a: object, b: object): string[] => [...new Set([...Object.keys(a), ...Object.keys(b)])];

export function diffVersionCards(a: VersionCard, b: VersionCard): VersionDiff {
  const metrics = unionKeys(a.metrics, b.metrics).flatMap((model) => {
    const ma = a.metrics[model] ?? {};
    const mb = b.metrics[model] ?? {};
    return unionKeys(ma, mb).map((k) => row(`${model}.${k}`, ma[k] ?? null, mb[k] ?? null));
  });

  let importance: ImportanceDiffRow[] | null = null;
  if (a.importance || b.importance) {
    const modelsA = new Map((a.importance?.models ?? []).map((m) => [m.model, m]));
    const modelsB = new Map((b.importance?.models ?? []).map((m) => [m.model, m]));
    importance = [...new Set([...modelsA.keys(), ...modelsB.keys()])].flatMap((model) => {
      const fa = new Map((modelsA.get(model)?.features ?? []).map((f) => [f.feature, f]));
      const fb = new Map((modelsB.get(model)?.features ?? []).map((f) => [f.feature, f]));
      // In B's order (the newer version, usually), then features only A has.
      return [...new Set([...fb.keys(), ...fa.keys()])].map((feature) => {
        const x = fa.get(feature);
        const y = fb.get(feature);
        return {
          model,
          feature,
          a: x?.importance ?? null,
          b: y?.importance ?? null,
          delta: delta(x?.importance, y?.importance),
          rankA: x?.rank ?? null,
          rankB: y?.rank ?? null,
        };
      });
    });
  }

  const w = (c: VersionCard) => ({ ...c.dataWindow, symbols: c.dataWindow.symbols.join(",") });
  const wa = w(a);
  const wb = w(b);
  const windows = (Object.keys(wa) as (keyof typeof wa)[]).map((k) => row(`window.${k}`, wa[k], wb[k]));
  const rows = [
    ...unionKeys(a.rowCounts, b.rowCounts).map((k) => row(`rows.${k}`, a.rowCounts[k] ?? null, b.rowCounts[k] ?? null)),
    ...unionKeys(bySymbol(a), bySymbol(b)).map((s) => row(`rows.${s}.train`, bySymbol(a)[s] ?? null, bySymbol(b)[s] ?? null)),
  ];
  const settings = [
    row("slippage_mult", a.slippageMult, b.slippageMult),
    ...unionKeys(a.hyperparameters, b.hyperparameters).map((k) => row(`params.${k}`, a.hyperparameters[k], b.hyperparameters[k])),
  ].filter((r) => r.a !== r.b);
  return {
    a: a.version,
    b: b.version,
    metrics,
    importance,
    importanceMissing: [a, b].filter((c) => !c.importance).map((c) => c.version),
    windows,
    rows,
    settings,
  };
}

function bySymbol(c: VersionCard): Record<string, number | null> {
  return Object.fromEntries((c.rowsBySymbol ?? []).map((r) => [r.symbol, r.train]));
}

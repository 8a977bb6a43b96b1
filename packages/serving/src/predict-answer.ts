// A prediction request as plain data in, an HTTP status and a JSON body out: the service's whole
// answer logic, testable without a server. The role's set is taken once per request, so every
// number in one answer (one symbol or a batch) comes from one version.
import { isoUtc } from "@mlq/core";
import { FEATURE_NAMES, MODEL_NAMES, predict, type FeatureName, type ModelName } from "@mlq/ml";
import type { LiveCandleBook } from "./live-candles.js";
import type { RoleModels, ServedModelSet, ServedRole } from "./role-models.js";

export interface SymbolPrediction {
  symbol: string;
  role: ServedRole;
  version: string;
  manifest_sha256: string;
  /** The last closed bar the features were computed at. */
  bar: { ts_ms: number; iso: string; close: number };
  features: Record<FeatureName, number>;
  predictions: Record<ModelName, number>;
  /** The direction model's entry threshold (manifest `entry_threshold.threshold`): enter long when direction ≥ it. */
  entry_threshold: number | null;
}

export type SymbolError = {
  symbol: string;
  status: 404 | 422;
  error: string;
  bars_missing?: number;
  bar_ts_ms?: number | null;
};

export type Answer<T> = { status: 200; body: T } | { status: 400 | 404 | 422 | 503; body: { error: string } & Record<string, unknown> };

export interface BatchBody {
  role: ServedRole;
  version: string;
  manifest_sha256: string;
  results: (SymbolPrediction | SymbolError)[];
}

/** Most predictions a set remembers (symbols × bars); the oldest are forgotten first. */
const CACHE_LIMIT = 10_000;

/** The five predictions of one feature row, computed once per (set, symbol, bar). */
async function predictionsFor(
  set: ServedModelSet,
  symbol: string,
  barTsMs: number,
  features: Float64Array,
): Promise<Record<ModelName, number>> {
  const key = `${symbol}@${barTsMs}`;
  const cached = set.cache.get(key);
  if (cached) return cached;
  const out = {} as Record<ModelName, number>;
  for (const name of MODEL_NAMES) out[name] = (await predict(set.models.get(name)!, features, 1, FEATURE_NAMES.length))[0]!;
  if (set.cache.size >= CACHE_LIMIT) set.cache.delete(set.cache.keys().next().value!);
  set.cache.set(key, out);
  return out;
}

/** Why a role cannot answer, or null when it can. */
function roleUnavailable(role: ServedRole, slotProblem: string | null, hasSet: boolean): string | null {
  if (hasSet) return null;
  if (slotProblem) return slotProblem;
  return role === "champion"
    ? "no champion yet: the role history names none (the first retrain that registers a model set makes it champion)"
    : "no challenger: the evaluation slot is empty (the next registered candidate takes it)";
}

async function predictOne(
  book: LiveCandleBook,
  set: ServedModelSet,
  role: ServedRole,
  symbol: string,
): Promise<SymbolPrediction | SymbolError> {
  const state = book.features(symbol);
  if (!state) {
    const known = book.symbols();
    return {
      symbol,
      status: 404,
      error: `unknown symbol ${JSON.stringify(symbol)}: candles_1m has ${known.length ? known.join(", ") : "no symbols"}`,
    };
  }
  if (state.kind === "warming-up")
    return {
      symbol,
      status: 422,
      error: `${symbol} has ${state.segmentBars} closed bars since its last gap, the features need ${state.segmentBars + state.barsMissing}: ${state.barsMissing} bars missing`,
      bars_missing: state.barsMissing,
      bar_ts_ms: state.barTsMs,
    };
  if (state.kind === "undefined")
    return { symbol, status: 422, error: `${symbol} at ${isoUtc(state.barTsMs)}: ${state.reason}`, bar_ts_ms: state.barTsMs };
  const features = {} as Record<FeatureName, number>;
  FEATURE_NAMES.forEach((name, j) => (features[name] = state.features[j]!));
  return {
    symbol,
    role,
    version: set.version,
    manifest_sha256: set.manifestSha256,
    bar: { ts_ms: state.barTsMs, iso: isoUtc(state.barTsMs), close: state.close },
    features,
    predictions: await predictionsFor(set, symbol, state.barTsMs, state.features),
    entry_threshold: set.entryThreshold,
  };
}

const isError = (r: SymbolPrediction | SymbolError): r is SymbolError => "error" in r;

/** GET /v1/predict?symbol=S&role=R. */
export async function answerPrediction(
  book: LiveCandleBook,
  roles: RoleModels,
  role: ServedRole,
  symbol: string,
): Promise<Answer<SymbolPrediction>> {
  const slot = roles.slot(role);
  const why = roleUnavailable(role, slot.problem, slot.set !== null);
  if (why || !slot.set) return { status: 503, body: { error: why ?? "unavailable", role } };
  const r = await predictOne(book, slot.set, role, symbol);
  if (isError(r)) return { status: r.status, body: r };
  return { status: 200, body: r };
}

/** POST /v1/predict {symbols, role}: one version for every symbol; per-symbol errors inside a 200. */
export async function answerBatch(
  book: LiveCandleBook,
  roles: RoleModels,
  role: ServedRole,
  symbols: readonly string[],
): Promise<Answer<BatchBody>> {
  const slot = roles.slot(role);
  const set = slot.set;
  const why = roleUnavailable(role, slot.problem, set !== null);
  if (why || !set) return { status: 503, body: { error: why ?? "unavailable", role } };
  const results: (SymbolPrediction | SymbolError)[] = [];
  for (const symbol of symbols) results.push(await predictOne(book, set, role, symbol));
  return { status: 200, body: { role, version: set.version, manifest_sha256: set.manifestSha256, results } };
}

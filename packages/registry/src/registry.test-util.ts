// Small model sets for the registry tests (bytes need not be real XGBoost models here).
import type { ManifestInput } from "./manifest.js";
import type { ModelFile } from "./version-store.js";

export const FIVE_NAMES = ["direction", "risk", "price", "momentum", "volatility"];

export function fakeModels(seed: number, size = 64): ModelFile[] {
  return FIVE_NAMES.map((name, k) => ({
    name,
    objective: name === "direction" ? "binary:logistic" : "reg:squarederror",
    bytes: Uint8Array.from({ length: size + k }, (_, i) => (seed * 31 + k * 7 + i) & 0xff),
  }));
}

export const manifestInput: ManifestInput = {
  featureNames: ["ret_1", "ret_5", "ret_15", "ret_60", "rv_20", "vol_ratio", "rsi_14", "macd_hist", "bb_pct_b", "atr_14", "range_pos"],
  params: { rounds: 100, max_depth: 4, eta: 0.1, tree_method: "hist" },
  dataWindow: { from_ms: 1_700_000_000_000, to_ms: 1_700_086_400_000, symbols: ["BTC-USDT"] },
  rowCounts: { train: 700, test: 250 },
  metrics: { direction: { auc: 0.61, accuracy: 0.55, logLoss: 0.68 }, price: { r2: Number.NaN } },
  slippageMult: 1.8,
  embargoHours: 24,
};

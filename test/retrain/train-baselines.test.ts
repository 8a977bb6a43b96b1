// A forced retrain on a demo database writes the train-time baselines of issues 16/17 into the
// manifest, and the scoring feature path reproduces the training rows from the same candles.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "@mlq/config";
import { openMigrated } from "@mlq/db";
import { generateDemoDatabase } from "@mlq/demo-data";
import { listCandleSymbols, loadCandles } from "@mlq/market-data";
import { buildDataset, buildFeatureRows, FEATURE_NAMES, MODEL_NAMES, runRetrain } from "@mlq/ml";
import {
  loadModelSet,
  manifestDriftBaseline,
  manifestEntryThreshold,
  manifestFeatureImportance,
  manifestTrainedThroughMs,
} from "@mlq/registry";

let dir: string;
const END = Date.UTC(2026, 10, 1);
const NF = FEATURE_NAMES.length;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mlq-train-baselines-"));
  await generateDemoDatabase({ out: join(dir, "demo.db"), ticks: 300_000, days: 21, trades: 300, seed: 11, endMs: END, overwrite: true });
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a retrain's train-time baselines", () => {
  it("are in the manifest with sane values, and buildFeatureRows reproduces every training row bit for bit", async () => {
    const conn = openMigrated(join(dir, "demo.db"));
    try {
      const config = loadConfig({ MLQ_MODELS_DIR: join(dir, "models"), MLQ_XGB_ROUNDS: "10", MLQ_TRAIN_THREADS: "2" });
      const s = await runRetrain({ conn, config, nowMs: END }, { trigger: "force" });
      expect(s.outcome).toBe("trained");
      const { manifest } = loadModelSet(config.modelsDir, s.version!);

      const through = manifestTrainedThroughMs(manifest)!;
      const testEnd = manifest.data_window.test_end_ms as number;
      expect(through).toBeGreaterThan(testEnd);
      expect(through - testEnd).toBeLessThanOrEqual(config.retrain.horizonBars * 60_000 + 5 * 60_000); // H bars, short holes bridged
      expect(through).toBeLessThanOrEqual(END);

      const entry = manifestEntryThreshold(manifest)!;
      expect(entry).toMatchObject({ model: "direction", quantile: 0.8, rows: s.testRows });
      expect(entry.threshold).toBeGreaterThan(0);
      expect(entry.threshold).toBeLessThan(1);

      const drift = manifestDriftBaseline(manifest)!;
      expect(drift.status).toBe("calibrated");
      expect(drift.windows).toBeGreaterThan(200); // ~14 training days, stepped hourly
      expect(drift.false_trigger_rate).toBeLessThan(0.05);
      expect(drift.false_trigger_ends_ms).toHaveLength(Math.round(drift.false_trigger_rate! * drift.windows));
      for (const sym of Object.values(drift.symbols)) {
        expect(sym.status).toBe("calibrated");
        expect(Object.keys(sym.features)).toEqual([...FEATURE_NAMES]);
        for (const f of Object.values(sym.features)) expect(f.threshold!).toBeGreaterThan(0);
      }
      expect(drift.prediction.rows).toBe(s.testRows);

      const imp = manifestFeatureImportance(manifest)!;
      expect(imp.sample_rows).toBe(Math.min(2000, s.testRows!));
      expect(Object.keys(imp.models)).toEqual([...MODEL_NAMES]);
      // The direction model uses something: at least one feature's shuffle costs log-loss.
      expect(Math.max(...Object.values(imp.models.direction!.importance).map(Number))).toBeGreaterThan(0);

      // Scoring path on the same candles: every training row's features, bit for bit.
      const series = listCandleSymbols(conn.sqlite).map((symbol) => loadCandles(conn.sqlite, { symbol }));
      const options = { maxGapMinutes: config.retrain.maxGapMinutes };
      const ds = buildDataset(series, { horizonBars: config.retrain.horizonBars, costFraction: 0.003, ...options });
      const fr = buildFeatureRows(series, options);
      expect(fr.rows).toBeGreaterThan(ds.rows);
      const at = new Map<string, number>();
      for (let r = 0; r < fr.rows; r++) at.set(`${fr.symbolIndex[r]}@${fr.ts[r]}`, r);
      let mismatches = 0;
      for (let r = 0; r < ds.rows; r++) {
        const f = at.get(`${ds.symbolIndex[r]}@${ds.ts[r]}`);
        if (f === undefined) mismatches++;
        else for (let j = 0; j < NF; j++) if (!Object.is(fr.X[f * NF + j], ds.X[r * NF + j])) mismatches++;
      }
      expect(mismatches).toBe(0);
    } finally {
      conn.close();
    }
  }, 120_000);
});

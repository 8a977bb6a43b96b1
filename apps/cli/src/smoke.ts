// The six checks of the original smoke test. They read the real database and write only into
// a temp dir (models, calibration JSON) and mlq's candle cache, so a smoke run never changes
// what the bot trades or what the audit tables say.
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Config } from "@mlq/config";
import { errorMessage } from "@mlq/core";
import { openMigrated, tableColumns, tableExists, type Connection } from "@mlq/db";
import { listCandleSymbols, loadCandles, materializeCandlesAsync } from "@mlq/market-data";
import { evaluateGates, gatePolicy } from "@mlq/gates";
import { buildDataset, loadGateSnapshot, ML_CODE_PACKAGE, roundTripCost, selectNewest, trainModelSet, walkForwardSplit } from "@mlq/ml";
import { loadModelSet, POINTER_NAMES, readPointer, saveModelSet, verifyVersion } from "@mlq/registry";
import { evaluateArms } from "@mlq/ab";
import { abPolicyFromConfig } from "@mlq/tasks";
import { CalibrationFileSchema, calibrate, calibrationPolicyFromConfig, loadCalibrationInput, toCalibrationFile } from "@mlq/calibration";

export interface SmokeCheck {
  name: string;
  passed: boolean;
  detail: string;
}

const REQUIRED_COLUMNS: Record<string, string[]> = {
  ticks: ["ts_ms", "symbol", "price"],
  paper_trades: ["id", "symbol", "side", "status", "opened_ts_ms", "closed_ts_ms", "entry_price", "exit_price", "pnl_pct"],
  phase2_retrain_runs: ["id", "ts_ms", "trigger_reason", "gate_pass", "success", "error_msg", "slippage_mult", "embargo_hours"],
  phase2_gate_log: ["run_id", "gate_name", "passed", "value", "threshold", "details"],
  ab_test_runs: ["arm_a_sharpe", "arm_b_sharpe", "p_b_better", "swap_executed", "decision_reason"],
  ab_active_model: ["id", "active_arm", "swapped_at", "swap_run_id"],
  calibration_runs: ["trades_analyzed", "ema_slippage_per_side_pct", "position_size_multiplier", "payload"],
  candles_1m: ["symbol", "bucket_ts_ms", "open", "high", "low", "close", "ticks", "volume"],
};

export async function runSmoke(config: Config, onCheck: (c: SmokeCheck) => void = () => undefined): Promise<SmokeCheck[]> {
  const scratch = mkdtempSync(join(tmpdir(), "mlq-smoke-"));
  const results: SmokeCheck[] = [];
  const files: { models?: string; calibration?: string } = {};
  let conn: Connection | undefined;
  const check = async (name: string, fn: () => Promise<string> | string): Promise<void> => {
    let c: SmokeCheck;
    try {
      c = { name, passed: true, detail: await fn() };
    } catch (err) {
      c = { name, passed: false, detail: errorMessage(err) };
    }
    results.push(c);
    onCheck(c);
  };
  try {
    try {
      conn = openMigrated(config.dbPath);
    } catch (err) {
      for (const name of ["gates", "features + training", "A/B evaluation", "calibration", "database integrity", "file outputs"]) {
        const c = { name, passed: false, detail: errorMessage(err) };
        results.push(c);
        onCheck(c);
      }
      return results;
    }
    const db = conn;

    await check("gates", async () => {
      await materializeCandlesAsync(db, {});
      const gates = evaluateGates(loadGateSnapshot(db, Date.now()), gatePolicy(config.gates, true));
      if (gates.length !== 3) throw new Error(`expected 3 gates, got ${gates.length}`);
      const bad = gates.find((g) => g.value !== null && !Number.isFinite(g.value));
      if (bad) throw new Error(`gate ${bad.name} has a non-finite value`);
      return gates.map((g) => `${g.name} ${g.passed ? "pass" : "FAIL"}`).join(", ") + " (smoke thresholds)";
    });

    await check("features + training", async () => {
      const series = listCandleSymbols(db.sqlite).map((symbol) => loadCandles(db.sqlite, { symbol }));
      const costFraction = roundTripCost({ feePctRoundTrip: config.costs.feePctRoundTrip, basePerSidePct: config.costs.baseSlippagePerSidePct, slippageMult: config.costs.slippageMultMax });
      const ds = buildDataset(series, { horizonBars: config.retrain.horizonBars, costFraction, maxGapMinutes: config.retrain.maxGapMinutes });
      const split = walkForwardSplit(ds, { trainFraction: config.retrain.trainFraction, embargoMinHours: config.retrain.embargoMinHours, horizonBars: config.retrain.horizonBars, minTrainRows: 200, minTestRows: 50 });
      if (!split.ok) throw new Error(split.reason);
      const trained = await trainModelSet({
        X: ds.X,
        rows: ds.rows,
        cols: ds.featureNames.length,
        labels: ds.y,
        train: selectNewest(split.train, 20_000),
        test: selectNewest(split.test, 5_000),
        params: { rounds: 10, maxDepth: 3, eta: 0.3, treeMethod: "hist", seed: 1 },
      });
      files.models = join(scratch, "models");
      const saved = saveModelSet(files.models, "smoke", {
        models: trained.models,
        manifest: { featureNames: [...ds.featureNames], params: { rounds: 10 }, dataWindow: {}, metrics: trained.metrics as unknown as Record<string, unknown> },
      }, { codePackage: ML_CODE_PACKAGE });
      loadModelSet(files.models, saved.version);
      return `${ds.rows} feature rows (${ds.droppedRows} dropped), 5 models trained on ${Math.min(split.train.length, 20_000)} rows, direction AUC ${trained.metrics.direction.auc.toFixed(3)}`;
    });

    await check("A/B evaluation", () => {
      const ev = evaluateArms(db, abPolicyFromConfig(config), { nowMs: Date.now() });
      if (!ev.decision) return `nothing to evaluate: ${ev.idle ?? ""}`;
      return `${ev.attribution?.method ?? "—"} attribution, A ${ev.a.trades} / B ${ev.b.trades} trades: ${ev.decision.ready ? (ev.decision.swapRecommended ? "would promote" : "would not promote") : "not ready"}`;
    });

    await check("calibration", () => {
      const policy = calibrationPolicyFromConfig(config);
      const input = loadCalibrationInput(db, policy);
      const file = toCalibrationFile(calibrate(input.trades, input.regimeLookup, policy), Date.now());
      files.calibration = join(scratch, "execution_calibration.json");
      writeFileSync(files.calibration, JSON.stringify(file));
      return `${file.trades_analyzed} trades, EMA slippage ${file.ema_slippage_per_side_pct.toFixed(4)} %/side, size × ${file.position_size_multiplier}`;
    });

    await check("database integrity", () => {
      const ok = db.sqlite.pragma("quick_check", { simple: true });
      if (ok !== "ok") throw new Error(`quick_check: ${String(ok)}`);
      for (const [table, cols] of Object.entries(REQUIRED_COLUMNS)) {
        if (!tableExists(db.sqlite, table)) throw new Error(`${table} table missing in ${db.path}`);
        const have = tableColumns(db.sqlite, table);
        const missing = cols.filter((c) => !have.has(c));
        if (missing.length) throw new Error(`${table} lacks column(s) ${missing.join(", ")} in ${db.path}`);
      }
      return `quick_check ok, ${Object.keys(REQUIRED_COLUMNS).length} tables with their columns`;
    });

    await check("file outputs", () => {
      const notes: string[] = [];
      if (!files.models) throw new Error("no model set was written (training check failed)");
      verifyVersion(files.models, "smoke");
      notes.push("model set sha256-verified");
      if (!files.calibration) throw new Error("no calibration JSON was written (calibration check failed)");
      const parsed = CalibrationFileSchema.parse(JSON.parse(readFileSync(files.calibration, "utf8")));
      if (typeof parsed.avg_slippage_per_side_pct !== "number") throw new Error("calibration JSON lacks the v1 field avg_slippage_per_side_pct");
      notes.push("calibration JSON valid (v1 + v2 fields)");
      const probe = join(config.logsDir, `.smoke-${process.pid}`);
      try {
        writeFileSync(probe, "");
        rmSync(probe);
        notes.push(`logs dir ${config.logsDir} writable`);
      } catch (err) {
        throw new Error(`logs dir ${config.logsDir} is not writable: ${errorMessage(err)}`);
      }
      let live = 0;
      for (const name of POINTER_NAMES) {
        const p = readPointer(config.modelsDir, name);
        if (p) {
          verifyVersion(config.modelsDir, p.version, p.manifestSha256);
          live++;
        }
      }
      notes.push(live ? `${live} live pointer(s) verified` : "no live model pointers yet");
      try {
        accessSync(config.modelsDir, constants.W_OK);
      } catch {
        if (live) notes.push(`models dir ${config.modelsDir} not writable`);
      }
      return notes.join(", ");
    });
    return results;
  } finally {
    conn?.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

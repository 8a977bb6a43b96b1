// Models any XGBoost can read: a real retrain on a demo database writes five boosters, and
// Debian's python3-xgboost (1.7.4) loads both their JSON and their legacy binary through the bot
// reference client examples/bot/parity.py and predicts what mlq predicts on the same feature rows
// (max |difference| <= 1e-6). XGBoost's own conversion of each binary equals mlq's JSON field by
// field. Skipped, loudly, when /usr/bin/python3 cannot import xgboost (apt-get install -y python3-xgboost).
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "@mlq/config";
import { openMigrated } from "@mlq/db";
import { generateDemoDatabase } from "@mlq/demo-data";
import { listCandleSymbols, loadCandles } from "@mlq/market-data";
import { buildDataset, MODEL_NAMES, predict, runRetrain } from "@mlq/ml";
import { formatXgboostJson, legacyXgboostToJson, loadModelSet, writeActiveModel, type LoadedModelSet } from "@mlq/registry";
import { REPO_ROOT } from "../support/common.js";

const PYTHON = process.env.MLQ_PYTHON || "/usr/bin/python3";
const HAVE_XGBOOST = spawnSync(PYTHON, ["-c", "import xgboost"], { stdio: "ignore" }).status === 0;
if (!HAVE_XGBOOST) {
  console.warn(
    `mlq: WARNING: the XGBoost interop test was SKIPPED: ${PYTHON} cannot import xgboost (apt-get install -y python3-xgboost, or set MLQ_PYTHON)`,
  );
}
const PARITY = join(REPO_ROOT, "examples", "bot", "parity.py");
const COMPARE = join(REPO_ROOT, "test", "interop", "compare_with_xgboost.py");
const TOLERANCE = 1e-6;
const END = Date.UTC(2026, 10, 1);

interface ParityOutput {
  version: string;
  source: string;
  format: "json" | "binary";
  xgboost: string;
  feature_names: string[];
  predictions: Record<string, number[]>;
}

function runPython(script: string, args: string[], input?: string) {
  const r = spawnSync(PYTHON, [script, ...args], { input, encoding: "utf8", timeout: 120_000, maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function parity(args: string[], rowsFile: string): ParityOutput {
  const r = runPython(PARITY, [...args, "--rows", rowsFile]);
  if (r.status !== 0) throw new Error(`parity.py ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as ParityOutput;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
};

describe.skipIf(!HAVE_XGBOOST)("XGBoost interop: python3-xgboost reads mlq's models", () => {
  let dir: string;
  let modelsDir: string;
  let set: LoadedModelSet;
  let rowsFile: string;
  let X: Float64Array;
  let rows: number;
  let cols: number;
  const mlq: Record<string, Float64Array> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "mlq-interop-"));
    const dbPath = join(dir, "demo.db");
    await generateDemoDatabase({ out: dbPath, ticks: 300_000, days: 21, trades: 300, seed: 9, endMs: END, overwrite: true });
    // The retrain's own settings (100 rounds, depth 4, hist), as the demo trains.
    const config = loadConfig({ MLQ_MODELS_DIR: join(dir, "models"), MLQ_TRAIN_THREADS: "2" });
    modelsDir = config.modelsDir;
    const conn = openMigrated(dbPath);
    try {
      const summary = await runRetrain({ conn, config, nowMs: END }, { trigger: "force" });
      expect(summary.outcome).toBe("trained");
      set = loadModelSet(modelsDir, summary.version!);

      // Real feature rows from the same candles (every 7th), plus rows where a feature is exactly
      // -1.0, which ml-xgboost's matrices treat as missing.
      const series = listCandleSymbols(conn.sqlite).map((symbol) => loadCandles(conn.sqlite, { symbol }));
      const ds = buildDataset(series, { horizonBars: config.retrain.horizonBars, costFraction: 0.001 });
      expect(ds.featureNames).toEqual(set.manifest.feature_names);
      cols = ds.featureNames.length;
      const picked: number[][] = [];
      for (let r = 0; r < ds.rows; r += 7) picked.push(Array.from(ds.X.subarray(r * cols, (r + 1) * cols)));
      for (let c = 0; c < cols; c++) picked.push(picked[c]!.map((v, k) => (k === c ? -1 : v)));
      rows = picked.length;
      X = Float64Array.from(picked.flat());
    } finally {
      conn.close();
    }
    // Rows as float32 values, as both mlq and XGBoost score them.
    rowsFile = join(dir, "rows.json");
    writeFileSync(
      rowsFile,
      JSON.stringify(Array.from({ length: rows }, (_, r) => Array.from(Float32Array.from(X.subarray(r * cols, (r + 1) * cols))))),
    );
    for (const model of set.models) mlq[model.name] = await predict(model.bytes, X, rows, cols);
  }, 300_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("converts the five binaries in milliseconds each, to JSON that lists the manifest's feature names", () => {
    const timings: Record<string, string> = {};
    for (const model of set.models) {
      const t0 = performance.now();
      const text = formatXgboostJson(legacyXgboostToJson(model.bytes, { featureNames: set.manifest.feature_names }));
      timings[model.name] = `${(performance.now() - t0).toFixed(1)} ms, ${model.bytes.length} -> ${text.length} bytes`;
      expect(readFileSync(join(set.versionDir, `${model.name}.json`), "utf8")).toBe(text);
    }
    console.log("xgboost json conversion", timings);
    expect(Object.keys(set.manifest.models)).toEqual([...MODEL_NAMES]);
  });

  it("loads the JSON models with python3-xgboost and predicts what mlq predicts (max |diff| <= 1e-6)", () => {
    const out = parity(["--models", modelsDir, "--version", set.version], rowsFile);
    expect(out).toMatchObject({ version: set.version, format: "json", feature_names: set.manifest.feature_names });
    const diffs = Object.fromEntries(MODEL_NAMES.map((name) => [name, maxAbsDiff(out.predictions[name]!, mlq[name]!)]));
    console.log(`python xgboost ${out.xgboost} JSON vs mlq on ${rows} rows: max |diff|`, diffs);
    for (const name of MODEL_NAMES) expect(diffs[name], name).toBeLessThanOrEqual(TOLERANCE);
  });

  it("loads the legacy binaries too, with the same predictions as the JSON models, bit for bit", () => {
    const json = parity(["--models", modelsDir, "--version", set.version], rowsFile);
    const binary = parity(["--models", modelsDir, "--version", set.version, "--format", "binary"], rowsFile);
    for (const name of MODEL_NAMES) {
      expect(maxAbsDiff(binary.predictions[name]!, mlq[name]!), name).toBeLessThanOrEqual(TOLERANCE);
      expect(binary.predictions[name], name).toEqual(json.predictions[name]);
    }
  });

  it("writes the JSON XGBoost itself writes for each binary: every field, every float32", () => {
    const r = runPython(COMPARE, [set.versionDir, ...MODEL_NAMES]);
    expect(JSON.parse(r.stdout || "{}"), r.stderr).toEqual(Object.fromEntries(MODEL_NAMES.map((name) => [name, "equal"])));
    expect(r.status).toBe(0);
  });

  it("finds the champion through active_model.json, and feature rows by name", () => {
    writeActiveModel(modelsDir, {
      arm: "v1_backtest",
      version: set.version,
      versionDir: set.versionDir,
      manifestSha256: set.manifestSha256,
      swappedAt: null,
      runId: null,
    });
    const named = join(dir, "named-rows.json");
    const first = Array.from(Float32Array.from(X.subarray(0, cols)));
    writeFileSync(named, JSON.stringify([Object.fromEntries(set.manifest.feature_names.map((n, c) => [n, first[c]]))]));
    const out = parity(["--models", modelsDir], named);
    expect(out.source).toBe("active_model.json");
    for (const name of MODEL_NAMES) expect(Math.abs(out.predictions[name]![0]! - mlq[name]![0]!)).toBeLessThanOrEqual(TOLERANCE);
  });

  it("refuses a tampered JSON model or a manifest that differs from the pointer (exit 3, one line naming the file)", () => {
    const copy = join(dir, "tampered");
    cpSync(modelsDir, copy, { recursive: true });
    const path = join(copy, set.version, "momentum.json");
    writeFileSync(path, readFileSync(path, "utf8").replace('"num_trees":"', '"num_trees": "'));
    const r = runPython(PARITY, ["--models", copy, "--version", set.version, "--rows", rowsFile]);
    expect(r.status).toBe(3);
    expect(r.stderr.trim()).toBe(`parity.py: model momentum: file ${path} fails its sha256 check`);

    const manifest = join(copy, set.version, "manifest.json");
    writeFileSync(manifest, readFileSync(manifest, "utf8").replace('"format"', ' "format"'));
    const viaActive = runPython(PARITY, ["--models", copy, "--rows", rowsFile]);
    expect(viaActive.status).toBe(3);
    expect(viaActive.stderr).toMatch(/^parity\.py: manifest of version \S+ was modified: sha256 [0-9a-f]{64}, expected [0-9a-f]{64}\n$/);
  });

  it("says which version predates JSON models when asked for them (exit 3)", () => {
    const copy = join(dir, "old");
    cpSync(modelsDir, copy, { recursive: true });
    const manifestPath = join(copy, set.version, "manifest.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { models: Record<string, { json?: unknown }> };
    for (const entry of Object.values(manifest.models)) delete entry.json;
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const r = runPython(PARITY, ["--models", copy, "--version", set.version, "--rows", rowsFile]);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(
      `version ${set.version} predates XGBoost JSON models: model direction has only direction.xgb (use --format binary)`,
    );
    const binary = runPython(PARITY, ["--models", copy, "--version", set.version, "--rows", rowsFile, "--format", "binary"]);
    expect(binary.status).toBe(0);
  });
});

// `mlq models show` and `mlq models diff` as text: the version card (@mlq/registry) in sections.
import { existsSync } from "node:fs";
import type { Config } from "@mlq/config";
import { isoUtc } from "@mlq/core";
import { withMigrated } from "@mlq/db";
import { versionDriftSince, type VersionDriftSince } from "@mlq/ml";
import { readVersionCard, type VersionCard, type VersionDiff } from "@mlq/registry";
import { fmt, kv, printTable } from "../output.js";

const iso = (ms: number | null): string | null => (ms === null ? null : isoUtc(ms));
const out = (text: string) => process.stdout.write(text);

/** The cards of `versions`; without a database file, the manifests alone (no roles). */
export async function readCardsCli(config: Config, versions: readonly string[]): Promise<VersionCard[]> {
  if (!existsSync(config.dbPath)) return versions.map((v) => readVersionCard(null, config.modelsDir, v));
  return withMigrated(config.dbPath, (conn) => versions.map((v) => readVersionCard(conn, config.modelsDir, v)));
}

/** A bar of up to `width` blocks for `value` against the largest value shown. */
export function textBar(value: number | null, max: number, width = 24): string {
  if (value === null || !(max > 0) || value <= 0) return "";
  return "█".repeat(Math.round((value / max) * width));
}

export function printVersionCard(c: VersionCard): void {
  out(`version ${c.version}${c.runId !== null ? `  (retrain run ${c.runId}, trigger ${c.trigger ?? "?"})` : ""}\n`);
  out(
    kv([
      ["created", c.createdAt],
      ["code", c.codeVersion],
      ["integrity", c.integrity],
      ["manifest sha256", c.manifestSha256],
      ["roles now", c.roles.current.length ? c.roles.current.join(", ") : "none"],
      ...(c.roles.barred ? ([["rolled back", "champion again only after winning a new A/B"]] as [string, unknown][]) : []),
    ]) + "\n",
  );

  out("\ndata window\n");
  const w = c.dataWindow;
  out(
    kv([
      ["train end", iso(w.trainEndMs)],
      ["test", w.testStartMs === null ? null : `${iso(w.testStartMs)} → ${iso(w.testEndMs)}`],
      ["trained through", iso(w.trainedThroughMs) ?? "not recorded"],
      ["embargo", w.embargoHours === null ? null : `${fmt(w.embargoHours)} h`],
      ["symbols", w.symbols.join(", ") || null],
      [
        "rows",
        Object.entries(c.rowCounts)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ") || null,
      ],
      ["slippage_mult", c.slippageMult],
    ]) + "\n",
  );
  if (c.rowsBySymbol)
    printTable(
      "rows per symbol",
      ["symbol", "candles", "feature rows", "train", "test"],
      c.rowsBySymbol.map((r) => [r.symbol, r.candles, r.rows, r.train, r.test]),
    );
  else out("\nrows per symbol: not recorded (version written before per-symbol counts)\n");

  if (c.gates)
    printTable(
      "gates at training",
      ["gate", "passed", "value", "threshold", "details"],
      c.gates.map((g) => [g.name, g.passed, g.value, g.threshold, g.details]),
    );
  else out("\ngates at training: not recorded\n");

  printTable(
    "hyperparameters",
    ["param", "value"],
    Object.entries(c.hyperparameters).map(([k, v]) => [k, typeof v === "object" ? JSON.stringify(v) : v]),
  );

  const metricKeys = [...new Set(Object.values(c.metrics).flatMap((m) => Object.keys(m)))];
  printTable(
    "test metrics",
    ["model", ...metricKeys],
    Object.entries(c.metrics).map(([model, m]) => [model, ...metricKeys.map((k) => m[k] ?? null)]),
  );

  if (!c.importance) out("\nfeature importance: none recorded (version trained before permutation importance)\n");
  else {
    const i = c.importance;
    out(
      `\nfeature importance: ${i.method} on ${i.sampleRows ?? "?"} ${i.split} rows, ${i.repeats ?? "?"} repeat(s), seed ${i.seed ?? "?"}: how much the loss grows when the feature is shuffled\n`,
    );
    for (const m of i.models) {
      const max = Math.max(0, ...m.features.map((f) => f.importance ?? 0));
      printTable(
        `${m.model} (${m.loss}, baseline ${fmt(m.baselineLoss)})`,
        ["#", "feature", "importance", "± std", ""],
        m.features.map((f) => [f.rank, f.feature, f.importance, f.std, textBar(f.importance, max)]),
      );
    }
  }

  printTable(
    "files",
    ["model", "file", "format", "bytes", "sha256"],
    c.files.map((f) => [f.model, f.file, f.format, f.bytes, f.sha256]),
  );

  if (c.roles.spans.length === 0) out("\nroles held: none recorded\n");
  else
    printTable(
      "roles held",
      ["role", "from", "until", "ended by"],
      c.roles.spans.map((s) => [s.role, iso(s.fromMs), s.toMs === null ? "now" : iso(s.toMs), s.endedBy]),
    );
  if (c.roles.events.length)
    printTable(
      "role history",
      ["#", "when", "event", "role", "replaced", "run", "trigger", "reason"],
      c.roles.events.map((e) => [e.id, iso(e.tsMs), e.event, e.role, e.previousVersion, e.runId, e.trigger, e.reason]),
    );
}

export function printVersionDiff(d: VersionDiff): void {
  const headers = ["", d.a, d.b, "Δ (b − a)"];
  const rows = (r: readonly { key: string; a: unknown; b: unknown; delta: number | null }[]) => r.map((x) => [x.key, x.a, x.b, x.delta]);
  out(`version ${d.a} vs ${d.b}\n`);
  printTable("test metrics", headers, rows(d.metrics));
  if (!d.importance) out("\nfeature importance: none recorded for either version\n");
  else {
    printTable(
      "feature importance",
      ["model", "feature", d.a, d.b, "Δ", `rank ${d.a}`, `rank ${d.b}`],
      d.importance.map((r) => [r.model, r.feature, r.a, r.b, r.delta, r.rankA, r.rankB]),
    );
    for (const v of d.importanceMissing) out(`version ${v}: none recorded\n`);
  }
  printTable(
    "data windows",
    headers,
    rows(d.windows).map(([k, a, b, delta]) => [
      k,
      typeof a === "number" && String(k).endsWith("Ms") ? iso(a) : a,
      typeof b === "number" && String(k).endsWith("Ms") ? iso(b) : b,
      delta,
    ]),
  );
  printTable("rows", headers, rows(d.rows));
  if (d.settings.length) printTable("settings that differ", headers, rows(d.settings));
  else out("\nsettings: identical hyperparameters and slippage_mult\n");
}

/** What the hourly monitor saw of a version since training (null without a database or a check). */
export async function readDriftSinceCli(config: Config, version: string): Promise<VersionDriftSince | null> {
  if (!existsSync(config.dbPath)) return null;
  return withMigrated(config.dbPath, (conn) => versionDriftSince(conn, version));
}

export function printDriftSince(d: VersionDriftSince | null): void {
  out("\ndrift since training\n");
  if (!d || !d.latest) {
    out("  no drift check has scored this version yet\n");
    return;
  }
  const l = d.latest;
  out(
    kv([
      ["checks", `${d.checks} (as champion the rule fired ${d.fired} time(s), ${d.retrains} drift retrain(s) enqueued)`],
      ["latest", `check #${l.checkId} at ${l.tsIso} as ${l.role}, ${l.windowHours} h window`],
    ]) + "\n",
  );
  printTable(
    null,
    ["symbol", "features over", "closest to its threshold"],
    l.symbols.map((s) => [
      s.symbol,
      `${s.featuresOver} / ${s.features}`,
      s.worst ? `${s.worst.feature} ${fmt(s.worst.psi)} / ${fmt(s.worst.threshold)}` : "no baseline",
    ]),
  );
}

import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "@mlq/db";
import { createFixture, T0, writeActiveModelJson, type Fixture } from "./fixtures.test-util.js";
import { readStatus } from "./status-data.js";
import { renderStatusPage } from "./status-page.js";

let fixture: Fixture | undefined;
afterEach(() => fixture?.cleanup());
const ctx = { insecureLocal: false, readOnly: false, role: "admin" as const };

describe("renderStatusPage", () => {
  it("shows the active arm, why it was swapped, the runs and the charts", () => {
    fixture = createFixture();
    const page = renderStatusPage(readStatus({ dbPath: fixture.dbPath, modelsDir: fixture.modelsDir }), ctx);
    expect(page).toContain('<span class="big" id="active-arm">v2_paper</span>');
    expect(page).toContain("Sharpe_B 0.09 &gt;= Sharpe_A 0.05 with P=0.95");
    expect(page).toContain("Vol range [2.91, 68.60] vs 20th–80th [23.92, 35.83]");
    expect(page).toContain("auc <b>0.61</b>");
    expect(page).toContain('<b id="calibration-multiplier">1.2</b>');
    // equity, slippage and three gate charts
    expect(page.match(/<svg class="chart"/g)).toHaveLength(5);
    expect(page).toContain("assumed 0.06 %");
    expect(page).toContain("Slippage is highest 12-18 UTC: size down.");
    expect(page).not.toContain("INSECURE LOCAL MODE");
  });

  it("shows the regime gate per symbol from the run's stored gate results, and the old one-line details otherwise", () => {
    fixture = createFixture();
    const page = renderStatusPage(readStatus({ dbPath: fixture.dbPath, modelsDir: fixture.modelsDir }), ctx);
    expect(page).toMatch(/<tr><td>BTC-USDT<\/td><td><span class="badge ok">pass<\/span><\/td><td class="num">\[2\.91, 68\.6\]<\/td><td class="num">\[23\.92, 35\.83\]<\/td><td class="num">16 \/ 21<\/td><\/tr>/);
    expect(page).toMatch(/<tr><td>ETH-USDT<\/td><td><span class="badge bad">fail<\/span><\/td><td class="num">\[31\.5, 88\.2\]<\/td><td class="num">\[30\.1, 52\.4\]/);
    // runs 1 and 2 have no stored per-symbol data: their one-line details still show
    expect(page.match(/Vol range \[2\.91, 68\.60\] vs 20th–80th \[23\.92, 35\.83\]/g)).toHaveLength(2);
  });

  it("hides the trivially-1 hit rate of the never-negative risk target that older runs recorded", () => {
    fixture = createFixture();
    const page = renderStatusPage(readStatus({ dbPath: fixture.dbPath, modelsDir: fixture.modelsDir }), ctx);
    expect(page).toContain("<tr><th>risk</th><td>rmse <b>0.004</b> mae <b>0.003</b> r2 <b>0.2</b> </td></tr>");
    expect(page).toContain("hit_rate <b>0.53</b>");
  });

  it("marks a failed A/B evaluation and says how the equity curves were split", () => {
    fixture = createFixture();
    const conn = openDatabase(fixture.dbPath);
    conn.sqlite
      .prepare("INSERT INTO ab_test_runs (ts_ms, ts_iso, arm_a_label, arm_b_label, decision_reason, success, error_msg) VALUES (?, ?, 'v1_backtest', 'v2_paper', ?, 0, ?)")
      .run(T0 + 5 * 86_400_000, "2026-10-06T00:00:00.000Z", "FAILED: ab-eval timed out", "ab-eval timed out");
    conn.close();
    const page = renderStatusPage(readStatus({ dbPath: fixture.dbPath, modelsDir: fixture.modelsDir }), ctx);
    expect(page).toContain('<span class="badge bad">failed</span>');
    expect(page).toContain("FAILED: ab-eval timed out");
    expect(page).toContain("split at the last successful retrain (2026-10-03T00:00:00.000Z): closed at or before it → A, after → B");
  });

  it("escapes text from the database", () => {
    fixture = createFixture();
    const page = renderStatusPage(readStatus({ dbPath: fixture.dbPath, modelsDir: fixture.modelsDir }), ctx);
    expect(page).toContain("&lt;b&gt;gates failed&lt;/b&gt;");
    expect(page).not.toContain("<b>gates failed</b>");
  });

  it("says what is wrong with a missing database and a tampered active_model.json", () => {
    fixture = createFixture();
    writeActiveModelJson(fixture, "{<script>");
    const page = renderStatusPage(readStatus({ dbPath: `${fixture.dir}/nope.db`, modelsDir: fixture.modelsDir }), ctx);
    expect(page).toContain(`database not found: ${fixture.dir}/nope.db`);
    expect(page).toMatch(/active_model\.json is unreadable: [^<]*JSON/);
    expect(page).not.toContain("<script>");
    expect(page).toContain("No retrain runs yet.");
  });

  it("carries the insecure-local banner and the viewer role", () => {
    const page = renderStatusPage(readStatus({ dbPath: "/nonexistent/x.db", modelsDir: "/nonexistent" }), { insecureLocal: true, readOnly: true, role: "viewer" });
    expect(page).toContain("INSECURE LOCAL MODE");
    expect(page).toContain("viewer · read-only");
  });
});

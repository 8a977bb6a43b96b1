import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "@mlq/db";
import { isoUtc } from "@mlq/core";
import { createFixture, T0, writeActiveModelJson, type Fixture } from "./fixtures.test-util.js";
import { zGauge } from "./promotion-section.js";
import { createPromotionFixture, NOW } from "./promotion-fixture.test-util.js";
import { insertShadowRun, type ShadowEvaluation } from "@mlq/ab";
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

  it("marks a failed A/B evaluation and says when no evaluation feeds the equity curves", () => {
    fixture = createFixture();
    const conn = openDatabase(fixture.dbPath);
    conn.sqlite
      .prepare("INSERT INTO ab_test_runs (ts_ms, ts_iso, arm_a_label, arm_b_label, decision_reason, success, error_msg) VALUES (?, ?, 'v1_backtest', 'v2_paper', ?, 0, ?)")
      .run(T0 + 5 * 86_400_000, "2026-10-06T00:00:00.000Z", "FAILED: ab-eval timed out", "ab-eval timed out");
    conn.close();
    const page = renderStatusPage(readStatus({ dbPath: fixture.dbPath, modelsDir: fixture.modelsDir }), ctx);
    expect(page).toContain('<span class="badge bad">failed</span>');
    expect(page).toContain("FAILED: ab-eval timed out");
    expect(page).toContain("Sum of closed trades' pnl_pct in the current evaluation, no evaluation in progress, or paper trades not read.");
    expect(page).toContain("No role recorded yet: the first trained set becomes champion");
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

describe("renderStatusPage: the promotion loop", () => {
  const render = (f: Fixture, role: "admin" | "viewer" = "admin") => renderStatusPage(readStatus({ dbPath: f.dbPath, modelsDir: f.modelsDir, now: () => NOW }), { ...ctx, role });

  it("shows champion, challenger and waiting candidates with since, trades, Sharpe, PSR, α_k and expiry", () => {
    const f = createPromotionFixture();
    fixture = f;
    const page = render(f);
    expect(page).toContain('<code id="champion-version">1</code>');
    expect(page).toContain('<code id="challenger-version">3</code>');
    expect(page).toMatch(new RegExp(`<tr><th>challenger \\(B, v2_paper\\)</th><td><code id="challenger-version">3</code></td><td>${isoUtc(f.times.challengerSince)}</td><td class="num">280</td><td class="num">-?\\d\\.\\d+</td><td class="num">0?\\.\\d+</td><td class="num">0\\.05</td><td>${isoUtc(f.times.rolledBackAt + 60 * 86_400_000)}</td></tr>`));
    expect(page).toMatch(/<tr><th>candidate \(waiting\)<\/th><td><code>4<\/code> <span class="muted">scheduled<\/span><\/td>/);
    expect(page).toMatch(/<tr><th>candidate \(waiting\)<\/th><td><code>5<\/code> <span class="muted">force<\/span><\/td>/);
    expect(page).toContain("Rolled back, champion again only after winning a new A/B: <code>2</code>");
  });

  it("says where z stands against the boundary, at the last recorded look and now, with a gauge", () => {
    const f = createPromotionFixture();
    fixture = f;
    const page = render(f);
    const look = f.runs.look1v3.evaluation;
    expect(page).toContain(`against champion <code>1</code> since ${isoUtc(f.times.rolledBackAt)}`);
    expect(page).toContain(`at α_k <b>0.05</b>, n_max ${look.nMaxPerArm} trades per arm; 1 look taken.`);
    const fmt = (x: number) => Number(x.toFixed(3)).toString();
    expect(page).toContain(
      `<td class="num">1</td><td class="num">${(look.informationFraction! * 100).toFixed(0)} %</td><td class="num">${fmt(look.z!)}</td><td class="num">${fmt(look.boundary!)} <span class="badge bad" title="failed">✗</span></td>`,
    );
    expect(page).toContain("now <span class=\"muted\">(the next A/B run's look, not recorded)</span></th><td class=\"num\">2</td>");
    expect(page).toMatch(/<svg class="zgauge" [^>]*role="img" aria-label="z -?[\d.]+ against boundary [\d.]+">/);
  });

  it("draws the decision table of the last A/B run: every condition with ✓ or ✗, and what held the swap back", () => {
    const f = createPromotionFixture();
    fixture = f;
    const page = render(f);
    const run = f.runs.look1v3;
    expect(page).toContain("Last decision: why the swap did not happen");
    expect(page).toContain(`A/B run #${run.runId} at ${run.tsIso}: <code>1</code> (A) vs <code>3</code> (B) → <b id="last-outcome">continue</b>; held back by <code>sequential_boundary</code>`);
    const table = page.slice(page.indexOf('<table id="decision">'), page.indexOf("</table>", page.indexOf('<table id="decision">')));
    expect(table.match(/<tr><td><code>/g)).toHaveLength(run.conditions.length);
    expect(table).toContain('<tr><td><code>trades_a</code></td><td class="num">240</td><td class="num">100</td><td><span class="badge ok" title="passed">✓</span></td><td>arm A has 240 of 100 trades</td></tr>');
    expect(table).toMatch(/<tr><td><code>sequential_boundary<\/code><\/td>.*<span class="badge bad" title="failed">✗<\/span><\/td><td>z [-\d.]+ &lt; boundary /);
  });

  it("lists the role history newest first with rollbacks highlighted and announced", () => {
    const f = createPromotionFixture();
    fixture = f;
    const page = render(f);
    expect(page).toContain(`<p class="alert" role="status"><b>1 rollback</b>, the last at ${isoUtc(f.times.rolledBackAt)}: <code>2</code> → <code>1</code> (monitor: champion decayed: CUSUM 5.3 ≥ h 5.1)</p>`);
    const history = page.slice(page.indexOf('<table id="role-history">'));
    const rows = history.slice(0, history.indexOf("</table>")).match(/<tr[ >].*?<\/tr>/g)!;
    expect(rows).toHaveLength(10); // header + 9 events
    expect(rows[1]).toMatch(/^<tr class="rollback"><td>[^<]+<\/td><td class="event">rollback<\/td><td><code>1<\/code><\/td><td>champion<\/td><td>2<\/td><td>monitor<\/td>/);
    expect(rows.filter((r) => r.startsWith('<tr class="rollback">'))).toHaveLength(1);
    expect(rows.at(-1)).toMatch(/<td class="event">register<\/td><td><code>1<\/code><\/td><td>champion<\/td>/);
  });

  it("escapes role reasons and hides their paths from the viewer", () => {
    const f = createPromotionFixture();
    fixture = f;
    const conn = openDatabase(f.dbPath);
    conn.sqlite.prepare("UPDATE model_role_events SET reason = ? WHERE event = 'rollback'").run(`<script>alert(1)</script> see ${f.modelsDir}/1/manifest.json`);
    conn.close();
    const admin = render(f);
    expect(admin).not.toContain("<script>alert(1)</script>");
    expect(admin).toContain(`&lt;script&gt;alert(1)&lt;/script&gt; see ${f.modelsDir}/1/manifest.json`);
  });
});

describe("zGauge", () => {
  it("marks 0, the boundary and z, green once z reaches the boundary", () => {
    expect(zGauge({ z: 1.2, boundary: 2.54 }, "z").value).toContain('fill="#2563eb"');
    const crossed = zGauge({ z: 3, boundary: 2.54 }, "z").value;
    expect(crossed).toContain('fill="#16a34a"');
    expect(crossed).toContain(">boundary 2.54</text>");
    expect(crossed).toContain(">z 3</text>");
    expect(zGauge({ z: null, boundary: null }, "no look").value).toContain(">boundary ∞</text>");
    expect(zGauge({ z: 1, boundary: 2 }, '"><script>').value).toContain('aria-label="&quot;&gt;&lt;script&gt;"');
  });
});

describe("renderStatusPage: the paired shadow evaluation", () => {
  const render = (f: Fixture) => renderStatusPage(readStatus({ dbPath: f.dbPath, modelsDir: f.modelsDir, now: () => NOW }), ctx);
  const shadow = (over: Partial<ShadowEvaluation>): ShadowEvaluation => ({
    status: "ok",
    reason: null,
    versionA: "1",
    versionB: "3",
    windowStartMs: NOW - 7 * 86_400_000,
    windowEndMs: NOW,
    bars: 20_160,
    minBars: 4500,
    symbols: ["BTCUSDT", "ETHUSDT"],
    perSymbol: [],
    horizonBars: 15,
    costPerSide: 0.001,
    thresholds: { a: 0.61, b: 0.63 },
    tradesA: 410,
    tradesB: 388,
    sharpeA: 0.0123,
    sharpeB: 0.0311,
    difference: 0.0188,
    correlation: 0.71,
    meanA: 1e-5,
    meanB: 2e-5,
    jkmZ: 3.4,
    hacZ: 2.87,
    pBetter: 0.004,
    pWorse: 0.996,
    testStatus: "ok",
    method: { blockLength: 30, resamples: 2000, seed: 16, kernel: "parzen", bandwidth: 30 },
    curves: { ts: [NOW - 7 * 86_400_000, NOW - 3 * 86_400_000, NOW], a: [0, 0.01, 0.02], b: [0, 0.03, 0.07] },
    ...over,
  });

  it("shows the newest shadow run of the current pair with both equity curves, their difference and the test's numbers", () => {
    const f = createPromotionFixture();
    fixture = f;
    expect(render(f)).toContain("No shadow evaluation yet");
    const conn = openDatabase(f.dbPath);
    try {
      conn.sqlite.transaction(() => {
        insertShadowRun(conn, shadow({}), { nowMs: NOW - 1000, abRunId: null, jobId: null });
        insertShadowRun(conn, shadow({ versionB: "4", status: "failed", reason: "not this pair" }), { nowMs: NOW, abRunId: null, jobId: null });
      })();
    } finally {
      conn.close();
    }
    const page = render(f);
    expect(page).toContain('<b id="shadow-status">ok</b>');
    expect(page).toContain("on <b>20160</b> bars of BTCUSDT, ETHUSDT since");
    expect(page).toContain('p(B worse) <b id="shadow-p-worse">0.996</b>');
    expect(page).toContain("HAC z <b>2.87</b>");
    expect(page).toContain("<tr><th>Sharpe per bar</th><td class=\"num\">0.0123</td><td class=\"num\">0.0311</td></tr>");
    expect(page).toContain("Shadow equity on the same bars");
    expect(page).toContain("B − A");
    expect(page).not.toContain("not this pair");
  });

  it("shows why a shadow run has no p-value", () => {
    const f = createPromotionFixture();
    fixture = f;
    const conn = openDatabase(f.dbPath);
    try {
      insertShadowRun(conn, shadow({ status: "insufficient", reason: "the shadow window has 900 paired bars since 2026-09-30T00:00:00.000Z, fewer than MLQ_SHADOW_MIN_BARS = 4500", curves: null }), {
        nowMs: NOW,
        abRunId: 7,
        jobId: null,
      });
    } finally {
      conn.close();
    }
    const page = render(f);
    expect(page).toContain('<b id="shadow-status">insufficient</b>: the shadow window has 900 paired bars');
    expect(page).toContain("(A/B run #7)");
    expect(page).not.toContain('id="shadow-p-worse"');
  });
});

// Server-rendered status page: active model, the promotion loop, retrain runs with gates and
// metrics, A/B evaluations side by side, calibration, and inline SVG charts. Pure: report in, HTML out.
import type { AbArmRecord, AbRunRecord } from "@mlq/ab";
import { assumedSlippage, calibrationBuckets, recommendations } from "./calibration-view.js";
import { html, raw, type SafeHtml } from "./html.js";
import { DRIFT_CSS, driftSection } from "./drift-section.js";
import { PROMOTION_CSS, promotionSection } from "./promotion-section.js";
import type { StatusReport, RetrainRunView, GateResultView, GateSymbolView } from "./status-data.js";
import { barChart, lineChart, type LineSeries } from "./svg-charts.js";

export interface PageContext {
  insecureLocal: boolean;
  readOnly: boolean;
  role: "admin" | "viewer";
  /** Used for the slippage chart's assumed line when the payload does not state it. */
  assumedSlippagePerSidePct?: number;
  /** Versions that have a card (a version directory); run and A/B rows link to them. */
  versions?: ReadonlySet<string>;
}

/** A version's name, linked to its card when it has one. */
export function versionLink(version: string | null | undefined, ctx: Pick<PageContext, "versions">): SafeHtml {
  if (version === null || version === undefined) return html`–`;
  return ctx.versions?.has(version) ? html`<a class="version" href="/models/${encodeURIComponent(version)}">${version}</a>` : html`${version}`;
}

const fmt = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined || !Number.isFinite(v) ? "–" : Number(v.toFixed(digits)).toString());
const pct = (v: number | null | undefined): string => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(1)} %`);
const yesNo = (ok: boolean | null, yes = "pass", no = "fail"): SafeHtml =>
  ok === null ? html`<span class="badge">–</span>` : ok ? html`<span class="badge ok">${yes}</span>` : html`<span class="badge bad">${no}</span>`;

const CSS = `
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111827;background:#f3f4f6}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;padding:.75rem 1rem;background:#111827;color:#f9fafb}
header h1{font-size:1.1rem;margin:0}header nav a{color:#93c5fd;margin-right:1rem}
main{max-width:1200px;margin:0 auto;padding:1rem;display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr))}
section{background:#fff;border-radius:8px;padding:1rem;box-shadow:0 1px 2px rgba(0,0,0,.06);min-width:0}
section.wide{grid-column:1/-1}h2{font-size:1rem;margin:0 0 .75rem}
.banner{padding:.6rem 1rem;background:#b91c1c;color:#fff;font-weight:600;text-align:center}
.problems{background:#fef3c7;border:1px solid #f59e0b;border-radius:8px;padding:.5rem 1rem;grid-column:1/-1}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #e5e7eb;vertical-align:top}th{background:#f9fafb;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:0 .4rem;border-radius:4px;background:#e5e7eb;font-size:12px}.ok{background:#dcfce7;color:#166534}.bad{background:#fee2e2;color:#991b1b}
.big{font-size:1.6rem;font-weight:700}.muted{color:#6b7280}.charts{display:grid;gap:.5rem;grid-template-columns:repeat(auto-fit,minmax(min(100%,320px),1fr))}
svg.chart{display:block;max-width:100%;height:auto;color:#111827}code{font-size:12px;word-break:break-all}
details summary{cursor:pointer}
`;

export function layout(title: string, ctx: PageContext, body: SafeHtml, extraCss = ""): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${title}</title><style>${raw(CSS + PROMOTION_CSS + DRIFT_CSS + extraCss)}</style></head>
<body>
${ctx.insecureLocal ? html`<div class="banner" role="alert">INSECURE LOCAL MODE: no authentication is configured; anyone who can reach this port controls the queues.</div>` : ""}
<header><h1>mlq status</h1><nav><a href="/">Status</a><a href="/models">Models</a><a href="/queues/">Queues (Bull Board)</a><a href="/api/status">JSON</a><a href="/metrics">Metrics</a></nav>
<span class="muted">${ctx.role}${ctx.readOnly ? " · read-only" : ""}</span></header>
${body}
</body></html>`.value;
}

function activeSection(r: StatusReport): SafeHtml {
  const file = r.activeModelFile;
  const fileLine =
    file.state === "ok"
      ? html`<details><summary><code>${file.path}</code></summary><pre><code>${JSON.stringify(file.content, null, 2)}</code></pre></details>`
      : file.state === "missing"
        ? html`<p class="muted"><code>${file.path}</code> not written yet.</p>`
        : html`<p class="bad">active_model.json is unreadable: ${file.error}</p>`;
  if (!r.active) return html`<section><h2>Active model</h2><p class="muted">No active model recorded yet (ab_active_model is empty).</p>${fileLine}</section>`;
  const a = r.active;
  return html`<section><h2>Active model</h2>
<p><span class="big" id="active-arm">${a.arm}</span>${a.versionDir ? html` <span class="muted">version <code>${a.versionDir}</code></span>` : ""}</p>
<p>Swapped ${a.swappedAt ?? "–"}${a.previousArm ? html` from <b>${a.previousArm}</b>` : ""}.</p>
${a.swapRun ? html`<p>Why: ${a.swapRun.decisionReason ?? "–"} <span class="muted">(A/B run #${a.swapRun.id}, ${a.swapRun.tsIso}${a.swapRun.action !== "evaluate" ? `, ${a.swapRun.action}` : ""}, P(B better) ${fmt(a.swapRun.pBBetter, 3)})</span></p>` : html`<p class="muted">No A/B run recorded for this swap.</p>`}
${fileLine}</section>`;
}

/**
 * Targets that are never negative: a directional hit rate is trivially ~1 for them. New runs do
 * not report one (SPEC §5); runs recorded before that did, and it is hidden here.
 */
const NON_NEGATIVE_TARGETS = new Set(["risk", "volatility"]);
const shownMetric = (model: string, key: string): boolean => !(NON_NEGATIVE_TARGETS.has(model) && (key === "hitRate" || key === "hit_rate"));

function metricsTable(metrics: unknown): SafeHtml {
  if (metrics === null || typeof metrics !== "object" || Array.isArray(metrics)) return html`<code>${metrics === null ? "–" : JSON.stringify(metrics)}</code>`;
  const rows = Object.entries(metrics as Record<string, unknown>);
  return html`<table>${rows.map(
    ([model, m]) =>
      html`<tr><th>${model}</th><td>${
        m !== null && typeof m === "object"
          ? Object.entries(m as Record<string, unknown>)
              .filter(([k]) => shownMetric(model, k))
              .map(([k, v]) => html`${k} <b>${typeof v === "number" ? fmt(v, 4) : JSON.stringify(v)}</b> `)
          : JSON.stringify(m)
      }</td></tr>`,
  )}</table>`;
}

/** The regime gate per symbol: paper-period daily vol range vs the symbol's own history band. */
function gateSymbolsTable(symbols: readonly GateSymbolView[]): SafeHtml {
  return html`<table class="symbols"><thead><tr><th>symbol</th><th></th><th>paper vol range</th><th>history band</th><th>days</th></tr></thead><tbody>${symbols.map(
    (s) =>
      html`<tr><td>${s.symbol}</td><td>${s.counted ? yesNo(s.passed) : html`<span class="badge">not counted</span>`}</td><td class="num">[${fmt(s.paperMin, 2)}, ${fmt(s.paperMax, 2)}]</td><td class="num">[${fmt(s.historyLo, 2)}, ${fmt(s.historyHi, 2)}]</td><td class="num">${s.paperDays ?? "–"} / ${s.historyDays ?? "–"}</td></tr>`,
  )}</tbody></table>`;
}

function gateCell(g: GateResultView): SafeHtml {
  const details = g.symbols && g.symbols.length > 0 ? gateSymbolsTable(g.symbols) : g.details ? html`<br><span class="muted">${g.details}</span>` : "";
  return html`<div>${yesNo(g.passed)} ${g.name} <span class="muted">${fmt(g.value)} vs ${fmt(g.threshold)}</span>${details}</div>`;
}

function retrainSection(runs: RetrainRunView[], ctx: PageContext): SafeHtml {
  if (runs.length === 0) return html`<section class="wide"><h2>Retrain runs</h2><p class="muted">No retrain runs yet.</p></section>`;
  return html`<section class="wide"><h2>Retrain runs</h2><div class="scroll"><table>
<thead><tr><th>#</th><th>when</th><th>trigger</th><th>version</th><th>result</th><th>gates</th><th>rows</th><th>models</th><th>slip. mult</th><th>duration</th><th>metrics</th></tr></thead><tbody>
${runs.map(
  (r) => html`<tr><td class="num">${r.id}</td><td>${r.tsIso}<br><span class="muted">${r.jobId ?? ""}</span></td><td>${r.triggerReason}</td><td>${ctx.versions?.has(String(r.id)) ? versionLink(String(r.id), ctx) : "–"}</td>
<td>${yesNo(r.success, r.status === "running" ? "running" : "ok", "failed")}${r.errorMsg ? html`<br><span class="muted">${r.errorMsg}</span>` : ""}</td>
<td>${r.gates.map(gateCell)}</td>
<td class="num">${r.trainingRows ?? "–"}</td><td class="num">${r.modelsTrained ?? "–"}</td><td class="num">${fmt(r.slippageMult, 2)}</td>
<td class="num">${r.durationSec === null ? "–" : `${r.durationSec.toFixed(1)} s`}</td>
<td>${r.metricsError ? html`<span class="bad">metrics JSON unreadable: ${r.metricsError}</span>` : metricsTable(r.metrics)}</td></tr>`,
)}</tbody></table></div></section>`;
}

function armCells(a: AbArmRecord): SafeHtml {
  return html`<td class="num">${a.trades ?? "–"}</td><td class="num">${fmt(a.sharpe)}</td><td class="num">${fmt(a.expectancy, 4)}</td><td class="num">${pct(a.winRate)}</td><td class="num">${fmt(a.profitFactor, 2)}</td>`;
}

function lookCell(r: AbRunRecord): SafeHtml {
  if (!r.look) return html`<td class="num">–</td>`;
  const l = r.look;
  return html`<td class="num">${fmt(l.z)} / ${l.boundary === null ? "∞" : fmt(l.boundary)}<br><span class="muted">look ${l.index}, ${l.informationFraction === null ? "–" : `${(l.informationFraction * 100).toFixed(0)} %`}</span></td>`;
}

function abSection(runs: AbRunRecord[], ctx: PageContext): SafeHtml {
  if (runs.length === 0) return html`<section class="wide"><h2>A/B evaluations</h2><p class="muted">No A/B evaluations yet.</p></section>`;
  return html`<section class="wide"><h2>A/B evaluations</h2><div class="scroll"><table>
<thead><tr><th rowspan="2">#</th><th rowspan="2">when</th><th rowspan="2">split</th><th colspan="5">arm A (champion)</th><th colspan="5">arm B (challenger)</th><th rowspan="2">z / boundary</th><th rowspan="2">decision</th></tr>
<tr><th>trades</th><th>Sharpe</th><th>expect.</th><th>win</th><th>PF</th><th>trades</th><th>Sharpe</th><th>expect.</th><th>win</th><th>PF</th></tr></thead><tbody>
${runs.map(
  (r) => html`<tr><td class="num">${r.id}</td><td>${r.tsIso}${r.armAVersion || r.armBVersion ? html`<br><span class="muted">${versionLink(r.armAVersion, ctx)} vs ${versionLink(r.armBVersion, ctx)}</span>` : ""}</td><td>${r.splitMethod ?? "–"}</td>${armCells(r.a)}${armCells(r.b)}${lookCell(r)}
<td>${!r.success ? html`<span class="badge bad">failed</span>` : r.swapExecuted ? html`<span class="badge ok">${r.outcome ?? "swapped"}</span>` : r.swapRecommended ? html`<span class="badge">recommended</span>` : html`<span class="badge">${r.outcome ?? "kept"}</span>`}${r.dryRun ? " (dry run)" : ""}${r.action !== "evaluate" ? html` <b>${r.action}</b>` : ""}<br><span class="muted">${r.decisionReason ?? ""}</span></td></tr>`,
)}</tbody></table></div></section>`;
}

function calibrationSection(r: StatusReport, ctx: PageContext): SafeHtml {
  const c = r.calibration;
  if (!c) return html`<section><h2>Execution calibration</h2><p class="muted">No calibration runs yet.</p></section>`;
  const tod = calibrationBuckets(c.rawPayload, "time_of_day");
  const regimes = calibrationBuckets(c.rawPayload, "regime_slippage");
  const assumed = assumedSlippage(c.rawPayload) ?? ctx.assumedSlippagePerSidePct ?? null;
  const chart = barChart({
    title: "Slippage per side (%) by time of day (UTC)",
    bars: tod.filter((b) => b.slippagePct !== null).map((b) => ({ label: b.name, value: b.slippagePct! })),
    ...(assumed !== null ? { reference: { value: assumed, label: `assumed ${fmt(assumed, 4)} %` } } : {}),
    yLabel: "% per side",
  });
  const bucketTable = (title: string, buckets: typeof tod) =>
    buckets.length === 0
      ? html``
      : html`<h3>${title}</h3><div class="scroll"><table><thead><tr><th>bucket</th><th>trades</th><th>slippage % / side</th><th>multiplier</th></tr></thead><tbody>${buckets.map(
          (b) => html`<tr><td>${b.name}</td><td class="num">${b.trades ?? "–"}</td><td class="num">${fmt(b.slippagePct, 4)}</td><td class="num">${fmt(b.multiplier, 2)}</td></tr>`,
        )}</tbody></table></div>`;
  const recs = recommendations(c.rawPayload);
  return html`<section><h2>Execution calibration</h2>
<p>Run #${c.id} at ${c.tsIso}: ${c.tradesAnalyzed} trades, EMA slippage <b>${fmt(c.emaSlippagePerSidePct, 4)} %</b> per side, position size multiplier <b id="calibration-multiplier">${fmt(c.positionSizeMultiplier, 2)}</b>${c.success ? "" : html` ${yesNo(false, "", "failed")} ${c.errorMsg ?? ""}`}</p>
${chart}${bucketTable("By time of day", tod)}${bucketTable("By regime", regimes)}
${recs.length ? html`<ul>${recs.map((x) => html`<li>${x}</li>`)}</ul>` : ""}
${c.payloadError ? html`<p class="bad">payload JSON unreadable: ${c.payloadError}</p>` : ""}</section>`;
}

function equitySection(r: StatusReport): SafeHtml {
  const e = r.equity;
  const series: LineSeries[] = [
    { label: `A champion ${e.champion ?? ""} (${e.tradesA})`, points: e.armA },
    { label: `B challenger ${e.challenger ?? ""} (${e.tradesB})`, points: e.armB },
  ];
  const how =
    e.method === "none"
      ? "no evaluation in progress, or paper trades not read"
      : e.method === "model_version"
        ? "trades assigned by their model_version, as the A/B evaluation assigns them"
        : e.method === "model_arm"
          ? "trades assigned by model_arm and who held that role at each trade's entry, as the A/B evaluation assigns them"
          : "untagged trades: B = opened since the challenger took the slot, A = the same length of time before it";
  return html`<section><h2>Equity by arm</h2>${lineChart({ title: "Cumulative pnl_pct by trade", series, xLabel: "trade #", yLabel: "cumulative %" })}
<p class="muted">Sum of closed trades' pnl_pct in the current evaluation, ${how}.</p></section>`;
}

function gatesSection(r: StatusReport): SafeHtml {
  const names = Object.keys(r.gateHistory).sort();
  if (names.length === 0) return html`<section class="wide"><h2>Gate history</h2><p class="muted">No gate results yet.</p></section>`;
  return html`<section class="wide"><h2>Gate history</h2><div class="charts">${names.map((name) => {
    const pts = r.gateHistory[name]!;
    const thresholds = pts.flatMap((p, i) => (p.threshold === null ? [] : [[i + 1, p.threshold] as const]));
    const distinct = new Set(thresholds.map((t) => t[1]));
    const single = distinct.size === 1 ? [...distinct][0]! : null;
    return lineChart({
      title: `${name}: value vs threshold`,
      width: 420,
      height: 220,
      xLabel: "evaluation #",
      series: [
        { label: "value", points: pts.flatMap((p, i) => (p.value === null ? [] : [[i + 1, p.value] as const])) },
        ...(single === null ? [{ label: "threshold", points: thresholds, color: "#f59e0b", dashed: true }] : []),
      ],
      ...(single !== null ? { referenceLines: [{ value: single, label: `threshold ${fmt(single)}` }] } : {}),
    });
  })}</div></section>`;
}

export function renderStatusPage(report: StatusReport, ctx: PageContext): string {
  const problems = report.problems.length
    ? html`<div class="problems" role="status"><b>Problems</b><ul>${report.problems.map((p) => html`<li>${p}</li>`)}</ul></div>`
    : "";
  return layout(
    "mlq status",
    ctx,
    html`<main>${problems}${activeSection(report)}${equitySection(report)}${promotionSection(report.promotion)}${driftSection(report.drift)}${calibrationSection(report, ctx)}${retrainSection(report.retrainRuns, ctx)}${gatesSection(report)}${abSection(report.abRuns, ctx)}
<p class="muted" style="grid-column:1/-1">Generated ${report.generatedAt} from <code>${report.dbPath}</code>.</p></main>`,
  );
}

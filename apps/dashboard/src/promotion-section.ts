// The promotion loop on the status page: who holds which role and since when, where the
// challenger's sequential test stands, why the last A/B run did or did not swap, and the role
// history as a timeline with rollbacks highlighted. Pure: report in, HTML out.
// (Not prettier-formatted: it would reflow the html`` templates and change the markup.)
import type { AbRunRecord, ShadowRunRecord } from "@mlq/ab";
import { html, raw, type SafeHtml } from "./html.js";
import type { ArmStandingView, EvaluationView, LookView, PromotionView, RoleEventView } from "./status-data.js";
import { lineChart, linearScale, PALETTE } from "./svg-charts.js";

const fmt = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined || !Number.isFinite(v) ? "–" : Number(v.toFixed(digits)).toString());
const pctOf = (v: number | null | undefined): string => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(0)} %`);
const tick = (passed: boolean): SafeHtml => (passed ? html`<span class="badge ok" title="passed">✓</span>` : html`<span class="badge bad" title="failed">✗</span>`);
const EMPTY_CELLS = html`<td class="num">–</td><td class="num">–</td><td class="num">–</td><td class="num">–</td><td>–</td>`;

export const PROMOTION_CSS = `
tr.rollback td{background:#fee2e2}tr.rollback td.event{font-weight:700;color:#991b1b}
.alert{padding:.4rem .6rem;border-radius:6px;background:#fee2e2;color:#991b1b;margin:.5rem 0}
svg.zgauge{display:block;max-width:100%;height:auto;color:#111827}h3{font-size:.9rem;margin:1rem 0 .4rem}
`;

function standingCells(s: ArmStandingView | null): SafeHtml {
  if (!s) return html`<td class="num">–</td><td class="num">–</td><td class="num">–</td>`;
  return html`<td class="num">${s.trades}</td><td class="num">${fmt(s.sharpe)}</td><td class="num">${fmt(s.psr)}</td>`;
}

function rolesTable(p: PromotionView): SafeHtml {
  const rows: SafeHtml[] = [];
  if (p.champion)
    rows.push(html`<tr><th>champion (A)</th><td><code id="champion-version">${p.champion.version}</code>${p.champion.pinned ? html` <span class="badge bad">pinned</span>` : ""}</td><td>${p.champion.sinceIso}</td>${standingCells(p.champion.standing)}<td class="num">–</td><td>–</td></tr>`);
  if (p.challenger)
    rows.push(html`<tr><th>challenger (B, v2_paper)</th><td><code id="challenger-version">${p.challenger.version}</code></td><td>${p.challenger.sinceIso}</td>${standingCells(p.challenger.standing)}<td class="num">${fmt(p.challenger.alphaK, 4)}</td><td>${p.challenger.expiresIso ?? "–"}</td></tr>`);
  for (const c of p.candidates)
    rows.push(html`<tr><th>candidate (waiting)</th><td><code>${c.version}</code>${c.trigger ? html` <span class="muted">${c.trigger}</span>` : ""}</td><td>${c.sinceIso}</td>${EMPTY_CELLS}</tr>`);
  if (p.previousChampion) rows.push(html`<tr><th>previous champion (rollback target)</th><td><code>${p.previousChampion.version}</code></td><td>${p.previousChampion.sinceIso}</td>${EMPTY_CELLS}</tr>`);
  if (p.v1Backtest) rows.push(html`<tr><th>v1_backtest (baseline)</th><td><code>${p.v1Backtest.version}</code></td><td>${p.v1Backtest.sinceIso}</td>${EMPTY_CELLS}</tr>`);
  if (rows.length === 0)
    return html`<p class="muted">No role recorded yet: the first trained set becomes champion (an install that predates the role history is seeded at its next A/B run).</p>`;
  return html`<div class="scroll"><table id="roles"><thead><tr><th>role</th><th>version</th><th>since</th><th>trades</th><th>Sharpe / trade</th><th>PSR</th><th>α_k</th><th>expires</th></tr></thead><tbody>${rows}</tbody></table></div>
${p.barred.length ? html`<p>Rolled back, champion again only after winning a new A/B: ${p.barred.map((v, i) => html`${i ? ", " : ""}<code>${v}</code>`)}</p>` : ""}
<p class="muted">Trades, Sharpe and PSR are the arms of the current evaluation, attributed as the A/B run attributes them.</p>`;
}

/** z on a line from below 0 to past the boundary: where the test stands at a glance. */
export function zGauge(look: Pick<LookView, "z" | "boundary">, label: string): SafeHtml {
  const w = 420;
  const h = 46;
  const { z, boundary: b } = look;
  const lo = Math.min(-3, z === null ? -3 : z - 0.5);
  const hi = Math.max(4, b === null ? 4 : b + 0.5, z === null ? 4 : z + 0.5);
  const x = (v: number) => linearScale([lo, hi], [12, w - 12])(v).toFixed(1);
  const y = 24;
  const parts = [
    `<line x1="${x(lo)}" y1="${y}" x2="${x(hi)}" y2="${y}" stroke="currentColor" stroke-width="1"/>`,
    `<line x1="${x(0)}" y1="${y - 5}" x2="${x(0)}" y2="${y + 5}" stroke="currentColor"/><text x="${x(0)}" y="${y + 17}" font-size="10" text-anchor="middle">0</text>`,
  ];
  if (b !== null)
    parts.push(`<line x1="${x(b)}" y1="${y - 12}" x2="${x(b)}" y2="${y + 12}" stroke="#dc2626" stroke-dasharray="3 2" stroke-width="2"/><text x="${x(b)}" y="${y + 21}" font-size="10" text-anchor="middle" fill="#dc2626">boundary ${fmt(b)}</text>`);
  else parts.push(`<text x="${x(hi)}" y="${y - 8}" font-size="10" text-anchor="end" fill="#dc2626">boundary ∞</text>`);
  if (z !== null)
    parts.push(`<circle cx="${x(z)}" cy="${y}" r="5" fill="${b !== null && z >= b ? "#16a34a" : "#2563eb"}"/><text x="${x(z)}" y="${y - 9}" font-size="10" text-anchor="middle">z ${fmt(z)}</text>`);
  return html`<svg class="zgauge" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${label}"><title>${label}</title>${raw(parts.join(""))}</svg>`;
}

function lookRow(name: SafeHtml, l: LookView | null, note: string): SafeHtml {
  if (!l) return html`<tr><th>${name}</th><td colspan="4" class="muted">${note}</td></tr>`;
  const crossed = l.z !== null && l.boundary !== null && l.z >= l.boundary;
  return html`<tr><th>${name}</th><td class="num">${l.look}</td><td class="num">${pctOf(l.informationFraction)}</td><td class="num">${fmt(l.z)}</td><td class="num">${l.boundary === null ? "∞" : fmt(l.boundary)} ${l.z === null ? "" : tick(crossed)}</td></tr>`;
}

function evaluationBlock(p: PromotionView, e: EvaluationView): SafeHtml {
  const now = e.now?.ready ? e.now : null;
  const gaugeLook = now ?? e.lastLook;
  const notReady = e.now ? "not ready: each arm needs its minimum trades first" : "trades not read";
  return html`<h3>Sequential test</h3>
<p id="evaluation">Challenger <code>${p.challenger?.version ?? "?"}</code> against champion <code>${p.champion?.version ?? "?"}</code> since ${e.startIso}; expires ${e.expiresIso}${e.expired ? html` <span class="badge bad">expired: the next A/B run ends it</span>` : ""}.
O'Brien–Fleming-type α-spending at α_k <b>${fmt(e.alphaK, 4)}</b>, n_max ${e.nMaxPerArm ?? "–"} trades per arm; ${e.looks} look${e.looks === 1 ? "" : "s"} taken.</p>
<div class="scroll"><table><thead><tr><th></th><th>look</th><th>information</th><th>z</th><th>boundary</th></tr></thead><tbody>
${lookRow(html`last recorded${e.lastLook ? html` <span class="muted">(run #${e.lastLook.runId}, ${e.lastLook.tsIso})</span>` : ""}`, e.lastLook, "no look yet: each arm needs its minimum trades first")}
${lookRow(html`now <span class="muted">(the next A/B run's look, not recorded)</span>`, now, notReady)}
</tbody></table></div>
${gaugeLook ? zGauge(gaugeLook, `z ${fmt(gaugeLook.z)} against boundary ${gaugeLook.boundary === null ? "∞" : fmt(gaugeLook.boundary)}`) : ""}`;
}

function decisionBlock(run: AbRunRecord | null): SafeHtml {
  if (!run) return html`<h3>Last decision</h3><p class="muted">No A/B run has recorded a decision table yet.</p>`;
  const failed = run.conditions.filter((c) => !c.passed);
  const heldBy = failed.length ? html`; held back by ${failed.map((c, i) => html`${i ? ", " : ""}<code>${c.name}</code>`)}` : html`; every condition held`;
  return html`<h3>Last decision: why the swap did${run.swapExecuted ? "" : " not"} happen</h3>
<p>A/B run #${run.id} at ${run.tsIso}${run.dryRun ? " (dry run)" : ""}: <code>${run.armAVersion ?? "?"}</code> (A) vs <code>${run.armBVersion ?? "?"}</code> (B) → <b id="last-outcome">${run.outcome ?? (run.swapExecuted ? "swapped" : "kept")}</b>${heldBy}.</p>
<div class="scroll"><table id="decision"><thead><tr><th>condition</th><th>value</th><th>threshold</th><th></th><th>in words</th></tr></thead><tbody>${run.conditions.map(
    (c) => html`<tr><td><code>${c.name}</code></td><td class="num">${fmt(c.value)}</td><td class="num">${fmt(c.threshold)}</td><td>${tick(c.passed)}</td><td>${c.text}</td></tr>`,
  )}</tbody></table></div>`;
}

/** The paired shadow evaluation: both versions' equity on the same bars, their difference, and the test. */
export function shadowBlock(sh: ShadowRunRecord | null): SafeHtml {
  if (!sh) return html`<h3>Shadow evaluation</h3><p class="muted">No shadow evaluation yet: each A/B look scores champion and challenger on the same closed bars once both exist (<code>mlq ab --shadow</code> runs one now).</p>`;
  const head = html`<p id="shadow-summary">Shadow evaluation #${sh.id} at ${sh.tsIso}${sh.abRunId !== null ? html` (A/B run #${sh.abRunId})` : ""}: <code>${sh.versionA}</code> (A) vs <code>${sh.versionB}</code> (B)${sh.windowStartIso ? html` on <b>${sh.bars ?? 0}</b> bars of ${sh.symbols.join(", ")} since ${sh.windowStartIso}` : ""} → <b id="shadow-status">${sh.status}</b>${sh.reason ? html`: ${sh.reason}` : ""}.</p>`;
  const curves = sh.curves;
  const chart =
    curves && curves.ts.length > 1
      ? (() => {
          const t0 = curves.ts[0]!;
          const x = (t: number) => (t - t0) / 86_400_000;
          const pts = (ys: readonly number[]) => curves.ts.map((t, i) => [x(t), ys[i]!] as const);
          return lineChart({
            title: "Shadow equity on the same bars (cumulative log return, one unit per symbol)",
            series: [
              { label: `A ${sh.versionA}`, points: pts(curves.a), color: PALETTE[0] },
              { label: `B ${sh.versionB}`, points: pts(curves.b), color: PALETTE[1] },
              { label: "B − A", points: pts(curves.b.map((v, i) => v - curves.a[i]!)), color: PALETTE[2], dashed: true },
            ],
            xLabel: "days since the window opened",
            yLabel: "cumulative log return",
          });
        })()
      : "";
  if (sh.status !== "ok") return html`<h3>Shadow evaluation</h3>${head}${chart}`;
  return html`<h3>Shadow evaluation</h3>${head}
<div class="scroll"><table id="shadow"><thead><tr><th></th><th>A ${sh.versionA}</th><th>B ${sh.versionB}</th></tr></thead><tbody>
<tr><th>shadow trades</th><td class="num">${sh.tradesA ?? "–"}</td><td class="num">${sh.tradesB ?? "–"}</td></tr>
<tr><th>Sharpe per bar</th><td class="num">${fmt(sh.sharpeA, 4)}</td><td class="num">${fmt(sh.sharpeB, 4)}</td></tr>
</tbody></table></div>
<p>Difference ${fmt(sh.difference, 4)}, correlation ${fmt(sh.correlation)}; Jobson–Korkie–Memmel z ${fmt(sh.jkmZ, 2)}, HAC z <b>${fmt(sh.hacZ, 2)}</b>; block bootstrap p(B no better) ${fmt(sh.pBetter)}, p(B worse) <b id="shadow-p-worse">${fmt(sh.pWorse)}</b>.</p>
${chart}`;
}

function timeline(p: PromotionView): SafeHtml {
  if (p.events.length === 0) return html`<h3>Role history</h3><p class="muted">No role changes recorded yet.</p>`;
  const total = Object.values(p.eventCounts).reduce((s, n) => s + n, 0);
  const row = (e: RoleEventView) =>
    html`<tr${e.event === "rollback" ? raw(' class="rollback"') : ""}><td>${e.tsIso}</td><td class="event">${e.event}</td><td><code>${e.version}</code></td><td>${e.role}</td><td>${e.previousVersion ?? ""}</td><td>${e.trigger ?? ""}</td><td class="num">${e.runId ?? ""}</td><td class="num">${e.alpha === null ? "" : fmt(e.alpha, 4)}</td><td>${e.reason ?? ""}</td></tr>`;
  return html`<h3>Role history <span class="muted">(newest first${total > p.events.length ? `, ${p.events.length} of ${total}` : ""})</span></h3>
<div class="scroll"><table id="role-history"><thead><tr><th>when</th><th>event</th><th>version</th><th>role</th><th>from</th><th>trigger</th><th>run</th><th>α</th><th>reason</th></tr></thead><tbody>${p.events.map(row)}</tbody></table></div>`;
}

export function promotionSection(p: PromotionView | null): SafeHtml {
  if (!p) return html`<section class="wide" id="promotion"><h2>Promotion loop</h2><p class="muted">The role history could not be read (see problems).</p></section>`;
  const rollbacks = p.eventCounts.rollback;
  const last = p.events.find((e) => e.event === "rollback");
  const alert =
    rollbacks > 0
      ? html`<p class="alert" role="status"><b>${rollbacks} rollback${rollbacks === 1 ? "" : "s"}</b>${last ? html`, the last at ${last.tsIso}: <code>${last.previousVersion ?? "?"}</code> → <code>${last.version}</code> (${last.trigger ?? "?"}: ${last.reason ?? ""})` : ""}</p>`
      : "";
  const idle = html`<p class="muted">No evaluation in progress${p.candidates.length ? ": the slot is free and the next A/B run gives it to the newest candidate" : ": no challenger holds the slot"}.</p>`;
  return html`<section class="wide" id="promotion"><h2>Promotion loop</h2>
${alert}
${rolesTable(p)}
${p.evaluation ? evaluationBlock(p, p.evaluation) : idle}
${decisionBlock(p.lastDecision)}
${shadowBlock(p.shadow)}
${timeline(p)}</section>`;
}

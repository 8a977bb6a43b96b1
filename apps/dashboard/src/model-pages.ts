// The model pages: /models (every version with its roles), /models/:version (the version card, with
// importance bars per model) and /models/:a/diff/:b. Pure: cards in, HTML out.
import { isoUtc } from "@mlq/core";
import type { CardModelImportance, DiffRow, VersionCard, VersionDiff, VersionRoleView } from "@mlq/registry";
import type { VersionDriftSince } from "@mlq/ml";
import { DRIFT_CSS, driftSinceSection } from "./drift-section.js";
import { html, raw, SafeHtml } from "./html.js";
import { layout, versionLink, type PageContext } from "./status-page.js";
import { linearScale, PALETTE } from "./svg-charts.js";

const fmt = (v: unknown, digits = 4): string =>
  v === null || v === undefined
    ? "–"
    : typeof v === "number"
      ? Number.isFinite(v)
        ? Number.isInteger(v)
          ? String(v)
          : Number(v.toPrecision(digits)).toString()
        : "–"
      : String(v);
const iso = (ms: number | null): string => (ms === null ? "–" : isoUtc(ms));
const NOT_RECORDED = (what: string) =>
  html`<p class="muted not-recorded">${what}: not recorded (this version was written before it was).</p>`;

export const MODEL_PAGES_CSS = `
svg.importance{display:block;max-width:100%;height:auto;color:#111827}.importance-grid{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(min(100%,360px),1fr))}
td.sha{font-family:ui-monospace,monospace;font-size:11px;word-break:break-all}a.version{font-weight:600}
td.pos{color:#166534}td.neg{color:#991b1b}
`;

/**
 * Horizontal bars of one model's permutation importance, largest first; negative values (the
 * shuffled feature happened to help on the sample: noise) extend left of zero in grey.
 */
export function importanceBars(m: CardModelImportance, color: string): SafeHtml {
  const features = m.features;
  const rowH = 18;
  const labelW = 92;
  const w = 420;
  const h = 28 + rowH * Math.max(1, features.length);
  const values = features.map((f) => f.importance ?? 0);
  const lo = Math.min(0, ...values);
  const hi = Math.max(0, ...values);
  const x = linearScale([lo, hi === lo ? lo + 1 : hi], [labelW, w - 70]);
  const parts = [`<line x1="${x(0).toFixed(1)}" y1="16" x2="${x(0).toFixed(1)}" y2="${h - 6}" stroke="currentColor" stroke-width="1"/>`];
  features.forEach((f, i) => {
    const y = 20 + i * rowH;
    const v = f.importance;
    parts.push(`<text x="${labelW - 6}" y="${y + 11}" font-size="11" text-anchor="end">${escapeSvg(f.feature)}</text>`);
    if (v === null) {
      parts.push(`<text x="${x(0) + 4}" y="${y + 11}" font-size="10" fill="#6b7280">no value</text>`);
      return;
    }
    const x0 = Math.min(x(0), x(v));
    const bw = Math.max(1, Math.abs(x(v) - x(0)));
    parts.push(
      `<rect class="bar" data-feature="${escapeSvg(f.feature)}" x="${x0.toFixed(1)}" y="${y + 2}" width="${bw.toFixed(1)}" height="${rowH - 5}" fill="${v >= 0 ? color : "#9ca3af"}"><title>${escapeSvg(f.feature)}: ${fmt(v)}${f.std === null ? "" : ` ± ${fmt(f.std)}`}</title></rect>`,
      `<text x="${(Math.max(x(0), x(v)) + 4).toFixed(1)}" y="${y + 11}" font-size="10">${fmt(v, 3)}</text>`,
    );
  });
  const title = `${m.model}: increase in ${m.loss} when the feature is shuffled (baseline ${fmt(m.baselineLoss)})`;
  return html`<svg
    class="importance"
    data-model="${m.model}"
    viewBox="0 0 ${w} ${h}"
    width="${w}"
    height="${h}"
    role="img"
    aria-label="${title}"
  >
    <title>${title}</title>
    <text x="4" y="11" font-size="11" font-weight="600">
      ${m.model}
      <tspan fill="#6b7280" font-weight="400">(${m.loss} +, baseline ${fmt(m.baselineLoss)})</tspan>
    </text>
    ${raw(parts.join(""))}
  </svg>`;
}

function escapeSvg(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

const kvTable = (rows: [string, unknown][]): SafeHtml =>
  html`<table>
    ${rows.map(
      ([k, v]) =>
        html`<tr>
          <th>${k}</th>
          <td>${v instanceof SafeHtml ? v : fmt(v)}</td>
        </tr>`,
    )}
  </table>`;

export function renderModelsPage(versions: readonly VersionRoleView[], ctx: PageContext): string {
  const rows = versions.map(
    (v) =>
      html`<tr>
        <td>${versionLink(v.version, { versions: new Set([v.version]) })}</td>
        <td>${v.roles.join(", ") || "–"}${v.barred ? html` <span class="badge bad">rolled back</span>` : ""}</td>
        <td>${v.sinceMs === null ? "–" : isoUtc(v.sinceMs)}</td>
        <td>${v.createdAt ?? "–"}</td>
      </tr>`,
  );
  const body = versions.length
    ? html`<div class="scroll">
          <table id="versions">
            <thead>
              <tr>
                <th>version</th>
                <th>roles now</th>
                <th>since</th>
                <th>created</th>
              </tr>
            </thead>
            <tbody>
              ${rows}
            </tbody>
          </table>
        </div>
        <form method="get" action="/models/diff" class="muted" style="margin-top:.75rem">
          Compare <input name="a" size="8" aria-label="version A" /> with <input name="b" size="8" aria-label="version B" />
          <button>diff</button>
        </form>`
    : html`<p class="muted">No model versions yet: a retrain that trains writes the first.</p>`;
  return layout(
    "mlq models",
    ctx,
    html`<main>
      <section class="wide">
        <h2>Model versions</h2>
        ${body}
      </section>
    </main>`,
    MODEL_PAGES_CSS,
  );
}

export function renderVersionCardPage(c: VersionCard, ctx: PageContext, drift: VersionDriftSince | null = null): string {
  const w = c.dataWindow;
  const head = html`<section class="wide" id="card">
    <h2>
      Version
      <code id="card-version">${c.version}</code
      >${c.runId !== null ? html` <span class="muted">retrain run #${c.runId}, ${c.trigger ?? "?"}</span>` : ""}
    </h2>
    <p>
      Roles now:
      <b id="card-roles">${c.roles.current.length ? c.roles.current.join(", ") : "none"}</b
      >${c.roles.barred ? html` <span class="badge bad">rolled back: champion again only after winning a new A/B</span>` : ""}
    </p>
    <p>
      Files:
      ${c.integrity === "verified" ? html`<span class="badge ok" id="card-integrity">verified</span> every sha256 matches` : html`<span class="badge bad" id="card-integrity">check failed</span> ${c.integrity}`}.
      Created ${c.createdAt ?? "–"} by ${c.codeVersion}.
    </p>
  </section>`;

  const window = html`<section>
    <h2>Data window</h2>
    ${kvTable([
      ["train end", iso(w.trainEndMs)],
      ["test", w.testStartMs === null ? "–" : `${iso(w.testStartMs)} → ${iso(w.testEndMs)}`],
      ["trained through", w.trainedThroughMs === null ? "not recorded" : iso(w.trainedThroughMs)],
      ["embargo", w.embargoHours === null ? "–" : `${fmt(w.embargoHours)} h`],
      ["symbols", w.symbols.join(", ") || "–"],
      ...Object.entries(c.rowCounts).map(([k, v]): [string, unknown] => [`rows: ${k}`, v]),
      ["slippage_mult", c.slippageMult],
    ])}
    ${
      c.rowsBySymbol
        ? html`<h3>Rows per symbol</h3>
            <table id="rows-by-symbol">
              <thead>
                <tr>
                  <th>symbol</th>
                  <th>candles</th>
                  <th>feature rows</th>
                  <th>train</th>
                  <th>test</th>
                </tr>
              </thead>
              <tbody>
                ${c.rowsBySymbol.map(
                  (r) =>
                    html`<tr>
                      <td>${r.symbol}</td>
                      <td class="num">${fmt(r.candles)}</td>
                      <td class="num">${fmt(r.rows)}</td>
                      <td class="num">${fmt(r.train)}</td>
                      <td class="num">${fmt(r.test)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
        : NOT_RECORDED("Rows per symbol")
    }
  </section>`;

  const gates = html`<section>
    <h2>Gates at training</h2>
    ${
      c.gates
        ? html`<table id="card-gates">
            <thead>
              <tr>
                <th>gate</th>
                <th></th>
                <th>value</th>
                <th>threshold</th>
                <th>details</th>
              </tr>
            </thead>
            <tbody>
              ${c.gates.map(
                (g) =>
                  html`<tr>
                    <td>${g.name}</td>
                    <td>
                      ${g.passed === null ? "–" : g.passed ? html`<span class="badge ok">pass</span>` : html`<span class="badge bad">fail</span>`}
                    </td>
                    <td class="num">${fmt(g.value)}</td>
                    <td class="num">${fmt(g.threshold)}</td>
                    <td class="muted">${g.details ?? ""}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
        : NOT_RECORDED("Gate values")
    }
    <h3>Hyperparameters</h3>
    ${kvTable(Object.entries(c.hyperparameters).map(([k, v]) => [k, typeof v === "object" && v !== null ? JSON.stringify(v) : v]))}
  </section>`;

  const metricKeys = [...new Set(Object.values(c.metrics).flatMap((m) => Object.keys(m)))];
  const metrics = html`<section class="wide">
    <h2>Test metrics</h2>
    ${
      Object.keys(c.metrics).length
        ? html`<div class="scroll">
            <table id="card-metrics">
              <thead>
                <tr>
                  <th>model</th>
                  ${metricKeys.map((k) => html`<th>${k}</th>`)}
                </tr>
              </thead>
              <tbody>
                ${Object.entries(c.metrics).map(
                  ([model, m]) =>
                    html`<tr>
                      <th>${model}</th>
                      ${metricKeys.map((k) => html`<td class="num">${fmt(m[k])}</td>`)}
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`
        : NOT_RECORDED("Test metrics")
    }
  </section>`;

  const i = c.importance;
  const importance = html`<section class="wide" id="importance">
    <h2>Feature importance</h2>
    ${
      i
        ? html`<p class="muted">
              Permutation importance on ${fmt(i.sampleRows)} rows of the ${i.split} split, ${fmt(i.repeats)} repeat(s), seed ${fmt(i.seed)}:
              how much each model's loss grows when one feature's column is shuffled. Near zero or below: the model does not rely on it.
            </p>
            <div class="importance-grid">${i.models.map((m, k) => importanceBars(m, PALETTE[k % PALETTE.length]!))}</div>`
        : html`<p class="muted not-recorded" id="importance-none">
            None recorded: this version was trained before permutation importance was computed.
          </p>`
    }
  </section>`;

  const files = html`<section class="wide">
    <h2>Files</h2>
    <div class="scroll">
      <table id="card-files">
        <thead>
          <tr>
            <th>model</th>
            <th>file</th>
            <th>format</th>
            <th>bytes</th>
            <th>sha256</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <td>–</td>
            <td>manifest.json</td>
            <td>manifest</td>
            <td></td>
            <td class="sha">${c.manifestSha256 ?? "–"}</td>
          </tr>
          ${c.files.map(
            (f) =>
              html`<tr>
                <td>${f.model}</td>
                <td>${f.file}</td>
                <td>${f.format}</td>
                <td class="num">${f.bytes}</td>
                <td class="sha">${f.sha256}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
  </section>`;

  const roles = html`<section class="wide">
    <h2>Roles held</h2>
    ${
      c.roles.spans.length
        ? html`<div class="scroll">
            <table id="card-spans">
              <thead>
                <tr>
                  <th>role</th>
                  <th>from</th>
                  <th>until</th>
                  <th>ended by</th>
                </tr>
              </thead>
              <tbody>
                ${c.roles.spans.map(
                  (s) =>
                    html`<tr>
                      <td>${s.role}</td>
                      <td>${iso(s.fromMs)}</td>
                      <td>${s.toMs === null ? html`<b>now</b>` : iso(s.toMs)}</td>
                      <td>${s.endedBy ?? ""}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`
        : html`<p class="muted">No role recorded for this version (a smoke run, or saved but never registered).</p>`
    }${
      c.roles.events.length
        ? html`<h3>Role history</h3>
            <div class="scroll">
              <table id="card-events">
                <thead>
                  <tr>
                    <th>when</th>
                    <th>event</th>
                    <th>role</th>
                    <th>replaced</th>
                    <th>run</th>
                    <th>trigger</th>
                    <th>reason</th>
                  </tr>
                </thead>
                <tbody>
                  ${c.roles.events.map(
                    (e) =>
                      html`<tr>
                        <td>${iso(e.tsMs)}</td>
                        <td>${e.event}</td>
                        <td>${e.role}</td>
                        <td>${versionLink(e.previousVersion, ctx)}</td>
                        <td class="num">${e.runId ?? ""}</td>
                        <td>${e.trigger ?? ""}</td>
                        <td>${e.reason ?? ""}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
        : ""
    }
  </section>`;

  return layout(
    `mlq version ${c.version}`,
    ctx,
    html`<main>${head}${window}${gates}${metrics}${importance}${driftSinceSection(drift)}${files}${roles}</main>`,
    MODEL_PAGES_CSS + DRIFT_CSS,
  );
}

function diffTable(id: string, d: VersionDiff, rows: readonly DiffRow[], asTime = false): SafeHtml {
  const show = (v: number | string | null) => (asTime && typeof v === "number" ? isoUtc(v) : fmt(v));
  return html`<div class="scroll">
    <table id="${id}">
      <thead>
        <tr>
          <th></th>
          <th>${d.a}</th>
          <th>${d.b}</th>
          <th>Δ (b − a)</th>
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (r) =>
            html`<tr>
              <th>${r.key}</th>
              <td class="num">${show(r.a)}</td>
              <td class="num">${show(r.b)}</td>
              <td class="num ${r.delta === null || r.delta === 0 ? "" : r.delta > 0 ? "pos" : "neg"}">
                ${asTime && r.delta !== null ? `${fmt(r.delta / 3_600_000)} h` : fmt(r.delta)}
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

export function renderVersionDiffPage(d: VersionDiff, ctx: PageContext): string {
  const imp = d.importance;
  return layout(
    `mlq ${d.a} vs ${d.b}`,
    ctx,
    html`<main>
      <section class="wide">
        <h2>Version ${versionLink(d.a, ctx)} vs ${versionLink(d.b, ctx)}</h2>
        <h3>Test metrics</h3>
        ${diffTable("diff-metrics", d, d.metrics)}
        <h3>Feature importance</h3>
        ${
          imp
            ? html`${d.importanceMissing.map((v) => html`<p class="muted not-recorded">Version ${v}: none recorded.</p>`)}
                <div class="scroll">
                  <table id="diff-importance">
                    <thead>
                      <tr>
                        <th>model</th>
                        <th>feature</th>
                        <th>${d.a}</th>
                        <th>${d.b}</th>
                        <th>Δ</th>
                        <th>rank ${d.a}</th>
                        <th>rank ${d.b}</th>
                      </tr>
                    </thead>
                    <tbody>
                      ${imp.map(
                        (r) =>
                          html`<tr>
                            <td>${r.model}</td>
                            <td>${r.feature}</td>
                            <td class="num">${fmt(r.a)}</td>
                            <td class="num">${fmt(r.b)}</td>
                            <td class="num">${fmt(r.delta)}</td>
                            <td class="num">${fmt(r.rankA)}</td>
                            <td class="num">${fmt(r.rankB)}</td>
                          </tr>`,
                      )}
                    </tbody>
                  </table>
                </div>`
            : html`<p class="muted not-recorded">None recorded for either version.</p>`
        }
        <h3>Data windows</h3>
        ${diffTable(
          "diff-windows",
          d,
          d.windows.filter((r) => r.key !== "window.symbols" && r.key !== "window.embargoHours"),
          true,
        )}${diffTable(
          "diff-window-other",
          d,
          d.windows.filter((r) => r.key === "window.symbols" || r.key === "window.embargoHours"),
        )}
        <h3>Rows</h3>
        ${diffTable("diff-rows", d, d.rows)}
        <h3>Settings that differ</h3>
        ${d.settings.length ? diffTable("diff-settings", d, d.settings) : html`<p class="muted">Same hyperparameters and slippage_mult.</p>`}
      </section>
    </main>`,
    MODEL_PAGES_CSS,
  );
}

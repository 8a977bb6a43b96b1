// The status page's drift heat map (issue 17 item 5): the latest drift check, feature × symbol per
// version, each cell coloured by its PSI against that feature's own calibrated threshold. Pure.
import type { FeatureDriftRow, VersionDriftSince } from "@mlq/ml";
import { html, type SafeHtml } from "./html.js";
import type { DriftView } from "./status-data.js";

export const DRIFT_CSS = `
table.heat td.cell{text-align:right;font-variant-numeric:tabular-nums;min-width:4.5rem}
td.cell.calm{background:#dcfce7}td.cell.warm{background:#fef9c3}td.cell.hot{background:#fed7aa}td.cell.over{background:#fecaca;color:#7f1d1d;font-weight:600}
td.cell.none{background:#f3f4f6;color:#6b7280}span.cell.calm{background:#dcfce7}span.cell.warm{background:#fef9c3}span.cell.hot{background:#fed7aa}span.cell.over{background:#fecaca}.legend span{display:inline-block;padding:0 .4rem;margin-right:.3rem;border-radius:4px;font-size:12px}
`;

/**
 * Colour class of a PSI against its threshold: `over` strictly above it (what the rule counts), `hot`
 * from 75 %, `warm` from 40 %, else `calm`; `none` without a threshold (no baseline, the probabilities).
 */
export function driftCellClass(psi: number, threshold: number | null): "calm" | "warm" | "hot" | "over" | "none" {
  if (threshold === null || !(threshold > 0)) return "none";
  if (psi > threshold) return "over";
  const r = psi / threshold;
  return r >= 0.75 ? "hot" : r >= 0.4 ? "warm" : "calm";
}

const fmt = (v: number | null): string => (v === null || !Number.isFinite(v) ? "–" : v < 10 ? v.toFixed(2) : v.toFixed(1));

function heatMap(role: string, version: string, rows: readonly FeatureDriftRow[]): SafeHtml {
  const symbols = [...new Set(rows.map((r) => r.symbol))].sort();
  const features = [...new Set(rows.map((r) => r.feature))];
  const cell = new Map(rows.map((r) => [`${r.feature}\u0000${r.symbol}`, r]));
  const bars = new Map(rows.map((r) => [r.symbol, r.bars]));
  return html`<h3>${role} <a class="version" href="/models/${encodeURIComponent(version)}">${version}</a></h3>
    <div class="scroll">
      <table class="heat" id="drift-${role}" data-version="${version}">
        <thead>
          <tr>
            <th>feature</th>
            ${symbols.map((s) => html`<th class="num">${s}<br /><span class="muted">${bars.get(s) ?? 0} bars</span></th>`)}
          </tr>
        </thead>
        <tbody>
          ${features.map(
            (f) =>
              html`<tr>
                <th>${f}</th>
                ${symbols.map((s) => {
                  const r = cell.get(`${f}\u0000${s}`);
                  if (!r) return html`<td class="cell none">–</td>`;
                  const cls = driftCellClass(r.psi, r.threshold);
                  const title = `${f} on ${s}: PSI ${fmt(r.psi)}${r.threshold === null ? " (no threshold)" : ` vs threshold ${fmt(r.threshold)}`}`;
                  return html`<td class="cell ${cls}" data-feature="${f}" data-symbol="${s}" data-psi="${r.psi}" title="${title}">
                    ${fmt(r.psi)}${r.threshold === null ? "" : html`<br /><span class="muted">/ ${fmt(r.threshold)}</span>`}
                  </td>`;
                })}
              </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
}

export function driftSection(drift: DriftView | null): SafeHtml {
  if (!drift)
    return html`<section class="wide" id="drift">
      <h2>Feature drift</h2>
      <p class="muted">No drift check yet (the hourly monitor writes one).</p>
    </section>`;
  const { check, rows } = drift;
  const byVersion = (role: string) => rows.filter((r) => r.role === role);
  const champion = byVersion("champion");
  const challenger = byVersion("challenger");
  const first = rows[0];
  const window = first
    ? `${new Date(first.windowFromMs).toISOString()} to ${new Date(first.windowToMs).toISOString()} (${first.windowHours} h)`
    : "–";
  return html`<section class="wide" id="drift">
    <h2>Feature drift</h2>
    <p>
      Check #${check.id} at ${check.tsIso}:
      <span class="badge ${check.triggered ? "bad" : "ok"}" id="drift-triggered">${check.triggered ? "rule fired" : "no drift"}</span>
      <span class="badge" id="drift-action">${check.action}</span
      >${check.retrainJobId ? html` <span class="muted">retrain job <code>${check.retrainJobId}</code></span>` : ""} <br /><span
        class="muted"
        >window ${window}</span
      >
    </p>
    <p class="muted">${check.reason}</p>
    <p class="legend muted">
      PSI of the window's values in the training deciles; the small figure is the feature's calibrated threshold.
      <span style="background:#dcfce7">&lt; 40 %</span><span style="background:#fef9c3">40–75 %</span
      ><span style="background:#fed7aa">75–100 %</span><span style="background:#fecaca">over</span
      ><span style="background:#f3f4f6">no threshold</span>
    </p>
    ${champion.length > 0 && check.champion ? heatMap("champion", check.champion, champion) : check.champion ? html`<p class="muted">Champion ${check.champion}: nothing scored (${check.status}).</p>` : ""}
    ${challenger.length > 0 && check.challenger ? heatMap("challenger", check.challenger, challenger) : ""}
  </section>`;
}

/** The version card's "drift since training": what the hourly monitor saw of this version. */
export function driftSinceSection(d: VersionDriftSince | null): SafeHtml {
  if (!d || !d.latest)
    return html`<section class="wide" id="card-drift">
      <h2>Drift since training</h2>
      <p class="muted">No drift check has scored this version yet.</p>
    </section>`;
  const l = d.latest;
  return html`<section class="wide" id="card-drift">
    <h2>Drift since training</h2>
    <p>
      ${d.checks} drift check(s) scored it; as champion the rule fired ${d.fired} time(s), ${d.retrains} drift retrain(s) enqueued.
      <span class="muted">Latest: check #${l.checkId} at ${l.tsIso} (as ${l.role}, ${l.windowHours} h window).</span>
    </p>
    <div class="scroll">
      <table id="card-drift-symbols">
        <thead>
          <tr>
            <th>symbol</th>
            <th class="num">features over</th>
            <th>closest to its threshold</th>
          </tr>
        </thead>
        <tbody>
          ${l.symbols.map(
            (s) =>
              html`<tr>
                <td>${s.symbol}</td>
                <td class="num">${s.featuresOver} / ${s.features}</td>
                <td>
                  ${
                    s.worst
                      ? html`<span class="cell ${driftCellClass(s.worst.psi, s.worst.threshold)}" style="padding:0 .3rem"
                          >${s.worst.feature} ${fmt(s.worst.psi)} / ${fmt(s.worst.threshold)}</span
                        >`
                      : html`<span class="muted">no baseline</span>`
                  }
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
  </section>`;
}

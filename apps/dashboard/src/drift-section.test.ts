import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { addDriftCheck } from "./drift-fixture.test-util.js";
import { driftCellClass, driftSection } from "./drift-section.js";
import { createFixture, type Fixture } from "./fixtures.test-util.js";
import { createMetrics } from "./metrics.js";
import { readStatus } from "./status-data.js";

describe("driftCellClass", () => {
  it.each([
    [0.31, 0.3, "over"],
    [0.3, 0.3, "hot"],
    [0.225, 0.3, "hot"],
    [0.12, 0.3, "warm"],
    [0.1, 0.3, "calm"],
    [5, null, "none"],
  ] as const)("PSI %s vs threshold %s → %s", (psi, threshold, cls) => {
    expect(driftCellClass(psi, threshold)).toBe(cls);
  });
});

describe("drift on the status page and /metrics", () => {
  let f: Fixture;
  beforeEach(() => {
    f = createFixture({ tradesPerArm: 3 });
  });
  afterEach(() => f.cleanup());

  it("says so before the first check", () => {
    const report = readStatus({ dbPath: f.dbPath, modelsDir: f.modelsDir, tradeLimit: 0 });
    expect(report.drift).toBeNull();
    expect(driftSection(report.drift).value).toContain("No drift check yet");
  });

  it("renders the latest check as feature × symbol heat maps per version, coloured against each threshold", () => {
    addDriftCheck(f);
    const report = readStatus({ dbPath: f.dbPath, modelsDir: f.modelsDir, tradeLimit: 0 });
    expect(report.problems).toEqual([]);
    const page = driftSection(report.drift).value;
    expect(page).toContain('id="drift-champion" data-version="1"');
    expect(page).toContain('id="drift-challenger" data-version="3"');
    // 12 rows (11 features + p_direction) × 2 symbols for the champion, × 1 for the challenger.
    expect(page.match(/<td class="cell /g)).toHaveLength(12 * 2 + 12);
    expect(page.match(/class="cell over"/g)).toHaveLength(3);
    expect(page).toContain('class="cell over" data-feature="ret_60" data-symbol="BTC-USDT"');
    expect(page).toContain('class="cell hot" data-feature="rv_20" data-symbol="ETH-USDT"');
    expect(page).toContain('class="cell none" data-feature="p_direction"');
    expect(page).toContain("retrain-77");
  });

  it("exports each PSI, threshold and the rule's state on /metrics", async () => {
    addDriftCheck(f);
    const metrics = createMetrics({
      queues: [],
      redisStatus: () => "end",
      readStatus: () => readStatus({ dbPath: f.dbPath, modelsDir: f.modelsDir, tradeLimit: 0 }),
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    const text = await metrics.scrape();
    expect(text).toContain('mlq_feature_drift_psi{role="champion",version="1",symbol="BTC-USDT",feature="ret_60"} 0.93');
    expect(text).toContain('mlq_feature_drift_threshold{role="champion",version="1",symbol="BTC-USDT",feature="ret_60"} 0.3');
    expect(text).toContain('mlq_feature_drift_features_over{role="champion",version="1",symbol="BTC-USDT"} 3');
    expect(text).toContain('mlq_feature_drift_features_over{role="challenger",version="3",symbol="BTC-USDT"} 0');
    expect(text).toContain('mlq_feature_drift_triggered{version="1"} 1');
    expect(text).not.toContain('mlq_feature_drift_threshold{role="champion",version="1",symbol="BTC-USDT",feature="p_direction"}');
    expect(text).toMatch(/mlq_feature_drift_check_timestamp_seconds \d+/);
  });
});

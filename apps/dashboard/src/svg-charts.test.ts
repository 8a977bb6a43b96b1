import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { barChart, extent, formatTick, lineChart, linearScale, thin } from "./svg-charts.js";

describe("linearScale", () => {
  it.each([
    [[0, 10], [0, 100], 5, 50],
    [[0, 2], [200, 28], 1.5, 71],
    [[-1, 1], [0, 10], -1, 0],
    [[3, 3], [0, 10], 3, 5],
  ] as const)("maps %j onto %j: %d -> %d", (domain, range, v, expected) => {
    expect(linearScale(domain, range)(v)).toBeCloseTo(expected, 10);
  });
});

describe("thin", () => {
  it("keeps at most max points, including the first and the last", () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { minLength: 1, maxLength: 300 }), fc.integer({ min: 2, max: 50 }), (xs, max) => {
        const out = thin(xs, max);
        expect(out.length).toBe(Math.min(xs.length, max));
        expect(out[0]).toBe(xs[0]);
        expect(out[out.length - 1]).toBe(xs[xs.length - 1]);
      }),
    );
  });
});

describe("extent", () => {
  it.each([
    [[1, 5, 3], false, [1, 5]],
    [[1, 5], true, [0, 5]],
    [[2, 2], false, [0, 4]],
    [[-3, -3], false, [-6, 0]],
    [[0, 0], false, [-1, 1]],
    [[], false, [0, 1]],
    [[Number.NaN, 4, Number.POSITIVE_INFINITY, 6], false, [4, 6]],
  ] as const)("of %j (includeZero %s) is %j", (values, zero, expected) => {
    const [lo, hi] = extent(values, zero);
    expect(lo).toBeCloseTo(expected[0], 10);
    expect(hi).toBeCloseTo(expected[1], 10);
  });
});

describe("formatTick", () => {
  it.each([
    [0, "0"],
    [1.5, "1.5"],
    [2, "2"],
    [250.4, "250"],
    [0.034, "0.034"],
    [-0.5, "-0.50"],
  ])("%d -> %s", (v, s) => expect(formatTick(v)).toBe(s));
});

describe("barChart", () => {
  const svg = barChart({ title: "Slippage <by> bucket", bars: [{ label: "00-06", value: 1 }, { label: "06-12", value: 2 }], reference: { value: 1.5, label: "assumed" } }).value;

  it("draws the reference line at the value's height (domain 0..2 on 200..28)", () => {
    expect(svg).toMatch(/class="reference" x1="56" x2="624" y1="71" y2="71"/);
  });

  it("draws bars from zero to their value", () => {
    // y(2) = 28, y(0) = 200 -> the tallest bar is 172 high and starts at the top margin.
    expect(svg).toContain('y="28" width=');
    expect(svg).toMatch(/height="172"/);
    expect(svg.match(/class="bar"/g)).toHaveLength(2);
  });

  it("escapes titles and labels", () => {
    expect(svg).toContain("Slippage &lt;by&gt; bucket");
    expect(svg).not.toContain("<by>");
  });

  it("says so when there is nothing to draw", () => {
    expect(barChart({ title: "t", bars: [{ label: "x", value: Number.NaN }] }).value).toContain("no data yet");
  });
});

describe("lineChart", () => {
  it("draws one path per series scaled to the plot area", () => {
    const svg = lineChart({
      title: "equity",
      width: 200,
      height: 100,
      series: [
        { label: "A", points: [[0, 0], [10, 1]] },
        { label: "B", points: [[0, 1], [10, 0]], dashed: true },
      ],
    }).value;
    // x: [0,10] -> [56,184]; y: [0,1] -> [60,28]
    expect(svg).toContain('d="M56,60L184,28"');
    expect(svg).toContain('d="M56,28L184,60"');
    expect(svg).toContain('stroke-dasharray="4 3"');
  });

  it("includes reference lines in the y range", () => {
    const svg = lineChart({ title: "gate", width: 200, height: 100, series: [{ label: "v", points: [[0, 0], [1, 1]] }], referenceLines: [{ value: 2, label: "threshold" }] }).value;
    expect(svg).toMatch(/class="reference" x1="56" x2="184" y1="28" y2="28"/);
  });

  it("draws a single gate evaluation as one centred point on an axis from zero, not 0.9–1.1", () => {
    const svg = lineChart({
      title: "regime_diversity: value vs threshold",
      width: 200,
      height: 100,
      xLabel: "evaluation #",
      series: [{ label: "value", points: [[1, 1]] }],
      referenceLines: [{ value: 1, label: "threshold 1" }],
    }).value;
    const ticks = [...svg.matchAll(/text-anchor="end" font-size="10" fill="#6b7280">([^<]*)</g)].map((m) => m[1]);
    expect(ticks).toEqual(["0", "0.50", "1", "1.5", "2"]);
    expect(svg).not.toMatch(/>0\.9<|>1\.1<|>0\.95<|>1\.05</);
    // x: the middle of [56, 184]; y(1) in the middle of [60, 28]
    expect(svg).toContain('<circle cx="120" cy="44" r="3"');
    expect(svg).toContain(">evaluation # 1</text>");
    expect(svg).not.toContain(">evaluation #</text>");
  });

  it("keeps the x range of a series with several evaluations", () => {
    const svg = lineChart({ title: "t", width: 200, height: 100, xLabel: "evaluation #", series: [{ label: "v", points: [[1, 14], [2, 15]] }] }).value;
    expect(svg).toContain(">evaluation #</text>");
    expect(svg).toMatch(/<text x="56" y="74" font-size="10" fill="#6b7280">1<\/text>/);
    expect(svg).toContain('d="M56,60L184,28"');
  });

  it("skips non-finite points and renders 'no data' for empty series", () => {
    expect(lineChart({ title: "t", series: [{ label: "a", points: [[0, Number.NaN]] }] }).value).toContain("no data yet");
  });
});

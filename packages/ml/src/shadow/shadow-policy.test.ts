import { ConfigError, InputDataError } from "@mlq/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { longOnlyHoldPolicy, type ShadowBar, type ShadowSymbolBars } from "./shadow-policy.js";

const T0 = Date.UTC(2026, 0, 5, 12, 0);
const MIN = 60_000;
const barsOf = (closes: readonly number[], stepMs = MIN): ShadowBar[] => closes.map((close, i) => ({ tsMs: T0 + i * stepMs, close }));

// Threshold 0.6, H = 2, cost 0.001 per side, closes 100 101 102 100 99 103 104:
//   #0 p .70 flat → enter                    r0 = −0.001
//   #1 held (p .90 ignored)                  r1 = ln(101/100)
//   #2 held 2 bars → exit; p .70 → re-enter  r2 = ln(102/101) − 0.001 − 0.001
//   #3 held (p .65 ignored)                  r3 = ln(100/102)
//   #4 held 2 bars → exit; p .10             r4 = ln(99/100) − 0.001
//   #5 flat, p .10                           r5 = 0
//   #6 p .80 → enter, still open at the end  r6 = −0.001
// Trades: #0→#2 ln(102/100) − 0.002; #2→#4 ln(99/102) − 0.002; #6 open, ln(104/104) − 0.001.
const CLOSES = [100, 101, 102, 100, 99, 103, 104];
const PROBS = [0.7, 0.9, 0.7, 0.65, 0.1, 0.1, 0.8];
const PARAMS = { entryThreshold: 0.6, horizonBars: 2, costPerSide: 0.001 };

describe("longOnlyHoldPolicy", () => {
  it("produces the hand-computed per-bar log returns and trades", () => {
    const { returns, trades, segments } = longOnlyHoldPolicy([{ symbol: "BTC-USDT", bars: barsOf(CLOSES), probabilities: PROBS }], PARAMS);
    const expected = [-0.001, Math.log(1.01), Math.log(102 / 101) - 0.002, Math.log(100 / 102), Math.log(0.99) - 0.001, 0, -0.001];
    expect(Array.from(returns)).toHaveLength(7);
    expected.forEach((r, i) => expect(returns[i]).toBeCloseTo(r, 14));
    expect(segments).toEqual([{ symbol: "BTC-USDT", start: 0, length: 7 }]);
    expect(trades.map((t) => [t.entryIndex, t.exitIndex, t.open])).toEqual([
      [0, 2, false],
      [2, 4, false],
      [6, 6, true],
    ]);
    expect(trades[0]!.pnl).toBeCloseTo(Math.log(1.02) - 0.002, 14);
    expect(trades[1]!.pnl).toBeCloseTo(Math.log(99 / 102) - 0.002, 14);
    expect(trades[2]!.pnl).toBeCloseTo(-0.001, 14);
    expect(trades[1]).toMatchObject({ entryTsMs: T0 + 2 * MIN, exitTsMs: T0 + 4 * MIN, entryClose: 102, exitClose: 99 });
  });

  it("concatenates symbols in input order and never carries a position across them", () => {
    const eth = { symbol: "ETH-USDT", bars: barsOf([10, 11, 12]), probabilities: [0.9, 0, 0] };
    const btc = { symbol: "BTC-USDT", bars: barsOf(CLOSES), probabilities: PROBS };
    const { returns, segments, trades } = longOnlyHoldPolicy([eth, btc], PARAMS);
    expect(segments).toEqual([
      { symbol: "ETH-USDT", start: 0, length: 3 },
      { symbol: "BTC-USDT", start: 3, length: 7 },
    ]);
    expect(returns[2]).toBeCloseTo(Math.log(12 / 11) - 0.001, 14);
    expect(returns[3]).toBeCloseTo(-0.001, 14);
    expect(trades.map((t) => t.symbol)).toEqual(["ETH-USDT", "BTC-USDT", "BTC-USDT", "BTC-USDT"]);
  });

  it("gives a closed trade a positive P&L exactly when its log return beats the round-trip cost (the direction label)", () => {
    const c = 0.002;
    const up = longOnlyHoldPolicy([{ symbol: "X", bars: barsOf([100, 100, 100 * Math.exp(0.0041)]), probabilities: [1, 0, 0] }], {
      ...PARAMS,
      costPerSide: c,
    });
    const down = longOnlyHoldPolicy([{ symbol: "X", bars: barsOf([100, 100, 100 * Math.exp(0.0039)]), probabilities: [1, 0, 0] }], {
      ...PARAMS,
      costPerSide: c,
    });
    expect(up.trades[0]!.pnl).toBeGreaterThan(0);
    expect(down.trades[0]!.pnl).toBeLessThan(0);
  });

  const arbSymbol = fc
    .record({
      moves: fc.array(fc.double({ min: -0.02, max: 0.02, noNaN: true }), { minLength: 1, maxLength: 80 }),
      probs: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 80, maxLength: 80 }),
    })
    .map(({ moves, probs }): ShadowSymbolBars => {
      let close = 100;
      const closes = moves.map((m) => (close *= Math.exp(m)));
      return { symbol: "S", bars: barsOf(closes), probabilities: probs.slice(0, closes.length) };
    });
  const arbParams = fc.record({
    entryThreshold: fc.double({ min: 0, max: 1, noNaN: true }),
    horizonBars: fc.integer({ min: 1, max: 20 }),
    costPerSide: fc.double({ min: 0, max: 0.01, noNaN: true }),
  });

  it("sums to the total P&L of its trades, closed trades last exactly H bars and never overlap", () => {
    fc.assert(
      fc.property(fc.array(arbSymbol, { minLength: 1, maxLength: 3 }), arbParams, (generated, params) => {
        const symbols = generated.map((s, i) => ({ ...s, symbol: `S${i}` }));
        const { returns, trades } = longOnlyHoldPolicy(symbols, params);
        const sum = returns.reduce((s, r) => s + r, 0);
        expect(sum).toBeCloseTo(
          trades.reduce((s, t) => s + t.pnl, 0),
          10,
        );
        for (let i = 0; i < trades.length; i++) {
          const t = trades[i]!;
          if (!t.open) expect(t.exitIndex - t.entryIndex).toBe(params.horizonBars);
          else expect(t.exitIndex - t.entryIndex).toBeLessThan(params.horizonBars);
          const next = trades[i + 1];
          if (next && next.symbol === t.symbol) expect(next.entryIndex).toBeGreaterThanOrEqual(t.exitIndex);
        }
      }),
    );
  });

  it("is prefix-stable: more closed bars never change the series on the earlier bars", () => {
    fc.assert(
      fc.property(arbSymbol, arbParams, fc.nat(), (s, params, cut) => {
        const k = 1 + (cut % s.bars.length);
        const full = longOnlyHoldPolicy([s], params).returns;
        const prefix = longOnlyHoldPolicy(
          [{ symbol: s.symbol, bars: s.bars.slice(0, k), probabilities: Array.from(s.probabilities).slice(0, k) }],
          params,
        ).returns;
        expect(Array.from(prefix)).toEqual(Array.from(full.subarray(0, k)));
      }),
    );
  });

  it("is flat (all zeros, no trades) when no probability reaches the threshold", () => {
    const r = longOnlyHoldPolicy([{ symbol: "X", bars: barsOf(CLOSES), probabilities: PROBS.map(() => 0.5) }], PARAMS);
    expect(Array.from(r.returns)).toEqual(CLOSES.map(() => 0));
    expect(r.trades).toEqual([]);
  });

  it.each([
    ["a NaN close", barsOf([100, Number.NaN, 102]), [0.1, 0.1, 0.1], /BTC-USDT 2026-01-05T12:01:00\.000Z \(#1\): close NaN/],
    ["a zero close", barsOf([100, 101, 0]), [0.1, 0.1, 0.1], /BTC-USDT 2026-01-05T12:02:00\.000Z \(#2\): close 0/],
    ["a NaN probability", barsOf([100, 101, 102]), [0.1, Number.NaN, 0.1], /BTC-USDT 2026-01-05T12:01:00\.000Z \(#1\): probability NaN/],
    ["a probability above 1", barsOf([100, 101, 102]), [0.1, 0.1, 1.5], /\(#2\): probability 1\.5 is not in \[0, 1\]/],
    [
      "a 2 h gap",
      [...barsOf([100, 101]), { tsMs: T0 + MIN + 2 * 3_600_000, close: 102 }],
      [0.1, 0.1, 0.1],
      /BTC-USDT 2026-01-05T14:01:00\.000Z \(#2\): gap of 120 min after the previous bar \(max 60 min\)/,
    ],
    [
      "bars out of order",
      [...barsOf([100, 101]), { tsMs: T0, close: 102 }],
      [0.1, 0.1, 0.1],
      /\(#2\): not after the previous bar \(2026-01-05T12:01:00\.000Z\)/,
    ],
    ["a NaN timestamp", [...barsOf([100, 101]), { tsMs: Number.NaN, close: 102 }], [0.1, 0.1, 0.1], /BTC-USDT #2: timestamp NaN/],
    ["fewer probabilities than bars", barsOf([100, 101, 102]), [0.1, 0.1], /shadow bars of BTC-USDT: 3 bars but 2 probabilities/],
  ])("rejects %s with an InputDataError naming the symbol and the bar", (_name, bars, probabilities, message) => {
    const run = () => longOnlyHoldPolicy([{ symbol: "BTC-USDT", bars, probabilities }], PARAMS);
    expect(run).toThrow(InputDataError);
    expect(run).toThrow(message);
  });

  it("accepts a gap up to maxGapMs and rejects one beyond it", () => {
    const bars = [...barsOf([100, 101]), { tsMs: T0 + MIN + 10 * MIN, close: 102 }];
    expect(() => longOnlyHoldPolicy([{ symbol: "X", bars, probabilities: [0, 0, 0] }], { ...PARAMS, maxGapMs: 10 * MIN })).not.toThrow();
    expect(() => longOnlyHoldPolicy([{ symbol: "X", bars, probabilities: [0, 0, 0] }], { ...PARAMS, maxGapMs: 9 * MIN })).toThrow(
      /gap of 10 min/,
    );
  });

  it.each([
    ["threshold", { entryThreshold: 1.2 }],
    ["horizon", { horizonBars: 0 }],
    ["fractional horizon", { horizonBars: 1.5 }],
    ["cost", { costPerSide: -0.001 }],
  ])("rejects a bad %s with a ConfigError", (_name, patch) => {
    expect(() => longOnlyHoldPolicy([], { ...PARAMS, ...patch })).toThrow(ConfigError);
  });
});

import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InputDataError } from "@mlq/core";
import { MODEL_NAMES, type ModelName } from "../train/model-set.js";
import { decodeCandidateData, decodePredictions, encodeCandidateData, encodePredictions } from "./candidate-codec.js";
import type { CandidateData } from "./candidate-trainer.js";

function bits(a: Float32Array | Float64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function sha(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Deterministic data of the given shape; `seed` varies the values. */
function makeData(rows: number, cols: number, validationRows: number, seed = 1): CandidateData {
  const fill = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7919 + k * 104729 + i) * 1000);
  return {
    cols,
    rows,
    X: fill(rows * cols, 0),
    labels: Object.fromEntries(MODEL_NAMES.map((name, k) => [name, fill(rows, k + 1)])) as Record<ModelName, Float32Array>,
    validationRows,
    Xvalidation: fill(validationRows * cols, 99),
  };
}

const float32Arb = (length: number) => fc.float32Array({ minLength: length, maxLength: length });

const candidateDataArb = fc
  .record({ rows: fc.integer({ min: 1, max: 12 }), cols: fc.integer({ min: 1, max: 6 }), validationRows: fc.integer({ min: 1, max: 8 }) })
  .chain(({ rows, cols, validationRows }) =>
    fc.record({
      cols: fc.constant(cols),
      rows: fc.constant(rows),
      X: float32Arb(rows * cols),
      labels: fc.record(
        Object.fromEntries(MODEL_NAMES.map((name) => [name, float32Arb(rows)])) as Record<ModelName, fc.Arbitrary<Float32Array>>,
      ),
      validationRows: fc.constant(validationRows),
      Xvalidation: float32Arb(validationRows * cols),
    }),
  );

function expectBitEqual(a: CandidateData, b: CandidateData): void {
  expect({ cols: b.cols, rows: b.rows, validationRows: b.validationRows }).toEqual({
    cols: a.cols,
    rows: a.rows,
    validationRows: a.validationRows,
  });
  expect(bits(b.X)).toEqual(bits(a.X));
  expect(bits(b.Xvalidation)).toEqual(bits(a.Xvalidation));
  for (const name of MODEL_NAMES) expect(bits(b.labels[name]), name).toEqual(bits(a.labels[name]));
}

describe("encodeCandidateData / decodeCandidateData", () => {
  it("round-trips any small shape bit for bit (NaN, -0 and infinities included)", () => {
    fc.assert(
      fc.property(candidateDataArb, (data) => {
        expectBitEqual(data, decodeCandidateData(encodeCandidateData(data)));
      }),
      { numRuns: 200 },
    );
  });

  it("gives the same bytes, hence the same sha256, for the same data", () => {
    const a = encodeCandidateData(makeData(50, 7, 20));
    const b = encodeCandidateData(makeData(50, 7, 20));
    expect(sha(a)).toBe(sha(b));
    expect(sha(encodeCandidateData(makeData(50, 7, 20, 2)))).not.toBe(sha(a));
  });

  it("encodes data on SharedArrayBuffer and on subarrays alike", () => {
    const data = makeData(5, 3, 2);
    const shared = new Float32Array(new SharedArrayBuffer(4 * 20), 4 * 2, 15);
    shared.set(data.X);
    expect(encodeCandidateData({ ...data, X: shared }).equals(encodeCandidateData(data))).toBe(true);
  });

  it("returns every array on a SharedArrayBuffer", () => {
    const decoded = decodeCandidateData(encodeCandidateData(makeData(9, 4, 3)));
    expect(decoded.X.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(decoded.Xvalidation.buffer).toBeInstanceOf(SharedArrayBuffer);
    for (const name of MODEL_NAMES) expect(decoded.labels[name].buffer, name).toBeInstanceOf(SharedArrayBuffer);
  });

  it("decodes from a Uint8Array view at an unaligned offset", () => {
    const encoded = encodeCandidateData(makeData(9, 4, 3));
    const holder = new Uint8Array(encoded.byteLength + 3);
    holder.set(encoded, 3);
    expectBitEqual(makeData(9, 4, 3), decodeCandidateData(holder.subarray(3)));
  });

  it("refuses to encode data of an inconsistent shape", () => {
    expect(() => encodeCandidateData({ ...makeData(4, 2, 2), rows: 5 })).toThrow(InputDataError);
  });

  describe("rejects corrupt bytes with one line of InputDataError", () => {
    const good = encodeCandidateData(makeData(6, 3, 2));
    const withHeader = (header: object): Buffer => {
      const json = Buffer.from(JSON.stringify(header));
      const out = Buffer.alloc((12 + json.byteLength + 3) & ~3);
      out.write("MLQC", 0, "latin1");
      out.writeUInt32LE(1, 4);
      out.writeUInt32LE(json.byteLength, 8);
      json.copy(out, 12);
      return out;
    };
    const version2 = Buffer.from(good);
    version2.writeUInt32LE(2, 4);
    const hugeHeader = Buffer.from(good);
    hugeHeader.writeUInt32LE(0xffffffff, 8);
    const cases: [string, Uint8Array, RegExp][] = [
      ["empty input", new Uint8Array(0), /^candidate data: not an encoded candidate matrix \(0 bytes, no "MLQC" magic\)$/],
      ["bad magic", Buffer.concat([Buffer.from("XXXX"), good.subarray(4)]), /no "MLQC" magic/],
      ["another format version", version2, /^candidate data: format version 2, this build reads version 1$/],
      ["a header length past the end", hugeHeader, /^candidate data: truncated header/],
      ["a header cut short", good.subarray(0, 20), /^candidate data: truncated header/],
      ["a header that is not JSON", withHeader([1]).fill(0x7b, 12), /^candidate data: header is not valid JSON$/],
      ["a header without the shape", withHeader({ cols: 3 }), /^candidate data: header lacks cols, rows, validationRows or models$/],
      [
        "other model names",
        withHeader({ cols: 1, rows: 1, validationRows: 1, models: ["direction"] }),
        /^candidate data: encoded for models direction, this build has direction,risk,price,momentum,volatility$/,
      ],
      [
        "truncated arrays",
        good.subarray(0, good.byteLength - 4),
        /^candidate data: \d+ bytes, \d+ expected for 6 rows, 2 validation rows, 3 cols \(truncated\)$/,
      ],
      ["trailing bytes", Buffer.concat([good, Buffer.alloc(4)]), /\(trailing bytes\)$/],
      ["a zero-row shape", withHeader({ cols: 3, rows: 0, validationRows: 0, models: [...MODEL_NAMES] }), /^candidate data: bad shape/],
    ];
    it.each(cases)("%s", (_name, bytes, message) => {
      expect(() => decodeCandidateData(bytes)).toThrow(InputDataError);
      expect(() => decodeCandidateData(bytes)).toThrow(message);
      try {
        decodeCandidateData(bytes);
      } catch (err) {
        expect((err as Error).message).not.toContain("\n");
      }
    });
  });
});

describe("encodePredictions / decodePredictions", () => {
  it("round-trips float64 values bit for bit, NaN and -0 included", () => {
    const p = Float64Array.from([0.25, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.MIN_VALUE, -1e308]);
    const back = decodePredictions(encodePredictions(p), p.length);
    expect(bits(back)).toEqual(bits(p));
    expect(Object.is(back[1], -0)).toBe(true);
    expect(Number.isNaN(back[2])).toBe(true);
  });

  it("round-trips any float64 array, from subarrays too", () => {
    fc.assert(
      fc.property(fc.float64Array({ maxLength: 200 }), fc.nat(3), (p, skip) => {
        const view = p.subarray(Math.min(skip, p.length));
        expect(bits(decodePredictions(encodePredictions(view), view.length))).toEqual(bits(view));
      }),
    );
  });

  it("sends values that are all float32 (XGBoost's predictions) in half the bytes, and the rest as float64", () => {
    // 0.1 is not a float32; Math.fround(0.1) is. 12 float32 bytes → 16 base64 characters after the tag.
    const f32 = Float64Array.from([Math.fround(0.1), -0, 0.5]);
    expect(encodePredictions(f32)).toBe("f32:zczMPQAAAIAAAAA/");
    expect(bits(decodePredictions(encodePredictions(f32), 3))).toEqual(bits(f32));
    expect(encodePredictions(Float64Array.from([0.1, 0.5]))).toBe(Buffer.from(Float64Array.from([0.1, 0.5]).buffer).toString("base64"));
    // A NaN keeps its exact bits: it goes as float64.
    expect(encodePredictions(Float64Array.from([0.5, Number.NaN])).startsWith("f32:")).toBe(false);
    fc.assert(
      fc.property(fc.float32Array({ maxLength: 200, noNaN: true }), (f) => {
        const p = Float64Array.from(f);
        const s = encodePredictions(p);
        expect(s.length).toBe(4 + Math.ceil((p.length * 4) / 3) * 4);
        expect(bits(decodePredictions(s, p.length))).toEqual(bits(p));
      }),
    );
  });

  it("rejects a length that does not match and text that is not base64", () => {
    const s = encodePredictions(Float64Array.from([0.1, 0.2, 0.3]));
    expect(() => decodePredictions(s, 4)).toThrow(InputDataError);
    expect(() => decodePredictions(s, 4)).toThrow(/^predictions: 24 bytes, 4 float64 values \(32 bytes\) expected$/);
    expect(() => decodePredictions(encodePredictions(new Float64Array(3)), 4)).toThrow(
      /^predictions: 12 bytes, 4 float32 values \(16 bytes\) expected$/,
    );
    expect(() => decodePredictions("not base64!", 1)).toThrow(/^predictions: not base64/);
    expect(() => decodePredictions("f32:not base64!", 1)).toThrow(/^predictions: not base64/);
    expect(decodePredictions("", 0)).toHaveLength(0);
    expect(decodePredictions("f32:", 0)).toHaveLength(0);
  });
});

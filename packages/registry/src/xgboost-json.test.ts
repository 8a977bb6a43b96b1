import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AbortedError, InputDataError, ModelIntegrityError } from "@mlq/core";
import {
  float32Text,
  formatXgboostJson,
  isLegacyXgboostBinary,
  legacyXgboostToJson,
  predictXgboostJson,
  xgboostJsonFromLegacy,
  type XgboostJsonModel,
} from "./xgboost-json.js";
import { buildLegacyModel, type LegacyModelSpec, type LegacyNode } from "./xgboost-legacy.test-util.js";

// Tree 0: x0 < 0.5 (missing -> left) ? -0.4 : (x1 < -1.25 (missing -> right) ? 0.3 : 0.1); tree 1: one leaf, 0.05.
const TREE_0: LegacyNode[] = [
  { feature: 0, threshold: 0.5, defaultLeft: true, left: 1, right: 2 },
  { leaf: -0.4 },
  { feature: 1, threshold: -1.25, left: 3, right: 4 },
  { leaf: 0.3 },
  { leaf: 0.1 },
];
const TREE_1: LegacyNode[] = [{ leaf: 0.05 }];

// XGBoost 0.7 stores base_score as a margin: 0.5 under binary:logistic is stored as 0 (written -0 by ProbToMargin).
const tiny = (over: Partial<LegacyModelSpec> = {}): Uint8Array =>
  buildLegacyModel({ baseScore: -0, numFeature: 2, objective: "binary:logistic", trees: [TREE_0, TREE_1], ...over });

const sigmoid = (m: number) => Math.fround(1 / (1 + Math.exp(-m)));
const f = Math.fround;

describe("legacyXgboostToJson", () => {
  it("converts a hand-built two-tree binary:logistic model field by field", () => {
    const model = legacyXgboostToJson(tiny(), { featureNames: ["ret_1", "rsi_14"] });
    expect(model.version).toEqual([1, 7, 4]);
    const { trees, ...gbtree } = model.learner.gradient_booster.model;
    expect({ ...model.learner, gradient_booster: { ...model.learner.gradient_booster, model: gbtree } }).toEqual({
      attributes: {},
      feature_names: ["ret_1", "rsi_14"],
      feature_types: ["float", "float"],
      gradient_booster: {
        name: "gbtree",
        model: { gbtree_model_param: { num_parallel_tree: "1", num_trees: "2", size_leaf_vector: "0" }, tree_info: [0, 0] },
      },
      learner_model_param: { base_score: "0.5", boost_from_average: "0", num_class: "0", num_feature: "2", num_target: "1" },
      objective: { name: "binary:logistic", reg_loss_param: { scale_pos_weight: "1" } },
    });
    expect(trees[0]).toEqual({
      base_weights: Float32Array.from([-0, -0.25, -0.5, -0.75, -1]),
      categories: [],
      categories_nodes: [],
      categories_segments: [],
      categories_sizes: [],
      default_left: [1, 0, 0, 0, 0],
      id: 0,
      left_children: [1, -1, 3, -1, -1],
      loss_changes: Float32Array.from([0.5, 1.5, 2.5, 3.5, 4.5]),
      parents: [2147483647, 0, 0, 2, 2],
      right_children: [2, -1, 4, -1, -1],
      split_conditions: Float32Array.from([0.5, -0.4, -1.25, 0.3, 0.1]),
      split_indices: [0, 0, 1, 0, 0],
      split_type: [0, 0, 0, 0, 0],
      sum_hessian: Float32Array.from([10, 20, 30, 40, 50]),
      tree_param: { num_deleted: "0", num_feature: "2", num_nodes: "5", size_leaf_vector: "0" },
    });
    expect(trees[1]).toMatchObject({
      id: 1,
      left_children: [-1],
      right_children: [-1],
      parents: [2147483647],
      split_conditions: Float32Array.from([0.05]),
    });
  });

  it.each([
    // [stored base_score, objective, JSON base_score]: logistic margins become probabilities, squared error stays.
    [-0, "binary:logistic", "0.5"],
    [Math.log(3), "binary:logistic", "0.75"],
    [Math.log(1 / 4), "reg:logistic", "0.20000000298023224"], // float32(0.2), exactly
    [0.5, "reg:linear", "0.5"],
    [-2.25, "reg:squarederror", "-2.25"],
  ] as const)("base_score stored as %d under %s is written as %s", (stored, objective, expected) => {
    const model = legacyXgboostToJson(tiny({ baseScore: stored, objective }));
    expect(model.learner.learner_model_param.base_score).toBe(expected);
    expect(model.learner.objective.name).toBe(objective === "reg:linear" ? "reg:squarederror" : objective);
  });

  it("keeps base_score of an XGBoost 1.x binary (binf header, version set) as it is: already a probability", () => {
    const model = legacyXgboostToJson(tiny({ baseScore: 0.3, binf: true, majorVersion: 1 }));
    expect(model.learner.learner_model_param.base_score).toBe("0.30000001192092896"); // float32(0.3)
  });

  it("copies nodes the pruner deleted as XGBoost writes them: split index 2^31-1, default left, counted in num_deleted", () => {
    const withDeleted: LegacyNode[] = [
      { feature: 1, threshold: 2, left: 1, right: 3 },
      { leaf: 1 },
      { deleted: true, parent: 0 },
      { leaf: 2 },
    ];
    const tree = legacyXgboostToJson(tiny({ trees: [withDeleted] })).learner.gradient_booster.model.trees[0]!;
    expect(tree.tree_param.num_deleted).toBe("1");
    expect(tree.split_indices[2]).toBe(2147483647);
    expect(tree.default_left[2]).toBe(1);
    expect(Array.from(predictXgboostJson(legacyXgboostToJson(tiny({ trees: [withDeleted] })), [0, 1, 0, 3], 2, 2))).toEqual([
      sigmoid(1),
      sigmoid(2),
    ]);
  });

  it("keeps user attributes and drops the ones XGBoost 1.x folds into its configuration", () => {
    const model = legacyXgboostToJson(
      tiny({
        attributes: [
          ["best_iteration", "41"],
          ["objective", '{"name":"binary:logistic"}'],
          ["metrics", "auc;"],
        ],
      }),
    );
    expect(model.learner.attributes).toEqual({ best_iteration: "41" });
  });

  it.each([
    [["a"], "XGBoost model has 2 features but 1 feature names were given"],
    [["a", "a"], 'feature name "a" appears twice'],
    [["a", "b[1]"], 'feature name "b[1]" is not allowed by XGBoost'],
  ])("refuses feature names %j with InputDataError", (names, message) => {
    expect(() => legacyXgboostToJson(tiny(), { featureNames: names })).toThrow(InputDataError);
    expect(() => legacyXgboostToJson(tiny(), { featureNames: names })).toThrow(message);
  });

  it.each([
    ["multi:softprob objective", tiny({ objective: "multi:softprob" }), /objective "multi:softprob" is not supported/],
    ["gblinear booster", tiny({ booster: "gblinear" }), /booster "gblinear" is not supported \(only gbtree\)/],
  ])("refuses a %s with InputDataError", (_what, bytes, message) => {
    expect(() => legacyXgboostToJson(bytes)).toThrow(InputDataError);
    expect(() => legacyXgboostToJson(bytes)).toThrow(message);
  });
});

/** Overwrites little-endian int32 `value` at `offset` of a copy. */
function patched(bytes: Uint8Array, offset: number, value: number, float = false): Uint8Array {
  const copy = bytes.slice();
  const v = new DataView(copy.buffer);
  if (float) v.setFloat32(offset, value, true);
  else v.setInt32(offset, value, true);
  return copy;
}

// Offsets in tiny(): learner 136 + "binary:logistic" 8+15 + "gbtree" 8+6 = 173; gbtree param 160 -> tree 0 at 333;
// tree 0's nodes at 333 + 148 = 481 (20 bytes each), its stats at 581.
const TREE0 = 333;
const NODES0 = TREE0 + 148;

describe("legacyXgboostToJson on corrupt bytes", () => {
  const good = tiny();

  it("throws a one-line ModelIntegrityError for every truncation of a model", () => {
    for (let n = 0; n < good.length; n++) {
      let error: unknown;
      try {
        legacyXgboostToJson(good.subarray(0, n));
      } catch (err) {
        error = err;
      }
      expect(error, `prefix of ${n} bytes`).toBeInstanceOf(ModelIntegrityError);
      expect((error as Error).message).not.toContain("\n");
    }
  });

  it.each([
    ["trailing bytes", Uint8Array.from([...tiny(), 0, 0, 0]), "XGBoost model is corrupt: 3 unexpected bytes after the model at byte 853"],
    ["an absurd tree count", patched(tiny(), 173, 1_000_000), "XGBoost model is corrupt: it claims 1000000 trees in 853 bytes"],
    ["a negative node count", patched(tiny(), TREE0 + 4, -5), "XGBoost model is corrupt: tree 0 of 2 claims -5 nodes at byte 481"],
    [
      "a child past the last node",
      patched(tiny(), NODES0 + 2 * 20 + 8, 9),
      "XGBoost model is corrupt: tree 0 of 2 node 2 has children 3 and 9 (5 nodes)",
    ],
    ["a cycle", patched(tiny(), NODES0 + 2 * 20 + 4, 2), "XGBoost model is corrupt: tree 0 of 2 node 2 has child 2, whose parent is 0"],
    [
      "a split on a feature the model lacks",
      patched(tiny(), NODES0 + 12, 7),
      "XGBoost model is corrupt: tree 0 of 2 node 0 splits on feature 7 of 2",
    ],
    ["a NaN leaf", patched(tiny(), NODES0 + 20 + 16, Number.NaN, true), "XGBoost model is corrupt: tree 0 of 2 node 1 has leaf value NaN"],
    [
      "a wrong deleted-node count",
      patched(tiny(), TREE0 + 8, 1),
      "XGBoost model is corrupt: tree 0 of 2 says 1 deleted nodes, 0 are marked deleted",
    ],
    ["an infinite base_score", patched(tiny(), 0, Number.POSITIVE_INFINITY, true), "XGBoost model is corrupt: base_score is Infinity"],
    [
      "JSON instead of the binary",
      new TextEncoder().encode('{"learner":{}}'),
      "XGBoost model is already JSON, not the legacy binary format",
    ],
  ])("rejects %s with a ModelIntegrityError that says what and where", (_what, bytes, message) => {
    expect(() => legacyXgboostToJson(bytes)).toThrow(ModelIntegrityError);
    expect(() => legacyXgboostToJson(bytes)).toThrow(message);
  });

  it("never throws anything but a one-line MlqError on random damage", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        (edits) => {
          const bytes = good.slice();
          for (const [at, value] of edits) bytes[at] = value;
          try {
            const model = legacyXgboostToJson(bytes);
            // Whatever converts must also score without looping: every path ends in a leaf.
            predictXgboostJson(model, [0, 0, 1, -2, Number.NaN, 5], 3, 2);
          } catch (err) {
            expect(err instanceof ModelIntegrityError || err instanceof InputDataError).toBe(true);
            expect((err as Error).message).not.toContain("\n");
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("isLegacyXgboostBinary", () => {
  it("recognises legacy binaries, with or without the binf header", () => {
    expect(isLegacyXgboostBinary(tiny())).toBe(true);
    expect(isLegacyXgboostBinary(tiny({ binf: true, majorVersion: 1 }))).toBe(true);
    expect(isLegacyXgboostBinary(tiny().subarray(0, 200))).toBe(true); // the shape only: the converter finds the truncation
  });

  it("says no to bytes of another shape: empty, short, JSON, random", () => {
    expect(isLegacyXgboostBinary(new Uint8Array(0))).toBe(false);
    expect(isLegacyXgboostBinary(Uint8Array.from([1, 2, 3]))).toBe(false);
    expect(isLegacyXgboostBinary(new TextEncoder().encode(formatXgboostJson(legacyXgboostToJson(tiny()))))).toBe(false);
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 4096 }), (bytes) => !isLegacyXgboostBinary(bytes)));
  });
});

describe("predictXgboostJson", () => {
  const model = legacyXgboostToJson(tiny());

  it.each([
    // [x0, x1, leaf of tree 0]: x < threshold goes left; NaN (and -1 when it means missing) takes the default branch.
    [0, 0, -0.4],
    [1, -2, 0.3],
    [1, -1.25, 0.1], // equal to the threshold: right
    [0.5, 0, 0.1], // x0 equal to 0.5: right, then x1 = 0 >= -1.25: right
    [Number.NaN, 5, -0.4], // missing x0: default left
    [1, Number.NaN, 0.1], // missing x1: default right
  ])("scores (%d, %d) through the leaf %d plus tree 1's 0.05", (x0, x1, leaf) => {
    expect(predictXgboostJson(model, [x0, x1], 1, 2)[0]).toBe(sigmoid(f(f(leaf) + f(0.05))));
  });

  it("treats the `missing` value like NaN when asked (ml-xgboost uses -1)", () => {
    expect(predictXgboostJson(model, [1, -1], 1, 2)[0]).toBe(sigmoid(f(f(0.1) + f(0.05)))); // -1 < -1.25 is false: right
    expect(predictXgboostJson(model, [-1, 0], 1, 2, { missing: -1 })[0]).toBe(sigmoid(f(f(-0.4) + f(0.05)))); // missing: default left
    expect(predictXgboostJson(model, [1, -1], 1, 2, { missing: -1 })[0]).toBe(sigmoid(f(f(0.1) + f(0.05)))); // missing: default right
  });

  it("adds the margin of base_score: log(3) under binary:logistic, 0.5 as is under squared error", () => {
    const logit = legacyXgboostToJson(tiny({ baseScore: Math.log(3) }));
    expect(predictXgboostJson(logit, [0, 0], 1, 2)[0]).toBeCloseTo(sigmoid(Math.log(3) - 0.35), 6);
    const reg = legacyXgboostToJson(tiny({ baseScore: 0.5, objective: "reg:linear" }));
    expect(predictXgboostJson(reg, [0, 0], 1, 2)[0]).toBe(f(0.5 + f(f(-0.4) + f(0.05))));
  });

  it("scores the parsed JSON text exactly as the converted object", () => {
    const parsed = JSON.parse(formatXgboostJson(model)) as XgboostJsonModel;
    const X = [0, 0, 1, -2, 1, -1.25, Number.NaN, 5, 0.25, 0.75];
    expect(Array.from(predictXgboostJson(parsed, X, 5, 2))).toEqual(Array.from(predictXgboostJson(model, X, 5, 2)));
  });
});

describe("formatXgboostJson", () => {
  it("writes keys sorted, floats as exact float32 values with a point or an exponent, integers as integers", () => {
    const text = formatXgboostJson(legacyXgboostToJson(tiny()));
    expect(text.startsWith('{"learner":{"attributes":{},"feature_names":[],"feature_types":[],"gradient_booster":{"model":')).toBe(true);
    expect(text.endsWith('},"version":[1,7,4]}')).toBe(true);
    expect(text).toContain('"split_conditions":[0.5,-0.4000000059604645,-1.25,0.30000001192092896,0.10000000149011612]');
    expect(text).toContain('"sum_hessian":[10.0,20.0,30.0,40.0,50.0]');
    expect(text).toContain('"base_weights":[-0.0,-0.25,-0.5,-0.75,-1.0]');
    expect(text).toContain('"parents":[2147483647,0,0,2,2]');
  });

  it("round-trips every float32 bit for bit through JSON.parse", () => {
    const model = legacyXgboostToJson(tiny());
    const parsed = JSON.parse(formatXgboostJson(model)) as {
      learner: { gradient_booster: { model: { trees: Record<string, number[]>[] } } };
    };
    model.learner.gradient_booster.model.trees.forEach((tree, t) => {
      for (const key of ["split_conditions", "loss_changes", "sum_hessian", "base_weights"] as const) {
        expect(Float32Array.from(parsed.learner.gradient_booster.model.trees[t]![key]!)).toEqual(tree[key]);
      }
    });
  });
});

describe("float32Text", () => {
  it.each([
    [0.5, "0.5"],
    [0.1, "0.10000000149011612"],
    [-0.4, "-0.4000000059604645"],
    [1e-7, "1.0000000116860974e-7"],
    [3.4028234663852886e38, "3.4028234663852886e+38"],
    [1.401298464324817e-45, "1.401298464324817e-45"],
    [16777216, "16777216"],
    [-0, "-0"],
  ])("writes float32(%d) as its exact value %s", (x, text) => {
    expect(float32Text(x)).toBe(text);
  });

  it("writes text that parses to the float32's exact value, so a float32 or a double reader gets it back", () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const f = Math.fround(x);
        const d = Number(float32Text(x));
        expect(Object.is(d, f)).toBe(true); // exact in a double, hence no rounding at all into a float32
      }),
      { numRuns: 3000 },
    );
  });

  it("refuses NaN and infinities", () => {
    expect(() => float32Text(Number.NaN)).toThrow(InputDataError);
    expect(() => float32Text(Number.POSITIVE_INFINITY)).toThrow(InputDataError);
  });
});

describe("xgboostJsonFromLegacy", () => {
  // 120 trees of three nodes each, with an attribute whose value holds the text the splice looks for.
  const many = buildLegacyModel({
    baseScore: 0.5,
    numFeature: 2,
    objective: "reg:linear",
    trees: Array.from({ length: 120 }, (_, t): LegacyNode[] => [
      { feature: t % 2, threshold: t / 100, left: 1, right: 2 },
      { leaf: -t / 1000 },
      { leaf: t / 999 },
    ]),
    attributes: [["note", '"trees":[] is just text here']],
  });

  it("writes the same text as formatXgboostJson, a slice of trees per turn of the event loop", async () => {
    const expected = formatXgboostJson(legacyXgboostToJson(many, { featureNames: ["a", "b"] }));
    let turns = 0;
    let counting = true;
    const count = (): void => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const text = await xgboostJsonFromLegacy(many, { featureNames: ["a", "b"], treesPerSlice: 25 });
    counting = false;
    expect(text).toBe(expected);
    expect(turns).toBeGreaterThanOrEqual(5); // 120 trees in slices of 25
    expect(await xgboostJsonFromLegacy(tiny())).toBe(formatXgboostJson(legacyXgboostToJson(tiny())));
    expect(await xgboostJsonFromLegacy(tiny({ trees: [] }))).toBe(formatXgboostJson(legacyXgboostToJson(tiny({ trees: [] }))));
  });

  it("stops between slices when its signal is aborted, and rejects corrupt bytes like the converter", async () => {
    const controller = new AbortController();
    controller.abort(new Error("job cancelled"));
    await expect(xgboostJsonFromLegacy(many, { signal: controller.signal })).rejects.toThrow(AbortedError);
    await expect(xgboostJsonFromLegacy(many.subarray(0, 500))).rejects.toThrow(ModelIntegrityError);
  });
});

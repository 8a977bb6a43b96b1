// XGBoost's JSON model format from the files ml-xgboost writes. ml-xgboost embeds XGBoost 0.7x,
// whose only format is the pre-1.0 binary that XGBoost deprecates and has removed from 3.x; the
// JSON schema (doc/model.schema) is what 1.0 and later load, in any language. Layouts follow
// XGBoost's sources: v0.72 src/learner.cc, src/gbm/gbtree_model.h, include/xgboost/tree_model.h
// (binary in), v1.7.4 RegTree::SaveModel and LearnerImpl::SaveModel (JSON out). Pure: bytes in,
// object out; `formatXgboostJson` writes every float32 so that it parses back to the same bits.
import { InputDataError, ModelIntegrityError, throwIfAborted } from "@mlq/core";

/** The XGBoost release whose JSON writer the output matches (1.7.4 is Debian 12's python3-xgboost). */
export const XGBOOST_JSON_VERSION: readonly [number, number, number] = [1, 7, 4];

/** Objectives the converter knows how to describe; `reg:linear` is written as its 1.0 name. */
const OBJECTIVE_NAMES: Readonly<Record<string, string>> = {
  "binary:logistic": "binary:logistic",
  "reg:logistic": "reg:logistic",
  "reg:squarederror": "reg:squarederror",
  "reg:linear": "reg:squarederror",
};
/** Objectives whose margin is logit(probability): base_score is stored as a probability in JSON. */
const LOGISTIC = new Set(["binary:logistic", "reg:logistic"]);

const LEARNER_PARAM_BYTES = 136; // LearnerModelParam: base_score, num_feature, num_class, 2 flags, 29 reserved ints
const GBTREE_PARAM_BYTES = 160; // GBTreeModelParam: 4 ints, int64, 2 ints, 32 reserved ints
const TREE_PARAM_BYTES = 148; // TreeParam: 6 ints, 31 reserved ints
const NODE_BYTES = 20; // parent, cleft, cright, sindex, leaf value / split condition
const STAT_BYTES = 16; // loss_chg, sum_hess, base_weight, leaf_child_cnt
const DELETED_NODE = 0xffffffff;
const HIGH_BIT = 0x80000000;

export interface XgboostJsonTree {
  base_weights: Float32Array;
  categories: number[];
  categories_nodes: number[];
  categories_segments: number[];
  categories_sizes: number[];
  default_left: number[];
  id: number;
  left_children: number[];
  loss_changes: Float32Array;
  parents: number[];
  right_children: number[];
  split_conditions: Float32Array;
  split_indices: number[];
  split_type: number[];
  sum_hessian: Float32Array;
  tree_param: { num_deleted: string; num_feature: string; num_nodes: string; size_leaf_vector: string };
}

/** A booster in XGBoost's JSON model schema; float arrays are Float32Array (write it with `formatXgboostJson`). */
export interface XgboostJsonModel {
  learner: {
    attributes: Record<string, string>;
    feature_names: string[];
    feature_types: string[];
    gradient_booster: {
      model: {
        gbtree_model_param: { num_parallel_tree: string; num_trees: string; size_leaf_vector: string };
        tree_info: number[];
        trees: XgboostJsonTree[];
      };
      name: "gbtree";
    };
    learner_model_param: { base_score: string; boost_from_average: string; num_class: string; num_feature: string; num_target: string };
    objective: { name: string; reg_loss_param: { scale_pos_weight: string } };
  };
  version: [number, number, number];
}

export interface LegacyConversionOptions {
  /** Column names in training order; written to `feature_names` so XGBoost checks a caller's columns. */
  featureNames?: readonly string[];
}

/**
 * True when the bytes have the shape of a legacy XGBoost binary: the learner parameters, then the
 * objective and booster names as length-prefixed text. Cheap; `legacyXgboostToJson` checks the rest.
 */
export function isLegacyXgboostBinary(bytes: Uint8Array): boolean {
  try {
    const r = new Reader(bytes);
    if (r.peekAscii(4) === "binf") r.skip(4, "header");
    r.skip(LEARNER_PARAM_BYTES, "learner parameters");
    const obj = r.legacyString("objective name", 256);
    const gbm = r.string("booster name", 64);
    return obj.length > 0 && gbm.length > 0 && PRINTABLE.test(obj) && PRINTABLE.test(gbm);
  } catch {
    return false;
  }
}

const PRINTABLE = /^[\x21-\x7e]+$/;

/** Parses a legacy binary booster (XGBoost < 1.0, or 1.x's "binf" file) and returns its JSON model. */
export function legacyXgboostToJson(bytes: Uint8Array, options: LegacyConversionOptions = {}): XgboostJsonModel {
  const r = new Reader(bytes);
  if (r.peekAscii(4) === "binf") r.skip(4, "header");
  if (r.peekAscii(1) === "{") throw new ModelIntegrityError("XGBoost model is already JSON, not the legacy binary format");

  const p = r.take(LEARNER_PARAM_BYTES, "learner parameters");
  const baseScoreStored = p.getFloat32(0, true);
  const numFeature = p.getUint32(4, true);
  const numClass = p.getInt32(8, true);
  const containExtraAttrs = p.getInt32(12, true);
  const containEvalMetrics = p.getInt32(16, true);
  // Reserved (zero) before 1.0; 1.x keeps its version, num_target and boost_from_average here.
  const majorVersion = p.getUint32(20, true);
  const numTarget = p.getUint32(28, true);
  const boostFromAverage = p.getInt32(32, true);

  const objectiveName = r.legacyString("objective name", 256);
  const boosterName = r.string("booster name", 64);
  const objective = OBJECTIVE_NAMES[objectiveName];
  if (objective === undefined) {
    throw new InputDataError(
      `XGBoost objective ${JSON.stringify(objectiveName)} is not supported (only ${Object.keys(OBJECTIVE_NAMES).join(", ")})`,
    );
  }
  if (boosterName !== "gbtree") throw new InputDataError(`XGBoost booster ${JSON.stringify(boosterName)} is not supported (only gbtree)`);
  if (numClass > 1 || numTarget > 1)
    throw new InputDataError(`XGBoost model has ${Math.max(numClass, numTarget)} outputs; only single-output models are supported`);

  const g = r.take(GBTREE_PARAM_BYTES, "gbtree parameters");
  const numTrees = g.getInt32(0, true);
  const numRootsOrParallel = g.getInt32(4, true); // num_roots before 1.0, num_parallel_tree since
  const numOutputGroup = g.getInt32(24, true);
  const gbLeafVector = g.getInt32(28, true);
  if (numTrees < 0 || numTrees > r.remaining / (TREE_PARAM_BYTES + NODE_BYTES + STAT_BYTES)) {
    throw new ModelIntegrityError(`XGBoost model is corrupt: it claims ${numTrees} trees in ${bytes.length} bytes`);
  }
  if (numOutputGroup > 1)
    throw new InputDataError(`XGBoost model has ${numOutputGroup} output groups; only single-output models are supported`);
  if (gbLeafVector !== 0) throw new InputDataError("XGBoost model uses leaf vectors; only scalar leaves are supported");
  const numParallelTree = majorVersion >= 1 ? Math.max(numRootsOrParallel, 1) : 1;
  if (majorVersion < 1 && numRootsOrParallel !== 1 && numTrees > 0) {
    throw new InputDataError(`XGBoost model has num_roots ${numRootsOrParallel}; only single-root trees are supported`);
  }

  const trees: XgboostJsonTree[] = [];
  for (let t = 0; t < numTrees; t++) trees.push(readTree(r, t, numTrees));
  const treeInfo: number[] = [];
  if (numTrees > 0) {
    const info = r.take(4 * numTrees, "tree_info");
    for (let t = 0; t < numTrees; t++) treeInfo.push(info.getInt32(4 * t, true));
    const bad = treeInfo.findIndex((group) => group !== 0);
    if (bad >= 0)
      throw new ModelIntegrityError(`XGBoost model is corrupt: tree ${bad} belongs to output group ${treeInfo[bad]}, the model has one`);
  }

  const attributes: Record<string, string> = {};
  if (containExtraAttrs !== 0) {
    const count = r.count("attribute count", 16);
    for (let i = 0; i < count; i++) {
      const key = r.string(`attribute ${i} name`, 1 << 16);
      attributes[key] = r.string(`attribute ${key}`, 1 << 24);
    }
    // XGBoost 1.x moves these into the objective and metric configuration when it loads a binary.
    for (const key of ["objective", "metrics", "count_poisson_max_delta_step"]) delete attributes[key];
  }
  if (containEvalMetrics !== 0) {
    const count = r.count("metric count", 8);
    for (let i = 0; i < count; i++) r.string(`metric ${i}`, 256);
  }
  if (r.remaining !== 0)
    throw new ModelIntegrityError(`XGBoost model is corrupt: ${r.remaining} unexpected bytes after the model at byte ${r.offset}`);

  if (!Number.isFinite(baseScoreStored)) throw new ModelIntegrityError(`XGBoost model is corrupt: base_score is ${baseScoreStored}`);
  // Before 1.0 the binary holds base_score as a margin (ProbToMargin applied); JSON holds the value
  // XGBoost turns back into that margin: the probability for logistic objectives.
  const baseScore = majorVersion < 1 && LOGISTIC.has(objective) ? Math.fround(1 / (1 + Math.exp(-baseScoreStored))) : baseScoreStored;

  const featureNames = [...(options.featureNames ?? [])];
  if (featureNames.length > 0) checkFeatureNames(featureNames, numFeature);

  return {
    learner: {
      attributes,
      feature_names: featureNames,
      feature_types: featureNames.map(() => "float"),
      gradient_booster: {
        model: {
          gbtree_model_param: { num_parallel_tree: String(numParallelTree), num_trees: String(numTrees), size_leaf_vector: "0" },
          tree_info: treeInfo,
          trees,
        },
        name: "gbtree",
      },
      learner_model_param: {
        base_score: float32Text(baseScore),
        boost_from_average: String(boostFromAverage),
        num_class: String(Math.max(numClass, 0)),
        num_feature: String(numFeature),
        num_target: "1",
      },
      objective: { name: objective, reg_loss_param: { scale_pos_weight: "1" } },
    },
    version: [...XGBOOST_JSON_VERSION],
  };
}

function readTree(r: Reader, t: number, numTrees: number): XgboostJsonTree {
  const where = `tree ${t} of ${numTrees}`;
  const p = r.take(TREE_PARAM_BYTES, `${where} parameters`);
  const numRoots = p.getInt32(0, true);
  const numNodes = p.getInt32(4, true);
  const numDeleted = p.getInt32(8, true);
  const numFeature = p.getInt32(16, true);
  const sizeLeafVector = p.getInt32(20, true);
  if (numNodes < 1) throw new ModelIntegrityError(`XGBoost model is corrupt: ${where} claims ${numNodes} nodes at byte ${r.offset}`);
  if (numNodes > r.remaining / (NODE_BYTES + STAT_BYTES)) {
    const needed = numNodes * (NODE_BYTES + STAT_BYTES);
    throw new ModelIntegrityError(
      `XGBoost model is truncated or corrupt: ${where} claims ${numNodes} nodes (${needed} bytes) at byte ${r.offset}, ${r.remaining} left`,
    );
  }
  if (numRoots !== 1) throw new InputDataError(`XGBoost ${where} has ${numRoots} roots; only single-root trees are supported`);
  if (sizeLeafVector !== 0) throw new InputDataError(`XGBoost ${where} uses leaf vectors; only scalar leaves are supported`);

  const nodes = r.take(NODE_BYTES * numNodes, `${where} nodes`);
  const stats = r.take(STAT_BYTES * numNodes, `${where} node statistics`);
  const tree: XgboostJsonTree = {
    base_weights: new Float32Array(numNodes),
    categories: [],
    categories_nodes: [],
    categories_segments: [],
    categories_sizes: [],
    default_left: [],
    id: t,
    left_children: [],
    loss_changes: new Float32Array(numNodes),
    parents: [],
    right_children: [],
    split_conditions: new Float32Array(numNodes),
    split_indices: [],
    split_type: [],
    sum_hessian: new Float32Array(numNodes),
    tree_param: { num_deleted: String(numDeleted), num_feature: String(numFeature), num_nodes: String(numNodes), size_leaf_vector: "0" },
  };
  let deleted = 0;
  const inRange = (child: number) => child === -1 || (child > 0 && child < numNodes);
  for (let i = 0; i < numNodes; i++) {
    const o = NODE_BYTES * i;
    const parent = nodes.getUint32(o, true);
    const left = nodes.getInt32(o + 4, true);
    const right = nodes.getInt32(o + 8, true);
    const sindex = nodes.getUint32(o + 12, true);
    const cond = nodes.getFloat32(o + 16, true);
    const isDeleted = sindex === DELETED_NODE;
    if (isDeleted) deleted++;
    else {
      if (!inRange(left) || (left !== -1 && !inRange(right)) || (left !== -1 && right === -1)) {
        throw new ModelIntegrityError(`XGBoost model is corrupt: ${where} node ${i} has children ${left} and ${right} (${numNodes} nodes)`);
      }
      if (left !== -1 && (sindex & ~HIGH_BIT) >>> 0 >= Math.max(numFeature, 1)) {
        throw new ModelIntegrityError(
          `XGBoost model is corrupt: ${where} node ${i} splits on feature ${(sindex & ~HIGH_BIT) >>> 0} of ${numFeature}`,
        );
      }
      if (!Number.isFinite(cond))
        throw new ModelIntegrityError(
          `XGBoost model is corrupt: ${where} node ${i} has ${left === -1 ? "leaf value" : "split condition"} ${cond}`,
        );
    }
    if (i > 0 && (parent & ~HIGH_BIT) >>> 0 >= numNodes) {
      throw new ModelIntegrityError(
        `XGBoost model is corrupt: ${where} node ${i} has parent ${(parent & ~HIGH_BIT) >>> 0} (${numNodes} nodes)`,
      );
    }
    // What XGBoost 1.7.4 writes: Parent() and SplitIndex() without their flag bits, the flag as default_left.
    tree.parents.push((parent & ~HIGH_BIT) >>> 0);
    tree.left_children.push(left);
    tree.right_children.push(right);
    tree.split_indices.push((sindex & ~HIGH_BIT) >>> 0);
    tree.default_left.push(sindex >>> 31);
    tree.split_type.push(0);
    tree.split_conditions[i] = cond;
    const s = STAT_BYTES * i;
    tree.loss_changes[i] = finiteStat(stats.getFloat32(s, true), where, i, "loss_chg");
    tree.sum_hessian[i] = finiteStat(stats.getFloat32(s + 4, true), where, i, "sum_hess");
    tree.base_weights[i] = finiteStat(stats.getFloat32(s + 8, true), where, i, "base_weight");
  }
  if (tree.parents[0] !== 0x7fffffff)
    throw new ModelIntegrityError(`XGBoost model is corrupt: ${where} root has parent ${tree.parents[0]}`);
  if (deleted !== numDeleted) {
    throw new ModelIntegrityError(`XGBoost model is corrupt: ${where} says ${numDeleted} deleted nodes, ${deleted} are marked deleted`);
  }
  checkTreeShape(tree, where);
  return tree;
}

/** Walks from the root: every child is a live node whose parent field names the node, reached once (no cycles). */
function checkTreeShape(tree: XgboostJsonTree, where: string): void {
  const seen = new Uint8Array(tree.left_children.length);
  const stack = [0];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (seen[node]) throw new ModelIntegrityError(`XGBoost model is corrupt: ${where} reaches node ${node} twice`);
    seen[node] = 1;
    const left = tree.left_children[node]!;
    if (left === -1) continue;
    for (const child of [left, tree.right_children[node]!]) {
      const deleted = tree.split_indices[child] === 0x7fffffff && tree.default_left[child] === 1;
      if (deleted || tree.parents[child] !== node) {
        throw new ModelIntegrityError(
          `XGBoost model is corrupt: ${where} node ${node} has child ${child}, ${deleted ? "a deleted node" : `whose parent is ${tree.parents[child]}`}`,
        );
      }
      stack.push(child);
    }
  }
}

function finiteStat(value: number, where: string, node: number, what: string): number {
  if (!Number.isFinite(value)) throw new ModelIntegrityError(`XGBoost model is corrupt: ${where} node ${node} has ${what} ${value}`);
  return value;
}

function checkFeatureNames(names: string[], numFeature: number): void {
  if (names.length !== numFeature) {
    throw new InputDataError(`XGBoost model has ${numFeature} features but ${names.length} feature names were given`);
  }
  const seen = new Set<string>();
  for (const name of names) {
    // XGBoost's own rule (python-package core.py): no "[", "]" or "<", and unique.
    if (name.length === 0 || /[[\]<]/.test(name))
      throw new InputDataError(`feature name ${JSON.stringify(name)} is not allowed by XGBoost (empty, or has [ ] <)`);
    if (seen.has(name)) throw new InputDataError(`feature name ${JSON.stringify(name)} appears twice`);
    seen.add(name);
  }
}

/** Little-endian reader whose every failure names what it was reading and where. */
class Reader {
  offset = 0;
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get remaining(): number {
    return this.bytes.length - this.offset;
  }
  take(n: number, what: string): DataView {
    if (n > this.remaining) {
      throw new ModelIntegrityError(`XGBoost model is truncated: ${what} needs ${n} bytes at byte ${this.offset}, ${this.remaining} left`);
    }
    const view = new DataView(this.view.buffer, this.view.byteOffset + this.offset, n);
    this.offset += n;
    return view;
  }
  skip(n: number, what: string): void {
    this.take(n, what);
  }
  peekAscii(n: number): string {
    return String.fromCharCode(...this.bytes.subarray(this.offset, this.offset + n));
  }
  /** A dmlc uint64 length or count; `max` bounds it so corrupt bytes fail here, not in an allocation. */
  count(what: string, bytesEach: number, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.take(8, what);
    const lo = v.getUint32(0, true);
    const hi = v.getUint32(4, true);
    if (hi !== 0 || lo > max || lo * bytesEach > this.remaining) {
      throw new ModelIntegrityError(
        `XGBoost model is corrupt: ${what} ${hi !== 0 ? "exceeds 2^32" : lo} at byte ${this.offset - 8}, ${this.remaining} bytes left`,
      );
    }
    return lo;
  }
  string(what: string, max: number): string {
    const n = this.count(`${what} length`, 1, max);
    return new TextDecoder("utf-8", { fatal: false }).decode(this.bytes.subarray(this.offset, (this.offset += n)));
  }
  /** The objective name, which very old models wrote with a 32-bit gap (see LearnerImpl::Load). */
  legacyString(what: string, max: number): string {
    const v = this.view;
    if (this.remaining >= 8 && v.getUint32(this.offset, true) === 0xffffffff && v.getUint32(this.offset + 4, true) !== 0) {
      const n = v.getUint32(this.offset + 4, true);
      this.skip(12, `${what} length`);
      if (n > max || n > this.remaining)
        throw new ModelIntegrityError(`XGBoost model is corrupt: ${what} length ${n} at byte ${this.offset - 12}`);
      return new TextDecoder().decode(this.bytes.subarray(this.offset, (this.offset += n)));
    }
    return this.string(what, max);
  }
}

/**
 * XGBoost JSON text: each float as the exact value of its float32, always with a "." or exponent
 * (XGBoost refuses an integer where it reads a float); integers as integers; keys sorted, the order
 * XGBoost writes them in.
 */
export function formatXgboostJson(model: XgboostJsonModel): string {
  return writeValue(model);
}

export interface XgboostJsonAsyncOptions extends LegacyConversionOptions {
  /** Trees written between two turns of the event loop (default 50: a few ms each). */
  treesPerSlice?: number;
  signal?: AbortSignal;
}

/**
 * `formatXgboostJson(legacyXgboostToJson(bytes, options))`, the same text, written a slice of trees
 * at a time with a turn of the event loop between slices: a large model then never holds a worker's
 * event loop (and its BullMQ lock renewal) for long. The retrain converts its boosters this way
 * before saving; `saveModelSet` takes the text as `ModelFile.xgboostJson`.
 */
export async function xgboostJsonFromLegacy(bytes: Uint8Array, options: XgboostJsonAsyncOptions = {}): Promise<string> {
  const { treesPerSlice = 50, signal, ...conversion } = options;
  const model = legacyXgboostToJson(bytes, conversion);
  const gbtree = model.learner.gradient_booster;
  const { trees } = gbtree.model;
  // The learner without its trees, then the trees spliced in where the empty list stands. Inside
  // JSON strings every quote is escaped, so the marker can only be the key itself.
  const marker = '"trees":[]';
  const head = formatXgboostJson({
    ...model,
    learner: { ...model.learner, gradient_booster: { ...gbtree, model: { ...gbtree.model, trees: [] } } },
  });
  const at = head.indexOf(marker);
  const parts: string[] = [];
  for (let start = 0; start < trees.length; start += treesPerSlice) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    throwIfAborted(signal);
    for (const tree of trees.slice(start, start + treesPerSlice)) parts.push(writeValue(tree));
  }
  return `${head.slice(0, at)}"trees":[${parts.join(",")}]${head.slice(at + marker.length)}`;
}

function writeValue(value: unknown): string {
  if (value instanceof Float32Array) return writeFloats(value);
  if (Array.isArray(value)) {
    if (value.every((v) => Number.isSafeInteger(v))) return `[${value.join(",")}]`; // node arrays: most of a model
    return `[${value.map(writeValue).join(",")}]`;
  }
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new InputDataError(`XGBoost JSON integer field holds ${value}`);
    return String(value);
  }
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${writeValue(v)}`).join(",")}}`;
  }
  throw new InputDataError(`XGBoost JSON cannot hold ${String(value)}`);
}

function writeFloats(values: Float32Array): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const text = float32Text(values[i]!);
    parts[i] = text.includes(".") || text.includes("e") ? text : `${text}.0`;
  }
  return `[${parts.join(",")}]`;
}

/**
 * Decimal text of a float32 value's exact value: JavaScript's shortest text of that double
 * ("0.5", "-0.4000000059604645", "1e-45"). A reader parsing it straight to float32 or through a
 * double gets the same float32; a reader working in doubles sees XGBoost's thresholds exactly.
 * (The shortest text that reads back as the float32, e.g. "-0.4", is 3-8 times slower to find
 * here, and the save runs on the worker's event loop.)
 */
export function float32Text(x: number): string {
  const f = Math.fround(x);
  if (!Number.isFinite(f)) throw new InputDataError(`XGBoost JSON cannot hold the float ${x}`);
  return Object.is(f, -0) ? "-0" : String(f);
}

/** The part of an XGBoost JSON model `predictXgboostJson` reads: a converted model or a parsed file. */
export interface XgboostJsonScorable {
  learner: {
    gradient_booster: { model: { trees: ReadonlyArray<XgboostJsonTreeNodes> } };
    learner_model_param: { base_score: string };
    objective: { name: string };
  };
}

interface XgboostJsonTreeNodes {
  left_children: ArrayLike<number>;
  right_children: ArrayLike<number>;
  split_indices: ArrayLike<number>;
  split_conditions: ArrayLike<number>;
  default_left: ArrayLike<number>;
}

export interface PredictXgboostJsonOptions {
  /** A feature value treated as missing besides NaN: ml-xgboost builds every matrix with missing = -1. */
  missing?: number;
}

/**
 * Scores row-major float32 rows the way ml-xgboost's XGBoost 0.7 does: each tree's leaf summed in
 * float32 (x < condition goes left, a missing value takes the default branch), then
 * ProbToMargin(base_score) added, then the objective's transform. XGBoost 1.x adds the trees onto
 * base_score one by one, so it can differ in the last float32 bits. A reference for tests, not a fast path.
 */
export function predictXgboostJson(
  model: XgboostJsonScorable,
  X: ArrayLike<number>,
  rows: number,
  cols: number,
  options: PredictXgboostJsonOptions = {},
): Float64Array {
  const { learner } = model;
  const objective = learner.objective.name;
  const logistic = LOGISTIC.has(objective);
  if (!logistic && objective !== "reg:squarederror") throw new InputDataError(`cannot score XGBoost objective ${objective}`);
  const baseScore = Math.fround(Number(learner.learner_model_param.base_score));
  const baseMargin = logistic ? Math.fround(-Math.log(Math.fround(1 / baseScore - 1))) : baseScore;
  const missing = options.missing ?? Number.NaN;
  const trees = learner.gradient_booster.model.trees;
  const out = new Float64Array(rows);
  for (let row = 0; row < rows; row++) {
    let sum = 0;
    for (const tree of trees) {
      let node = 0;
      while (tree.left_children[node]! !== -1) {
        const x = Math.fround(X[row * cols + tree.split_indices[node]!]!);
        const goLeft = Number.isNaN(x) || x === missing ? tree.default_left[node] === 1 : x < Math.fround(tree.split_conditions[node]!);
        node = goLeft ? tree.left_children[node]! : tree.right_children[node]!;
      }
      // Parsed JSON holds the decimal's double: XGBoost reads every value as float32.
      sum = Math.fround(sum + Math.fround(tree.split_conditions[node]!));
    }
    const margin = Math.fround(baseMargin + sum);
    out[row] = logistic ? Math.fround(1 / (1 + Math.exp(-margin))) : margin;
  }
  return out;
}

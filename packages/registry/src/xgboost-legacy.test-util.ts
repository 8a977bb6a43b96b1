// Writes XGBoost's pre-1.0 binary model format byte by byte (the layout of XGBoost 0.7's
// LearnerImpl::Save, GBTreeModel::Save and TreeModel::Save), so the converter's tests can build
// tiny models whose every field is known, and corrupt them on purpose.

export interface LegacySplit {
  feature: number;
  /** Goes left when x < threshold. */
  threshold: number;
  defaultLeft?: boolean;
  left: number;
  right: number;
}

export interface LegacyLeaf {
  leaf: number;
}

/** A node that XGBoost's pruner deleted: kept in the array, marked by split index 0xffffffff. */
export interface LegacyDeleted {
  deleted: true;
  parent: number;
}

export type LegacyNode = LegacySplit | LegacyLeaf | LegacyDeleted;

export interface LegacyModelSpec {
  /** As the binary stores it: the margin (ProbToMargin already applied) before XGBoost 1.0. */
  baseScore: number;
  numFeature: number;
  objective: string;
  booster?: string;
  trees: LegacyNode[][];
  attributes?: [string, string][];
  /** Writes the 4-byte "binf" header of XGBoost 1.x files. */
  binf?: boolean;
  /** XGBoost 1.x's version fields (0 = before 1.0, base_score then is a margin). */
  majorVersion?: number;
}

class Writer {
  private readonly chunks: Uint8Array[] = [];
  bytes(b: Uint8Array): this {
    this.chunks.push(b);
    return this;
  }
  struct(size: number, fill: (v: DataView) => void): this {
    const b = new Uint8Array(size);
    fill(new DataView(b.buffer));
    return this.bytes(b);
  }
  u64(n: number): this {
    return this.struct(8, (v) => v.setUint32(0, n, true));
  }
  string(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.u64(b.length).bytes(b);
  }
  done(): Uint8Array {
    const out = new Uint8Array(this.chunks.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of this.chunks) out.set(c, (o += c.length) - c.length);
    return out;
  }
}

export function buildLegacyModel(spec: LegacyModelSpec): Uint8Array {
  const w = new Writer();
  if (spec.binf) w.bytes(new TextEncoder().encode("binf"));
  const attrs = spec.attributes ?? [];
  w.struct(136, (v) => {
    v.setFloat32(0, spec.baseScore, true);
    v.setUint32(4, spec.numFeature, true);
    v.setInt32(8, 0, true); // num_class
    v.setInt32(12, attrs.length > 0 ? 1 : 0, true); // contain_extra_attrs
    v.setInt32(16, 0, true); // contain_eval_metrics
    v.setUint32(20, spec.majorVersion ?? 0, true);
  });
  w.string(spec.objective).string(spec.booster ?? "gbtree");
  w.struct(160, (v) => {
    v.setInt32(0, spec.trees.length, true); // num_trees
    v.setInt32(4, 1, true); // num_roots
    v.setInt32(8, spec.numFeature, true);
    v.setInt32(24, 1, true); // num_output_group
  });
  for (const nodes of spec.trees) writeTree(w, nodes, spec.numFeature);
  w.struct(4 * spec.trees.length, () => undefined); // tree_info: every tree in group 0
  if (attrs.length > 0) {
    w.u64(attrs.length);
    for (const [k, v] of attrs) w.string(k).string(v);
  }
  return w.done();
}

function writeTree(w: Writer, nodes: LegacyNode[], numFeature: number): void {
  const parents = nodes.map(() => -1);
  const isLeft = nodes.map(() => false);
  nodes.forEach((n, i) => {
    if ("deleted" in n) parents[i] = n.parent;
    if ("feature" in n) {
      parents[n.left] = i;
      isLeft[n.left] = true;
      parents[n.right] = i;
    }
  });
  const numDeleted = nodes.filter((n) => "deleted" in n).length;
  w.struct(148, (v) => {
    v.setInt32(0, 1, true); // num_roots
    v.setInt32(4, nodes.length, true);
    v.setInt32(8, numDeleted, true);
    v.setInt32(12, 0, true); // max_depth (statistic, unused)
    v.setInt32(16, numFeature, true);
  });
  w.struct(20 * nodes.length, (v) => {
    nodes.forEach((n, i) => {
      const o = 20 * i;
      const parent = parents[i]!;
      // The parent's highest bit says "I am its left child" (TreeModel::Node::SetParent).
      v.setInt32(o, parent === -1 ? -1 : parent | (isLeft[i] ? 0x80000000 : 0), true);
      if ("feature" in n) {
        v.setInt32(o + 4, n.left, true);
        v.setInt32(o + 8, n.right, true);
        v.setUint32(o + 12, (n.feature | (n.defaultLeft ? 0x80000000 : 0)) >>> 0, true);
        v.setFloat32(o + 16, n.threshold, true);
      } else if ("leaf" in n) {
        v.setInt32(o + 4, -1, true);
        v.setInt32(o + 8, -1, true);
        v.setUint32(o + 12, 0, true);
        v.setFloat32(o + 16, n.leaf, true);
      } else {
        v.setInt32(o + 4, -1, true);
        v.setInt32(o + 8, -1, true);
        v.setUint32(o + 12, 0xffffffff, true);
        v.setFloat32(o + 16, 0, true);
      }
    });
  });
  w.struct(16 * nodes.length, (v) => {
    nodes.forEach((n, i) => {
      // Distinct, recognisable statistics: loss_chg = i + 0.5, sum_hess = 10 * (i + 1), base_weight = -i / 4.
      v.setFloat32(16 * i, i + 0.5, true);
      v.setFloat32(16 * i + 4, 10 * (i + 1), true);
      v.setFloat32(16 * i + 8, -i / 4, true);
      v.setInt32(16 * i + 12, "feature" in n ? 2 : 0, true);
    });
  });
}

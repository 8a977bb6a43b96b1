// Thin binding over ml-xgboost's emscripten module (XGBoost 0.7x in WebAssembly).
// The package's own wrapper copies matrices onto a 5 MiB wasm stack and predicts
// through per-row JS arrays; this binding puts matrices on the wasm heap (_malloc)
// and calls the exported C functions directly. Model bytes are XGBoost's own binary
// format (what XGBoosterSaveModel writes). Any wasm failure becomes MlqError
// "XGBOOST_WASM" naming the operation, and that instance is discarded.
//
// `loadXgbModule` and `createXgbBinding` are SELF-CONTAINED on purpose: the worker
// pool ships their source text (`fn.toString()`) into an `eval` worker thread, so
// they may not reference imports, module-level values or TypeScript-only runtime
// helpers. Only type annotations (erased at compile time) may come from outside.

/** The subset of the emscripten Module that the binding uses. */
export interface XgbModule {
  HEAPU8: Uint8Array;
  HEAPF32: Float32Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  _create_model(dataPtr: number, labelPtr: number, rows: number, cols: number): number;
  _set_param(handle: number, keyPtr: number, valuePtr: number): void;
  _train_full_model(handle: number, rounds: number): void;
  _predict_one(handle: number, rowPtr: number, cols: number, outPtr: number): number;
  _save_model(handle: number): number;
  _get_file_content(destPtr: number, size: number): void;
  _load_model(dataPtr: number, size: number): number;
  _free_memory_model(handle: number): void;
  print: (text: string) => void;
  printErr: (text: string) => void;
  isReady: Promise<unknown>;
}

export type XgbObjective = "binary:logistic" | "reg:squarederror" | "reg:linear";

export interface BoosterParams {
  rounds: number;
  maxDepth: number;
  eta: number;
  subsample?: number;
  /** XGBoost's min_child_weight; unset leaves XGBoost's default (1) and the parameter list as before. */
  minChildWeight?: number;
  treeMethod: "hist";
  seed?: number;
}

export interface BinaryTrainRequest {
  /** Row-major features, already float32 (the precision XGBoost uses). */
  X: Float32Array;
  y: Float32Array;
  rows: number;
  cols: number;
  objective: XgbObjective;
  params: BoosterParams;
}

export interface XgbBinding {
  train(req: BinaryTrainRequest): Uint8Array;
  predict(modelBytes: Uint8Array, X: Float32Array, rows: number, cols: number): Float64Array;
  /** True once a wasm call has thrown: the instance may hold a corrupted heap and must be replaced. */
  readonly poisoned: boolean;
}

/**
 * Requires the emscripten glue at `gluePath` as a fresh instance, silences its
 * stdout/stderr notices and removes the process-wide `uncaughtException` hook it installs.
 */
export function loadXgbModule(requireFn: NodeJS.Require, gluePath: string): Promise<XgbModule> {
  const hooksBefore = new Set(process.listeners("uncaughtException"));
  // A fresh instance each call: an aborted wasm instance is unusable, so callers reload.
  delete requireFn.cache[gluePath];
  const mod = requireFn(gluePath) as XgbModule;
  delete requireFn.cache[gluePath];
  for (const hook of process.listeners("uncaughtException")) {
    if (!hooksBefore.has(hook)) process.removeListener("uncaughtException", hook);
  }
  const quiet = (): void => undefined;
  mod.print = quiet;
  mod.printErr = quiet;
  return mod.isReady.then(() => mod);
}

/** Wraps a loaded module in train/predict calls that free every heap block and booster. */
export function createXgbBinding(M: XgbModule): XgbBinding {
  const FLOAT_BYTES = 4;
  let poisoned = false;

  const wasmFailure = (what: string, err: unknown): Error => {
    poisoned = true;
    let text: string;
    if (err instanceof Error) text = err.message;
    else if (typeof err === "number") text = `C++ exception at ${err} (XGBoost rejected the input or parameters)`;
    else text = String(err);
    const firstLine = text.split("\n")[0] ?? text;
    const out = new Error(`XGBoost WebAssembly failed while ${what}: ${firstLine.slice(0, 300)}`);
    (out as Error & { xgbWasm: true }).xgbWasm = true;
    return out;
  };

  // Cleanup after a failed wasm call may itself fail; the first error is the one to report.
  const quietly = (cleanup: () => void): void => {
    try {
      cleanup();
    } catch {
      poisoned = true;
    }
  };

  const alloc = (bytes: number, what: string): number => {
    const ptr = M._malloc(Math.max(bytes, 1));
    if (!ptr) throw wasmFailure(what, `cannot allocate ${bytes} bytes on the wasm heap`);
    return ptr;
  };

  const cString = (text: string, what: string): number => {
    const bytes = new TextEncoder().encode(text);
    const ptr = alloc(bytes.length + 1, what);
    M.HEAPU8.set(bytes, ptr);
    M.HEAPU8[ptr + bytes.length] = 0;
    return ptr;
  };

  const setParam = (handle: number, key: string, value: string): void => {
    let keyPtr = 0;
    let valuePtr = 0;
    try {
      keyPtr = cString(key, "setting parameters");
      valuePtr = cString(value, "setting parameters");
      M._set_param(handle, keyPtr, valuePtr);
    } finally {
      const k = keyPtr;
      const v = valuePtr;
      if (k) quietly(() => M._free(k));
      if (v) quietly(() => M._free(v));
    }
  };

  const loadBooster = (modelBytes: Uint8Array): number => {
    const ptr = alloc(modelBytes.length, "loading a model");
    try {
      M.HEAPU8.set(modelBytes, ptr);
      const handle = M._load_model(ptr, modelBytes.length);
      if (!handle) throw wasmFailure("loading a model", "load_model returned no booster");
      return handle;
    } finally {
      quietly(() => M._free(ptr));
    }
  };

  const guard = <T>(what: string, fn: () => T): T => {
    if (poisoned) throw wasmFailure(what, "this wasm instance failed earlier and must be reloaded");
    try {
      return fn();
    } catch (err) {
      if ((err as { xgbWasm?: boolean } | null)?.xgbWasm) throw err;
      throw wasmFailure(what, err);
    }
  };

  return {
    get poisoned() {
      return poisoned;
    },

    train(req) {
      const { X, y, rows, cols, objective, params } = req;
      return guard(`training ${objective} on ${rows} rows x ${cols} features`, () => {
        let handle = 0;
        let xPtr = 0;
        let yPtr = 0;
        const release = (): void => {
          const x = xPtr;
          const y2 = yPtr;
          if (x) quietly(() => M._free(x));
          if (y2) quietly(() => M._free(y2));
          xPtr = 0;
          yPtr = 0;
        };
        try {
          xPtr = alloc(rows * cols * FLOAT_BYTES, "copying the training matrix");
          yPtr = alloc(rows * FLOAT_BYTES, "copying the labels");
          // HEAPF32 is read after the allocations: a heap growth replaces the view.
          M.HEAPF32.set(X.subarray(0, rows * cols), xPtr / FLOAT_BYTES);
          M.HEAPF32.set(y.subarray(0, rows), yPtr / FLOAT_BYTES);
          handle = M._create_model(xPtr, yPtr, rows, cols);
          if (!handle) throw wasmFailure("creating the training matrix", "create_model returned no booster");
          // The DMatrix inside the booster holds its own copy: release ours before training.
          release();
          const settings: [string, string][] = [
            // XGBoost 0.7x predates the reg:squarederror alias (0.90) of reg:linear.
            ["objective", objective === "reg:squarederror" ? "reg:linear" : objective],
            ["booster", "gbtree"],
            ["tree_method", params.treeMethod],
            ["max_depth", String(params.maxDepth)],
            ["eta", String(params.eta)],
            ["subsample", String(params.subsample ?? 1)],
            ["seed", String(params.seed ?? 0)],
            ["silent", "1"],
          ];
          if (params.minChildWeight !== undefined) settings.push(["min_child_weight", String(params.minChildWeight)]);
          for (const [key, value] of settings) setParam(handle, key, value);
          M._train_full_model(handle, params.rounds);
          const size = M._save_model(handle);
          if (size <= 0) throw wasmFailure("serializing the model", `save_model returned ${size}`);
          const outPtr = alloc(size, "serializing the model");
          try {
            M._get_file_content(outPtr, size);
            return M.HEAPU8.slice(outPtr, outPtr + size);
          } finally {
            quietly(() => M._free(outPtr));
          }
        } finally {
          release();
          if (handle) quietly(() => M._free_memory_model(handle));
        }
      });
    },

    predict(modelBytes, X, rows, cols) {
      return guard(`predicting ${rows} rows x ${cols} features`, () => {
        const handle = loadBooster(modelBytes);
        let xPtr = 0;
        let outPtr = 0;
        try {
          const out = new Float64Array(rows);
          if (rows === 0) return out;
          xPtr = alloc(rows * cols * FLOAT_BYTES, "copying the prediction matrix");
          outPtr = alloc(16 * FLOAT_BYTES, "allocating the prediction buffer");
          M.HEAPF32.set(X.subarray(0, rows * cols), xPtr / FLOAT_BYTES);
          const rowBytes = cols * FLOAT_BYTES;
          const outIndex = outPtr / FLOAT_BYTES;
          for (let i = 0; i < rows; i++) {
            M._predict_one(handle, xPtr + i * rowBytes, cols, outPtr);
            out[i] = M.HEAPF32[outIndex] ?? Number.NaN;
          }
          return out;
        } finally {
          if (xPtr) quietly(() => M._free(xPtr));
          if (outPtr) quietly(() => M._free(outPtr));
          quietly(() => M._free_memory_model(handle));
        }
      });
    },
  };
}

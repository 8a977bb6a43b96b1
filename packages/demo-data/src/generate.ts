// Writes the synthetic trading database: plans the market at minute resolution, streams ticks
// in time order into a temp file with fast pragmas, adds paper trades, then renames into place.
import { existsSync, renameSync, rmSync, statSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join, resolve } from "node:path";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { fsyncDir, InputDataError, MINUTE_MS, MlqError, OutputError, silentLogger, throwIfAborted, type Logger, type ProgressFn } from "@mlq/core";
import { migrate, openDatabase, type Connection } from "@mlq/db";
import { demoAnchors, planRegimes, simulateMinutePath, tickIntensity, allocateTicks, type RegimePlan } from "./market-model.js";
import { resolveDemoOptions, symbolProfile, type DemoOptions, type ResolvedDemoOptions, type SymbolProfile } from "./options.js";
import { drawSlippagePct, fillTrade, planTrades, type PlannedTrade } from "./paper-trades.js";
import { createRng, type Rng } from "@mlq/core";

export interface DemoSummary {
  path: string;
  ticks: number;
  trades: number;
  closedTrades: number;
  symbols: string[];
  /** First and last tick timestamps written. */
  fromMs: number;
  toMs: number;
  durationMs: number;
}

export interface DemoDeps {
  progress?: ProgressFn;
  logger?: Logger;
  signal?: AbortSignal;
  /** Clock for the default `endMs` (tests pin it). */
  now?: () => number;
}

const ROWS_PER_STATEMENT = 64;
const ROWS_PER_TRANSACTION = 100_000;
const NULL_SIZE_RATE = 0.03;

interface SymbolState {
  symbol: string;
  profile: SymbolProfile;
  priceScale: number;
  logPrice: Float64Array;
  minuteSigma: Float64Array;
  counts: Uint32Array;
  rng: Rng;
  /** Trade signal events of this symbol sorted by planned time; resolved to the next tick. */
  eventPlannedMs: Float64Array;
  eventSlot: Int32Array;
  nextEvent: number;
  lastTs: number;
  lastPrice: number;
  // Per-minute scratch buffers.
  bufTs: Float64Array;
  bufPrice: Float64Array;
  bufSize: Float64Array;
  bufLength: number;
  bufHead: number;
}

/**
 * Generates a realistic synthetic trading database at `options.out` (see README for the
 * model). Refuses to replace an existing file unless `overwrite`; never leaves a partial file.
 */
export async function generateDemoDatabase(options: DemoOptions, deps: DemoDeps = {}): Promise<DemoSummary> {
  const started = performance.now();
  const logger = deps.logger ?? silentLogger;
  const progress = deps.progress ?? (() => undefined);
  const opts = resolveDemoOptions(options, deps.now?.() ?? Date.now());
  const target = resolve(opts.out);
  const dir = dirname(target);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputDataError(`output directory does not exist: ${dir} (for ${target})`, { context: { path: target } });
  if (existsSync(target)) {
    if (statSync(target).isDirectory()) throw new InputDataError(`output path is a directory: ${target}`, { context: { path: target } });
    if (!opts.overwrite) throw new InputDataError(`refusing to overwrite existing file ${target} (pass overwrite to replace it)`, { context: { path: target } });
  }
  throwIfAborted(deps.signal);
  logger.info("demo-data: generating", { out: target, ticks: opts.ticks, trades: opts.trades, days: opts.days, symbols: opts.symbols, seed: opts.seed });
  progress({ stage: "plan", pct: 0, detail: `${opts.ticks} ticks, ${opts.trades} trades` });

  const tmp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  let conn: Connection | undefined;
  try {
    conn = openDatabase(tmp, { create: true });
    migrate(conn);
    // A throwaway temp file: no journal, no fsync while filling it; WAL is restored before the rename.
    conn.sqlite.pragma("journal_mode = OFF");
    conn.sqlite.pragma("synchronous = OFF");
    conn.sqlite.pragma("cache_size = -65536");

    const plan = planMarket(opts);
    const written = await writeTicks(conn, opts, plan, progress, deps.signal);
    throwIfAborted(deps.signal);
    progress({ stage: "trades", pct: 98, detail: `${opts.trades} paper trades` });
    const closedTrades = writeTrades(conn, opts, plan);

    progress({ stage: "finalize", pct: 99, detail: "switching to WAL" });
    const mode = conn.sqlite.pragma("journal_mode = WAL", { simple: true });
    if (String(mode).toLowerCase() !== "wal") throw new OutputError(`cannot switch ${tmp} back to WAL (journal_mode=${String(mode)})`);
    conn.sqlite.pragma("synchronous = NORMAL");
    conn.close();
    conn = undefined;
    // A stale -wal beside the target would be replayed into the new file: remove it first.
    rmSync(`${target}-wal`, { force: true });
    rmSync(`${target}-shm`, { force: true });
    renameSync(tmp, target);
    fsyncDir(dir);

    const durationMs = performance.now() - started;
    const summary: DemoSummary = {
      path: target,
      ticks: written.ticks,
      trades: opts.trades,
      closedTrades,
      symbols: [...opts.symbols],
      fromMs: written.minTs,
      toMs: written.maxTs,
      durationMs: Math.round(durationMs),
    };
    logger.info("demo-data: done", { ...summary, ticksPerSec: Math.round(written.ticks / (durationMs / 1000)) });
    progress({ stage: "done", pct: 100, detail: target });
    return summary;
  } catch (err) {
    conn?.close();
    for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(`${tmp}${suffix}`, { force: true });
    if (err instanceof MlqError) throw err;
    const code = (err as { code?: string }).code ?? "";
    throw new OutputError(`cannot write demo database ${target}: ${code ? `${code} ` : ""}${(err as Error).message}`, { cause: err, context: { path: target } });
  }
}

interface MarketPlan {
  regimes: RegimePlan;
  symbols: SymbolState[];
  trades: PlannedTrade[];
  /** Resolved signal tick per trade side: slot 2i = open, 2i+1 = close. */
  eventTs: Float64Array;
  eventPrice: Float64Array;
  minutes: number;
}

function planMarket(opts: ResolvedDemoOptions): MarketPlan {
  const minutes = Math.round((opts.endMs - opts.fromMs) / MINUTE_MS);
  const regimes = planRegimes(createRng(opts.seed, "regimes"), opts.fromMs, minutes, demoAnchors(opts.paperFromMs, opts.endMs));
  const perSymbol = Math.floor(opts.ticks / opts.symbols.length);
  const extra = opts.ticks % opts.symbols.length;
  const weights = new Float64Array(minutes);
  for (let m = 0; m < minutes; m++) weights[m] = tickIntensity(regimes.vol[m]!, opts.fromMs + m * MINUTE_MS);

  const symbols: SymbolState[] = opts.symbols.map((symbol, i) => {
    const profile = symbolProfile(symbol, i);
    const path = simulateMinutePath(createRng(opts.seed, `path:${symbol}`), regimes, opts.fromMs, profile.basePrice, profile.volMultiplier);
    const counts = allocateTicks(weights, perSymbol + (i < extra ? 1 : 0));
    let maxCount = 0;
    for (let m = 0; m < minutes; m++) maxCount = Math.max(maxCount, counts[m]!);
    return {
      symbol,
      profile,
      priceScale: 10 ** profile.decimals,
      logPrice: path.logPrice,
      minuteSigma: path.minuteSigma,
      counts,
      rng: createRng(opts.seed, `ticks:${symbol}`),
      eventPlannedMs: new Float64Array(0),
      eventSlot: new Int32Array(0),
      nextEvent: 0,
      lastTs: Number.NaN,
      lastPrice: Number.NaN,
      bufTs: new Float64Array(maxCount + 1),
      bufPrice: new Float64Array(maxCount + 1),
      bufSize: new Float64Array(maxCount + 1),
      bufLength: 0,
      bufHead: 0,
    };
  });

  const trades = planTrades(createRng(opts.seed, "trades"), {
    closedTrades: opts.trades - opts.openTrades,
    openTrades: opts.openTrades,
    symbolCount: symbols.length,
    paperFromMs: opts.paperFromMs,
    toMs: opts.endMs,
    arms: opts.arms,
    logPriceAt: (s, ts) => {
      const m = Math.min(minutes, Math.max(0, Math.round((ts - opts.fromMs) / MINUTE_MS)));
      return symbols[s]!.logPrice[m]!;
    },
  });
  const events: { ms: number; slot: number }[][] = symbols.map(() => []);
  trades.forEach((t, i) => {
    events[t.symbolIndex]!.push({ ms: t.openAtMs, slot: 2 * i });
    if (t.closeAtMs !== null) events[t.symbolIndex]!.push({ ms: t.closeAtMs, slot: 2 * i + 1 });
  });
  symbols.forEach((s, i) => {
    const list = events[i]!.sort((a, b) => a.ms - b.ms || a.slot - b.slot);
    s.eventPlannedMs = Float64Array.from(list, (e) => e.ms);
    s.eventSlot = Int32Array.from(list, (e) => e.slot);
  });
  return {
    regimes,
    symbols,
    trades,
    eventTs: new Float64Array(2 * trades.length).fill(Number.NaN),
    eventPrice: new Float64Array(2 * trades.length).fill(Number.NaN),
    minutes,
  };
}

/**
 * Draws one symbol's ticks inside minute `m`: arrival times are sorted uniforms (normalized
 * exponential spacings, i.e. a Poisson process with the planned count), prices follow a
 * Brownian bridge from this minute's planned log price to the next one.
 */
function drawMinuteTicks(s: SymbolState, m: number, minuteStartMs: number, plan: MarketPlan): void {
  const count = s.counts[m]!;
  s.bufLength = count;
  s.bufHead = 0;
  if (count === 0) return;
  const { rng, bufTs, bufPrice, bufSize, priceScale } = s;
  // Spacings first (count + 1 of them) so the positions can be normalized to the minute.
  let total = 0;
  for (let i = 0; i <= count; i++) {
    total += rng.exponential();
    bufTs[i] = total;
  }
  const end = s.logPrice[m + 1]!;
  const variancePerMs = (s.minuteSigma[m]! * s.minuteSigma[m]!) / MINUTE_MS;
  let x = s.logPrice[m]!;
  let prevT = 0;
  for (let i = 0; i < count; i++) {
    const t = (bufTs[i]! / total) * MINUTE_MS;
    const remaining = MINUTE_MS - prevT;
    const dt = t - prevT;
    x += ((end - x) * dt) / remaining + Math.sqrt((variancePerMs * dt * (MINUTE_MS - t)) / remaining) * rng.normal();
    prevT = t;
    const price = Math.round(Math.exp(x) * priceScale) / priceScale;
    const ts = minuteStartMs + Math.floor(t);
    bufTs[i] = ts;
    bufPrice[i] = price;
    const sizeDraw = rng.next();
    const notional = 300 * Math.exp(1.1 * rng.normal());
    bufSize[i] = sizeDraw < NULL_SIZE_RATE ? Number.NaN : Math.max(1e-6, Math.round((notional / price) * 1e6) / 1e6);
    while (s.nextEvent < s.eventPlannedMs.length && s.eventPlannedMs[s.nextEvent]! <= ts) {
      const slot = s.eventSlot[s.nextEvent]!;
      plan.eventTs[slot] = ts;
      plan.eventPrice[slot] = price;
      s.nextEvent++;
    }
    s.lastTs = ts;
    s.lastPrice = price;
  }
}

async function writeTicks(
  conn: Connection,
  opts: ResolvedDemoOptions,
  plan: MarketPlan,
  progress: ProgressFn,
  signal: AbortSignal | undefined,
): Promise<{ ticks: number; minTs: number; maxTs: number }> {
  const { sqlite } = conn;
  const placeholders = Array.from({ length: ROWS_PER_STATEMENT }, () => "(?, ?, ?, ?)").join(", ");
  const insertMany = sqlite.prepare(`INSERT INTO ticks (ts_ms, symbol, price, size) VALUES ${placeholders}`);
  const insertOne = sqlite.prepare("INSERT INTO ticks (ts_ms, symbol, price, size) VALUES (?, ?, ?, ?)");
  const args: (number | string | null)[] = new Array<number | string | null>(ROWS_PER_STATEMENT * 4).fill(null);
  const disorder = createRng(opts.seed, "out-of-order");
  const symbols = plan.symbols;
  let buffered = 0;
  let written = 0;
  let inTransaction = 0;
  let lastTs = Number.NEGATIVE_INFINITY;
  let minTs = Number.POSITIVE_INFINITY;
  let maxTs = Number.NEGATIVE_INFINITY;
  let reportedPct = -1;
  // Small databases commit (and yield) at least every ~1 % so abort stays responsive.
  const rowsPerTransaction = Math.min(ROWS_PER_TRANSACTION, Math.max(10_000, Math.ceil(opts.ticks / 100)));

  sqlite.exec("BEGIN");
  try {
    for (let m = 0; m < plan.minutes; m++) {
      const minuteStartMs = opts.fromMs + m * MINUTE_MS;
      for (const s of symbols) drawMinuteTicks(s, m, minuteStartMs, plan);
      // Merge the symbols' sorted minute buffers (ties go to the earlier symbol).
      for (;;) {
        let pick: SymbolState | undefined;
        for (const s of symbols) {
          if (s.bufHead < s.bufLength && (pick === undefined || s.bufTs[s.bufHead]! < pick.bufTs[pick.bufHead]!)) pick = s;
        }
        if (pick === undefined) break;
        const i = pick.bufHead++;
        let ts = pick.bufTs[i]!;
        if (opts.outOfOrderRate > 0 && written + buffered > 0 && disorder.next() < opts.outOfOrderRate) ts = lastTs - 1 - disorder.int(4);
        lastTs = ts;
        if (ts < minTs) minTs = ts;
        if (ts > maxTs) maxTs = ts;
        const size = pick.bufSize[i]!;
        const k = buffered * 4;
        args[k] = ts;
        args[k + 1] = pick.symbol;
        args[k + 2] = pick.bufPrice[i]!;
        args[k + 3] = Number.isNaN(size) ? null : size;
        if (++buffered === ROWS_PER_STATEMENT) {
          insertMany.run(args);
          buffered = 0;
          written += ROWS_PER_STATEMENT;
          inTransaction += ROWS_PER_STATEMENT;
        }
      }
      const pct = Math.floor((written / opts.ticks) * 96);
      if (pct > reportedPct) {
        reportedPct = pct;
        progress({ stage: "ticks", pct: 1 + pct, detail: `${written} / ${opts.ticks} ticks` });
      }
      if (inTransaction >= rowsPerTransaction) {
        sqlite.exec("COMMIT");
        inTransaction = 0;
        // Let timers, signals and the progress bar run between transactions.
        await yieldToEventLoop();
        throwIfAborted(signal);
        sqlite.exec("BEGIN");
      }
    }
    for (let r = 0; r < buffered; r++) insertOne.run(args[r * 4], args[r * 4 + 1], args[r * 4 + 2], args[r * 4 + 3]);
    written += buffered;
    sqlite.exec("COMMIT");
  } catch (err) {
    if (sqlite.inTransaction) sqlite.exec("ROLLBACK");
    throw err;
  }
  // Signals planned after a symbol's last tick take that last tick.
  for (const s of symbols) {
    for (; s.nextEvent < s.eventSlot.length; s.nextEvent++) {
      const slot = s.eventSlot[s.nextEvent]!;
      plan.eventTs[slot] = s.lastTs;
      plan.eventPrice[slot] = s.lastPrice;
    }
  }
  progress({ stage: "ticks", pct: 97, detail: `${written} / ${opts.ticks} ticks` });
  return { ticks: written, minTs, maxTs };
}

/** Inserts the planned trades (ids in order of opening) in one transaction; returns the closed count. */
function writeTrades(conn: Connection, opts: ResolvedDemoOptions, plan: MarketPlan): number {
  const rng = createRng(opts.seed, "fills");
  const rows = plan.trades.map((t, i) => {
    const s = plan.symbols[t.symbolIndex]!;
    const openTs = plan.eventTs[2 * i]!;
    const signalEntry = plan.eventPrice[2 * i]!;
    const closed = t.closeAtMs !== null;
    const closeTs = closed ? plan.eventTs[2 * i + 1]! : null;
    const signalExit = closed ? plan.eventPrice[2 * i + 1]! : null;
    const regimeVolAt = (ts: number) => plan.regimes.vol[Math.min(plan.minutes - 1, Math.max(0, Math.floor((ts - opts.fromMs) / MINUTE_MS)))]!;
    const entrySlippagePct = drawSlippagePct(rng, openTs, regimeVolAt(openTs));
    const exitSlippagePct = closeTs === null ? 0 : drawSlippagePct(rng, closeTs, regimeVolAt(closeTs));
    const fill = fillTrade({
      side: t.side,
      notionalUsd: t.notionalUsd,
      signalEntry,
      signalExit,
      entrySlippagePct,
      exitSlippagePct,
      roundPrice: (p) => Math.round(p * s.priceScale) / s.priceScale,
    });
    return { t, s, openTs, closeTs, signalEntry, signalExit, fill, order: i };
  });
  rows.sort((a, b) => a.openTs - b.openTs || a.order - b.order);
  const insert = conn.sqlite.prepare(
    `INSERT INTO paper_trades (id, symbol, side, strategy, status, opened_ts_ms, closed_ts_ms, entry_price, exit_price,
       signal_entry_price, signal_exit_price, qty, fees, pnl, pnl_pct, model_arm)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  let closedCount = 0;
  conn.sqlite.transaction(() => {
    rows.forEach((r, index) => {
      const closed = r.closeTs !== null;
      if (closed) closedCount++;
      insert.run(
        index + 1,
        r.s.symbol,
        r.t.side,
        r.t.strategy,
        closed ? "closed" : "open",
        r.openTs,
        r.closeTs,
        r.fill.entryPrice,
        r.fill.exitPrice,
        r.signalEntry,
        r.signalExit,
        r.fill.qty,
        r.fill.fees,
        r.fill.pnl,
        r.fill.pnlPct,
        r.t.modelArm,
      );
    });
  })();
  return closedCount;
}

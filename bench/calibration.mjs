// Benchmark: execution calibration of 35,719 closed paper trades with the candle regime
// lookup (read trades + candle closes, calibrate, write the JSON atomically).
// Uses `dbPath` when it holds closed trades; otherwise seeds a synthetic database
// (35,719 trades, 60 days of 1-minute candles for 2 symbols) in a temp directory.
// Read-only on the given database: the calibration_runs audit row is not written.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

const TRADES = 35_719;
const TARGET_MS = 300;
const WARMUP = 2;
const RUNS = 9;

/** Writes a synthetic bot database: random-walk candles for 2 symbols and TRADES closed trades with slippage. */
export async function seedCalibrationBenchDb(path, { trades = TRADES, days = 60, symbols = ["BTC-USDT", "ETH-USDT"] } = {}) {
  const { openMigrated } = await import("../packages/db/dist/index.js");
  const conn = openMigrated(path, { create: true });
  let seed = 42;
  const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
  const start = Date.UTC(2026, 0, 1);
  const minutes = days * 1440;
  try {
    conn.sqlite.transaction(() => {
      const candle = conn.sqlite.prepare("INSERT INTO candles_1m (symbol, bucket_ts_ms, open, high, low, close, ticks, volume) VALUES (?, ?, ?, ?, ?, ?, 10, 1)");
      for (const [k, symbol] of symbols.entries()) {
        let c = k === 0 ? 60_000 : 3_000;
        for (let m = 0; m < minutes; m++) {
          // Regime switching: calmer and noisier stretches of a few hours each.
          const sigma = Math.floor(m / 240) % 5 === 0 ? 0.003 : 0.0008;
          const o = c;
          c *= Math.exp((rand() - 0.5) * 2 * sigma);
          candle.run(symbol, start + m * 60_000, o, Math.max(o, c), Math.min(o, c), c);
        }
      }
      const trade = conn.sqlite.prepare(
        `INSERT INTO paper_trades (id, symbol, side, status, opened_ts_ms, closed_ts_ms, entry_price, exit_price,
          signal_entry_price, signal_exit_price, qty, pnl_pct) VALUES (?, ?, ?, 'closed', ?, ?, ?, ?, ?, ?, 1, ?)`,
      );
      // The bot assigns ids as trades open, so rowid order is open-time order.
      const opens = Array.from({ length: trades }, () => start + Math.floor(rand() * (minutes - 120)) * 60_000 + Math.floor(rand() * 60_000)).sort((a, b) => a - b);
      for (let i = 0; i < trades; i++) {
        const symbol = symbols[i % symbols.length];
        const side = rand() < 0.5 ? "long" : "short";
        const opened = opens[i];
        const closed = opened + Math.floor(5 + rand() * 115) * 60_000;
        const sigEntry = 100 * (1 + (rand() - 0.5) * 0.2);
        const sigExit = sigEntry * (1 + (rand() - 0.5) * 0.02);
        const slip = () => (rand() - 0.3) * 0.0016; // mostly adverse, mean ≈ 0.032 %
        const buyEntry = side === "long" ? 1 : -1;
        const entry = sigEntry * (1 + buyEntry * slip());
        const exit = sigExit * (1 - buyEntry * slip());
        const pnl = ((exit - entry) / entry) * 100 * buyEntry;
        trade.run(i + 1, symbol, side, opened, closed, entry, exit, i % 997 === 0 ? null : sigEntry, sigExit, pnl);
      }
    })();
  } finally {
    conn.close();
  }
}

function closedTrades(dbPath, openDatabase) {
  if (!dbPath || !existsSync(dbPath)) return 0;
  const conn = openDatabase(dbPath, { readonly: true });
  try {
    const exists = conn.sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='paper_trades'").get();
    return exists ? conn.sqlite.prepare("SELECT count(*) FROM paper_trades WHERE status='closed'").pluck().get() : 0;
  } finally {
    conn.close();
  }
}

export async function run({ dbPath, log = () => {} } = {}) {
  const { openDatabase } = await import("../packages/db/dist/index.js");
  const { DEFAULT_CALIBRATION_POLICY, loadCalibrationInput, calibrate, toCalibrationFile } = await import("../packages/calibration/dist/index.js");
  const { writeFileAtomic } = await import("../packages/core/dist/index.js");
  const tmp = mkdtempSync(join(tmpdir(), "mlq-bench-cal-"));
  try {
    let path = dbPath;
    if (closedTrades(path, openDatabase) === 0) {
      path = join(tmp, "calibration-bench.db");
      log(`calibration bench: seeding ${TRADES} trades and 60 days of candles into ${path}`);
      await seedCalibrationBenchDb(path);
    }
    const conn = openDatabase(path, { readonly: true });
    const outPath = join(tmp, "execution_calibration.json");
    const policy = DEFAULT_CALIBRATION_POLICY;
    const times = [];
    const cpuTimes = [];
    let last;
    try {
      for (let i = 0; i < WARMUP + RUNS; i++) {
        const t0 = performance.now();
        const cpu0 = process.cpuUsage();
        const input = loadCalibrationInput(conn, policy);
        const report = calibrate(input.trades, input.regimeLookup, policy);
        writeFileAtomic(outPath, `${JSON.stringify(toCalibrationFile(report, Date.now()), null, 2)}\n`);
        const ms = performance.now() - t0;
        const cpu = process.cpuUsage(cpu0);
        if (i >= WARMUP) {
          times.push(ms);
          cpuTimes.push((cpu.user + cpu.system) / 1000);
        }
        last = { input, report };
      }
    } finally {
      conn.close();
    }
    times.sort((a, b) => a - b);
    cpuTimes.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    // Process CPU time (includes GC threads) is far less distorted than wall time on a shared machine.
    const cpuMedian = cpuTimes[Math.floor(cpuTimes.length / 2)];
    const { input, report } = last;
    log(
      `calibration bench: ${input.trades.length} closed trades, ${input.candles} candles (${input.candleSymbols} symbols), ` +
        `analyzed ${report.tradesAnalyzed}, regime ${JSON.stringify(report.regimeMethod)}, median ${median.toFixed(1)} ms ` +
        `(min ${times[0].toFixed(1)}, max ${times.at(-1).toFixed(1)}), CPU median ${cpuMedian.toFixed(1)} ms`,
    );
    return [
      {
        name: `calibration: ${input.trades.length} closed trades with candle regimes`,
        median: Number(median.toFixed(2)),
        unit: "ms",
        target: TARGET_MS,
        pass: median <= TARGET_MS,
      },
      {
        name: `calibration: ${input.trades.length} closed trades with candle regimes (process CPU time)`,
        median: Number(cpuMedian.toFixed(2)),
        unit: "ms",
        target: TARGET_MS,
        pass: cpuMedian <= TARGET_MS,
      },
    ];
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await run({ dbPath: process.argv[2], log: (m) => console.log(m) });
  console.table(results);
}

// The trading bot's stand-in for the concurrent-writer scenario: appends ticks to the same
// SQLite file (WAL) at a steady rate, one short transaction every 10 ms, and measures each
// commit. On SIGTERM it prints one `SUMMARY {json}` line (rows, errors, latency percentiles).
import Database from "better-sqlite3";

const [dbPath, rateArg, startMsArg] = process.argv.slice(2);
if (!dbPath) throw new Error("usage: tick-writer.mjs <db> [ticksPerSec] [startTsMs]");
const ratePerSec = Number(rateArg ?? 2000);
const db = new Database(dbPath, { fileMustExist: true });
db.pragma("journal_mode = WAL");
db.pragma("busy_timeout = 5000");
db.pragma("synchronous = NORMAL");
const insert = db.prepare("INSERT INTO ticks (ts_ms, symbol, price, size) VALUES (?, ?, ?, ?)");
const symbols = ["BTC-USDT", "ETH-USDT"];
const prices = [60_000, 3_000];
let ts = Number(startMsArg ?? Date.now());
let rows = 0;
const latencies = [];
const errors = [];
const tickMs = 10;
const perTx = Math.max(1, Math.round((ratePerSec * tickMs) / 1000));
const writeBatch = db.transaction((n) => {
  for (let i = 0; i < n; i++) {
    const s = (rows + i) % symbols.length;
    prices[s] *= 1 + (Math.random() - 0.5) * 1e-4;
    ts += 1000 / ratePerSec;
    insert.run(Math.floor(ts), symbols[s], prices[s], Math.random());
  }
});

const started = performance.now();
let stopped = false;
function loop() {
  if (stopped) return;
  // Catch up to the target rate so a slow commit does not lower the write rate.
  const due = Math.floor(((performance.now() - started) / 1000) * ratePerSec) - rows;
  const n = Math.min(Math.max(due, 0), perTx * 20);
  if (n > 0) {
    const t0 = performance.now();
    try {
      writeBatch.immediate(n);
      rows += n;
    } catch (err) {
      if (errors.length < 20) errors.push(`${err.code ?? ""} ${err.message}`);
    }
    latencies.push(performance.now() - t0);
  }
  setTimeout(loop, tickMs);
}
process.stdout.write("READY\n");
loop();

function pct(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
process.on("SIGTERM", () => {
  stopped = true;
  const sorted = [...latencies].sort((a, b) => a - b);
  const elapsedSec = (performance.now() - started) / 1000;
  const summary = {
    rows,
    transactions: latencies.length,
    errors,
    elapsedSec,
    ratePerSec: rows / elapsedSec,
    worstMs: sorted.at(-1) ?? null,
    p99Ms: pct(sorted, 99),
    p50Ms: pct(sorted, 50),
  };
  db.close();
  process.stdout.write(`SUMMARY ${JSON.stringify(summary)}\n`, () => process.exit(0));
});

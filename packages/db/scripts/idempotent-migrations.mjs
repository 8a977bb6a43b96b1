// drizzle-kit emits plain CREATE TABLE / CREATE INDEX. mlq runs its migrations against the
// trading bot's existing database, which already has `ticks` and `paper_trades`: make every
// create idempotent so a migration never fails on, drops or rewrites a bot-owned table.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
const dir = new URL("../drizzle/", import.meta.url);
for (const f of readdirSync(dir).filter((f) => f.endsWith(".sql"))) {
  const p = new URL(f, dir);
  const src = readFileSync(p, "utf8");
  if (/\b(DROP|ALTER)\s+TABLE\s+`?(ticks|paper_trades)`?/i.test(src)) {
    throw new Error(`${f} alters a bot-owned table; write that migration by hand`);
  }
  const out = src
    .replace(/CREATE TABLE (?!IF NOT EXISTS)/g, "CREATE TABLE IF NOT EXISTS ")
    .replace(/CREATE (UNIQUE )?INDEX (?!IF NOT EXISTS)/g, "CREATE $1INDEX IF NOT EXISTS ");
  if (out !== src) writeFileSync(p, out);
}

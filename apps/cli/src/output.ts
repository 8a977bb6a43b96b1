// Plain-text tables and JSON output shared by the commands.

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2) + "\n");
}

export function fmt(v: unknown, digits = 4): string {
  if (v === null || v === undefined) return "—";
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return v > 0 ? "∞" : v < 0 ? "-∞" : "—";
    if (Number.isInteger(v)) return String(v);
    return Math.abs(v) >= 1000 ? v.toFixed(1) : Number(v.toPrecision(digits)).toString();
  }
  if (typeof v === "boolean") return v ? "yes" : "no";
  return String(v);
}

/** Renders rows as an aligned table with a header line. */
export function table(headers: string[], rows: unknown[][]): string {
  const cells = rows.map((r) => r.map((c) => fmt(c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(headers), widths.map((w) => "─".repeat(w)).join("  "), ...cells.map(line)].join("\n");
}

export function printTable(title: string | null, headers: string[], rows: unknown[][]): void {
  if (title) process.stdout.write(`\n${title}\n`);
  process.stdout.write(table(headers, rows) + "\n");
}

export function kv(pairs: [string, unknown][]): string {
  const w = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(w)}  ${fmt(v)}`).join("\n");
}

// Number formatting for decision text: people read these lines in Bull Board and the CLI.

/**
 * Formats `x` with `decimals` places, adding places (up to 6) while it would print the same
 * as `other` but differ from it — so "0.897 ≥ 0.90 ✗" never shows as "0.90 ≥ 0.90 ✗".
 */
export function formatAgainst(x: number, other: number, decimals: number): [string, string] {
  let d = decimals;
  while (d < 6 && x !== other && x.toFixed(d) === other.toFixed(d)) d++;
  return [x.toFixed(d), other.toFixed(d)];
}

export function formatNumber(x: number | null, decimals: number): string {
  return x === null ? "n/a" : x.toFixed(decimals);
}

export function formatProfitFactor(pf: number | null, infinite: boolean): string {
  if (infinite) return "∞";
  return pf === null ? "n/a" : pf.toFixed(2);
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

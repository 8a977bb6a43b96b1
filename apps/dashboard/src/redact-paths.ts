// Hides file-system paths from what the read-only viewer sees (status page, /api/status):
// a path says where the data lives and who runs it, which only admins need. Works on any
// JSON-like value, so the status report's shape can change without touching this file.
import { resolve } from "node:path";

export const HIDDEN_PATH = "[path hidden]";

// Fields that hold a path whatever their value looks like (dbPath, path, versionDir, model_dir, outputPath…).
const PATH_KEY = /(?:path|dir)$/i;
// The rest of a path inside a message: up to whitespace, a quote, a closing bracket or punctuation.
const TAIL = String.raw`[^\s"'\`)\]},;:]`;
// An absolute POSIX or Windows path, or a home-relative one, standing alone or inside a message.
const ABSOLUTE_PATH = new RegExp(String.raw`(^|[\s"'\`(=,[{])(?:~?\/|[A-Za-z]:[\\/])${TAIL}+`, "g");

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** `data/trading.db` or `/srv/models` wherever it appears; a bare `models` only as `models/…`. */
function knownPathPattern(path: string): RegExp {
  const p = escapeRegExp(path);
  const sep = String.raw`[\\/]`;
  return /[\\/]/.test(path) ? new RegExp(`${p}(?:${sep}${TAIL}*)?`, "g") : new RegExp(String.raw`(?<![\w.-])${p}${sep}${TAIL}*`, "g");
}

/**
 * Returns a copy of `value` in which every string under a path-named key is replaced by
 * HIDDEN_PATH, and every absolute path or occurrence of one of `knownPaths` (the configured
 * database, models dir…, as given and resolved) inside other strings becomes HIDDEN_PATH.
 * A relative known path is matched only with a following `/…` or as a whole string, so a bare
 * `models` in prose stays.
 */
export function redactPaths<T>(value: T, knownPaths: readonly string[] = []): T {
  const known = [...new Set(knownPaths.filter((p) => p.length > 0).flatMap((p) => [p, resolve(p)]))].sort((a, b) => b.length - a.length);
  const knownRe = known.map(knownPathPattern);
  const redactString = (s: string): string => {
    if (known.includes(s)) return HIDDEN_PATH;
    let out = s;
    for (const re of knownRe) out = out.replace(re, HIDDEN_PATH);
    return out.replace(ABSOLUTE_PATH, (_m, lead: string) => `${lead}${HIDDEN_PATH}`);
  };
  const walk = (v: unknown, key: string | null): unknown => {
    if (typeof v === "string") return key !== null && PATH_KEY.test(key) ? HIDDEN_PATH : redactString(v);
    if (Array.isArray(v)) return v.map((x) => walk(x, null));
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  return walk(value, null) as T;
}

// Which `Host` headers the dashboard answers. Without credentials (--insecure-local) it binds
// loopback only and answers only localhost / 127.0.0.1 / [::1] on its own port, so a page on
// another site whose name was re-pointed at 127.0.0.1 (DNS rebinding) gets nothing; with
// credentials, MLQ_DASHBOARD_ALLOWED_HOSTS (when set) restricts Host as well.
import { isIPv4 } from "node:net";

export const LOOPBACK_HOST_NAMES: readonly string[] = ["localhost", "127.0.0.1", "[::1]"];

/** True for a bind address that only this machine can reach. */
export function isLoopbackAddress(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const v4 = h.startsWith("::ffff:") ? h.slice("::ffff:".length) : h;
  return isIPv4(v4) && v4.startsWith("127.");
}

export interface HostAndPort {
  /** Lower-cased; IPv6 keeps its brackets. */
  name: string;
  port: number | null;
}

/** Parses `name`, `name:port`, `[v6]` or `[v6]:port`; null when malformed. */
export function parseHost(value: string): HostAndPort | null {
  const v = value.trim().toLowerCase();
  let name: string;
  let rest: string;
  if (v.startsWith("[")) {
    const close = v.indexOf("]");
    if (close < 0) return null;
    name = v.slice(0, close + 1);
    rest = v.slice(close + 1);
  } else {
    const colon = v.indexOf(":");
    if (colon !== v.lastIndexOf(":")) return null; // an unbracketed IPv6 address
    name = colon < 0 ? v : v.slice(0, colon);
    rest = colon < 0 ? "" : v.slice(colon);
  }
  if (!/^(?:\[[0-9a-f:.]+\]|[a-z0-9_.-]+)$/.test(name)) return null;
  if (rest === "") return { name, port: null };
  if (!/^:\d{1,5}$/.test(rest)) return null;
  const port = Number(rest.slice(1));
  return port >= 1 && port <= 65_535 ? { name, port } : null;
}

export interface HostPolicy {
  /** Insecure-local: only the loopback names, on the port the request arrived on. */
  loopbackOnly: boolean;
  /** MLQ_DASHBOARD_ALLOWED_HOSTS entries; an entry without a port matches any port. */
  allowed: readonly string[];
}

/** Null when a request carrying `hostHeader` that arrived on `localPort` may be answered, else why not. */
export function hostRejection(hostHeader: string | undefined, localPort: number | undefined, policy: HostPolicy): string | null {
  if (!policy.loopbackOnly && policy.allowed.length === 0) return null;
  if (hostHeader === undefined || hostHeader === "") return "request without a Host header refused";
  const host = parseHost(hostHeader);
  if (host === null) return `malformed Host header ${JSON.stringify(hostHeader)} refused`;
  if (policy.loopbackOnly) {
    const port = host.port ?? 80;
    if (!LOOPBACK_HOST_NAMES.includes(host.name) || port !== localPort)
      return `Host ${hostHeader} refused: without credentials the dashboard answers only localhost, 127.0.0.1 or [::1] on port ${localPort ?? "?"}`;
  }
  if (policy.allowed.length > 0) {
    const ok = policy.allowed.some((entry) => {
      const e = parseHost(entry);
      return e !== null && e.name === host.name && (e.port === null || e.port === host.port);
    });
    if (!ok) return `Host ${hostHeader} refused: not in MLQ_DASHBOARD_ALLOWED_HOSTS`;
  }
  return null;
}

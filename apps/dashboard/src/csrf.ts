// CSRF defence for state-changing requests (POST/PUT/PATCH/DELETE).
//
// Choice: browsers attach an `Origin` header to every cross-origin non-GET request (and
// Chromium/Firefox to same-origin ones too), and a page cannot forge it. So a request that
// carries Origin (or, failing that, Referer) must come from this dashboard's own host.
// A request with neither comes from a non-browser client (curl, Prometheus tooling) or a
// privacy proxy; it must then carry `content-type: application/json` or `x-requested-with`,
// which a cross-site HTML form cannot send without a CORS preflight — and the dashboard
// never answers preflights with CORS headers. Basic-auth credentials cached by a browser
// are therefore never usable from another site.

export const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export interface CsrfRequest {
  method: string;
  host: string | undefined;
  origin: string | undefined;
  referer: string | undefined;
  contentType: string | undefined;
  requestedWith: string | undefined;
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return null;
  }
}

/** Null when the request may proceed, else the reason it is refused. */
export function csrfRejection(req: CsrfRequest, allowedOrigins: readonly string[] = []): string | null {
  if (!STATE_CHANGING.has(req.method.toUpperCase())) return null;
  const ownHost = req.host?.toLowerCase();
  const allowedHosts = new Set(allowedOrigins.map(hostOf).filter((h): h is string => h !== null));
  if (ownHost) allowedHosts.add(ownHost);
  const source = req.origin && req.origin !== "null" ? req.origin : req.origin === "null" ? "null" : req.referer;
  if (source !== undefined && source !== "") {
    const host = source === "null" ? null : hostOf(source);
    if (host !== null && allowedHosts.has(host)) return null;
    return `cross-origin ${req.method} refused (origin ${source} is not ${ownHost ?? "this dashboard"})`;
  }
  const json = req.contentType?.toLowerCase().split(";")[0]?.trim() === "application/json";
  if (json || req.requestedWith) return null;
  return `${req.method} without Origin/Referer must send content-type: application/json or an X-Requested-With header`;
}

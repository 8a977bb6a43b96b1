// Express routes of the model pages: /models, /models/:version, /models/:a/diff/:b and the JSON
// /api/models/:version. The database is opened read-only per request (for the role history);
// without it a card still shows its manifest. File paths in messages are for admins only.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Express, Response } from "express";
import { errorMessage, InputDataError } from "@mlq/core";
import { openDatabase, tableExists, type Connection } from "@mlq/db";
import { versionDriftSince } from "@mlq/ml";
import { diffVersionCards, listVersionRoles, listVersions, POINTERS_DIR, readVersionCard, type VersionRoleView } from "@mlq/registry";
import { roleOf } from "./auth.js";
import { html } from "./html.js";
import { renderModelsPage, renderVersionCardPage, renderVersionDiffPage } from "./model-pages.js";
import { redactPaths } from "./redact-paths.js";
import { layout, type PageContext } from "./status-page.js";

/** Version directories that hold a manifest: the versions that have a card. */
export function versionsWithCards(modelsDir: string): Set<string> {
  try {
    return new Set(
      readdirSync(modelsDir, { withFileTypes: true })
        .filter(
          (e) =>
            e.isDirectory() && !e.name.startsWith(".") && e.name !== POINTERS_DIR && existsSync(join(modelsDir, e.name, "manifest.json")),
        )
        .map((e) => e.name),
    );
  } catch {
    return new Set();
  }
}

export interface ModelRoutesOptions {
  dbPath: string;
  modelsDir: string;
  knownPaths: readonly string[];
  pageContext: (res: Response) => PageContext;
}

export function mountModelPages(app: Express, opts: ModelRoutesOptions): void {
  const { dbPath, modelsDir } = opts;
  const withConn = <T>(fn: (conn: Connection | null) => T): T => {
    let conn: Connection | null = null;
    try {
      conn = existsSync(dbPath) ? openDatabase(dbPath, { readonly: true }) : null;
    } catch {
      conn = null; // the card still shows the manifest; the status page lists the database problem
    }
    try {
      return fn(conn);
    } finally {
      conn?.close();
    }
  };
  const forRole = <T>(res: Response, value: T): T => (roleOf(res) === "admin" ? value : redactPaths(value, opts.knownPaths));
  const fail = (res: Response, err: unknown) => {
    const status = err instanceof InputDataError ? 404 : 500;
    const message = forRole(res, errorMessage(err));
    res
      .status(status)
      .type("html")
      .send(
        layout(
          "mlq model",
          opts.pageContext(res),
          html`<main>
            <section class="wide">
              <h2>Model version</h2>
              <p class="bad" id="card-error">${message}</p>
              <p><a href="/models">All versions</a></p>
            </section>
          </main>`,
        ),
      );
  };

  app.get("/models", (_req, res) => {
    const versions = withConn((conn): VersionRoleView[] =>
      conn
        ? listVersionRoles(conn, modelsDir)
        : listVersions(modelsDir)
            .map((v) => ({ ...v, roles: [], sinceMs: null, barred: false }))
            .reverse(),
    );
    res.type("html").send(renderModelsPage(versions, opts.pageContext(res)));
  });

  // The list page's form: /models/diff?a=1&b=2 → /models/1/diff/2.
  app.get("/models/diff", (req, res) => {
    const a = String(req.query["a"] ?? "").trim();
    const b = String(req.query["b"] ?? "").trim();
    if (!a || !b) return fail(res, new InputDataError("name two versions to compare"));
    res.redirect(303, `/models/${encodeURIComponent(a)}/diff/${encodeURIComponent(b)}`);
  });

  app.get("/models/:version", (req, res) => {
    try {
      const [card, drift] = withConn(
        (conn) => [readVersionCard(conn, modelsDir, req.params.version), driftSince(conn, req.params.version)] as const,
      );
      res.type("html").send(renderVersionCardPage(forRole(res, card), opts.pageContext(res), drift));
    } catch (err) {
      fail(res, err);
    }
  });

  app.get("/models/:a/diff/:b", (req, res) => {
    try {
      const [a, b] = withConn(
        (conn) => [readVersionCard(conn, modelsDir, req.params.a), readVersionCard(conn, modelsDir, req.params.b)] as const,
      );
      res.type("html").send(renderVersionDiffPage(diffVersionCards(a, b), opts.pageContext(res)));
    } catch (err) {
      fail(res, err);
    }
  });

  app.get("/api/models/:version", (req, res) => {
    try {
      res.json(
        forRole(
          res,
          withConn((conn) => ({
            ...readVersionCard(conn, modelsDir, req.params.version),
            driftSinceTraining: driftSince(conn, req.params.version),
          })),
        ),
      );
    } catch (err) {
      res.status(err instanceof InputDataError ? 404 : 500).json({ error: forRole(res, errorMessage(err)) });
    }
  });
}

/** The card's drift since training (null without a database or before the drift tables exist). */
function driftSince(conn: Connection | null, version: string) {
  if (!conn || !tableExists(conn.sqlite, "drift_checks")) return null;
  return versionDriftSince(conn, version);
}

import type { Command } from "commander";
import { currentRoles, diffVersionCards, listVersionRoles, readRoleEvents, rejectVersion, setPinned, syncRoleFiles } from "@mlq/registry";
import { printDriftSince, printVersionCard, printVersionDiff, readCardsCli, readDriftSinceCli } from "./model-card.js";
import { cliConfig, stderrLogger, withDb } from "../context.js";
import { UsageError } from "../errors.js";
import { printJson, printTable } from "../output.js";

const EMPTY_HISTORY = "the role history is empty: roles are recorded from the promotion loop's first change\n";
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString().replace(".000Z", "Z"));

export function registerModels(program: Command): void {
  const models = program
    .command("models")
    .description("model versions and their roles: champion, challenger, candidates (the role history)");
  const opts = (c: Command) =>
    c.option("--db <path>", "SQLite database (default $MLQ_DB_PATH)").option("--json", "machine-readable output");

  opts(models.command("list").description("every version with the roles it holds")).action(async (o: { db?: string; json?: boolean }) => {
    const config = cliConfig({ MLQ_DB_PATH: o.db });
    await withDb(config.dbPath, (conn) => {
      const rows = listVersionRoles(conn, config.modelsDir);
      const state = currentRoles(conn);
      if (o.json) return printJson({ pinned: state.pinned, versions: rows });
      printTable(
        null,
        ["version", "roles", "since", "created", "barred"],
        rows.map((r) => [r.version, r.roles.join(", ") || "—", iso(r.sinceMs), r.createdAt, r.barred ? "rolled back" : ""]),
      );
      if (state.pinned)
        process.stdout.write(`\nchampion ${state.champion?.version} is pinned (mlq models unpin ${state.champion?.version})\n`);
      if (readRoleEvents(conn).length === 0) process.stdout.write(EMPTY_HISTORY);
    });
  });

  opts(
    models
      .command("history")
      .description("the role history, oldest first")
      .option("--last <n>", "only the last n events", (v) => Number(v)),
  ).action(async (o: { db?: string; json?: boolean; last?: number }) => {
    const config = cliConfig({ MLQ_DB_PATH: o.db });
    await withDb(config.dbPath, (conn) => {
      const events = readRoleEvents(conn);
      const shown = o.last && o.last > 0 ? events.slice(-o.last) : events;
      if (o.json) return printJson(shown);
      if (shown.length === 0) return void process.stdout.write(EMPTY_HISTORY);
      printTable(
        null,
        ["#", "when", "event", "version", "role", "replaced", "run", "trigger", "α_k", "reason"],
        shown.map((e) => [e.id, e.tsIso, e.event, e.version, e.role, e.previousVersion, e.runId, e.trigger, e.alpha, e.reason]),
      );
    });
  });

  opts(models.command("show <version>").description("the version's card: data, gates, settings, test metrics, importances, sha256s, roles")).action(
    async (version: string, o: { db?: string; json?: boolean }) => {
      const config = cliConfig({ MLQ_DB_PATH: o.db });
      const [card] = await readCardsCli(config, [version]);
      const drift = await readDriftSinceCli(config, version);
      if (o.json) printJson({ ...card, driftSinceTraining: drift });
      else {
        printVersionCard(card!);
        printDriftSince(drift);
      }
    },
  );

  opts(models.command("diff <a> <b>").description("two versions side by side: test metrics, importances, data windows, settings")).action(
    async (a: string, b: string, o: { db?: string; json?: boolean }) => {
      const config = cliConfig({ MLQ_DB_PATH: o.db });
      const [ca, cb] = await readCardsCli(config, [a, b]);
      const diff = diffVersionCards(ca!, cb!);
      if (o.json) printJson(diff);
      else printVersionDiff(diff);
    },
  );

  const change = (
    name: string,
    description: string,
    run: (conn: Parameters<Parameters<typeof withDb>[1]>[0], version: string, reason: string) => unknown,
  ) =>
    opts(
      models
        .command(`${name} <version>`)
        .description(description)
        .option("--reason <text>", "why (recorded in the history)", "no reason given"),
    ).action(async (version: string, o: { db?: string; json?: boolean; reason: string }) => {
      const config = cliConfig({ MLQ_DB_PATH: o.db });
      await withDb(config.dbPath, (conn) => {
        run(conn, version, o.reason);
        syncRoleFiles(conn, config.modelsDir, stderrLogger(false));
        const last = readRoleEvents(conn).at(-1);
        if (o.json) printJson(last);
        else process.stdout.write(`${last?.event} ${last?.version}: ${last?.reason}\n`);
      });
    });
  change("reject", "end the challenger's evaluation, or drop a waiting candidate", (conn, version, reason) =>
    rejectVersion(conn, { version, nowMs: Date.now(), reason }),
  );
  change("pin", "hold the champion in place: no automatic rollback, no promotion", (conn, version, reason) =>
    setPinned(conn, { version, pinned: true, nowMs: Date.now(), reason }),
  );
  opts(
    models
      .command("unpin")
      .description("release the pinned champion")
      .option("--reason <text>", "why (recorded in the history)", "no reason given"),
  ).action(async (o: { db?: string; json?: boolean; reason: string }) => {
    const config = cliConfig({ MLQ_DB_PATH: o.db });
    await withDb(config.dbPath, (conn) => {
      const champion = currentRoles(conn).champion?.version;
      if (!champion) throw new UsageError("there is no champion to unpin");
      setPinned(conn, { version: champion, pinned: false, nowMs: Date.now(), reason: o.reason });
      if (o.json) printJson(readRoleEvents(conn).at(-1));
      else process.stdout.write(`champion ${champion} is not pinned\n`);
    });
  });
}

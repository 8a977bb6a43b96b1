// One demo database per test in a temp dir, a config naming it (and the models dir and
// calibration file beside it), and an io that records what a task reports.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type Config } from "@mlq/config";
import type { Logger } from "@mlq/core";
import { openMigrated } from "@mlq/db";
import { generateDemoDatabase } from "@mlq/demo-data";
import type { TaskIo } from "./task-io.js";

export const DEMO_END_MS = Date.UTC(2025, 0, 15);

export interface TaskFixture {
  dir: string;
  config: Config;
  cleanup(): void;
}

export async function taskFixture(): Promise<TaskFixture> {
  const dir = mkdtempSync(join(tmpdir(), "mlq-tasks-"));
  const dbPath = join(dir, "trading.db");
  await generateDemoDatabase({ out: dbPath, ticks: 40_000, days: 7, trades: 120, seed: 5, endMs: DEMO_END_MS, overwrite: true });
  const config = loadConfig(
    {},
    {
      MLQ_DB_PATH: dbPath,
      MLQ_MODELS_DIR: join(dir, "models"),
      MLQ_CALIBRATION_PATH: join(dir, "calibration", "execution_calibration.json"),
      MLQ_LOGS_DIR: join(dir, "logs"),
      MLQ_XGB_ROUNDS: "5",
      MLQ_TRAIN_THREADS: "1",
    },
  );
  return { dir, config, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Rows of `sql` on the fixture's configured database (opened and closed per call). */
export function dbRows(fx: TaskFixture, sql: string): Record<string, unknown>[] {
  const conn = openMigrated(fx.config.dbPath);
  try {
    return conn.sqlite.prepare(sql).all() as Record<string, unknown>[];
  } finally {
    conn.close();
  }
}

export interface RecordingIo extends TaskIo {
  readonly lines: { level: string; msg: string }[];
  readonly stages: string[];
}

export function recordingIo(overrides: Partial<TaskIo> = {}): RecordingIo {
  const lines: { level: string; msg: string }[] = [];
  const stages: string[] = [];
  const at = (level: string) => (msg: string) => void lines.push({ level, msg });
  const logger: Logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
  return { lines, stages, logger, progress: (p) => void stages.push(p.stage), jobId: "job-7", finalAttempt: true, ...overrides };
}

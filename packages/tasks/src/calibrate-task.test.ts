import { existsSync, readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AbortedError, InputDataError } from "@mlq/core";
import { openMigrated } from "@mlq/db";
import { CalibrationFileSchema } from "@mlq/calibration";
import { runCalibrateTask } from "./calibrate-task.js";
import { dbRows, recordingIo, taskFixture, type TaskFixture } from "./fixture.test-util.js";

let fx: TaskFixture;
beforeEach(async () => {
  fx = await taskFixture();
});
afterEach(() => fx.cleanup());

const calibrationRows = () => dbRows(fx, "SELECT job_id, success, error_msg, output_path, trades_analyzed FROM calibration_runs ORDER BY id");

describe("runCalibrateTask", () => {
  it("builds the candles, then writes the configured calibration file and a run row under the job id", async () => {
    const io = recordingIo();
    const s = await runCalibrateTask(fx.config, {}, io);
    expect(s.outPath).toBe(fx.config.calibrationPath);
    const file = CalibrationFileSchema.parse(JSON.parse(readFileSync(fx.config.calibrationPath, "utf8")));
    expect(file.trades_analyzed).toBe(s.tradesAnalyzed);
    expect(s.tradesAnalyzed).toBeGreaterThan(0);
    expect(s.regimeMethod.candles).toBeGreaterThan(0); // regimes came from the candles built first
    expect(calibrationRows()).toEqual([{ job_id: "job-7", success: 1, error_msg: null, output_path: fx.config.calibrationPath, trades_analyzed: s.tradesAnalyzed }]);
    expect(io.stages[0]).toBe("candles");
  });

  it("records a failure of the candle step as a failed calibration run, and writes no file", async () => {
    const conn = openMigrated(fx.config.dbPath);
    conn.sqlite.exec("DROP TABLE ticks");
    conn.close();
    const err = await runCalibrateTask(fx.config, {}, recordingIo()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputDataError);
    expect((err as Error).message).toBe(`ticks table missing in ${fx.config.dbPath}`);
    expect(calibrationRows()).toEqual([
      { job_id: "job-7", success: 0, error_msg: `ticks table missing in ${fx.config.dbPath}`, output_path: fx.config.calibrationPath, trades_analyzed: 0 },
    ]);
    expect(existsSync(fx.config.calibrationPath)).toBe(false);
  });

  it.each([
    ["ticks", "price"],
    ["paper_trades", "opened_ts_ms"],
  ])("answers a bot %s table lacking %s with '<table>.<column> column missing in <path>' and records it", async (table, column) => {
    const conn = openMigrated(fx.config.dbPath);
    conn.sqlite.exec(`ALTER TABLE ${table} DROP COLUMN ${column}`);
    conn.close();
    const err = await runCalibrateTask(fx.config, {}, recordingIo()).catch((e: unknown) => e);
    const message = `${table}.${column} column missing in ${fx.config.dbPath}`;
    expect(err).toBeInstanceOf(InputDataError);
    expect((err as Error).message).toBe(message);
    expect(calibrationRows()).toMatchObject([{ job_id: "job-7", success: 0, error_msg: message }]);
    expect(existsSync(fx.config.calibrationPath)).toBe(false);
  });

  it("records a run aborted (timeout) while the candles are built", async () => {
    const controller = new AbortController();
    controller.abort(new AbortedError("timed out after 30min"));
    const err = await runCalibrateTask(fx.config, {}, recordingIo({ signal: controller.signal })).catch((e: unknown) => e);
    expect((err as Error).message).toBe("timed out after 30min");
    expect(calibrationRows()).toMatchObject([{ job_id: "job-7", success: 0, error_msg: "timed out after 30min" }]);
    expect(existsSync(fx.config.calibrationPath)).toBe(false);
  });
});

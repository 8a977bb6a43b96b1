// payload -> runRetrain. Training itself runs in worker threads (packages/ml), so this
// process's event loop stays free to renew the BullMQ job lock during long trainings.
import type { Config } from "@mlq/config";
import { openMigrated } from "@mlq/db";
import type { JobHandler, JobSummary } from "@mlq/jobs";
import { runRetrain } from "@mlq/ml";

export function retrainHandler(config: Config, codeVersion = "unknown"): JobHandler<"retrain"> {
  return async (payload, io) => {
    const conn = openMigrated(payload.dbPath ?? config.dbPath);
    try {
      const summary = await runRetrain(
        { conn, config, logger: io.logger, progress: io.progress, signal: io.signal, jobId: io.jobId, codeVersion },
        { trigger: payload.trigger },
      );
      io.logger.info(summary.message, { runId: summary.runId, outcome: summary.outcome });
      return summary as unknown as JobSummary;
    } finally {
      conn.close();
    }
  };
}

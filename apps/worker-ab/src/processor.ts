// payload -> runAbEvaluation, with arm models resolved and verified through the model registry.
import type { Config } from "@mlq/config";
import { openMigrated } from "@mlq/db";
import type { JobHandler, JobSummary } from "@mlq/jobs";
import { runAbEvaluation, type AbAction } from "@mlq/ab";
import { registryArmResolver } from "@mlq/registry";

export function abHandler(config: Config): JobHandler<"ab-eval"> {
  return async (payload, io) => {
    const conn = openMigrated(payload.dbPath ?? config.dbPath);
    try {
      const summary = runAbEvaluation(
        {
          conn,
          modelsDir: config.modelsDir,
          resolveArmModel: registryArmResolver(config.modelsDir),
          logger: io.logger,
          progress: io.progress,
          signal: io.signal,
          jobId: io.jobId,
        },
        { action: payload.action as AbAction, policy: { minTradesPerArm: config.ab.minTradesPerArm, minConfidence: config.ab.minConfidence } },
      );
      return summary as unknown as JobSummary;
    } finally {
      conn.close();
    }
  };
}

// The cost this run trains with (slippage_mult from the latest calibration), then the gates:
// evaluated, logged, and — unless forced — the end of the run when one fails or on a dry run.
import { writeTx } from "@mlq/db";
import { evaluateGates, gatePolicy } from "@mlq/gates";
import { currentCost } from "../scoring/current-cost.js";
import { loadGateSnapshot, writeGateLog } from "./gate-store.js";
import { recordRunFacts, recordRunGates } from "./retrain-runs-store.js";
import { needState, type RetrainStage } from "./stage.js";

export const costStage: RetrainStage = {
  name: "cost",
  progress: [20, 20],
  run(ctx) {
    const cost = currentCost(ctx.conn, ctx.config.costs);
    ctx.state.slippage = cost.slippage;
    ctx.state.costFraction = cost.roundTrip;
    recordRunFacts(ctx.conn, ctx.runId, { slippageMult: cost.slippage.mult });
    return undefined;
  },
};

export const gatesStage: RetrainStage = {
  name: "gates",
  progress: [20, 25],
  run(ctx) {
    const { conn, config, runId, nowMs, trigger } = ctx;
    const gates = evaluateGates(
      loadGateSnapshot(conn, nowMs, { maxGapMinutes: config.retrain.maxGapMinutes }),
      gatePolicy(config.gates, trigger === "smoke"),
    );
    const gatePass = gates.every((g) => g.passed);
    ctx.state.gates = gates;
    ctx.state.gatePass = gatePass;
    // The band values stay in the results (details, metrics); the run row keeps the configured ranks.
    writeTx(conn, () => {
      writeGateLog(conn, runId, gates, nowMs);
      recordRunGates(conn, runId, gates);
    });
    const failed = gates.filter((g) => !g.passed).map((g) => `${g.name} (${g.details})`);
    if (trigger === "dry-run") {
      const candles = needState(ctx, "candles", "gates").coverage.reduce((s, c) => s + c.rows, 0);
      return {
        outcome: "dry-run",
        success: true,
        message: `dry run: gates ${gatePass ? "pass" : "fail"}; would train 5 models on ${candles} candles`,
      };
    }
    if (gatePass) return undefined;
    if (trigger !== "force") {
      ctx.logger.info("retrain skipped: gates not passed", { runId, failed });
      return { outcome: "gates-failed", success: false, message: `gates not passed: ${failed.join("; ")}` };
    }
    ctx.logger.warn("gates not passed; training anyway (forced)", { runId, failed });
    return undefined;
  },
};

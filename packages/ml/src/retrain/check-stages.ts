// Checks before any work: the bot's tables have the columns the readers need, and the models
// directory can take a new version (so a long training never ends in an unwritable directory).
import { requireColumns } from "@mlq/db";
import { requireTickColumns } from "@mlq/market-data";
import { checkModelsDirWritable } from "@mlq/registry";
import { GATE_TRADE_COLUMNS } from "./gate-store.js";
import type { RetrainStage } from "./stage.js";

/** `ticks.price column missing in <path>` (InputDataError) before the candles are touched. */
export const checkInputStage: RetrainStage = {
  name: "check-input",
  progress: [0, 0],
  run(ctx) {
    requireTickColumns(ctx.conn);
    requireColumns(ctx.conn, "paper_trades", GATE_TRADE_COLUMNS);
    return undefined;
  },
};

export const checkModelsDirStage: RetrainStage = {
  name: "check-models-dir",
  progress: [0, 0],
  skip: (ctx) => ctx.trigger === "dry-run",
  run(ctx) {
    checkModelsDirWritable(ctx.modelsDir);
    return undefined;
  },
};

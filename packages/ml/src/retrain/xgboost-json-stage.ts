// Each trained booster in XGBoost's JSON model format, for bots that load it with any XGBoost.
// Converted here, a slice of trees between turns of the event loop (a set of 5 × 400 trees is
// several hundred ms of work), so the save stage only writes the text and the job lock keeps renewing.
import { MlqError, ModelIntegrityError, errorMessage, InputDataError } from "@mlq/core";
import { isLegacyXgboostBinary, xgboostJsonFromLegacy } from "@mlq/registry";
import type { TrainedModel } from "../train/index.js";
import { needState, type RetrainStage } from "./stage.js";

/** A trained model with its JSON text, which `saveModelSet` writes beside the binary. */
export type TrainedModelWithJson = TrainedModel & { xgboostJson?: string };

export const xgboostJsonStage: RetrainStage = {
  name: "xgboost-json",
  progress: [90, 92],
  async run(ctx) {
    const trained = needState(ctx, "trained", "xgboost-json");
    const { featureNames } = needState(ctx, "dataset", "xgboost-json");
    const models: TrainedModelWithJson[] = [];
    for (const model of trained.models) {
      if (!isLegacyXgboostBinary(model.bytes)) {
        models.push(model);
        continue;
      }
      try {
        models.push({ ...model, xgboostJson: await xgboostJsonFromLegacy(model.bytes, { featureNames, signal: ctx.signal }) });
      } catch (err) {
        if (err instanceof MlqError && err.code === "ABORTED") throw err;
        const Err = err instanceof InputDataError ? InputDataError : ModelIntegrityError;
        throw new Err(`model ${model.name} cannot be converted to XGBoost JSON: ${errorMessage(err)}`, { cause: err });
      }
      ctx.progress((models.length / trained.models.length) * 100, `model ${models.length}/${trained.models.length} (${model.name})`);
    }
    ctx.state.trained = { ...trained, models };
    return undefined;
  },
};

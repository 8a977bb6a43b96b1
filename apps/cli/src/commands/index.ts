import type { Command } from "commander";
import { registerAb } from "./ab.js";
import { registerCalibrate } from "./calibrate.js";
import { registerDemoData } from "./demo-data.js";
import { registerMarketData } from "./market-data.js";
import { registerMigrate } from "./migrate.js";
import { registerRetrain } from "./retrain.js";
import { registerOps } from "./ops.js";
import { registerServe, registerUp } from "./up.js";
import { registerDemo } from "./demo.js";
import { registerSmoke } from "./smoke.js";
import { registerModels } from "./models.js";
import { registerMonitor } from "./monitor.js";

export function registerCommands(program: Command): void {
  registerDemoData(program);
  registerMigrate(program);
  registerMarketData(program);
  registerRetrain(program);
  registerAb(program);
  registerCalibrate(program);
  registerMonitor(program);
  registerOps(program);
  registerUp(program);
  registerServe(program);
  registerDemo(program);
  registerSmoke(program);
  registerModels(program);
}

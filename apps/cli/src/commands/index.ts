import type { Command } from "commander";
import { registerDemoData } from "./demo-data.js";
import { registerMigrate } from "./migrate.js";

export function registerCommands(program: Command): void {
  registerDemoData(program);
  registerMigrate(program);
}

import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Single row (id = 1): which arm the bot trades live, and since when. */
export const abActiveModel = sqliteTable("ab_active_model", {
  id: integer("id").primaryKey(),
  activeArm: text("active_arm").notNull(),
  swappedAt: text("swapped_at"),
  swapRunId: integer("swap_run_id"),
  versionDir: text("version_dir"),
  manifestSha256: text("manifest_sha256"),
  previousArm: text("previous_arm"),
  previousVersionDir: text("previous_version_dir"),
  previousManifestSha256: text("previous_manifest_sha256"),
});

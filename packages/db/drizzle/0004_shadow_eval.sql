CREATE TABLE IF NOT EXISTS `shadow_eval_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`ts_ms` integer NOT NULL,
	`ts_iso` text NOT NULL,
	`ab_run_id` integer,
	`job_id` text,
	`version_a` text NOT NULL,
	`version_b` text NOT NULL,
	`status` text NOT NULL,
	`reason` text,
	`window_start_ms` integer,
	`window_end_ms` integer,
	`bars` integer,
	`symbols` text,
	`sharpe_a` real,
	`sharpe_b` real,
	`difference` real,
	`correlation` real,
	`jkm_z` real,
	`hac_z` real,
	`p_better` real,
	`p_worse` real,
	`trades_a` integer,
	`trades_b` integer,
	`cost_per_side` real,
	`details` text
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS `shadow_eval_runs_ts_idx` ON `shadow_eval_runs` (`ts_ms`);--> statement-breakpoint
CREATE INDEX IF NOT EXISTS `shadow_eval_runs_versions_idx` ON `shadow_eval_runs` (`version_a`,`version_b`);--> statement-breakpoint
ALTER TABLE `ab_test_runs` ADD `evidence` text;
CREATE TABLE IF NOT EXISTS `ticks` (
	`ts_ms` integer NOT NULL,
	`symbol` text NOT NULL,
	`price` real NOT NULL,
	`size` real
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS `paper_trades` (
	`id` integer PRIMARY KEY NOT NULL,
	`symbol` text NOT NULL,
	`side` text NOT NULL,
	`strategy` text,
	`status` text NOT NULL,
	`opened_ts_ms` integer NOT NULL,
	`closed_ts_ms` integer,
	`entry_price` real,
	`exit_price` real,
	`signal_entry_price` real,
	`signal_exit_price` real,
	`qty` real,
	`fees` real,
	`pnl` real,
	`pnl_pct` real,
	`model_arm` text
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS `phase2_retrain_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`ts_ms` integer NOT NULL,
	`ts_iso` text NOT NULL,
	`job_id` text,
	`trigger_reason` text NOT NULL,
	`gate_pass` integer,
	`gate_details` text,
	`paper_days` real,
	`closed_trades` integer,
	`vol_percentile_lo` real,
	`vol_percentile_hi` real,
	`slippage_mult` real,
	`training_rows` integer,
	`models_trained` integer,
	`model_dir` text,
	`metrics` text,
	`success` integer DEFAULT 0 NOT NULL,
	`error_msg` text,
	`duration_sec` real,
	`embargo_hours` real,
	`status` text DEFAULT 'running' NOT NULL
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS `phase2_retrain_runs_ts_idx` ON `phase2_retrain_runs` (`ts_ms`);--> statement-breakpoint
CREATE TABLE IF NOT EXISTS `phase2_gate_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` integer,
	`ts_ms` integer NOT NULL,
	`ts_iso` text NOT NULL,
	`gate_name` text NOT NULL,
	`passed` integer NOT NULL,
	`value` real,
	`threshold` real,
	`details` text,
	FOREIGN KEY (`run_id`) REFERENCES `phase2_retrain_runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS `phase2_gate_log_run_idx` ON `phase2_gate_log` (`run_id`);--> statement-breakpoint
CREATE TABLE IF NOT EXISTS `ab_test_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`ts_ms` integer NOT NULL,
	`ts_iso` text NOT NULL,
	`job_id` text,
	`arm_a_label` text NOT NULL,
	`arm_b_label` text NOT NULL,
	`split_method` text,
	`arm_a_trades` integer,
	`arm_b_trades` integer,
	`arm_a_sharpe` real,
	`arm_b_sharpe` real,
	`arm_a_expectancy` real,
	`arm_b_expectancy` real,
	`arm_a_win_rate` real,
	`arm_b_win_rate` real,
	`arm_a_pf` real,
	`arm_b_pf` real,
	`p_b_better` real,
	`swap_recommended` integer DEFAULT 0 NOT NULL,
	`swap_executed` integer DEFAULT 0 NOT NULL,
	`decision_reason` text,
	`dry_run` integer DEFAULT 0 NOT NULL,
	`action` text DEFAULT 'evaluate' NOT NULL,
	`details` text
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS `ab_test_runs_ts_idx` ON `ab_test_runs` (`ts_ms`);--> statement-breakpoint
CREATE TABLE IF NOT EXISTS `ab_active_model` (
	`id` integer PRIMARY KEY NOT NULL,
	`active_arm` text NOT NULL,
	`swapped_at` text,
	`swap_run_id` integer,
	`version_dir` text,
	`manifest_sha256` text,
	`previous_arm` text,
	`previous_version_dir` text,
	`previous_manifest_sha256` text
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS `calibration_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`ts_ms` integer NOT NULL,
	`ts_iso` text NOT NULL,
	`job_id` text,
	`trades_analyzed` integer DEFAULT 0 NOT NULL,
	`ema_slippage_per_side_pct` real,
	`position_size_multiplier` real,
	`output_path` text,
	`payload` text,
	`success` integer DEFAULT 1 NOT NULL,
	`error_msg` text
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS `calibration_runs_ts_idx` ON `calibration_runs` (`ts_ms`);--> statement-breakpoint
CREATE TABLE IF NOT EXISTS `candles_1m_watermark` (
	`symbol` text PRIMARY KEY NOT NULL,
	`last_rowid` integer NOT NULL,
	`open_bucket_ts_ms` integer,
	`updated_ts_ms` integer NOT NULL,
	`skipped_ticks` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS `candles_1m` (
	`symbol` text NOT NULL,
	`bucket_ts_ms` integer NOT NULL,
	`open` real NOT NULL,
	`high` real NOT NULL,
	`low` real NOT NULL,
	`close` real NOT NULL,
	`ticks` integer NOT NULL,
	`volume` real NOT NULL,
	PRIMARY KEY(`symbol`, `bucket_ts_ms`)
);

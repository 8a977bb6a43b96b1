CREATE TABLE IF NOT EXISTS `drift_checks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`ts_ms` integer NOT NULL,
	`ts_iso` text NOT NULL,
	`job_id` text,
	`champion` text,
	`challenger` text,
	`window_from_ms` integer,
	`window_to_ms` integer,
	`status` text NOT NULL,
	`triggered` integer DEFAULT 0 NOT NULL,
	`action` text NOT NULL,
	`retrain_job_id` text,
	`reason` text NOT NULL,
	`details` text
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS `drift_checks_ts_idx` ON `drift_checks` (`ts_ms`);--> statement-breakpoint
CREATE INDEX IF NOT EXISTS `drift_checks_action_ts_idx` ON `drift_checks` (`action`,`ts_ms`);--> statement-breakpoint
CREATE TABLE IF NOT EXISTS `feature_drift` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`check_id` integer NOT NULL,
	`ts_ms` integer NOT NULL,
	`version` text NOT NULL,
	`role` text NOT NULL,
	`symbol` text NOT NULL,
	`feature` text NOT NULL,
	`psi` real NOT NULL,
	`threshold` real,
	`over` integer DEFAULT 0 NOT NULL,
	`window_from_ms` integer NOT NULL,
	`window_to_ms` integer NOT NULL,
	`window_hours` real NOT NULL,
	`bars` integer NOT NULL,
	FOREIGN KEY (`check_id`) REFERENCES `drift_checks`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS `feature_drift_check_idx` ON `feature_drift` (`check_id`);--> statement-breakpoint
CREATE INDEX IF NOT EXISTS `feature_drift_version_ts_idx` ON `feature_drift` (`version`,`ts_ms`);
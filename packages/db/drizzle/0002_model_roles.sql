CREATE TABLE IF NOT EXISTS `model_role_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`ts_ms` integer NOT NULL,
	`ts_iso` text NOT NULL,
	`event` text NOT NULL,
	`version` text NOT NULL,
	`role` text NOT NULL,
	`previous_version` text,
	`run_id` integer,
	`trigger` text,
	`reason` text,
	`alpha` real,
	`details` text
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS `model_role_events_version_idx` ON `model_role_events` (`version`);
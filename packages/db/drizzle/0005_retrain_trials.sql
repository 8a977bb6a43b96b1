CREATE TABLE IF NOT EXISTS `retrain_trials` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`run_id` integer NOT NULL,
	`model` text NOT NULL,
	`candidate` integer NOT NULL,
	`params` text NOT NULL,
	`scores` text NOT NULL,
	`score` real,
	`selected` integer DEFAULT 0 NOT NULL,
	`host` text NOT NULL,
	`seconds` real NOT NULL,
	`ts_ms` integer NOT NULL,
	FOREIGN KEY (`run_id`) REFERENCES `phase2_retrain_runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS `retrain_trials_run_idx` ON `retrain_trials` (`run_id`,`model`);
ALTER TABLE `ab_test_runs` ADD `success` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `ab_test_runs` ADD `error_msg` text;
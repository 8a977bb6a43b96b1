ALTER TABLE `ab_test_runs` ADD `arm_a_version` text;--> statement-breakpoint
ALTER TABLE `ab_test_runs` ADD `arm_b_version` text;--> statement-breakpoint
ALTER TABLE `ab_test_runs` ADD `evaluation_start_ms` integer;--> statement-breakpoint
ALTER TABLE `ab_test_runs` ADD `look_index` integer;--> statement-breakpoint
ALTER TABLE `ab_test_runs` ADD `info_fraction` real;--> statement-breakpoint
ALTER TABLE `ab_test_runs` ADD `n_max_per_arm` integer;--> statement-breakpoint
ALTER TABLE `ab_test_runs` ADD `alpha_k` real;--> statement-breakpoint
ALTER TABLE `ab_test_runs` ADD `boundary_z` real;--> statement-breakpoint
ALTER TABLE `ab_test_runs` ADD `z_stat` real;--> statement-breakpoint
ALTER TABLE `ab_test_runs` ADD `conditions` text;--> statement-breakpoint
ALTER TABLE `ab_test_runs` ADD `outcome` text;
CREATE TABLE `audit_log` (
	`id` text PRIMARY KEY NOT NULL,
	`product_id` text NOT NULL,
	`at` integer NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`target` text NOT NULL,
	`detail` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_by_time` ON `audit_log` (`product_id`,`at`);--> statement-breakpoint
CREATE TABLE `job_snapshots` (
	`id` text PRIMARY KEY NOT NULL,
	`product_id` text NOT NULL,
	`job_id` text NOT NULL,
	`rev` integer NOT NULL,
	`stage` text NOT NULL,
	`title` text NOT NULL,
	`priority` text NOT NULL,
	`attempt` integer NOT NULL,
	`lease_epoch` integer NOT NULL,
	`holder_factory_id` text,
	`at` integer NOT NULL,
	`doc` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `snapshots_by_job` ON `job_snapshots` (`product_id`,`job_id`,`rev`);--> statement-breakpoint
CREATE INDEX `snapshots_by_time` ON `job_snapshots` (`product_id`,`at`);--> statement-breakpoint
CREATE TABLE `runs` (
	`id` text PRIMARY KEY NOT NULL,
	`product_id` text NOT NULL,
	`job_id` text NOT NULL,
	`attempt` integer NOT NULL,
	`factory_id` text NOT NULL,
	`lease_epoch` integer NOT NULL,
	`engine` text,
	`started_at` integer NOT NULL,
	`ended_at` integer,
	`outcome` text,
	`rc` integer,
	`message` text,
	`tokens_in` integer,
	`tokens_out` integer,
	`cost_usd` real
);
--> statement-breakpoint
CREATE INDEX `runs_by_job` ON `runs` (`product_id`,`job_id`,`attempt`);--> statement-breakpoint
CREATE INDEX `runs_by_time` ON `runs` (`product_id`,`started_at`);
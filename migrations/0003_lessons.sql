CREATE TABLE `lessons` (
	`id` text PRIMARY KEY NOT NULL,
	`product_id` text NOT NULL,
	`source` text NOT NULL,
	`trigger` text,
	`subject` text,
	`text` text NOT NULL,
	`capabilities` text NOT NULL,
	`engine` text,
	`serial_key` text,
	`count` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`archived` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `lessons_by_time` ON `lessons` (`product_id`,`updated_at`,`id`);
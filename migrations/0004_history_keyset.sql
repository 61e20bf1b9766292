-- `GET …/history` pages by a key (time, then a tie-break unique per product), not by an inclusive `since` alone:
-- each time index gains the tie-break, so the page order and the seek past a cursor are served by the index.
DROP INDEX `audit_by_time`;--> statement-breakpoint
CREATE INDEX `audit_by_time_id` ON `audit_log` (`product_id`,`at`,`id`);--> statement-breakpoint
DROP INDEX `snapshots_by_time`;--> statement-breakpoint
CREATE INDEX `snapshots_by_time_job_rev` ON `job_snapshots` (`product_id`,`at`,`job_id`,`rev`);--> statement-breakpoint
DROP INDEX `runs_by_time`;--> statement-breakpoint
CREATE INDEX `runs_by_time_id` ON `runs` (`product_id`,`started_at`,`id`);
-- `GET …/history` followed a cursor keyed on event time, but rows reach D1 out of that order (a retried message lands
-- after later ones, a dead letter is delivered again, a run row changes in place when the run ends): a follower that
-- had passed a row's time never saw it. Each row now records the D1 batch that wrote it or last changed it
-- (`ingest_seq`, from the one counter `history_seq`, raised per batch by history/write), and a follower pages by that.
-- Rows held before this migration keep 0: a browse begun after it reads them, and its follower starts past them.
CREATE TABLE `history_seq` (
	`id` integer PRIMARY KEY NOT NULL,
	`value` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `audit_log` ADD `ingest_seq` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `audit_by_ingest` ON `audit_log` (`product_id`,`ingest_seq`,`at`,`seq`,`part`);--> statement-breakpoint
ALTER TABLE `job_snapshots` ADD `ingest_seq` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `snapshots_by_ingest` ON `job_snapshots` (`product_id`,`ingest_seq`,`at`,`job_id`,`rev`);--> statement-breakpoint
ALTER TABLE `runs` ADD `ingest_seq` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `runs_by_ingest` ON `runs` (`product_id`,`ingest_seq`,`started_at`,`id`);
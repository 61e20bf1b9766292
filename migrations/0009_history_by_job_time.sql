-- `GET …/history?jobId=` (snapshots, runs) walked the product's time index and tested each row for the job: every
-- request read the whole product's history since `since` to return one job's few rows. Each now seeks an index led by
-- (product, job) in the browse's order.
CREATE INDEX `snapshots_by_job_time` ON `job_snapshots` (`product_id`,`job_id`,`at`,`rev`);--> statement-breakpoint
CREATE INDEX `runs_by_job_time_id` ON `runs` (`product_id`,`job_id`,`started_at`,`id`);
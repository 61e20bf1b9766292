-- Runs are keyed by lease epoch, not attempt: a refunded attempt number repeats, and the next run
-- overwrote the earlier run's row (its cost lost). Existing ids are rewritten to the new key.
UPDATE `runs` SET `id` = `product_id` || ':' || `job_id` || ':e' || `lease_epoch`;--> statement-breakpoint
DROP INDEX `runs_by_job`;--> statement-breakpoint
CREATE INDEX `runs_by_job_epoch` ON `runs` (`product_id`,`job_id`,`lease_epoch`);

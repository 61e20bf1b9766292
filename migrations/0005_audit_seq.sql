-- Audit entries of one millisecond were ordered by their id's TEXT (`<product>:<seq>[.<part>]`): seq 10 sorted
-- before seq 9. The key is now numeric — (at, seq, part) — and the rows already held get seq and part from their id.
-- A second index serves the same order for one target (`…/history?kind=audit&jobId=`), which scanned the log.
DROP INDEX `audit_by_time_id`;--> statement-breakpoint
ALTER TABLE `audit_log` ADD `seq` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `audit_log` ADD `part` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE `audit_log` SET
  `seq` = CAST(CASE WHEN instr(substr(`id`, length(`product_id`) + 2), '.') > 0
    THEN substr(substr(`id`, length(`product_id`) + 2), 1, instr(substr(`id`, length(`product_id`) + 2), '.') - 1)
    ELSE substr(`id`, length(`product_id`) + 2) END AS INTEGER),
  `part` = CASE WHEN instr(substr(`id`, length(`product_id`) + 2), '.') > 0
    THEN CAST(substr(substr(`id`, length(`product_id`) + 2), instr(substr(`id`, length(`product_id`) + 2), '.') + 1) AS INTEGER)
    ELSE 0 END
  WHERE `seq` = 0 AND `part` = 0;--> statement-breakpoint
CREATE INDEX `audit_by_time_seq` ON `audit_log` (`product_id`,`at`,`seq`,`part`);--> statement-breakpoint
CREATE INDEX `audit_by_target_time_seq` ON `audit_log` (`product_id`,`target`,`at`,`seq`,`part`);

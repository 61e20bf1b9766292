-- A lesson's records were ordered by `updated_at` alone, but two writes of one millisecond share it (an edit never
-- lowers it, an automatic repeat takes the same instant): a late redelivery of the older one overwrote the newer. Each
-- row now keeps the outbox seq and part of the record that wrote it, the write order within a millisecond.
-- Rows held before this migration keep 0: any later record of their millisecond is newer.
ALTER TABLE `lessons` ADD `seq` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `lessons` ADD `part` integer DEFAULT 0 NOT NULL;
-- GET …/dead-letters pages by keyset on (at, id), newest first: one poison message makes many dead letters in one
-- millisecond, and the id is what orders them. The index now holds the id too, so a page is a seek and a walk.
DROP INDEX `dead_letters_by_time`;--> statement-breakpoint
CREATE INDEX `dead_letters_by_time` ON `dead_letters` (`product_id`,`at`,`id`);

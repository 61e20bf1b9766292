-- An operator's rewording of an automatic lesson (`editedBy`: its repeats keep the operator's words) lived only in
-- the coordinator's mirror, which keeps 500 lessons: one it pruned and an operator then archived or restored came
-- back unmarked from D1, and its next repeat rewrote the operator's words; nor could anyone see which automatic
-- lessons operators had taken over. D1 now keeps the marker. Rows held before this migration, and records written
-- without the marker, hold NULL: never reworded as far as D1 knows.
ALTER TABLE `lessons` ADD `edited_by` text;
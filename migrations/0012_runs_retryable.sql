-- A run's result's `retryable` (1 true, 0 false): what tells a `budget_exceeded` run the product's budget stopped and
-- requeued (not counted) from one that overran its job's own budget (the engine's failure, core/run-counts
-- `countsAs`) — D1's run rows kept the outcome alone, so the history could not tell the two apart. Rows held before
-- this migration, and runs whose result said nothing, hold NULL.
ALTER TABLE `runs` ADD `retryable` integer;

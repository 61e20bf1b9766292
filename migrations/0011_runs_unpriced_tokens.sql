-- A run's unpriced tokens (of its tokens, those no USD came for: all of a Codex run's, a Claude run's until its
-- `result`) lived only in the coordinator (`run_unpriced`, a run's `spend.unpricedTokens`): D1's run rows read as
-- fully priced, and a run of $0.00 with a million tokens looked free in `GET …/history?kind=runs`. Rows held before
-- this migration, and runs with none, hold NULL.
ALTER TABLE `runs` ADD `unpriced_tokens` integer;

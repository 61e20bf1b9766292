-- A run's estimate at settings `prices` (USD charged on top of its reported USD for tokens its engine gave no USD for:
-- policies/estimate-spend, the run's `spend.estimatedUsd`) lived only in the coordinator (`run_estimate`): a Codex run
-- charged $1.80 read "— (500,000 unpriced)" in `GET …/history?kind=runs` while `job` and `budget` said $1.80
-- estimated. Rows held before this migration, and runs with no estimate, hold NULL.
ALTER TABLE `runs` ADD `estimated_usd` real;

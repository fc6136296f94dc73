-- -mode stream: how far a change feed is behind its source, updated with the run's counters while it runs.
ALTER TABLE goshift_run
  ADD COLUMN IF NOT EXISTS lag_ms bigint NULL COMMENT 'stream runs: ms from the newest source change seen until it was written; NULL for copies';

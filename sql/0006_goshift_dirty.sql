-- Dirty records: records a target refused for their data (too long, NULL into NOT NULL, a duplicate
-- under write_mode insert, an oversized DynamoDB item, ...) and that a run skipped under params.error_limit.
-- Listed by `goshift dirty -e <env> -id <n>`; goshift_run counts them in rows_dirty.
CREATE TABLE IF NOT EXISTS goshift_dirty (
  id bigint NOT NULL AUTO_INCREMENT,
  run_id bigint NOT NULL,
  task_id int NOT NULL,
  shard_id varchar(191) NOT NULL,
  record_key mediumtext NULL COMMENT 'JSON: the pk.src value(s) or the entry key; NULL when the task names no key',
  record longtext NOT NULL COMMENT 'JSON: bytes as text or {"b64": ...}, big integers as exact text',
  reason text NOT NULL COMMENT 'the target''s own words',
  digest char(40) NOT NULL COMMENT 'sha1 of shard, key and record: a record met again by a retried shard is stored once',
  created_at datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY uk_run_digest (run_id, digest),
  KEY idx_task_run (task_id, run_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

ALTER TABLE goshift_run
  ADD COLUMN IF NOT EXISTS rows_dirty bigint NOT NULL DEFAULT 0 COMMENT 'records the target refused and the run skipped (also in rows_failed)';

-- Contract v2: a run holds a lease (a heartbeat renewed while it lives) and counts rows a resume skipped;
-- each shard's latest durable position lives in goshift_shard_position until the task's copy succeeds.
ALTER TABLE goshift_run
  ADD COLUMN IF NOT EXISTS heartbeat_at datetime(3) NULL COMMENT 'renewed every few seconds while the run lives',
  ADD COLUMN IF NOT EXISTS rows_skipped bigint NOT NULL DEFAULT 0 COMMENT 'rows an earlier run already copied (resume)';

CREATE TABLE IF NOT EXISTS goshift_shard_position (
  task_id int NOT NULL,
  fingerprint char(40) NOT NULL COMMENT 'sha1 of the shard spec',
  identity char(40) NOT NULL COMMENT 'sha1 of what was copied: source, target, mode, filters, mapping',
  run_id bigint NOT NULL COMMENT 'run that saved it',
  shard_id varchar(191) NOT NULL,
  label varchar(1000) NOT NULL DEFAULT '',
  status varchar(20) NOT NULL COMMENT 'partial or done',
  position mediumtext NULL COMMENT 'JSON: read continues strictly after it; NULL = from the start',
  rows_read bigint NOT NULL DEFAULT 0,
  rows_written bigint NOT NULL DEFAULT 0,
  bytes bigint NOT NULL DEFAULT 0,
  updated_at datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (task_id, fingerprint)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

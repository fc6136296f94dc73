-- Per-shard completion, written as shards finish (resume skips shards already done).
CREATE TABLE IF NOT EXISTS goshift_shard_checkpoint (
  run_id bigint NOT NULL,
  task_id int NOT NULL,
  shard_id varchar(191) NOT NULL,
  label varchar(1000) NOT NULL DEFAULT '',
  status varchar(20) NOT NULL COMMENT 'done, failed',
  rows_read bigint NOT NULL DEFAULT 0,
  rows_written bigint NOT NULL DEFAULT 0,
  finished_at datetime(3) NOT NULL,
  PRIMARY KEY (run_id, shard_id),
  KEY idx_task (task_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

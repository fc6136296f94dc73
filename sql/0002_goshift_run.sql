-- Run history: one row per run of a task, bad input included.
CREATE TABLE IF NOT EXISTS goshift_run (
  id bigint NOT NULL AUTO_INCREMENT,
  task_id int NOT NULL,
  mode varchar(20) NOT NULL DEFAULT 'init',
  cmd varchar(20) NOT NULL DEFAULT 'run',
  status varchar(20) NOT NULL COMMENT 'running, success, failed, cancelled',
  started_at datetime(3) NOT NULL,
  ended_at datetime(3) NULL,
  shards_total int NOT NULL DEFAULT 0,
  shards_done int NOT NULL DEFAULT 0,
  rows_read bigint NOT NULL DEFAULT 0,
  rows_written bigint NOT NULL DEFAULT 0,
  rows_failed bigint NOT NULL DEFAULT 0,
  bytes bigint NOT NULL DEFAULT 0,
  error_text text NULL,
  host varchar(255) NOT NULL DEFAULT '',
  pid int NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  KEY idx_task (task_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

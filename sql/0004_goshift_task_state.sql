-- Per-task state that outlives a run: incremental watermarks, stream positions.
CREATE TABLE IF NOT EXISTS goshift_task_state (
  task_id int NOT NULL,
  state_key varchar(191) NOT NULL,
  state_value text NOT NULL,
  updated_at datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (task_id, state_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

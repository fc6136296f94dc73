-- goshift's task table: one row per sync job. Columns as goshift defines them.
CREATE TABLE IF NOT EXISTS task_def_sync_manager (
  id int(11) NOT NULL AUTO_INCREMENT,
  from_app varchar(50) NOT NULL DEFAULT '' COMMENT 'source business system',
  to_app varchar(50) NOT NULL DEFAULT '' COMMENT 'target business system',
  from_db_type varchar(50) NOT NULL DEFAULT '' COMMENT 'source store type: mysql, redis, s3, dynamodb',
  to_db_type varchar(20) NOT NULL DEFAULT '' COMMENT 'target store type',
  from_db varchar(20) NOT NULL DEFAULT '' COMMENT 'source database',
  to_db varchar(20) NOT NULL DEFAULT '' COMMENT 'target database',
  from_table varchar(255) NOT NULL DEFAULT '' COMMENT 'source table, key pattern or prefix',
  to_table varchar(255) NOT NULL DEFAULT '' COMMENT 'target table, key pattern or prefix',
  params text COMMENT 'JSON rules',
  online_status int(11) NOT NULL DEFAULT 1 COMMENT '1 online, 0 offline',
  task_desc text COMMENT 'description',
  task_status varchar(100) NOT NULL DEFAULT '1' COMMENT '1 submitted, 2 running, 3 cancelled, 4 success, 5 failed',
  owner varchar(100) NOT NULL DEFAULT '' COMMENT 'owner',
  create_time datetime NOT NULL DEFAULT CURRENT_TIMESTAMP COMMENT 'created',
  update_time datetime NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP COMMENT 'last change',
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8 COMMENT='goshift sync tasks';

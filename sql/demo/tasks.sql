-- Demo task rows (run against the metadata schema). Safe to run again.
SET NAMES utf8mb4;
INSERT INTO task_def_sync_manager
  (id, from_app, to_app, from_db_type, to_db_type, from_db, to_db, from_table, to_table, params, online_status, task_desc, task_status, owner, create_time, update_time)
VALUES
  (5, 'local_dw', 'local_dw', 'mysql', 'mysql', 'blog', 'blog', 'qcc_change_history', 'qcc_change_history2',
   '{"pk":{"src":"id","dest":"id"},"diff_column":{"src":"update_time","dest":"update_time"},"worker_num":20,"read_batch":5000,"write_batch":500}',
   1, 'incremental import of qcc_change_history (goshift example)', '1', 'demo', NOW(), NOW()),
  (6, 'local_dw', 'local_dw', 'mysql', 'mysql', 'blog', 'blog', 'qcc_change_history', 'qcc_change_history2',
   '{"pk":{"src":"id","dest":"id"},"where":"status = ''published''","write_mode":"replace","worker_num":4}',
   0, 'offline example: published changes only, REPLACE mode (run with --force)', '1', 'demo', NOW(), NOW()),
  (7, 'local_dw', 'local_cache', 'mysql', 'redis', 'blog', 'demo', 'qcc_change_history', '',
   '{"pk":{"src":"id","dest":"id"},"columns":["id","company_id","title","status","update_time"],"key_template":"change:{id}","value_format":"hash","ttl_seconds":86400,"worker_num":8,"read_batch":5000,"write_batch":1000}',
   1, 'mysql -> redis: one hash per change row, key change:{id}, TTL one day (redis db of to.redis.local_cache_demo: make demo REDIS_DB=n, default 1)', '1', 'demo', NOW(), NOW()),
  (8, 'local_cache', 'local', 'redis', 's3', 'demo', 'archive', 'change:1000*', 'changes/',
   '{"worker_num":4}',
   1, 'redis -> s3: persist the change:1000* hashes of task 7 as objects changes/<key> (portable envelope, TTL kept)', '1', 'demo', NOW(), NOW()),
  (9, 'local_dw', 'local', 'mysql', 'dynamodb', 'blog', 'app', 'qcc_change_history', 'qcc_change_history',
   '{"where":"id <= 5000","create_target":true,"worker_num":4,"read_batch":1000}',
   1, 'mysql -> dynamodb: the first 5,000 change rows as items (table created from the source key)', '1', 'demo', NOW(), NOW())
ON DUPLICATE KEY UPDATE
  from_app = VALUES(from_app), to_app = VALUES(to_app), from_db_type = VALUES(from_db_type), to_db_type = VALUES(to_db_type),
  from_db = VALUES(from_db), to_db = VALUES(to_db), from_table = VALUES(from_table), to_table = VALUES(to_table),
  params = VALUES(params), online_status = VALUES(online_status), task_desc = VALUES(task_desc);

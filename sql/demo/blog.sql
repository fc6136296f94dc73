-- Demo source and target for task 5: a change-history table with every common MySQL type.
-- Loaded by `make db`; safe to run again (recreates the demo schema).
SET NAMES utf8mb4;
SET time_zone = '+00:00';
CREATE DATABASE IF NOT EXISTS blog DEFAULT CHARACTER SET utf8mb4;
USE blog;
DROP TABLE IF EXISTS qcc_change_history;
DROP TABLE IF EXISTS qcc_change_history2;
DROP TABLE IF EXISTS demo_digits;

CREATE TABLE qcc_change_history (
  id bigint unsigned NOT NULL AUTO_INCREMENT,
  company_id bigint NOT NULL,
  change_type tinyint NOT NULL,
  title varchar(255) CHARACTER SET utf8mb4 NOT NULL,
  before_value text CHARACTER SET utf8mb4,
  after_value text CHARACTER SET utf8mb4,
  amount decimal(30,10),
  big_counter bigint unsigned,
  ratio double,
  detail json,
  fingerprint varbinary(32),
  attachment blob,
  change_date date,
  change_clock time(3),
  status enum('new','checked','published') NOT NULL DEFAULT 'new',
  create_time timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  update_time datetime(6) NOT NULL,
  PRIMARY KEY (id),
  KEY idx_update_time (update_time)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE qcc_change_history2 LIKE qcc_change_history;

CREATE TABLE demo_digits (n int NOT NULL PRIMARY KEY);
INSERT INTO demo_digits VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9);

-- 300,000 rows; ids jump by one million after row 150,000 (a gap the splitter must not shard).
INSERT INTO qcc_change_history
  (id, company_id, change_type, title, before_value, after_value, amount, big_counter, ratio, detail,
   fingerprint, attachment, change_date, change_clock, status, create_time, update_time)
SELECT
  1 + s.n + IF(s.n >= 150000, 1000000, 0),
  9007199254740993 + s.n,
  s.n % 7,
  CONCAT('变更 ', s.n, IF(s.n % 11 = 0, ' 🚀', '')),
  IF(s.n % 5 = 0, NULL, CONCAT('legal rep: 张', s.n % 97)),
  CONCAT('legal rep: 李', s.n % 89, ' \'quoted\' \\ back'),
  IF(s.n % 13 = 0, NULL, CAST(s.n AS DECIMAL(30,10)) * 1234.5678901234 / 7),
  18446744073709551615 - s.n,
  s.n / 3,
  IF(s.n % 3 = 0, NULL, CONCAT('{"n": ', s.n, ', "big": 9007199254740993, "tags": ["a", "ü"]}')),
  UNHEX(SHA2(s.n, 256)),
  IF(s.n % 17 = 0, UNHEX(CONCAT('00FF0A0D27', HEX(s.n))), NULL),
  DATE_ADD('2020-01-01', INTERVAL s.n % 2000 DAY),
  SEC_TO_TIME(s.n % 86400 + 0.125),
  ELT(1 + s.n % 3, 'new', 'checked', 'published'),
  TIMESTAMP('2024-03-31 01:30:00.250') + INTERVAL s.n SECOND,
  TIMESTAMP('2024-01-01 00:00:00.000001') + INTERVAL s.n MINUTE
FROM (
  SELECT a.n + 10 * b.n + 100 * c.n + 1000 * d.n + 10000 * e.n + 100000 * f.n AS n
  FROM demo_digits a, demo_digits b, demo_digits c, demo_digits d, demo_digits e, demo_digits f
) s
WHERE s.n < 300000;

DROP TABLE demo_digits;

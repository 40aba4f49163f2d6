-- Events written in the same transaction as the change they describe; the relay (lib/outbox.ts)
-- publishes them to Kafka in id order and deletes them once Kafka has acknowledged.
CREATE TABLE IF NOT EXISTS outbox (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  topic VARCHAR(249) NOT NULL,
  msg_key VARCHAR(255) NULL,
  payload MEDIUMTEXT NOT NULL,
  headers TEXT NOT NULL,
  created_at DATETIME(3) NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

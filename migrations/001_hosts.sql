-- The hosts demo's inventory. `ip` is stored canonical (IPv6 compressed, lower case) so it is unique.
-- `tags` holds the JSON array the API returns; host_tags indexes the same tags for ?tag= filters.
CREATE TABLE IF NOT EXISTS hosts (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  ip VARCHAR(45) NOT NULL,
  hostname VARCHAR(253) NOT NULL,
  tags TEXT NOT NULL,
  comment VARCHAR(1024) NULL,
  created_at DATETIME(3) NOT NULL,
  updated_at DATETIME(3) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY uk_hosts_ip (ip),
  KEY idx_hosts_hostname (hostname)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS host_tags (
  host_id BIGINT UNSIGNED NOT NULL,
  tag VARCHAR(64) NOT NULL,
  PRIMARY KEY (host_id, tag),
  KEY idx_host_tags_tag (tag, host_id),
  CONSTRAINT fk_host_tags_host FOREIGN KEY (host_id) REFERENCES hosts (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

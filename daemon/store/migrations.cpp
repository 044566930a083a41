#include "daemon/store/migrations.h"

namespace journeyd {

const std::vector<Migration>& schemaMigrations() {
  static const std::vector<Migration> migrations = {
      {1, R"sql(
        -- One profile per person (OneID). Times are epoch milliseconds (UTC).
        CREATE TABLE customers (
          id INTEGER PRIMARY KEY,
          traits TEXT NOT NULL DEFAULT '{}',   -- Segment traits, JSON object
          timezone TEXT,                       -- IANA name, e.g. Asia/Shanghai
          locale TEXT,                         -- e.g. zh-CN
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL,
          orders_count INTEGER NOT NULL DEFAULT 0,
          total_spent REAL NOT NULL DEFAULT 0,
          first_order_at INTEGER,
          last_order_at INTEGER
        );
        -- Every identifier a person is known by: kind is user | anon | email | phone.
        CREATE TABLE identities (
          kind TEXT NOT NULL,
          value TEXT NOT NULL,
          customer_id INTEGER NOT NULL REFERENCES customers(id),
          created_at INTEGER NOT NULL,
          PRIMARY KEY (kind, value)
        ) WITHOUT ROWID;
        CREATE INDEX identities_by_customer ON identities(customer_id);
        -- What customers did; stored once per messageId.
        CREATE TABLE events (
          id INTEGER PRIMARY KEY,
          customer_id INTEGER NOT NULL,
          message_id TEXT NOT NULL UNIQUE,
          type TEXT NOT NULL,                  -- track | page | screen | identify | alias | group
          name TEXT,
          ts INTEGER NOT NULL,                 -- when it happened (client timestamp)
          received_at INTEGER NOT NULL,
          properties TEXT,                     -- JSON object
          context TEXT                         -- JSON object
        );
        CREATE INDEX events_by_customer ON events(customer_id, ts);
        -- Audit trail of identity merges (anonymous → known, alias).
        CREATE TABLE customer_merges (
          from_id INTEGER NOT NULL,
          into_id INTEGER NOT NULL,
          at INTEGER NOT NULL
        );
      )sql"},
  };
  return migrations;
}

}  // namespace journeyd

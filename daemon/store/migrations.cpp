#include "daemon/store/migrations.h"

namespace journeyd {

const std::vector<SchemaMigration>& schemaMigrations() {
  static const std::vector<SchemaMigration> migrations = {
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
      {2, R"sql(
        -- Tags marketers and journeys put on customers (JSON array of strings).
        ALTER TABLE customers ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
        -- Every journey version the daemon has run, so in-flight customers can be explained.
        CREATE TABLE journey_versions (
          journey_id TEXT NOT NULL,
          version TEXT NOT NULL,
          file TEXT NOT NULL,
          source TEXT NOT NULL,
          loaded_at INTEGER NOT NULL,
          PRIMARY KEY (journey_id, version)
        );
        -- One customer's passage through one journey. `state` is the engine's Enrollment as
        -- JSON; the columns beside it are what the scheduler queries.
        CREATE TABLE enrollments (
          id INTEGER PRIMARY KEY,
          journey_id TEXT NOT NULL,
          version TEXT NOT NULL,
          customer_id INTEGER NOT NULL,
          key TEXT NOT NULL DEFAULT '',
          status TEXT NOT NULL,                -- waiting | completed | converted | exited
          step_id TEXT,
          wake_at INTEGER,                     -- when the scheduler must advance it next
          listening INTEGER NOT NULL,          -- 1 while events and changes can still move it
          entered_at INTEGER NOT NULL,
          finished_at INTEGER,
          converted_at INTEGER,
          exit_reason TEXT,
          variant TEXT,                        -- split assignments, JSON object step → variant
          state TEXT NOT NULL
        );
        CREATE INDEX enrollments_by_wake ON enrollments(wake_at) WHERE wake_at IS NOT NULL;
        CREATE INDEX enrollments_listening ON enrollments(customer_id) WHERE listening = 1;
        CREATE INDEX enrollments_by_customer ON enrollments(customer_id, journey_id);
        CREATE INDEX enrollments_by_journey ON enrollments(journey_id, status);
        -- Never twice in the same journey (and key) at the same time.
        CREATE UNIQUE INDEX enrollments_one_active ON enrollments(journey_id, customer_id, key)
          WHERE finished_at IS NULL;
        -- The outbox: every message a journey decided to send, written in the same transaction
        -- as the decision; the dispatcher sends pending rows and records the outcome.
        CREATE TABLE messages (
          id INTEGER PRIMARY KEY,
          idempotency_key TEXT NOT NULL UNIQUE,
          customer_id INTEGER NOT NULL,
          journey_id TEXT,
          step_id TEXT,
          enrollment_id INTEGER,
          channel TEXT NOT NULL,
          template TEXT NOT NULL,
          recipient TEXT,
          status TEXT NOT NULL,                -- pending | sent | failed | skipped | dead
          rendered TEXT,                       -- the rendered message, JSON; a retry sends these bytes
          attempts INTEGER NOT NULL DEFAULT 0,
          next_attempt_at INTEGER,
          created_at INTEGER NOT NULL,
          sent_at INTEGER,
          provider_id TEXT,
          reason TEXT                          -- why skipped / failed / dead
        );
        CREATE INDEX messages_pending ON messages(next_attempt_at) WHERE status = 'pending';
        CREATE INDEX messages_by_customer ON messages(customer_id);
        CREATE INDEX messages_by_journey ON messages(journey_id, step_id, status);
        CREATE TABLE message_attempts (
          message_id INTEGER NOT NULL,
          at INTEGER NOT NULL,
          result TEXT NOT NULL,                -- sent | retry | failed
          detail TEXT
        );
        CREATE INDEX message_attempts_by_message ON message_attempts(message_id);
        -- Operator state of a journey that outlives reloads and restarts.
        CREATE TABLE journey_state (
          journey_id TEXT PRIMARY KEY,
          paused INTEGER NOT NULL DEFAULT 0,
          changed_at INTEGER NOT NULL
        );
      )sql"},
      {3, R"sql(
        -- Materialized segment membership, kept current as data changes and as time passes.
        CREATE TABLE segment_membership (
          customer_id INTEGER NOT NULL,
          segment TEXT NOT NULL,
          entered_at INTEGER NOT NULL,
          PRIMARY KEY (customer_id, segment)
        ) WITHOUT ROWID;
        CREATE INDEX segment_membership_by_segment ON segment_membership(segment);
        -- Every entry and exit, so tier movements can be reported.
        CREATE TABLE segment_history (
          customer_id INTEGER NOT NULL,
          segment TEXT NOT NULL,
          change TEXT NOT NULL,                -- entered | exited
          at INTEGER NOT NULL
        );
        CREATE INDEX segment_history_by_segment ON segment_history(segment, at);
        -- When a customer's segments can next change with no new data (a time-based rule such as
        -- "no order for 60 days"): the scheduler re-evaluates them then instead of rescanning all.
        ALTER TABLE customers ADD COLUMN segments_recheck_at INTEGER;
        CREATE INDEX customers_by_segments_recheck ON customers(segments_recheck_at)
          WHERE segments_recheck_at IS NOT NULL;
      )sql"},
      {4, R"sql(
        -- Time-triggered entries: a customer's next date-attribute moment (birthday at 09:00 in
        -- their timezone, N days before a date), or with customer_id 0 a journey's next cron
        -- broadcast, which streams the audience in batches (cursor = last customer id done).
        CREATE TABLE scheduled_entries (
          journey_id TEXT NOT NULL,
          customer_id INTEGER NOT NULL,
          due_at INTEGER NOT NULL,
          cursor INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (journey_id, customer_id)
        ) WITHOUT ROWID;
        CREATE INDEX scheduled_entries_by_due ON scheduled_entries(due_at);
      )sql"},
      {5, R"sql(
        -- Fitted customer-value models (BG/NBD, Gamma-Gamma, RFM cuts) as JSON, by name.
        CREATE TABLE IF NOT EXISTS model_params (
          name TEXT PRIMARY KEY,
          params TEXT NOT NULL,
          fitted_at INTEGER NOT NULL
        );
        -- Distinct days with an order (the BG/NBD frequency is this minus one).
        ALTER TABLE customers ADD COLUMN purchase_days INTEGER NOT NULL DEFAULT 0;
        UPDATE customers SET purchase_days = (
          SELECT count(DISTINCT e.ts / 86400000) FROM events e
          WHERE e.customer_id = customers.id AND e.type = 'track' AND e.name = 'Order Completed')
        WHERE orders_count > 0;
      )sql"},
      {6, R"sql(
        -- Values the daemon generates once and keeps (e.g. the unsubscribe link secret).
        CREATE TABLE settings (
          name TEXT PRIMARY KEY,
          value TEXT NOT NULL
        );
      )sql"},
      {7, R"sql(
        -- Addresses that must not be messaged on a channel: hard bounces, complaints, manual entries.
        CREATE TABLE suppressions (
          channel TEXT NOT NULL,               -- email | sms
          address TEXT NOT NULL,               -- normalized email or phone
          reason TEXT NOT NULL,                -- hard_bounce | complaint | manual | …
          at INTEGER NOT NULL,
          PRIMARY KEY (channel, address)
        ) WITHOUT ROWID;
      )sql"},
      {8, R"sql(
        -- Transactional messages do not count against frequency caps.
        ALTER TABLE messages ADD COLUMN category TEXT;   -- NULL = marketing | transactional
        -- What happened to a customer in each journey, in plain words, for `journeyd explain`:
        -- entry decisions, steps, branches with the values that decided them, waits, exits.
        CREATE TABLE journey_log (
          id INTEGER PRIMARY KEY,
          customer_id INTEGER NOT NULL,
          journey_id TEXT NOT NULL,
          enrollment_id INTEGER,
          at INTEGER NOT NULL,
          step_id TEXT,
          text TEXT NOT NULL
        );
        CREATE INDEX journey_log_by_customer ON journey_log(customer_id, journey_id, at);
      )sql"},
      {9, R"sql(
        -- Expired journey log lines are pruned by time (store.journey_log_retention).
        CREATE INDEX journey_log_by_time ON journey_log(at);
      )sql"},
      {10, R"sql(
        -- The subscription topic a message was queued for: consent is decided again when it is claimed.
        ALTER TABLE messages ADD COLUMN topic TEXT;
        CREATE INDEX messages_by_enrollment ON messages(enrollment_id) WHERE status = 'pending';
      )sql"},
      {11, R"sql(
        -- Journey work waiting for the planners: written in the transaction of the data that caused
        -- it (an ingested message, a consent change, a broadcast reaching a customer), deleted in
        -- the transaction of the plan that handled it.
        CREATE TABLE journey_inbox (
          id INTEGER PRIMARY KEY,
          customer_id INTEGER NOT NULL,
          kind TEXT NOT NULL,                  -- message | broadcast
          payload TEXT NOT NULL,               -- JSON: what the planner needs to know
          created_at INTEGER NOT NULL
        );
        CREATE INDEX journey_inbox_by_customer ON journey_inbox(customer_id);
        -- Bumped by every plan committed for the customer: a plan made from an older snapshot is
        -- refused (optimistic concurrency between planners, API calls and reloads).
        ALTER TABLE customers ADD COLUMN plan_rev INTEGER NOT NULL DEFAULT 0;
        -- The journey key of the message's enrollment (cart id, order id) for receivers and the API.
        ALTER TABLE messages ADD COLUMN enrollment_key TEXT;
      )sql"},
      {12, R"sql(
        -- A transition's lines are kept in one row: [[at, step, text], ...] (NULL: the row is one line).
        ALTER TABLE journey_log ADD COLUMN lines TEXT;
      )sql"},
      {13, R"sql(
        -- Fewer indexes on the hot tables: each one is a B-tree write per insert, and one more
        -- whenever a row's indexed status changes. Kept: what a query needs.
        -- Messages: idempotency keys are unique by construction (enrollment id and step run); the
        -- report groups one journey's rows, so its index need not follow their status; a customer's
        -- pending messages are found through the customer.
        CREATE TABLE messages_new (
          id INTEGER PRIMARY KEY,
          idempotency_key TEXT NOT NULL,
          customer_id INTEGER NOT NULL,
          journey_id TEXT,
          step_id TEXT,
          enrollment_id INTEGER,
          channel TEXT NOT NULL,
          template TEXT NOT NULL,
          recipient TEXT,
          status TEXT NOT NULL,
          rendered TEXT,
          attempts INTEGER NOT NULL DEFAULT 0,
          next_attempt_at INTEGER,
          created_at INTEGER NOT NULL,
          sent_at INTEGER,
          provider_id TEXT,
          reason TEXT,
          category TEXT,
          topic TEXT,
          enrollment_key TEXT
        );
        INSERT INTO messages_new SELECT id, idempotency_key, customer_id, journey_id, step_id, enrollment_id, channel,
          template, recipient, status, rendered, attempts, next_attempt_at, created_at, sent_at, provider_id, reason,
          category, topic, enrollment_key FROM messages;
        DROP TABLE messages;
        ALTER TABLE messages_new RENAME TO messages;
        CREATE INDEX messages_pending ON messages(next_attempt_at) WHERE status = 'pending';
        CREATE INDEX messages_by_customer ON messages(customer_id);
        CREATE INDEX messages_by_journey ON messages(journey_id);
        -- Enrollments: one index by customer serves their listening ones too; the report's by
        -- journey need not follow status changes.
        DROP INDEX IF EXISTS enrollments_listening;
        DROP INDEX IF EXISTS enrollments_by_journey;
        CREATE INDEX enrollments_by_journey ON enrollments(journey_id);
        -- The journey log is pruned oldest rows first (ids grow with time); the inbox is small.
        DROP INDEX IF EXISTS journey_log_by_time;
        DROP INDEX IF EXISTS journey_inbox_by_customer;
      )sql"},
  };
  return migrations;
}

}  // namespace journeyd

#pragma once
/// Test helpers for delivery: a temporary outbox database with the real schema and a real
/// StoreWriter, rows inserted the way the journey runner writes them, and a local HTTP
/// receiver (127.0.0.1, port 0) whose answers each test scripts.
#include <doctest/doctest.h>
#include <httplib.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "daemon/core/clock.h"
#include "daemon/delivery/dispatcher.h"
#include "daemon/store/database.h"
#include "daemon/store/sqlite_store.h"

namespace journeyd::test {

inline const std::string kWebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr TimeMs kStart = 1767607200000;  // 2026-01-05T10:00:00Z

/// Polls `done` until it holds or `limit` passes (real time; for real threads and sockets).
inline bool waitFor(const std::function<bool()>& done,
                    std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return done();
}

/// A folder under /tmp removed when the object goes away.
class TempDir {
 public:
  explicit TempDir(const std::string& name) {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("jd-delivery-" + name + "-" + std::to_string(::getpid()) + "-" +
             std::to_string(++counter));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  [[nodiscard]] std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

/// A message row as the tests read it back.
struct StoredMessage {
  std::string status;
  int attempts = 0;
  std::optional<TimeMs> next_attempt_at;
  std::optional<TimeMs> sent_at;
  std::string provider_id;
  std::string reason;
};

struct StoredAttempt {
  std::string result;
  std::string detail;
};

/// What a row to insert looks like; defaults make a due webhook message.
struct RowSpec {
  std::string key;
  std::string channel = "hook";
  std::string body = R"({"event":"welcome"})";
  std::string recipient;
  std::string unsubscribe_url;
  std::optional<TimeMs> created_at;       // the clock's now when absent
  std::optional<TimeMs> next_attempt_at;  // created_at when absent
};

/// A fresh database file with the real schema, the real store (group-commit writer, snapshots),
/// and a second connection for the test's own reads.
class Outbox {
 public:
  explicit Outbox(const std::string& name) : dir_(name), path_(dir_.str() + "/journeyd.db") {
    openWriter();
    auto check = Database::open({path_});
    REQUIRE(check);
    check_ = std::move(*check);
  }

  void openWriter() {
    auto store = openSqliteStore({path_, "normal", 64});
    REQUIRE(store);
    store_ = std::move(*store);
  }

  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string dir() const { return dir_.str(); }
  Store& store() { return *store_; }
  ManualClock clock{kStart};

  /// Inserts a pending row the way a journey plan does, on the test's connection.
  std::int64_t insert(const RowSpec& m) {
    const TimeMs created = m.created_at.value_or(clock.now());
    nlohmann::json rendered = {{"locale", "en"},
                               {"subject", "Hello " + m.key},
                               {"html", "<p>Hi</p>"},
                               {"text", "Hi"},
                               {"body", m.body}};
    if (!m.unsubscribe_url.empty()) rendered["unsubscribe_url"] = m.unsubscribe_url;
    SQLite::Statement ins(
        check_->sql(),
        "INSERT INTO messages (idempotency_key, customer_id, journey_id, step_id, "
        "enrollment_id, channel, template, recipient, status, rendered, "
        "next_attempt_at, created_at) VALUES (?, 42, 'welcome', 'hello', 7, ?, "
        "'welcome_email', ?, 'pending', ?, ?, ?)");
    ins.bind(1, m.key);
    ins.bind(2, m.channel);
    if (m.recipient.empty())
      ins.bind(3);
    else
      ins.bind(3, m.recipient);
    ins.bind(4, rendered.dump());
    ins.bind(5, m.next_attempt_at.value_or(created));
    ins.bind(6, created);
    ins.exec();
    return check_->sql().getLastInsertRowid();
  }

  /// Runs SQL on the test's connection (to damage a row on purpose).
  void exec(const std::string& sql) { check_->sql().exec(sql); }

  StoredMessage message(std::int64_t id) {
    SQLite::Statement q(check_->sql(),
                        "SELECT status, attempts, next_attempt_at, sent_at, provider_id, reason "
                        "FROM messages WHERE id = ?");
    q.bind(1, id);
    StoredMessage out;
    if (!q.executeStep()) return out;
    out.status = q.getColumn(0).getString();
    out.attempts = q.getColumn(1).getInt();
    if (!q.isColumnNull(2)) out.next_attempt_at = q.getColumn(2).getInt64();
    if (!q.isColumnNull(3)) out.sent_at = q.getColumn(3).getInt64();
    out.provider_id = q.getColumn(4).getString();
    out.reason = q.getColumn(5).getString();
    return out;
  }

  std::vector<StoredAttempt> attempts(std::int64_t id) {
    SQLite::Statement q(check_->sql(),
                        "SELECT result, detail FROM message_attempts WHERE message_id = ? "
                        "ORDER BY rowid");
    q.bind(1, id);
    std::vector<StoredAttempt> out;
    while (q.executeStep()) out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString()});
    return out;
  }

  /// The suppression list as "channel:address" → reason.
  std::map<std::string, std::string> suppressions() {
    SQLite::Statement q(check_->sql(),
                        "SELECT channel || ':' || address, reason FROM suppressions");
    std::map<std::string, std::string> out;
    while (q.executeStep()) out[q.getColumn(0).getString()] = q.getColumn(1).getString();
    return out;
  }

  bool waitStatus(std::int64_t id, const std::string& status) {
    return waitFor([&] { return message(id).status == status; });
  }

 private:
  TempDir dir_;
  std::string path_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Database> check_;
};

/// A webhook receiver on 127.0.0.1: records every request, answers through `respond` (200 by
/// default), and can hold requests at a gate to keep sends in flight.
class Receiver {
 public:
  struct Got {
    std::string id;  // webhook-id
    std::string body;
  };
  using Respond = std::function<void(int nth, httplib::Response&)>;

  explicit Receiver(Respond respond = {}) : respond_(std::move(respond)) {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      int nth = 0;
      {
        std::unique_lock lock(mutex_);
        got_.push_back({req.get_header_value("webhook-id"), req.body});
        nth = static_cast<int>(got_.size());
        ++active_;
        max_active_ = std::max(max_active_, active_);
        gate_wake_.wait_for(lock, std::chrono::seconds(10), [&] { return gate_open_; });
      }
      if (respond_) {
        respond_(nth, res);
      } else {
        res.status = 200;
        res.set_content("{}", "application/json");
      }
      std::lock_guard lock(mutex_);
      --active_;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    waitFor([this] { return server_.is_running(); }, std::chrono::seconds(5));
  }
  ~Receiver() {
    openGate();
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  [[nodiscard]] std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/hook";
  }
  void closeGate() {
    std::lock_guard lock(mutex_);
    gate_open_ = false;
  }
  void openGate() {
    {
      std::lock_guard lock(mutex_);
      gate_open_ = true;
    }
    gate_wake_.notify_all();
  }
  std::vector<Got> got() {
    std::lock_guard lock(mutex_);
    return got_;
  }
  int count() {
    std::lock_guard lock(mutex_);
    return static_cast<int>(got_.size());
  }
  int countOf(const std::string& id) {
    std::lock_guard lock(mutex_);
    return static_cast<int>(
        std::count_if(got_.begin(), got_.end(), [&](const Got& g) { return g.id == id; }));
  }
  int active() {
    std::lock_guard lock(mutex_);
    return active_;
  }
  int maxActive() {
    std::lock_guard lock(mutex_);
    return max_active_;
  }

 private:
  httplib::Server server_;
  Respond respond_;
  std::mutex mutex_;
  std::condition_variable gate_wake_;
  bool gate_open_ = true;
  std::vector<Got> got_;
  int active_ = 0;
  int max_active_ = 0;
  int port_ = 0;
  std::thread thread_;
};

/// Channels for a test: `hook` (the real webhook connector pointed at the receiver, with
/// `hook_extra` settings appended) and `mail` (the log connector, kind email).
inline std::shared_ptr<const Channels> makeChannels(Outbox& outbox, Receiver& receiver,
                                                    const std::string& hook_extra = "") {
  std::string yaml =
      "hook:\n"
      "  connector: webhook\n"
      "  url: " +
      receiver.url() +
      "\n"
      "  secret: " +
      kWebhookSecret +
      "\n"
      "  timeout: 10s\n" +
      hook_extra +
      "mail:\n"
      "  connector: log\n"
      "  kind: email\n"
      "  path: " +
      outbox.dir() + "/mail.ndjson\n";
  Diagnostics diagnostics;
  auto channels = Channels::build(YAML::Load(yaml), "test.yaml", diagnostics);
  INFO(diagnostics.format());
  REQUIRE(channels);
  return channels;
}

/// Options for tests: a short poll, and jitter pinned to its maximum so retry times are exact.
inline DispatcherOptions testOptions() {
  DispatcherOptions options;
  options.poll_interval = 20;
  options.drain_timeout = 5 * kSecondMs;
  options.random = [] { return 1.0; };
  return options;
}

inline std::unique_ptr<Dispatcher> startDispatcher(Outbox& outbox, const Channels& channels,
                                                   DispatcherOptions options = testOptions()) {
  auto dispatcher =
      std::make_unique<Dispatcher>(outbox.store(), channels, outbox.clock, std::move(options));
  REQUIRE(dispatcher->start());
  return dispatcher;
}

inline Receiver::Respond statusOnce(int first_status, std::string first_body,
                                    std::string retry_after = "") {
  return [=](int nth, httplib::Response& res) {
    res.status = nth == 1 ? first_status : 200;
    if (nth == 1 && !retry_after.empty()) res.set_header("Retry-After", retry_after);
    res.set_content(nth == 1 ? first_body : "{}", "application/json");
  };
}

}  // namespace journeyd::test

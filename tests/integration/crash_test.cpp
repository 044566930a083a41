// Crash safety through the real daemon: kill -9 in the middle of a burst of journey messages,
// restart, and check with a real HTTP receiver that every due message went out, and that no
// message the store had recorded as sent was sent again.
#include <doctest/doctest.h>

#include <map>
#include <mutex>
#include <set>

#include "daemon/store/database.h"
#include "tests/integration/daemon_process.h"

using namespace journeyd::testing;
using json = nlohmann::json;

namespace {

/// A webhook receiver on 127.0.0.1 that records every delivery's webhook-id, in order.
class Receiver {
 public:
  Receiver() {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      ids_.push_back(req.get_header_value("webhook-id"));
      res.status = 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::vector<std::string> ids() {
    std::lock_guard lock(mutex_);
    return ids_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> ids_;
};

std::set<std::string> keysWithStatus(const fs::path& db_path, const char* status) {
  auto db = journeyd::Database::open({db_path.string(), "normal", /*read_only=*/true});
  REQUIRE(db);
  std::set<std::string> out;
  auto& q = (*db)->prepare("SELECT idempotency_key FROM messages WHERE status = ?");
  q.bind(1, status);
  while (q.executeStep()) out.insert(q.getColumn(0).getString());
  q.reset();
  return out;
}

}  // namespace

TEST_CASE(
    "after kill -9 mid-burst, every due message goes out and nothing recorded as sent is sent "
    "again") {
  TempDir tmp;
  Receiver receiver;
  writeFile(tmp.path() / "journeys" / "drip.yaml", R"(journey: drip
trigger:
  event: Go
entry:
  reentry: always
steps:
  - send: first
    channel: partner
    template: drip/hook
  - wait: 2s
  - send: second
    channel: partner
    template: drip/hook
)");
  writeFile(tmp.path() / "templates" / "drip" / "hook.yaml", R"(channel: webhook
locales:
  en:
    body: '{"customer": {{ customer.id | json }}, "step": {{ journey.step | json }}}'
)");
  // The first line continues the harness's store: section.
  const std::string config =
      "  max_unrecorded_sends: 32\njourneys: journeys\ntemplates: templates\nchannels:\n  "
      "partner:\n"
      "    connector: webhook\n    url: http://127.0.0.1:" +
      std::to_string(receiver.port()) +
      "/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n    concurrency: 4\n";
  Daemon d(tmp.path(), config);
  REQUIRE(d.start());

  constexpr int kCustomers = 400;
  json batch = json::array();
  for (int i = 0; i < kCustomers; ++i) {
    batch.push_back({{"type", "track"},
                     {"userId", "c" + std::to_string(i)},
                     {"event", "Go"},
                     {"messageId", "go-" + std::to_string(i)}});
  }
  REQUIRE(d.post("/v1/batch", json{{"batch", batch}}.dump())->status == 200);

  // Let part of the burst out, then crash.
  for (int i = 0; i < 1000 && receiver.ids().size() < kCustomers / 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  d.kill(SIGKILL);
  const auto db_path = tmp.path() / "data" / "journeyd.db";
  const auto sent_before_crash = keysWithStatus(db_path, "sent");
  const size_t delivered_before_restart = receiver.ids().size();
  CHECK(delivered_before_restart < 2 * kCustomers);  // the crash really came mid-run

  REQUIRE(d.start());
  for (int i = 0; i < 3000 && keysWithStatus(db_path, "sent").size() < 2 * kCustomers; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto sent = keysWithStatus(db_path, "sent");
  CHECK(sent.size() == 2 * kCustomers);
  CHECK(keysWithStatus(db_path, "pending").empty());

  const auto ids = receiver.ids();
  std::set<std::string> delivered(ids.begin(), ids.end());
  CHECK(delivered.size() == 2 * kCustomers);  // every message reached the receiver
  for (const auto& key : sent) CHECK(delivered.count(key) == 1);
  // Nothing the store had recorded as sent before the crash was sent again after it.
  size_t resent = 0;
  for (size_t i = delivered_before_restart; i < ids.size(); ++i)
    resent += sent_before_crash.count(ids[i]);
  CHECK(resent == 0);
  // Duplicates can only be sends done but not yet recorded at the crash (at most
  // store.max_unrecorded_sends, plus one in each of the 4 workers' hands), with the same key.
  CHECK(ids.size() - delivered.size() <= 32 + 4);
  MESSAGE("delivered before crash: " << delivered_before_restart
                                     << ", recorded sent before crash: " << sent_before_crash.size()
                                     << ", duplicates: " << ids.size() - delivered.size());
}

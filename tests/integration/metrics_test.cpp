// GET /metrics after real traffic: a real daemon on a virtual clock, webhooks to a real HTTP
// receiver on 127.0.0.1, and promtool (Debian's prometheus package) checking the exposition
// and the shipped alert rules. The Grafana dashboard and the rules may only name metrics the
// daemon exports.
#include <doctest/doctest.h>

#include <mutex>
#include <regex>
#include <set>

#include "tests/integration/daemon_process.h"

using namespace journeyd::testing;
using json = nlohmann::json;

namespace {

/// A webhook receiver on 127.0.0.1 counting deliveries per path.
class Receiver {
 public:
  Receiver() {
    server_.Post(R"(/(\w+))", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      ++count_[req.matches[1]];
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
  int count(const std::string& path) {
    std::lock_guard lock(mutex_);
    return count_[path];
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::map<std::string, int> count_;
};

/// promtool from PATH; empty when it is not installed.
std::string promtool() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const fs::path p = fs::path(dir) / "promtool";
    if (fs::exists(p)) return p.string();
  }
  return {};
}

/// The value of one series (`name{labels}` exactly as exported); nullopt when absent.
std::optional<double> sample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

/// The metric families the page declares (# TYPE lines).
std::set<std::string> families(const std::string& text) {
  std::set<std::string> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("# TYPE ", 0) == 0) out.insert(line.substr(7, line.find(' ', 7) - 7));
  }
  return out;
}

/// Every journeyd_* name a PromQL text uses, without a histogram's _bucket/_sum/_count suffix.
std::set<std::string> metricNames(const std::string& text) {
  std::set<std::string> out;
  static const std::regex name(R"(journeyd_[a-z_]+)");
  for (std::sregex_iterator it(text.begin(), text.end(), name), end; it != end; ++it) {
    std::string n = it->str();
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s = suffix;
      if (n.size() > s.size() && n.compare(n.size() - s.size(), s.size(), s) == 0)
        n.resize(n.size() - s.size());
    }
    out.insert(n);
  }
  return out;
}

constexpr const char* kJourney = R"(journey: signup
trigger:
  event: Go
goal:
  event: Buy
  within: 30d
steps:
  - send: hello
    channel: partner
    template: t/hook
  - send: slow
    channel: throttled
    template: t/hook
  - send: mail
    channel: email
    template: t/mail
  - wait: 1d
  - send: later
    channel: partner
    template: t/hook
)";

struct MetricsDaemon {
  TempDir tmp;
  Receiver receiver;
  std::unique_ptr<Daemon> d;

  MetricsDaemon() {
    writeFile(tmp.path() / "journeys" / "signup.yaml", kJourney);
    writeFile(tmp.path() / "templates" / "t" / "hook.yaml",
              "channel: webhook\nlocales:\n  en:\n    body: '{\"customer\": {{ customer.id | json "
              "}}}'\n");
    writeFile(tmp.path() / "templates" / "t" / "mail.yaml",
              "channel: email\nlocales:\n  en:\n    subject: Hi\n    text: Hello\n");
    const std::string hook = "http://127.0.0.1:" + std::to_string(receiver.port());
    const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    d = std::make_unique<Daemon>(
        tmp.path(), "journeys: " + (tmp.path() / "journeys").string() +
                        "\ntemplates: " + (tmp.path() / "templates").string() + "\nchannels:\n" +
                        "  partner:\n    connector: webhook\n    url: " + hook +
                        "/partner\n    secret: " + secret +
                        "\n"
                        // One send a day, on a clock that stands still: the second waits, due.
                        "  throttled:\n    connector: webhook\n    url: " +
                        hook + "/throttled\n    secret: " + secret +
                        "\n    rate_limit: 1/d\n"
                        "  email: {connector: log, kind: email, path: " +
                        (tmp.path() / "email.ndjson").string() + "}\n");
    REQUIRE(d->start({"--virtual-clock", "2026-03-02T10:00:00Z"}));
  }

  std::string scrape() {
    auto r = d->client().Get("/metrics");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return r->body;
  }
  void track(const std::string& user, const std::string& event) {
    auto r = d->post("/v1/track", json{{"userId", user}, {"event", event}}.dump());
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }
  /// The status of the customer's message from step `step`.
  std::string status(const std::string& customer, const std::string& step) {
    auto c = d->customer(customer);
    REQUIRE(c);
    for (const auto& m : (*c)["messages"]) {
      if (m["step"] == step) return m["status"];
    }
    return "";
  }
  /// Scrapes until `done` holds for the page (the store's gauges are cached for seconds).
  std::string scrapeUntil(const std::function<bool(const std::string&)>& done) {
    std::string text;
    for (int i = 0; i < 150; ++i) {
      text = scrape();
      if (done(text)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return text;
  }
};

}  // namespace

TEST_CASE(
    "metrics: journeys, channels, latencies and the backlog move with real traffic; promtool "
    "accepts the page") {
  const std::string tool = promtool();
  REQUIRE_MESSAGE(!tool.empty(),
                  "promtool not found: run scripts/install-deps.sh (Debian package prometheus)");
  MetricsDaemon m;

  const std::string before = m.scrape();
  CHECK(sample(before, R"(journeyd_journey_entered_total{journey="signup"})") == 0);
  CHECK(sample(before, R"(journeyd_messages_sent_total{channel="partner"})") == 0);
  CHECK(sample(before, R"(journeyd_build_info{version=")" JOURNEYD_VERSION R"("})") == 1);

  m.track("c1", "Go");
  m.track("c2", "Go");
  for (int i = 0;
       i < 1000 && (m.receiver.count("partner") < 2 || m.receiver.count("throttled") < 1); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(m.receiver.count("partner") == 2);
  REQUIRE(m.receiver.count("throttled") == 1);
  // The customer whose throttled webhook went converts; the other's waits for a token.
  const bool c1_went = m.status("c1", "slow") == "sent";
  const std::string buyer = c1_went ? "c1" : "c2";
  const std::string waiting = c1_went ? "c2" : "c1";
  REQUIRE(m.status(buyer, "slow") == "sent");
  REQUIRE(m.status(waiting, "slow") == "pending");
  m.track(buyer, "Buy");
  m.d->settle();
  {  // ten minutes on the virtual clock: the waiting webhook has waited that long
    auto c = m.d->client();
    c.set_bearer_token_auth(Daemon::kAdminKey);
    auto r = c.Post("/v1/clock", json{{"advance", "10m"}}.dump(), "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }

  const std::string text = m.scrapeUntil([](const std::string& t) {
    return sample(t, R"(journeyd_journey_active{journey="signup"})") == 1 &&
           sample(t, "journeyd_outbox_oldest_due_seconds") == 600;
  });
  CHECK(sample(text, R"(journeyd_journey_entered_total{journey="signup"})") == 2);
  CHECK(sample(text, R"(journeyd_journey_converted_total{journey="signup"})") == 1);
  CHECK(sample(text, R"(journeyd_journey_exited_total{journey="signup",reason="converted"})") == 1);
  CHECK(sample(text, R"(journeyd_journey_active{journey="signup"})") == 1);
  CHECK(sample(text, R"(journeyd_messages_sent_total{channel="partner"})") == 2);
  CHECK(sample(text, R"(journeyd_messages_sent_total{channel="throttled"})") == 1);
  CHECK(sample(text, R"(journeyd_messages_failed_total{channel="partner"})") == 0);
  CHECK(sample(text,
               R"(journeyd_messages_skipped_total{channel="email",reason="missing_address"})") ==
        2);
  CHECK(sample(text, R"(journeyd_messages_skipped_total{channel="partner",reason="consent"})") ==
        0);
  CHECK(sample(text, R"(journeyd_delivery_latency_seconds_count{channel="partner"})") == 2);
  CHECK(sample(text, R"(journeyd_delivery_latency_seconds_bucket{channel="partner",le="+Inf"})") ==
        2);
  CHECK(sample(text, R"(journeyd_delivery_latency_seconds_count{channel="throttled"})") == 1);
  CHECK(sample(text, R"(journeyd_connector_send_seconds_count{channel="partner"})") == 2);
  CHECK(sample(text, R"(journeyd_outbox_backlog{channel="throttled"})") == 1);
  CHECK(sample(text, R"(journeyd_outbox_backlog{channel="partner"})") == 0);
  CHECK(sample(text, "journeyd_outbox_oldest_due_seconds") == 600);
  CHECK(sample(text, "journeyd_wakeups_overdue") == 0);
  CHECK(sample(text, "journeyd_messages_rate_limited") == 1);
  CHECK(sample(text, "journeyd_ready") == 1);
  CHECK(sample(text, "journeyd_store_commit_seconds_count") > 0);
  CHECK(sample(text, R"(journeyd_ingest_messages_total{type="track"})") == 3);

  auto checked = runCommand({tool, "check", "metrics"}, m.tmp.path(), text);
  INFO(checked.out << checked.err);
  CHECK(checked.status == 0);
}

TEST_CASE(
    "metrics: the alert rules pass promtool check and their unit tests, and they and the dashboard "
    "name only exported metrics") {
  const std::string tool = promtool();
  REQUIRE_MESSAGE(!tool.empty(),
                  "promtool not found: run scripts/install-deps.sh (Debian package prometheus)");
  const fs::path rules =
      fs::path(JOURNEYD_SOURCE_DIR) / "etc" / "prometheus" / "journeyd-alerts.yml";
  const fs::path dashboard =
      fs::path(JOURNEYD_SOURCE_DIR) / "etc" / "grafana" / "journeyd-dashboard.json";
  TempDir tmp;
  auto checked = runCommand({tool, "check", "rules", rules.string()}, tmp.path());
  INFO(checked.out << checked.err);
  CHECK(checked.status == 0);
  // The rules' own unit tests: each alert fires when it should, with the words it should.
  const fs::path cases =
      fs::path(JOURNEYD_SOURCE_DIR) / "tests" / "integration" / "alerts_test.yml";
  auto tested = runCommand({tool, "test", "rules", cases.string()}, tmp.path());
  INFO(tested.out << tested.err);
  CHECK(tested.status == 0);

  MetricsDaemon m;
  const std::set<std::string> exported = families(m.scrape());
  const json board = json::parse(readAll(dashboard));
  REQUIRE(board["panels"].is_array());
  std::string queries;
  for (const auto& panel : board["panels"]) {
    for (const auto& target : panel.value("targets", json::array()))
      queries += target.value("expr", "") + "\n";
  }
  CHECK(!queries.empty());
  for (const auto& [file, text] :
       {std::pair{rules.string(), readAll(rules)}, std::pair{dashboard.string(), queries}}) {
    for (const auto& name : metricNames(text)) {
      CAPTURE(file);
      CAPTURE(name);
      CHECK(exported.count(name) == 1);
    }
  }
}

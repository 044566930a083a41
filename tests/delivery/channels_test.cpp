#include "daemon/delivery/channels.h"

#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include "delivery_test_support.h"

using namespace journeyd;
using namespace journeyd::test;

namespace {

std::shared_ptr<const Channels> build(const std::string& yaml, Diagnostics& diagnostics) {
  return Channels::build(YAML::Load(yaml), "journeyd.yaml", diagnostics);
}

}  // namespace

TEST_CASE("channels build their connectors once, with the dispatcher's settings and defaults") {
  TempDir dir("channels");
  Diagnostics diagnostics;
  auto channels = build("outbox: {connector: log, path: " + dir.str() +
                            "/m.ndjson, kind: sms}\n"
                            "hook:\n"
                            "  connector: webhook\n"
                            "  url: http://127.0.0.1:9/hook\n"
                            "  secret: " +
                            kWebhookSecret +
                            "\n"
                            "  rate_limit: 6000/m\n"
                            "  concurrency: 3\n"
                            "  max_attempts: 5\n"
                            "  max_age: 2h\n",
                        diagnostics);
  INFO(diagnostics.format());
  REQUIRE(channels);
  CHECK(diagnostics.empty());
  CHECK(channels->all().size() == 2);
  CHECK(channels->find("email") == nullptr);

  const DeliveryChannel* outbox = channels->find("outbox");
  REQUIRE(outbox);
  CHECK(outbox->connector != nullptr);
  CHECK(outbox->connector_type == "log");
  CHECK(outbox->kind == MessageKind::kSms);
  CHECK(outbox->settings.rate_limit.unlimited());
  CHECK(outbox->settings.concurrency == 8);
  CHECK(outbox->settings.max_attempts == 8);
  CHECK(outbox->settings.max_age == kDayMs);

  const DeliveryChannel* hook = channels->find("hook");
  REQUIRE(hook);
  CHECK(hook->kind == MessageKind::kWebhook);
  CHECK(hook->settings.rate_limit.count == 6000);
  CHECK(hook->settings.rate_limit.window == kMinuteMs);
  CHECK(hook->settings.rate_limit.burst() == 100);
  CHECK(hook->settings.concurrency == 3);
  CHECK(hook->settings.max_attempts == 5);
  CHECK(hook->settings.max_age == 2 * kHourMs);
}

TEST_CASE("no channels (absent, null or empty) is not an error") {
  for (const char* yaml : {"~", "{}"}) {
    Diagnostics diagnostics;
    auto channels = build(yaml, diagnostics);
    REQUIRE(channels);
    CHECK(channels->empty());
    CHECK(diagnostics.empty());
  }
  Diagnostics diagnostics;
  auto channels = Channels::build(YAML::Node(), "journeyd.yaml", diagnostics);
  REQUIRE(channels);
  CHECK(channels->empty());
}

TEST_CASE("rate limits are a count per unit") {
  struct Case {
    const char* text;
    std::int64_t count;
    DurationMs window;
    std::int64_t burst;
  };
  for (const Case& c : {Case{"100/s", 100, kSecondMs, 100}, Case{"6000/m", 6000, kMinuteMs, 100},
                        Case{"10/h", 10, kHourMs, 1}, Case{"1/d", 1, kDayMs, 1},
                        Case{"5/10s", 5, 10 * kSecondMs, 1}, Case{" 5/s ", 5, kSecondMs, 5}}) {
    INFO(c.text);
    auto limit = parseRateLimit(c.text);
    REQUIRE(limit);
    CHECK(limit->count == c.count);
    CHECK(limit->window == c.window);
    CHECK(limit->burst() == c.burst);
  }
  for (const char* bad : {"", "100", "abc", "0/s", "-1/s", "5/x", "5/", "/s", "1.5/s"}) {
    INFO(bad);
    CHECK_FALSE(parseRateLimit(bad));
  }
}

TEST_CASE("every channel problem is reported with file, line and column") {
  struct Case {
    std::string yaml;
    std::vector<std::string> errors;
  };
  const std::vector<Case> cases = {
      {"a: {connector: webhok}\n",
       {"journeyd.yaml:1:16: error: channel 'a': unknown connector 'webhok'; did you mean "
        "'webhook'?"}},
      {"a: {connector: pigeon}\n",
       {"journeyd.yaml:1:16: error: channel 'a': unknown connector 'pigeon' (known: log, plugin, "
        "sms_http, smtp, webhook)"}},
      {"a:\n  path: x\n",
       {"journeyd.yaml:1:1: error: channel 'a': missing required setting 'connector' (one of log, "
        "plugin, sms_http, smtp, webhook)"}},
      {"a: log\n",
       {"journeyd.yaml:1:4: error: channel 'a': settings must be a map with at least "
        "'connector'"}},
      {"- a\n", {"journeyd.yaml:1:1: error: 'channels' must be a map of channel name to settings"}},
      {"a: {connector: log, path: /tmp/x.ndjson, rate_limit: fast}\n",
       {"journeyd.yaml:1:54: error: channel 'a': 'rate_limit' must be a count per unit like 100/s, "
        "6000/m or 10/h, not 'fast'"}},
      {"a: {connector: log, path: /tmp/x.ndjson, concurrency: 0, max_attempts: many}\n",
       {"journeyd.yaml:1:55: error: channel 'a': 'concurrency' must be a whole number from 1 to "
        "1024, not '0'",
        "journeyd.yaml:1:72: error: channel 'a': 'max_attempts' must be a whole number from 1 to "
        "1000, not 'many'"}},
      {"a: {connector: log, path: /tmp/x.ndjson, max_age: soon}\n",
       {"journeyd.yaml:1:51: error: channel 'a': 'max_age' must be a positive duration like 24h or "
        "3d, not 'soon'"}},
      {"a: {connector: log, path: /tmp/x.ndjson, concurrency: 2, concurrency: 3}\n"
       "a: {connector: log}\n",
       {"journeyd.yaml:1:58: error: channel 'a': setting 'concurrency' is given twice",
        "journeyd.yaml:2:1: error: channel 'a' is defined twice"}},
      // the connector's own validation runs too, and both channels are reported
      {"a: {connector: log}\nb: {connector: log, path: /tmp/x.ndjson, pth: y}\n",
       {"journeyd.yaml:1:4: error: channel 'a': missing required setting 'path'",
        "journeyd.yaml:2:42: error: channel 'b': unknown setting 'pth'; did you mean 'path'?"}},
  };
  for (const auto& c : cases) {
    INFO(c.yaml);
    Diagnostics diagnostics;
    auto channels = build(c.yaml, diagnostics);
    CHECK(channels == nullptr);
    std::vector<std::string> got;
    for (const auto& d : diagnostics.items()) got.push_back(d.format());
    std::string shown;
    for (const auto& g : got) shown += g + "\n";
    INFO(shown);
    CHECK(got == c.errors);
  }
}

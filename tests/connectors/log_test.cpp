#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "connectors/connector.h"
#include "connectors/log/log_connector.h"

using namespace journeyd;

namespace {
std::filesystem::path freshDir(const std::string& name) {
  auto dir =
      std::filesystem::temp_directory_path() / ("jd-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir;
}
}  // namespace

TEST_CASE("the log connector appends one JSON line per message, creating parent folders") {
  auto dir = freshDir("log");
  ConnectorRegistry registry;
  registerBuiltinConnectors(registry);
  Diagnostics diagnostics;
  ConnectorConfigContext ctx{"outbox", "journeyd.yaml", &diagnostics};
  YAML::Node settings =
      YAML::Load("{connector: log, path: " + (dir / "a/b/messages.ndjson").string() + "}");
  auto connector = (*registry.find("log"))(settings, ctx);
  INFO(diagnostics.format());
  REQUIRE(connector);
  CHECK(diagnostics.empty());
  CHECK(connector->kind() == MessageKind::kEmail);

  constexpr int kThreads = 4, kPerThread = 250;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        OutboundMessage m{"m-" + std::to_string(t) + "-" + std::to_string(i), "outbox",
                          "a@b.example"};
        m.subject = "你好 " + std::to_string(i);
        m.html = "<p>hi</p>";
        m.text = "hi\nthere";
        m.headers = {{"List-Unsubscribe", "<https://x.example/u>"}};
        m.metadata = {{"journey", "welcome"}};
        m.created_at = 1704164645000;
        CHECK(connector->send(m).status == SendResult::Status::kSent);
      }
    });
  }
  for (auto& th : threads) th.join();

  std::ifstream in(dir / "a/b/messages.ndjson");
  std::string line;
  int count = 0;
  while (std::getline(in, line)) {
    auto json = nlohmann::json::parse(line);
    CHECK(json["channel"] == "outbox");
    CHECK(json["text"] == "hi\nthere");
    CHECK(json["headers"]["List-Unsubscribe"] == "<https://x.example/u>");
    CHECK(json["metadata"]["journey"] == "welcome");
    CHECK(json["created_at"] == "2024-01-02T03:04:05.000Z");
    CHECK(std::string(json["subject"]).rfind("你好 ", 0) == 0);
    ++count;
  }
  CHECK(count == kThreads * kPerThread);
  std::filesystem::remove_all(dir);
}

TEST_CASE("an sms log channel records the body instead of email parts") {
  auto dir = freshDir("logsms");
  Diagnostics diagnostics;
  ConnectorConfigContext ctx{"sms", "journeyd.yaml", &diagnostics};
  auto config =
      parseLogConfig(YAML::Load("{path: " + (dir / "sms.ndjson").string() + ", kind: sms}"), ctx);
  REQUIRE(config);
  LogConnector connector(*config);
  CHECK(connector.kind() == MessageKind::kSms);
  OutboundMessage m{"s1", "sms", "+15550001111"};
  m.body = "code 1234";
  CHECK(connector.send(m).status == SendResult::Status::kSent);
  std::ifstream in(dir / "sms.ndjson");
  std::string line;
  REQUIRE(std::getline(in, line));
  auto json = nlohmann::json::parse(line);
  CHECK(json["body"] == "code 1234");
  CHECK_FALSE(json.contains("subject"));
  std::filesystem::remove_all(dir);
}

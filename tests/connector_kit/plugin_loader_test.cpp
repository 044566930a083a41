// The `plugin` connector type beyond what the conformance kit checks: refusing libraries that
// are missing, not plugins, or of another ABI version; handing the settings over as JSON; and
// passing the message's fields through the C ABI.
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "kit.h"
#include "tests/support/fake_http_provider.h"

using namespace journeyd;
using namespace journeyd::kit;
using journeyd::test::FakeHttpProvider;

namespace {

std::string pluginAt(const std::string& path) { return "connector: plugin\npath: " + path + "\n"; }

/// The diagnostic at the `path:` value of a kit channel (line 4, column 11 of kit.yaml).
std::string atPath(const std::string& message) {
  return kConfigFile + ":4:11: error: channel 'kit': " + message;
}

}  // namespace

TEST_CASE("a plugin library without one of the four entry points is refused at its path") {
  auto built = buildChannel(pluginAt(JD_TEST_PLUGIN_NO_SEND));
  INFO(built->diagnostics.format());
  CHECK(built->channels == nullptr);
  CHECK(built->diagnostics.format().find(atPath(
            std::string("plugin '") + JD_TEST_PLUGIN_NO_SEND +
            "' lacks the symbol 'journeyd_connector_send': it is not a journeyd connector plugin "
            "(see connectors/plugin/journeyd_connector.h)")) != std::string::npos);
}

TEST_CASE("a plugin built for another ABI version is refused before anything else in it runs") {
  auto built = buildChannel(pluginAt(JD_TEST_PLUGIN_ABI_MISMATCH));
  INFO(built->diagnostics.format());
  CHECK(built->channels == nullptr);
  CHECK(built->diagnostics.format().find(atPath(
            std::string("plugin '") + JD_TEST_PLUGIN_ABI_MISMATCH +
            "' speaks connector ABI version 999 but this journeyd speaks version 1: rebuild it "
            "against this release's connectors/plugin/journeyd_connector.h")) != std::string::npos);
}

TEST_CASE("a file that is not a shared library is refused with the loader's reason") {
  const std::string not_a_library = JOURNEYD_SOURCE_DIR "/CMakeLists.txt";
  auto built = buildChannel(pluginAt(not_a_library));
  INFO(built->diagnostics.format());
  CHECK(built->channels == nullptr);
  CHECK(built->diagnostics.format().find(atPath("cannot load plugin '" + not_a_library + "': ")) !=
        std::string::npos);
}

TEST_CASE("a send status outside the ABI's list is taken as a retry, not as success") {
  auto built = buildChannel(pluginAt(JD_TEST_PLUGIN_ODD_STATUS));
  INFO(built->diagnostics.format());
  REQUIRE(built->connector != nullptr);
  auto result = built->connector->send({"odd-1", "kit", "c-1"});
  CHECK(result.status == SendResult::Status::kRetry);
  CHECK(result.reason == "plugin answered an unknown status 42: made up");
}

TEST_CASE("the plugin channel's own settings are checked with FILE:LINE:COL") {
  struct Case {
    std::string settings;
    std::string expected;
  };
  const std::string head = pluginAt(JD_CRM_TASK_PLUGIN);
  const std::vector<Case> cases = {
      {head + "setings: {url: 'http://x'}\n",
       "kit.yaml:5:5: error: channel 'kit': unknown setting 'setings'; did you mean 'settings'?"},
      {head + "settings: [url]\n",
       "kit.yaml:5:15: error: channel 'kit': 'settings' must be a map of the plugin's own "
       "settings"},
      {head + "kind: mail\n",
       "kit.yaml:5:11: error: channel 'kit': 'kind' must be one of email, sms, webhook, not "
       "'mail'; did you mean 'email'?"},
      {"connector: plugin\n",
       "kit.yaml:3:5: error: channel 'kit': missing required setting 'path'"},
      {head + "settings:\n  url: http://127.0.0.1:9/tasks\n",
       "kit.yaml:6:7: error: channel 'kit': plugin refused its settings: missing required "
       "setting 'token' (write token: ${CRM_TOKEN})"},
      {head + "settings:\n  url: http://127.0.0.1:9/tasks\n  token: t\n  timeout_ms: soon\n",
       "kit.yaml:8:19: error: channel 'kit': plugin refused its settings: 'timeout_ms' must be a "
       "positive number of milliseconds"},
  };
  for (const auto& c : cases) {
    auto built = buildChannel(c.settings);
    INFO(c.settings << "\n" << built->diagnostics.format());
    CHECK(built->channels == nullptr);
    CHECK(built->diagnostics.format().find(c.expected) != std::string::npos);
  }
}

TEST_CASE("a plugin gets its settings as JSON with ${ENV} expanded and every message field") {
  FakeHttpProvider crm;
  crm.respondAlways({201, R"({"id":"task-9"})"});
  ::setenv("JD_KIT_CRM_TOKEN", "token-from-env-31", 1);
  auto built = buildChannel(pluginAt(JD_CRM_TASK_PLUGIN) +
                            "kind: sms\nsettings:\n  url: " + crm.url("/v1/tasks") +
                            "\n  token: ${JD_KIT_CRM_TOKEN}\n  timeout_ms: 5000\n");
  INFO(built->diagnostics.format());
  REQUIRE(built->connector != nullptr);
  CHECK(built->connector->kind() == MessageKind::kSms);

  OutboundMessage m{"msg-7", "kit", "contact-3"};
  m.subject = "Call Ann";
  m.body = "She asked about delivery — 配送";
  m.metadata = {{"journey", "win_back"}, {"customer_id", "42"}};
  auto result = built->connector->send(m);
  INFO(result.reason);
  CHECK(result.status == SendResult::Status::kSent);
  CHECK(result.provider_id == "task-9");

  auto requests = crm.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].header("Authorization") == "Bearer token-from-env-31");
  CHECK(requests[0].header("Idempotency-Key") == "msg-7");
  auto task = nlohmann::json::parse(requests[0].body);
  CHECK(task["external_id"] == "msg-7");
  CHECK(task["contact"] == "contact-3");
  CHECK(task["title"] == "Call Ann");
  CHECK(task["body"] == "She asked about delivery — 配送");
  CHECK(task["metadata"]["journey"] == "win_back");
  CHECK(task["metadata"]["customer_id"] == "42");
}

TEST_CASE("two channels on one plugin library get a handle each and outlive one another") {
  FakeHttpProvider crm;
  crm.respondAlways({201, R"({"id":"t"})"});
  const std::string channel = "    connector: plugin\n    path: " JD_CRM_TASK_PLUGIN
                              "\n    settings: {url: '" +
                              crm.url("/v1/tasks") + "', token: t}\n";
  Diagnostics diagnostics;
  YAML::Node doc = YAML::Load("channels:\n  a:\n" + channel + "  b:\n" + channel);
  auto both = Channels::build(doc["channels"], kConfigFile, diagnostics);
  INFO(diagnostics.format());
  REQUIRE(both);
  CHECK(both->find("a")->connector->send({"one", "a", "c-1"}).status == SendResult::Status::kSent);
  // A second build (a reload) loads the library again; dropping the first keeps it loaded.
  auto again = Channels::build(doc["channels"], kConfigFile, diagnostics);
  REQUIRE(again);
  both.reset();
  CHECK(again->find("b")->connector->send({"two", "b", "c-2"}).status == SendResult::Status::kSent);
  CHECK(crm.requests().size() == 2);
}

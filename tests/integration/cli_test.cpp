// The journeyd executable's subcommands and signals, run as a user would.
#include <doctest/doctest.h>

#include "tests/integration/daemon_process.h"

using namespace journeyd::testing;
using json = nlohmann::json;

TEST_CASE("serve refuses a bad config with FILE:LINE:COL and a non-zero exit") {
  TempDir tmp;
  writeFile(tmp.path() / "bad.yaml",
            "http:\n  listen: 127.0.0.1:8700\n  thread: 4\nstore:\n  synchronous: maybe\n");
  auto r = runCommand({JOURNEYD_BINARY, "serve", "--config", (tmp.path() / "bad.yaml").string()},
                      tmp.path());
  CHECK(r.status != 0);
  const std::string file = (tmp.path() / "bad.yaml").string();
  CHECK(r.err.find(file + ":3:3: error: unknown key 'thread' in http (did you mean 'threads'?)") !=
        std::string::npos);
  CHECK(r.err.find(file + ":5:16: error: synchronous must be one of off, normal, full") !=
        std::string::npos);

  auto v = runCommand({JOURNEYD_BINARY, "validate", file}, tmp.path());
  CHECK(v.status == 1);
  CHECK(v.out.find(file + ":3:3: error:") != std::string::npos);

  auto ok = runCommand({JOURNEYD_BINARY, "validate", JOURNEYD_SOURCE_DIR "/etc/journeyd.yaml"},
                       tmp.path());
  CHECK(ok.status == 0);
}

TEST_CASE("an unsubscribe base_url that is not https is a warning in validate and at start-up") {
  TempDir tmp;
  const std::string file = (tmp.path() / "c.yaml").string();
  writeFile(file, "store:\n  data_dir: data\nunsubscribe:\n  base_url: http://news.example.com\n");
  auto v = runCommand({JOURNEYD_BINARY, "validate", file}, tmp.path());
  CHECK(v.status == 0);  // a warning, not an error
  CHECK(v.out.find(
            file +
            ":4:13: warning: unsubscribe.base_url 'http://news.example.com' is not https: messages "
            "carry an unsubscribe link but not one-click unsubscribe (List-Unsubscribe-Post") !=
        std::string::npos);
  // Not set at all: said at the top of the file.
  writeFile(file, "store:\n  data_dir: data\n");
  v = runCommand({JOURNEYD_BINARY, "validate", file}, tmp.path());
  CHECK(v.out.find(file + ":1:1: warning: unsubscribe.base_url is not set: ") != std::string::npos);
  // https: nothing to say.
  writeFile(file, "store:\n  data_dir: data\nunsubscribe:\n  base_url: https://news.example.com\n");
  v = runCommand({JOURNEYD_BINARY, "validate", file}, tmp.path());
  CHECK(v.status == 0);
  CHECK(v.out.find("warning") == std::string::npos);

  // The daemon says it in its log when it starts.
  Daemon d(tmp.path(), "unsubscribe:\n  base_url: http://news.example.com\n");
  REQUIRE(d.start());
  CHECK(d.log().find("config warning") != std::string::npos);
  CHECK(d.log().find("'http://news.example.com' is not https") != std::string::npos);
  Daemon secure(tmp.path() / "s", "unsubscribe:\n  base_url: https://news.example.com\n");
  REQUIRE(secure.start());
  CHECK(secure.log().find("config warning") == std::string::npos);
}

TEST_CASE("import loads customers from CSV and Segment messages from NDJSON, reporting bad lines") {
  TempDir tmp;
  Daemon d(tmp.path());
  writeFile(tmp.path() / "customers.csv",
            "id,email,phone,name,age,zip,vip,consent.sms,consent.topics.newsletter\n"
            "c1,c1@example.com,+8613800000001,\"Li, Lei\",31,02134,true,false,\n"
            "c2,c2@example.com,,王芳,28,,false,,false\n"
            ",only-email@example.com,,No Id,40,,,,\n"
            "c3,too,few\n");
  auto csv = runCommand({JOURNEYD_BINARY, "import", "--config", d.configPath().string(),
                         (tmp.path() / "customers.csv").string()},
                        tmp.path());
  CHECK(csv.status == 1);  // one bad row
  CHECK(csv.err.find("customers.csv:5:1: error: expected 9 fields, found 3") != std::string::npos);
  CHECK(csv.out.find("imported 3 messages") != std::string::npos);

  writeFile(
      tmp.path() / "events.ndjson",
      R"({"type": "track", "userId": "c1", "event": "Order Completed", "messageId": "o1", "properties": {"revenue": 99.5}, "timestamp": "2026-05-01T08:00:00Z"})"
      "\n"
      R"({"type": "track", "userId": "c1", "event": "Order Completed", "messageId": "o1", "properties": {"revenue": 99.5}, "timestamp": "2026-05-01T08:00:00Z"})"
      "\n"
      "{not json}\n"
      R"({"type": "track", "userId": "c2"})"
      "\n"
      R"({"type": "page", "anonymousId": "v9", "name": "Home"})"
      "\n");
  auto nd = runCommand({JOURNEYD_BINARY, "import", "--config", d.configPath().string(),
                        (tmp.path() / "events.ndjson").string()},
                       tmp.path());
  CHECK(nd.status == 1);
  CHECK(nd.err.find("events.ndjson:3:3: error: malformed JSON") != std::string::npos);
  CHECK(nd.err.find("events.ndjson:4:1: error: event is required for track") != std::string::npos);
  CHECK(nd.out.find("imported 3 messages (1 duplicates skipped, 2 rejected)") != std::string::npos);

  REQUIRE(d.start());
  auto c1 = d.customer("c1");
  REQUIRE(c1);
  CHECK((*c1)["traits"]["name"] == "Li, Lei");
  CHECK((*c1)["traits"]["age"] == 31);
  CHECK((*c1)["traits"]["zip"] == "02134");  // leading zero: stays text
  CHECK((*c1)["traits"]["vip"] == true);
  CHECK((*c1)["orders"]["count"] == 1);
  CHECK((*c1)["orders"]["total_spent"].get<double>() == doctest::Approx(99.5));
  CHECK(d.customer("phone:+8613800000001").value()["id"] == (*c1)["id"]);
  CHECK(d.customer("c2").value()["traits"]["name"] == "王芳");
  // Dotted columns set nested traits: consent per channel and per topic.
  CHECK((*c1)["traits"]["consent"] == json{{"sms", false}});
  CHECK(d.customer("c2").value()["traits"]["consent"] == json{{"topics", {{"newsletter", false}}}});
  auto by_email = d.customer("email:only-email@example.com");
  REQUIRE(by_email);
  CHECK((*by_email)["traits"]["name"] == "No Id");
  CHECK(d.customer("anon:v9").has_value());

  // A later identify with that email joins the imported profile instead of making a new one.
  REQUIRE(
      d.post("/v1/identify", R"({"userId": "c4", "traits": {"email": "only-email@example.com"}})")
          ->status == 200);
  CHECK(d.customer("c4").value()["id"] == (*by_email)["id"]);
}

TEST_CASE("SIGHUP reloads the API keys; a broken config on reload keeps the running one") {
  TempDir tmp;
  Daemon d(tmp.path());
  REQUIRE(d.start());
  REQUIRE(d.post("/v1/track", R"({"userId": "u", "event": "E"})")->status == 200);
  CHECK(d.post("/v1/track", R"({"userId": "u", "event": "E"})", "rotated-key")->status == 401);

  writeFile(d.configPath(),
            "keys:\n  write: [rotated-key]\n  admin: [test-admin-key]\nstore:\n  data_dir: data\n");
  d.signal(SIGHUP);
  bool rotated = false;
  for (int i = 0; i < 200 && !rotated; ++i) {
    rotated = d.post("/v1/track", R"({"userId": "u", "event": "E"})", "rotated-key")->status == 200;
    if (!rotated) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(rotated);
  CHECK(d.post("/v1/track", R"({"userId": "u", "event": "E"})")->status == 401);  // old key gone

  writeFile(d.configPath(), "keys: [this is not a mapping\n");
  d.signal(SIGHUP);
  bool logged = false;
  for (int i = 0; i < 200 && !logged; ++i) {
    logged = d.log().find("reload failed, keeping the running configuration") != std::string::npos;
    if (!logged) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(logged);
  CHECK(d.post("/v1/track", R"({"userId": "u", "event": "E"})", "rotated-key")->status == 200);
  CHECK(d.stop() == 0);
}

TEST_CASE("secrets never appear in the log") {
  TempDir tmp;
  Daemon d(tmp.path());
  REQUIRE(d.start());
  d.post("/v1/track", R"({"userId": "u", "event": "E"})", "wrong-secret-key");
  d.signal(SIGHUP);
  d.stop();
  const std::string log = d.log();
  CHECK(log.find("msg=stopped") != std::string::npos);
  CHECK(log.find(Daemon::kWriteKey) == std::string::npos);
  CHECK(log.find(Daemon::kAdminKey) == std::string::npos);
  CHECK(log.find("wrong-secret-key") == std::string::npos);
}

TEST_CASE("render shows a date without a time as that day for a customer west of UTC") {
  TempDir tmp;
  writeFile(tmp.path() / "context.json",
            R"({"customer": {"first_name": "Ann", "timezone": "America/New_York"},
                "data": {"event_date": "2026-03-20", "event_name": "Spring preview"}})");
  auto r = runCommand(
      {JOURNEYD_BINARY, "render", JOURNEYD_SOURCE_DIR "/templates/member/invitation.yaml",
       "--context", (tmp.path() / "context.json").string(), "--json", "--now",
       "2026-03-02T01:00:00Z"},
      tmp.path());
  REQUIRE(r.status == 0);
  auto out = json::parse(r.out);
  CHECK(out["subject"] == "Ann, you're invited: Spring preview on March 20");
  CHECK(out["html"].get<std::string>().find("<strong>Friday, March 20, 2026</strong>") !=
        std::string::npos);
}

// Hostile input a real deployment sees, sent to the running daemon's endpoints: every bad
// request gets a JSON error that says what and where, the daemon keeps serving, and what is
// stored is unchanged (a dump of the database before and after); hostile but valid data (SQL,
// HTML, NUL bytes, 10,000 properties) is stored verbatim and changes nothing else.
#include <doctest/doctest.h>

#include "tests/integration/daemon_process.h"

using namespace journeyd::testing;
using json = nlohmann::json;

namespace {

/// The database's content as SQL text (sqlite3's .dump), read while the daemon runs.
std::string dump(const Daemon& d) {
  d.settle();
  auto r =
      runCommand({"/usr/bin/sqlite3", (d.dir() / "data/journeyd.db").string(), ".dump"}, d.dir());
  REQUIRE(r.status == 0);
  return r.out;
}

std::string nested(int depth) {
  return std::string(static_cast<size_t>(depth), '[') +
         std::string(static_cast<size_t>(depth), ']');
}

}  // namespace

TEST_CASE(
    "hostile requests get a located JSON error, the daemon keeps serving, and nothing stored "
    "changes") {
  TempDir tmp;
  Daemon d(tmp.path(), "http:\n  max_body_bytes: 1048576\n");
  REQUIRE(d.start());
  REQUIRE(d.post("/v1/identify",
                 R"({"userId": "keep", "traits": {"plan": "gold", "email": "keep@example.com"}})")
              ->status == 200);
  REQUIRE(d.post("/v1/track", R"({"userId": "keep", "event": "Signed Up"})")->status == 200);
  const std::string before = dump(d);
  REQUIRE(before.find("keep@example.com") != std::string::npos);

  std::string many_batch = R"({"batch": [)";
  for (int i = 0; i < 2000; ++i) many_batch += R"({"type": "track", "userId": "m", "event": "E"},)";
  many_batch += R"({"type": "track", "userId": "m"}]})";  // the last one is bad: none is stored

  struct Case {
    const char* name;
    const char* method;
    std::string path;
    std::string body;
    int status;
    std::string field;  // expected error field; "-" for none checked
  };
  const std::vector<Case> cases = {
      {"truncated body", "POST", "/v1/track",
       R"({"userId": "x", "event": "E", "properties": {"a": [1, 2)", 400, "-"},
      {"huge body", "POST", "/v1/batch", std::string(2 * 1024 * 1024, ' '), 413, "-"},
      {"deep nesting", "POST", "/v1/track",
       R"({"userId": "x", "event": "E", "properties": {"a": )" + nested(100000) + "}}", 400, "-"},
      {"deep nesting in a batch", "POST", "/v1/batch", nested(200000), 400, "-"},
      {"invalid UTF-8", "POST", "/v1/identify",
       "{\"userId\": \"x\", \"traits\": {\"name\": \"\xC3\x28\"}}", 400, "-"},
      {"invalid UTF-8 in a key", "POST", "/v1/identify",
       "{\"userId\": \"x\", \"traits\": {\"\xFF\": 1}}", 400, "-"},
      {"NUL byte outside strings", "POST", "/v1/track",
       std::string("{\"userId\": \"x\",") + '\0' + " \"event\": \"E\"}", 400, "-"},
      {"wrong type: userId a boolean", "POST", "/v1/track", R"({"userId": true, "event": "E"})",
       400, "userId"},
      {"wrong type: event a list", "POST", "/v1/track", R"({"userId": "x", "event": ["E"]})", 400,
       "event"},
      {"wrong type: properties a string", "POST", "/v1/track",
       R"({"userId": "x", "event": "E", "properties": "a"})", 400, "properties"},
      {"wrong type: batch an object", "POST", "/v1/batch", R"({"batch": {"type": "track"}})", 400,
       "batch"},
      {"one bad message in 2,001", "POST", "/v1/batch", many_batch, 400, "batch[2000].event"},
      {"a JSON string, not an object", "POST", "/v1/identify", R"("userId")", 400, "-"},
      {"enroll: a customer id with path traversal", "POST", "/v1/journeys/nope/enroll",
       R"({"userId": "../../etc/passwd"})", 404, "-"},
      {"suppression: SQL as the channel", "POST", "/v1/suppressions",
       R"({"channel": "email'; DROP TABLE customers; --", "address": "a@example.com"})", 400,
       "channel"},
      {"clock: not virtual", "POST", "/v1/clock", R"({"advance": "1d"})", 404, "-"},
  };
  for (const auto& c : cases) {
    const std::string name = c.name;
    CAPTURE(name);
    auto cl = d.client();
    if (c.path.rfind("/v1/journeys", 0) == 0 || c.path.rfind("/v1/suppressions", 0) == 0 ||
        c.path == "/v1/clock") {
      cl.set_bearer_token_auth(Daemon::kAdminKey);
    } else {
      cl.set_basic_auth(Daemon::kWriteKey, "");
    }
    auto r = cl.Post(c.path, c.body, "application/json");
    REQUIRE_MESSAGE(r, d.log().substr(d.log().size() > 2000 ? d.log().size() - 2000 : 0));
    CHECK(r->status == c.status);
    auto body = json::parse(r->body, nullptr, false);
    REQUIRE_MESSAGE(body.is_object(), r->body);
    REQUIRE(body.contains("error"));
    CHECK_FALSE(body["error"]["message"].get<std::string>().empty());
    if (c.field != "-") CHECK(body["error"]["field"] == c.field);
    // Still serving after each.
    REQUIRE(d.client().Get("/healthz"));
  }

  // Reads with hostile ids: located errors or not-found, never a file or another customer.
  for (const char* path : {"/v1/customers/..%2F..%2Fetc%2Fpasswd", "/v1/customers/id:1%20OR%201=1",
                           "/v1/customers/email:%27%20OR%20%271%27=%271", "/v1/customers/%00",
                           "/v1/journeys/..%2F..%2Fetc%2Fpasswd/report"}) {
    const std::string shown = path;
    CAPTURE(shown);
    auto cl = d.client();
    cl.set_bearer_token_auth(Daemon::kAdminKey);
    auto r = cl.Get(path);
    REQUIRE(r);
    CHECK(r->status == 404);
    CHECK(r->body.find("root:") == std::string::npos);
    CHECK(r->body.find("keep@example.com") == std::string::npos);
  }

  CHECK(dump(d) == before);
  CHECK(d.stop() == 0);  // and it shuts down cleanly after all that
}

TEST_CASE("hostile but valid data is stored verbatim and changes nothing else") {
  TempDir tmp;
  Daemon d(tmp.path(), "http:\n  max_body_bytes: 2097152\n");
  REQUIRE(d.start());
  REQUIRE(d.post("/v1/identify", R"({"userId": "keep", "traits": {"plan": "gold"}})")->status ==
          200);

  const std::string sql = "Robert'); DROP TABLE customers;--";
  const std::string html = "<script>alert('x')</script><img src=x onerror=alert(1)>";
  const std::string nul = std::string("a\0b", 3);
  json traits = {{"sql", sql}, {"html", html}, {"nul", nul}, {"name", "王芳 🙂"}};
  json many = json::object();
  for (int i = 0; i < 10000; ++i) many["p" + std::to_string(i)] = i;
  REQUIRE(d.post("/v1/identify", json{{"userId", sql}, {"traits", traits}}.dump())->status == 200);
  REQUIRE(d.post("/v1/track", json{{"userId", sql}, {"event", html}, {"properties", many}}.dump())
              ->status == 200);
  // Duplicate keys: the last one wins, as in most JSON readers.
  REQUIRE(d.post("/v1/identify", R"({"userId": "dup", "traits": {"plan": "a", "plan": "b"}})")
              ->status == 200);

  auto c = d.customer(sql);
  REQUIRE(c);
  CHECK((*c)["traits"]["sql"] == sql);
  CHECK((*c)["traits"]["html"] == html);
  CHECK((*c)["traits"]["nul"] == nul);
  CHECK((*c)["traits"]["name"] == "王芳 🙂");
  bool found = false;
  for (const auto& e : (*c)["events"]) {
    if (e.value("event", "") == html) {
      found = true;
      CHECK(e["properties"].size() == 10000);
      CHECK(e["properties"]["p9999"] == 9999);
    }
  }
  CHECK(found);
  CHECK(d.customer("dup").value()["traits"]["plan"] == "b");
  CHECK(d.customer("keep").value()["traits"]["plan"] == "gold");  // untouched
}

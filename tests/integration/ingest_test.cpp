// The ingestion API driven over real sockets against the real daemon and its SQLite file.
#include <doctest/doctest.h>

#include "tests/integration/daemon_process.h"

using namespace journeyd::testing;
using json = nlohmann::json;

namespace {

int eventCount(const json& profile) { return static_cast<int>(profile["events"].size()); }

}  // namespace

TEST_CASE("the Segment documentation's example bodies are accepted and stored") {
  TempDir tmp;
  Daemon d(tmp.path());
  REQUIRE(d.start());

  // From Segment's HTTP Tracking API reference, unchanged.
  auto identify = d.post("/v1/identify", R"({
    "userId": "019mr8mf4r",
    "traits": {
      "email": "pgibbons@example.com",
      "name": "Peter Gibbons",
      "industry": "Technology"
    },
    "context": {
      "ip": "24.5.68.47"
    },
    "timestamp": "2012-12-02T00:30:08.276Z"
  })");
  REQUIRE(identify);
  CHECK(identify->status == 200);
  CHECK(json::parse(identify->body)["success"] == true);

  auto track = d.post("/v1/track", R"({
    "userId": "019mr8mf4r",
    "event": "Item Purchased",
    "properties": {
      "name": "Leap to Conclusions Mat",
      "revenue": 14.99
    },
    "context": {
      "ip": "24.5.68.47"
    },
    "timestamp": "2012-12-02T00:30:12.984Z"
  })");
  REQUIRE(track);
  CHECK(track->status == 200);

  auto page = d.post("/v1/page", R"({
    "userId": "019mr8mf4r",
    "name": "Tracking HTTP API",
    "timestamp": "2012-12-02T00:30:08.276Z"
  })");
  REQUIRE(page);
  CHECK(page->status == 200);

  auto alias = d.post("/v1/alias", R"({
    "previousId": "39239-239239-239239-23923",
    "userId": "019mr8mf4r",
    "timestamp": "2012-12-02T00:30:08.276Z"
  })");
  REQUIRE(alias);
  CHECK(alias->status == 200);

  auto batch = d.post("/v1/batch", R"({
    "batch": [
      {
        "type": "identify",
        "userId": "019mr8mf4r",
        "traits": {
          "email": "jake@yahoo.com",
          "name": "Jake Peterson",
          "age": 26
        },
        "timestamp": "2012-12-02T00:30:08.276Z"
      },
      {
        "type": "track",
        "userId": "019mr8mf4r",
        "event": "Song Played",
        "properties": {
          "name": "Fallin for You",
          "artist": "Dierks Bentley"
        },
        "timestamp": "2012-12-02T00:30:12.984Z"
      },
      {
        "type": "identify",
        "userId": "971mj8mk7p",
        "traits": {
          "email": "cindy@example.com",
          "name": "Cindy Gonzalez",
          "age": 23
        },
        "timestamp": "2012-12-02T00:30:14.115Z"
      }
    ],
    "context": {
      "device": {
        "type": "phone",
        "name": "Apple iPhone 6"
      }
    }
  })");
  REQUIRE(batch);
  CHECK(batch->status == 200);

  auto peter = d.customer("019mr8mf4r");
  REQUIRE(peter);
  CHECK((*peter)["traits"]["name"] == "Jake Peterson");   // the later identify's traits win
  CHECK((*peter)["traits"]["industry"] == "Technology");  // and earlier traits are kept
  CHECK((*peter)["traits"]["age"] == 26);
  CHECK(eventCount(*peter) == 6);  // identify, track, page, alias, identify, track
  const auto& events = (*peter)["events"];
  bool saw_page = false, saw_song = false;
  for (const auto& e : events) {
    if (e["type"] == "page") {
      saw_page = true;
      CHECK(e["event"] == "Page Viewed");
      CHECK(e["properties"]["name"] == "Tracking HTTP API");
      CHECK(e["timestamp"] == "2012-12-02T00:30:08.276Z");
    }
    if (e.value("event", "") == "Song Played") saw_song = true;
  }
  CHECK(saw_page);
  CHECK(saw_song);
  // Both email addresses reach the same person (OneID), and the aliased id too.
  CHECK(d.customer("email:pgibbons@example.com").value()["id"] == (*peter)["id"]);
  CHECK(d.customer("email:jake@yahoo.com").value()["id"] == (*peter)["id"]);
  CHECK(d.customer("anon:39239-239239-239239-23923").value()["id"] == (*peter)["id"]);
  auto cindy = d.customer("971mj8mk7p");
  REQUIRE(cindy);
  CHECK((*cindy)["traits"]["name"] == "Cindy Gonzalez");
}

TEST_CASE("requests without a valid key are refused and store nothing") {
  TempDir tmp;
  Daemon d(tmp.path());
  REQUIRE(d.start());
  const std::string body = R"({"userId": "u1", "event": "Signed Up"})";

  auto none = d.post("/v1/track", body, "");
  REQUIRE(none);
  CHECK(none->status == 401);
  CHECK(json::parse(none->body)["error"]["code"] == "unauthorized");

  auto wrong = d.post("/v1/track", body, "not-a-key");
  REQUIRE(wrong);
  CHECK(wrong->status == 401);

  auto admin_on_ingest = d.post("/v1/track", body, Daemon::kAdminKey);
  REQUIRE(admin_on_ingest);
  CHECK(admin_on_ingest->status == 401);

  auto write_on_admin = d.get("/v1/customers/u1", Daemon::kWriteKey);
  REQUIRE(write_on_admin);
  CHECK(write_on_admin->status == 401);

  // Bearer works as well as Basic.
  auto c = d.client();
  c.set_bearer_token_auth(Daemon::kWriteKey);
  auto bearer =
      c.Post("/v1/track", R"({"userId": "u2", "event": "Signed Up"})", "application/json");
  REQUIRE(bearer);
  CHECK(bearer->status == 200);

  CHECK_FALSE(d.customer("u1").has_value());
  CHECK(d.customer("u2").has_value());

  // Health needs no key; the admin API and ingestion do.
  auto health = d.get("/healthz", "");
  REQUIRE(health);
  CHECK(health->status == 200);
  auto ready = d.get("/readyz", "");
  REQUIRE(ready);
  CHECK(ready->status == 200);
}

TEST_CASE("each class of bad input gets a 4xx JSON error naming the field, and nothing is stored") {
  TempDir tmp;
  Daemon d(tmp.path(), "http:\n  max_body_bytes: 4096\n");
  REQUIRE(d.start());
  REQUIRE(d.post("/v1/identify", R"({"userId": "keep", "traits": {"plan": "gold"}})")->status ==
          200);

  struct Case {
    const char* name;
    const char* path;
    std::string body;
    int status;
    const char* field;  // nullptr: no field
  };
  const std::vector<Case> cases = {
      {"malformed JSON", "/v1/track", R"({"userId": "bad1", "event": )", 400, nullptr},
      {"empty body", "/v1/track", "", 400, nullptr},
      {"not an object", "/v1/track", "[1,2]", 400, ""},
      {"userId of the wrong type", "/v1/track", R"({"userId": {"a": 1}, "event": "X"})", 400,
       "userId"},
      {"traits not an object", "/v1/identify", R"({"userId": "bad2", "traits": [1]})", 400,
       "traits"},
      {"event not a string", "/v1/track", R"({"userId": "bad3", "event": 7})", 400, "event"},
      {"missing userId and anonymousId", "/v1/track", R"({"event": "X"})", 400, "userId"},
      {"timestamp of the wrong shape in a batch with a bad message", "/v1/batch",
       R"({"batch": [{"type": "track", "userId": "bad4", "event": "X", "timestamp": "yesterday"},
                     {"type": "track", "userId": "bad4", "event": 7}]})",
       400, "batch[1].event"},
      {"alias without previousId", "/v1/alias", R"({"userId": "bad5"})", 400, "previousId"},
      {"unknown type in a batch", "/v1/batch",
       R"({"batch": [{"type": "track", "userId": "bad6", "event": "X"}, {"type": "explode", "userId": "bad6"}]})",
       400, "batch[1].type"},
      {"bad message late in a batch", "/v1/batch",
       R"({"batch": [{"type": "identify", "userId": "bad7", "traits": {"plan": "x"}},
                     {"type": "identify", "userId": "keep", "traits": {"plan": "lost"}},
                     {"type": "track", "userId": "bad7"}]})",
       400, "batch[2].event"},
      {"oversized body", "/v1/batch", R"({"batch": [)" + std::string(5000, ' ') + "]}", 413,
       nullptr},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto r = d.post(c.path, c.body);
    REQUIRE(r);
    CHECK(r->status == c.status);
    auto body = json::parse(r->body, nullptr, false);
    REQUIRE(body.is_object());
    REQUIRE(body.contains("error"));
    CHECK(body["error"]["code"].is_string());
    CHECK(body["error"]["message"].is_string());
    CHECK_FALSE(body["error"]["message"].get<std::string>().empty());
    if (c.field && *c.field) CHECK(body["error"]["field"] == c.field);
  }
  for (const char* id : {"bad1", "bad2", "bad3", "bad4", "bad5", "bad6", "bad7"}) {
    CAPTURE(id);
    CHECK_FALSE(d.customer(id).has_value());
  }
  auto keep = d.customer("keep");
  REQUIRE(keep);
  CHECK((*keep)["traits"]["plan"] == "gold");  // the rejected batch changed nothing
  CHECK(eventCount(*keep) == 1);
}

TEST_CASE(
    "a batch keeps a message whose timestamp cannot be read, stamped when received, and says so") {
  TempDir tmp;
  Daemon d(tmp.path(), "");
  REQUIRE(d.start({"--virtual-clock", "2026-03-05T08:00:00Z"}));
  auto r = d.post("/v1/batch", R"({"batch": [
      {"type": "track", "userId": "ts", "event": "One Digit", "timestamp": "2015-2-24T04:46:30.000Z"},
      {"type": "track", "userId": "ts", "event": "Unreadable", "timestamp": "last tuesday"}]})");
  REQUIRE(r);
  CHECK(r->status == 200);
  auto answer = json::parse(r->body);
  CHECK(answer["success"] == true);
  REQUIRE(answer["warnings"].size() == 1);
  CHECK(answer["warnings"][0]["field"] == "batch[1].timestamp");
  auto c = d.customer("ts");
  REQUIRE(c);
  std::map<std::string, std::string> when;
  for (const auto& e : (*c)["events"])
    when[e["event"].get<std::string>()] = e["timestamp"].get<std::string>();
  CHECK(when["One Digit"] == "2015-02-24T04:46:30.000Z");
  CHECK(when["Unreadable"] == "2026-03-05T08:00:00.000Z");  // the time it was received
}

TEST_CASE("a repeated messageId is accepted and stored once, and orders are counted once") {
  TempDir tmp;
  Daemon d(tmp.path());
  REQUIRE(d.start());
  const std::string order =
      R"({"userId": "buyer", "event": "Order Completed", "messageId": "order-msg-1",
                                "properties": {"order_id": "A1", "revenue": 120.5},
                                "timestamp": "2026-03-01T10:00:00Z"})";
  for (int i = 0; i < 3; ++i) REQUIRE(d.post("/v1/track", order)->status == 200);
  REQUIRE(d.post("/v1/track",
                 R"({"userId": "buyer", "event": "Order Completed", "messageId": "order-msg-2",
                                  "properties": {"order_id": "A2", "total": "79.5"},
                                  "timestamp": "2026-02-01T10:00:00Z"})")
              ->status == 200);
  auto buyer = d.customer("buyer");
  REQUIRE(buyer);
  CHECK(eventCount(*buyer) == 2);
  CHECK((*buyer)["orders"]["count"] == 2);
  CHECK((*buyer)["orders"]["total_spent"].get<double>() == doctest::Approx(200.0));
  CHECK((*buyer)["orders"]["first_order_at"] == "2026-02-01T10:00:00.000Z");
  CHECK((*buyer)["orders"]["last_order_at"] == "2026-03-01T10:00:00.000Z");
}

TEST_CASE(
    "identify merges the anonymous visitor into the known customer; alias merges explicitly") {
  TempDir tmp;
  Daemon d(tmp.path());
  REQUIRE(d.start());
  REQUIRE(
      d.post("/v1/track", R"({"anonymousId": "visitor-1", "event": "Product Viewed"})")->status ==
      200);
  REQUIRE(d.post("/v1/identify", R"({"anonymousId": "visitor-1", "traits": {"favourite": "jazz"}})")
              ->status == 200);
  REQUIRE(
      d.post("/v1/identify", R"({"userId": "ann", "traits": {"name": "Ann", "favourite": "rock"}})")
          ->status == 200);
  REQUIRE(d.post("/v1/track",
                 R"({"userId": "ann", "event": "Order Completed", "properties": {"revenue": 10}})")
              ->status == 200);
  auto before = d.customer("anon:visitor-1");
  REQUIRE(before);
  CHECK(before.value()["id"] != d.customer("ann").value()["id"]);

  // The visitor logs in: one profile, nothing lost, the known profile's traits win.
  REQUIRE(d.post("/v1/identify", R"({"anonymousId": "visitor-1", "userId": "ann"})")->status ==
          200);
  auto ann = d.customer("ann");
  REQUIRE(ann);
  CHECK(d.customer("anon:visitor-1").value()["id"] == (*ann)["id"]);
  CHECK((*ann)["traits"]["favourite"] == "rock");
  CHECK((*ann)["traits"]["name"] == "Ann");
  CHECK(eventCount(*ann) == 5);  // 2 as the visitor, 2 as ann, the merging identify
  CHECK((*ann)["orders"]["count"] == 1);

  // alias: an old user id becomes the same person.
  REQUIRE(d.post("/v1/identify",
                 R"({"userId": "ann-old-crm-id", "traits": {"email": "ann@example.com"}})")
              ->status == 200);
  REQUIRE(
      d.post(
           "/v1/track",
           R"({"userId": "ann-old-crm-id", "event": "Order Completed", "properties": {"revenue": 5}})")
          ->status == 200);
  REQUIRE(d.post("/v1/alias", R"({"previousId": "ann-old-crm-id", "userId": "ann"})")->status ==
          200);
  auto merged = d.customer("ann");
  REQUIRE(merged);
  CHECK((*merged)["orders"]["count"] == 2);
  CHECK((*merged)["orders"]["total_spent"].get<double>() == doctest::Approx(15.0));
  CHECK(d.customer("email:ANN@example.com").value()["id"] == (*merged)["id"]);
  CHECK(d.customer("ann-old-crm-id").value()["id"] == (*merged)["id"]);
}

TEST_CASE("a restart keeps everything, also after kill -9 of an acknowledged write") {
  TempDir tmp;
  Daemon d(tmp.path());
  REQUIRE(d.start());
  REQUIRE(d.post("/v1/identify", R"({"userId": "persist", "traits": {"tier": "gold"}})")->status ==
          200);
  CHECK(d.stop() == 0);
  CHECK(d.log().find("msg=stopped") != std::string::npos);

  REQUIRE(d.start());
  auto c = d.customer("persist");
  REQUIRE(c);
  CHECK((*c)["traits"]["tier"] == "gold");

  // Acknowledged means committed: a SIGKILL right after the 200 loses nothing.
  for (int i = 0; i < 30; ++i) {
    REQUIRE(d.post("/v1/track", R"({"userId": "persist", "event": "Clicked", "messageId": "k)" +
                                    std::to_string(i) + R"("})")
                ->status == 200);
  }
  d.kill(SIGKILL);
  REQUIRE(d.start());
  auto after = d.customer("persist");
  REQUIRE(after);
  CHECK(eventCount(*after) == 31);
}

TEST_CASE("DELETE erases the profile, its identities and its events") {
  TempDir tmp;
  Daemon d(tmp.path());
  REQUIRE(d.start());
  REQUIRE(
      d.post(
           "/v1/identify",
           R"({"userId": "gone", "traits": {"email": "gone@example.com", "phone": "+86 138 0013 8000"}})")
          ->status == 200);
  REQUIRE(d.post("/v1/identify", R"({"userId": "stays", "traits": {"email": "stays@example.com"}})")
              ->status == 200);
  REQUIRE(d.customer("phone:+8613800138000").has_value());

  auto r = d.del("/v1/customers/email:gone@example.com");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK_FALSE(d.customer("gone").has_value());
  CHECK_FALSE(d.customer("email:gone@example.com").has_value());
  CHECK_FALSE(d.customer("phone:+8613800138000").has_value());
  CHECK(d.customer("stays").has_value());

  auto again = d.del("/v1/customers/gone");
  REQUIRE(again);
  CHECK(again->status == 404);

  // The same id arriving later is a new, empty profile.
  REQUIRE(d.post("/v1/track", R"({"userId": "gone", "event": "Came Back"})")->status == 200);
  CHECK(eventCount(d.customer("gone").value()) == 1);
}

TEST_CASE("customers.default_region: one person whichever way their number is written") {
  TempDir tmp;
  Daemon d(tmp.path(), "customers:\n  default_region: US\n");
  REQUIRE(d.start());
  REQUIRE(
      d.post("/v1/identify", R"({"userId": "pat", "traits": {"phone": "415-555-0100"}})")->status ==
      200);
  auto by_e164 = d.customer("phone:+14155550100");
  REQUIRE(by_e164);
  CHECK((*by_e164)["userId"] == "pat");
  auto by_local = d.customer("phone:(415) 555-0100");
  REQUIRE(by_local);
  CHECK((*by_local)["id"] == (*by_e164)["id"]);
  // A later message with the number in another form reaches the same person.
  REQUIRE(d.post("/v1/identify",
                 R"({"anonymousId": "device-9", "traits": {"phone": "+1 415 555 0100"}})")
              ->status == 200);
  CHECK(d.customer("anon:device-9").value()["id"] == (*by_e164)["id"]);
}

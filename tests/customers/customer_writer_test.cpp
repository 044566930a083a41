#include "daemon/customers/customer_writer.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "daemon/store/database.h"
#include "daemon/store/sqlite_store.h"

using namespace journeyd;
using json = nlohmann::json;

namespace {

/// The real store on a temporary file, and a second connection for the test's own counts.
struct Fixture {
  std::string path = [] {
    static int n = 0;
    auto dir =
        std::filesystem::temp_directory_path() / ("jd-customers-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto p = dir / ("c" + std::to_string(++n) + ".db");
    std::filesystem::remove(p);
    return p.string();
  }();
  std::unique_ptr<Store> store = std::move(openSqliteStore({path}).value());
  std::unique_ptr<Database> db = std::move(Database::open({path}).value());
  CustomerWriter writer{OrderSettings{}};
  TimeMs now = 1'700'000'000'000;

  AppliedMessage send(const std::string& body, std::string_view type = "") {
    auto m = parseSegmentMessage(json::parse(body), type, now++);
    REQUIRE(m);
    AppliedMessage applied;
    REQUIRE(store->write([&](Tx& tx) -> Result<void> {
      auto a = writer.apply(tx, *m);
      if (!a) return fail(a.error());
      applied = *a;
      return ok();
    }));
    return applied;
  }
  CustomerId find(const std::string& spec) {
    return store
        ->withSnapshot("find",
                       [&](const Snapshot& s) {
                         return Result<CustomerId>(findCustomerBySpec(s.customers(), spec));
                       })
        .value();
  }
  json profileOf(CustomerId id) {
    return store
        ->withSnapshot("profile",
                       [&](const Snapshot& s) {
                         return Result<json>(s.customers().profile(id, 50).value_or(json()));
                       })
        .value();
  }
  json profile(const std::string& spec) {
    auto id = find(spec);
    if (!id) return json();
    return profileOf(id);
  }
  bool erase(CustomerId id) {
    bool erased = false;
    REQUIRE(store->write([&](Tx& tx) -> Result<void> {
      erased = tx.customers().erase(id);
      return ok();
    }));
    return erased;
  }
  int customers() { return db->sql().execAndGet("SELECT count(*) FROM customers").getInt(); }
};

}  // namespace

TEST_CASE("identities resolve to one customer across user id, anonymous id, email and phone") {
  Fixture f;
  auto a = f.send(R"({"anonymousId": "a1", "event": "Viewed"})", "track");
  auto b = f.send(
      R"({"userId": "u1", "anonymousId": "a1", "traits": {"email": " U1@Example.COM ", "phone": "+1 (415) 555-0100"}})",
      "identify");
  CHECK(a.customer_id == b.customer_id);
  CHECK(f.customers() == 1);
  CHECK(f.profile("email:u1@example.com")["id"] == a.customer_id);
  CHECK(f.profile("phone:+14155550100")["id"] == a.customer_id);
  CHECK(f.profile("anon:a1")["id"] == a.customer_id);
  CHECK(f.profile("u1")["userId"] == "u1");
}

TEST_CASE("a profile known only by email (from an import) joins the user who identifies with it") {
  Fixture f;
  f.send(
      R"({"anonymousId": "email:vip@example.com", "traits": {"email": "vip@example.com", "tier": "gold"}})",
      "identify");
  auto u = f.send(R"({"userId": "vip", "traits": {"email": "VIP@example.com", "name": "V"}})",
                  "identify");
  CHECK(f.customers() == 1);
  auto p = f.profile("vip");
  CHECK(p["id"] == u.customer_id);
  CHECK(p["traits"]["tier"] == "gold");
  CHECK(p["traits"]["name"] == "V");
}

TEST_CASE("two known users sharing an email address are not merged") {
  Fixture f;
  auto a = f.send(R"({"userId": "alice", "traits": {"email": "family@example.com"}})", "identify");
  auto b = f.send(R"({"userId": "bob", "traits": {"email": "family@example.com"}})", "identify");
  CHECK(a.customer_id != b.customer_id);
  CHECK(f.customers() == 2);
  CHECK(f.profile("email:family@example.com")["id"] == a.customer_id);
}

TEST_CASE("a shared device's anonymous id moves to the user who logs in last, without a merge") {
  Fixture f;
  auto a = f.send(R"({"userId": "alice", "anonymousId": "device-1"})", "identify");
  auto b = f.send(R"({"userId": "bob", "anonymousId": "device-1"})", "identify");
  CHECK(a.customer_id != b.customer_id);
  CHECK(f.profile("anon:device-1")["id"] == b.customer_id);
  CHECK(f.profile("alice")["id"] == a.customer_id);
}

TEST_CASE("merging sums order facts and keeps the earliest first order and the latest last order") {
  Fixture f;
  f.send(
      R"({"anonymousId": "a", "event": "Order Completed", "properties": {"revenue": 10}, "timestamp": "2026-01-05T00:00:00Z"})",
      "track");
  f.send(
      R"({"userId": "u", "event": "Order Completed", "properties": {"total": 5.5}, "timestamp": "2026-02-01T00:00:00Z"})",
      "track");
  f.send(
      R"({"userId": "u", "event": "Order Completed", "properties": {}, "timestamp": "2026-01-20T00:00:00Z"})",
      "track");
  f.send(R"({"userId": "u", "anonymousId": "a"})", "identify");
  auto p = f.profile("u");
  CHECK(f.customers() == 1);
  CHECK(p["orders"]["count"] == 3);
  CHECK(p["orders"]["total_spent"].get<double>() == doctest::Approx(15.5));
  CHECK(p["orders"]["first_order_at"] == "2026-01-05T00:00:00.000Z");
  CHECK(p["orders"]["last_order_at"] == "2026-02-01T00:00:00.000Z");
  CHECK(f.db->sql().execAndGet("SELECT count(*) FROM customer_merges").getInt() == 1);
}

TEST_CASE("a repeated messageId changes nothing the second time") {
  Fixture f;
  auto first = f.send(
      R"({"userId": "u", "event": "Order Completed", "messageId": "m-1", "properties": {"revenue": 3}})",
      "track");
  auto again = f.send(
      R"({"userId": "u", "event": "Order Completed", "messageId": "m-1", "properties": {"revenue": 3}})",
      "track");
  CHECK_FALSE(first.duplicate);
  CHECK(again.duplicate);
  CHECK(again.customer_id == first.customer_id);
  CHECK(f.profile("u")["orders"]["count"] == 1);
  CHECK(f.profile("u")["events"].size() == 1);
}

TEST_CASE("identify sets timezone and locale from context or traits") {
  Fixture f;
  f.send(R"({"userId": "z", "context": {"timezone": "Asia/Shanghai", "locale": "zh-CN"}})",
         "identify");
  CHECK(f.profile("z")["timezone"] == "Asia/Shanghai");
  CHECK(f.profile("z")["locale"] == "zh-CN");
  f.send(R"({"userId": "z", "traits": {"timezone": "Europe/Paris"}})", "identify");
  CHECK(f.profile("z")["timezone"] == "Europe/Paris");
}

TEST_CASE("erase removes that customer alone: another customer's events stay") {
  Fixture f;
  auto a = f.send(R"({"userId": "x", "traits": {"email": "x@example.com"}})", "identify");
  f.send(R"({"userId": "y"})", "identify");
  REQUIRE(f.erase(a.customer_id));
  CHECK(f.customers() == 1);
  CHECK(f.find("email:x@example.com") == 0);
  CHECK(f.db->sql().execAndGet("SELECT count(*) FROM events").getInt() == 1);
  CHECK_FALSE(f.erase(a.customer_id));
}

TEST_CASE("Segment messages are validated field by field") {
  struct Row {
    const char* body;
    const char* type;
    const char* field;  // nullptr = valid
  };
  const Row rows[] = {
      {R"({"userId": "u", "event": "E"})", "track", nullptr},
      {R"({"userId": 42, "event": "E"})", "track", nullptr},  // numeric ids are accepted as text
      {R"({"userId": 1.5, "event": "E"})", "track", "userId"},
      {R"({"anonymousId": "a", "event": ""})", "track", "event"},
      {R"({"userId": "u", "event": "E", "properties": "x"})", "track", "properties"},
      {R"({"userId": "u", "event": "E", "context": []})", "track", "context"},
      {R"({"userId": "u", "event": "E", "messageId": {}})", "track", "messageId"},
      {R"({"userId": "u", "name": 5})", "page", "name"},
      {R"({"userId": "u"})", "group", "groupId"},
      {R"({"previousId": "p"})", "alias", "userId"},
      {R"({"type": "track", "userId": "u", "event": "E"})", "", nullptr},
      {R"({"type": "bogus", "userId": "u"})", "", "type"},
      {R"({"userId": "u"})", "", "type"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.body);
    auto m = parseSegmentMessage(json::parse(row.body), row.type, 0);
    if (row.field) {
      REQUIRE_FALSE(m);
      CHECK(m.error().field == row.field);
      CHECK(m.error().code == ErrorCode::kInvalidArgument);
    } else {
      CHECK(m.has_value());
    }
  }
  // An impossible timestamp does not refuse the message: the time received stands in, with a
  // warning.
  auto late = parseSegmentMessage(
      json::parse(R"({"userId": "u", "event": "E", "timestamp": "2026-13-01T00:00:00Z"})"), "track",
      1234);
  REQUIRE(late);
  CHECK(late->timestamp == 1234);
  CHECK(late->warning_field == "timestamp");
  CHECK(normalizePhone("+86 138-0013-8000") == "+8613800138000");
  CHECK(normalizePhone("call me") == "");
  CHECK(normalizeEmail("no-at-sign") == "");
}

TEST_CASE("the email provider's bounces and spam complaints suppress the address") {
  Fixture f;
  auto suppressions = [&] {
    std::map<std::string, std::string> out;
    SQLite::Statement q(f.db->sql(), "SELECT channel || ':' || address, reason FROM suppressions");
    while (q.executeStep()) out[q.getColumn(0).getString()] = q.getColumn(1).getString();
    return out;
  };
  f.send(R"({"userId": "ann", "traits": {"email": "old@example.com"}})", "identify");
  f.send(R"({"userId": "ann", "traits": {"email": "Ann@Example.com"}})", "identify");

  f.send(R"({"userId": "ann", "event": "Email Bounced", "properties": {"bounce_type": "Soft"}})",
         "track");
  f.send(R"({"userId": "ann", "event": "Email Bounced", "properties": {"type": "transient"}})",
         "track");
  f.send(
      R"({"userId": "ann", "event": "Email Bounced", "properties": {"email_address": "no-address"}})",
      "track");
  f.send(
      R"({"userId": "ann", "event": "Email Bounced", "properties": {"email": " Old@Example.com ", "bounce_type": "hard"}})",
      "track");
  // A stranger's address named in the event is not suppressed (a write key may be public).
  f.send(
      R"({"userId": "ann", "event": "Email Marked as Spam", "properties": {"recipient": "work@example.com"}})",
      "track");
  f.send(R"({"userId": "ann", "event": "Email Marked as Spam"})",
         "track");  // already suppressed: the first reason stays
  f.send(
      R"({"userId": "ann", "event": "Email Opened", "properties": {"email": "read@example.com"}})",
      "track");
  // The address the events name is suppressed when it is the customer's, else their latest.
  CHECK(suppressions() ==
        std::map<std::string, std::string>{{"email:ann@example.com", "hard bounce"},
                                           {"email:old@example.com", "hard bounce"}});

  // Nobody to suppress: the event is still stored.
  auto anon = f.send(R"({"anonymousId": "x", "event": "Email Bounced"})", "track");
  CHECK(suppressions().size() == 2);
  CHECK(f.profileOf(anon.customer_id)["events"][0]["event"] == "Email Bounced");
}

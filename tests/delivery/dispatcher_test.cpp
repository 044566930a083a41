#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>

#include "delivery_test_support.h"

using namespace journeyd;
using namespace journeyd::test;

TEST_CASE("pending rows are sent exactly once and marked sent with one attempt") {
  Outbox outbox("once");
  Receiver receiver;
  auto channels = makeChannels(outbox, receiver);
  std::vector<std::int64_t> hooks;
  for (const char* key : {"k-1", "k-2", "k-3"}) {
    hooks.push_back(outbox.insert({.key = key, .body = std::string(R"({"n":")") + key + "\"}"}));
  }
  auto mail = outbox.insert({.key = "m-1",
                             .channel = "mail",
                             .recipient = "ann@example.com",
                             .unsubscribe_url = "https://shop.example/u/tok"});
  auto dispatcher = startDispatcher(outbox, *channels);
  dispatcher->notify();

  for (auto id : hooks) REQUIRE(outbox.waitStatus(id, "sent"));
  REQUIRE(outbox.waitStatus(mail, "sent"));
  for (auto id : hooks) {
    auto m = outbox.message(id);
    CHECK(m.attempts == 1);
    CHECK(m.sent_at == kStart);
    CHECK_FALSE(m.next_attempt_at);
    // A first-time success is told by the row itself; attempts are kept when there is more to tell.
    CHECK(outbox.attempts(id).empty());
  }
  CHECK(outbox.message(mail).provider_id == "m-1");  // the log connector's id is the key

  // A later row is read after the earlier ones; once it is sent, the claimer has looked again
  // and must not have sent anything twice.
  auto later = outbox.insert({.key = "k-4"});
  dispatcher->notify();
  REQUIRE(outbox.waitStatus(later, "sent"));
  CHECK(receiver.count() == 4);
  for (const char* key : {"k-1", "k-2", "k-3", "k-4"}) CHECK(receiver.countOf(key) == 1);
  for (const auto& got : receiver.got()) {
    if (got.id == "k-2") CHECK(got.body == R"({"n":"k-2"})");
  }

  // The email went out with the row's parts, metadata and the unsubscribe headers.
  std::ifstream log(outbox.dir() + "/mail.ndjson");
  std::string line;
  REQUIRE(std::getline(log, line));
  auto json = nlohmann::json::parse(line);
  CHECK(json["id"] == "m-1");
  CHECK(json["to"] == "ann@example.com");
  CHECK(json["subject"] == "Hello m-1");
  CHECK(json["headers"]["List-Unsubscribe"] == "<https://shop.example/u/tok>");
  CHECK(json["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click");
  CHECK(json["metadata"]["customer_id"] == "42");
  CHECK(json["metadata"]["journey"] == "welcome");
  CHECK(json["metadata"]["step"] == "hello");
  CHECK_FALSE(std::getline(log, line));

  REQUIRE(waitFor([&] { return dispatcher->metrics().sent == 5; }));
  CHECK(dispatcher->metrics().in_flight == 0);
}

TEST_CASE("a 500 then a 200 is retried after the backoff and sent on the second attempt") {
  Outbox outbox("retry");
  Receiver receiver(statusOnce(500, R"({"message":"busy"})"));
  auto channels = makeChannels(outbox, receiver);
  auto id = outbox.insert({.key = "r-1"});
  auto dispatcher = startDispatcher(outbox, *channels);
  dispatcher->notify();

  REQUIRE(waitFor([&] { return outbox.message(id).attempts == 1; }));
  auto m = outbox.message(id);
  CHECK(m.status == "pending");
  CHECK(m.next_attempt_at == kStart + kSecondMs);  // first backoff, jitter pinned at 1.0
  CHECK(m.reason == "HTTP 500: busy");

  // Not due yet: a row due now goes out, the retry does not.
  outbox.clock.advance(kSecondMs - 1);
  auto other = outbox.insert({.key = "r-2"});
  dispatcher->notify();
  REQUIRE(outbox.waitStatus(other, "sent"));
  CHECK(receiver.countOf("r-1") == 1);

  outbox.clock.advance(1);
  dispatcher->notify();
  REQUIRE(outbox.waitStatus(id, "sent"));
  m = outbox.message(id);
  CHECK(m.attempts == 2);
  CHECK(receiver.countOf("r-1") == 2);
  auto attempts = outbox.attempts(id);
  REQUIRE(attempts.size() == 2);
  CHECK(attempts[0].result == "retry");
  CHECK(attempts[0].detail == "HTTP 500: busy");
  CHECK(attempts[1].result == "sent");
  REQUIRE(waitFor([&] { return dispatcher->metrics().sent == 2; }));
  CHECK(dispatcher->metrics().retried == 1);
  // Per channel: r-2 went at once; r-1 a second after it was queued (its retry time), and the
  // connector was called three times.
  const auto metrics = dispatcher->metrics();
  auto hook = std::find_if(metrics.channels.begin(), metrics.channels.end(),
                           [](const ChannelMetrics& c) { return c.channel == "hook"; });
  REQUIRE(hook != metrics.channels.end());
  CHECK(hook->sent == 2);
  CHECK(hook->retried == 1);
  CHECK(hook->failed == 0);
  CHECK(hook->delivery_seconds.count() == 2);
  CHECK(hook->delivery_seconds.sum == doctest::Approx(1.0));
  CHECK(hook->connector_seconds.count() == 3);
}

TEST_CASE("a 429 with Retry-After is not retried before the receiver asked") {
  Outbox outbox("retry-after");
  Receiver receiver(statusOnce(429, "slow down", "30"));
  auto channels = makeChannels(outbox, receiver);
  auto id = outbox.insert({.key = "t-1"});
  auto dispatcher = startDispatcher(outbox, *channels);
  dispatcher->notify();

  REQUIRE(waitFor([&] { return outbox.message(id).attempts == 1; }));
  auto m = outbox.message(id);
  CHECK(m.status == "pending");
  REQUIRE(m.next_attempt_at);
  CHECK(*m.next_attempt_at >= kStart + 30 * kSecondMs);
  CHECK(m.reason == "HTTP 429: slow down");
}

TEST_CASE("a 400 fails the message with the receiver's own words") {
  Outbox outbox("failed");
  Receiver receiver([](int, httplib::Response& res) {
    res.status = 400;
    res.set_content(R"({"message":"unknown event type"})", "application/json");
  });
  auto channels = makeChannels(outbox, receiver);
  auto id = outbox.insert({.key = "f-1"});
  auto dispatcher = startDispatcher(outbox, *channels);
  dispatcher->notify();

  REQUIRE(outbox.waitStatus(id, "failed"));
  auto m = outbox.message(id);
  CHECK(m.attempts == 1);
  CHECK(m.reason == "HTTP 400: unknown event type");
  CHECK_FALSE(m.next_attempt_at);
  auto attempts = outbox.attempts(id);
  REQUIRE(attempts.size() == 1);
  CHECK(attempts[0].result == "failed");
  REQUIRE(waitFor([&] { return dispatcher->metrics().failed == 1; }));
  CHECK(receiver.count() == 1);
}

TEST_CASE("a message still retried at max_attempts is dead") {
  Outbox outbox("dead");
  Receiver receiver([](int, httplib::Response& res) {
    res.status = 503;
    res.set_content("down", "text/plain");
  });
  auto channels = makeChannels(outbox, receiver, "  max_attempts: 2\n");
  auto id = outbox.insert({.key = "d-1"});
  auto dispatcher = startDispatcher(outbox, *channels);
  dispatcher->notify();

  REQUIRE(waitFor([&] { return outbox.message(id).attempts == 1; }));
  CHECK(outbox.message(id).status == "pending");
  outbox.clock.advance(kSecondMs);
  dispatcher->notify();
  REQUIRE(outbox.waitStatus(id, "dead"));
  auto m = outbox.message(id);
  CHECK(m.attempts == 2);
  CHECK(m.reason == "gave up after 2 attempts: HTTP 503: down");
  CHECK(outbox.attempts(id).size() == 2);
  CHECK(receiver.count() == 2);
  REQUIRE(waitFor([&] { return dispatcher->metrics().dead == 1; }));
}

TEST_CASE("a message that can no longer be retried within max_age is dead") {
  Outbox outbox("expired");
  Receiver receiver([](int, httplib::Response& res) { res.status = 503; });
  auto channels = makeChannels(outbox, receiver, "  max_age: 1m\n");
  auto id = outbox.insert({.key = "e-1", .created_at = kStart - 2 * kMinuteMs});
  auto dispatcher = startDispatcher(outbox, *channels);
  dispatcher->notify();

  REQUIRE(outbox.waitStatus(id, "dead"));
  CHECK(outbox.message(id).attempts == 1);
  CHECK(outbox.message(id).reason.rfind("expired", 0) == 0);
}

TEST_CASE("a row for a channel that is not configured fails without an attempt") {
  Outbox outbox("unknown");
  Receiver receiver;
  auto channels = makeChannels(outbox, receiver);
  auto id = outbox.insert({.key = "u-1", .channel = "fax"});
  auto dispatcher = startDispatcher(outbox, *channels);
  dispatcher->notify();

  REQUIRE(outbox.waitStatus(id, "failed"));
  auto m = outbox.message(id);
  CHECK(m.reason == "channel not configured");
  CHECK(m.attempts == 0);
  CHECK(outbox.attempts(id).empty());
  CHECK(receiver.count() == 0);
}

TEST_CASE("a row whose rendered message cannot be read fails without an attempt") {
  Outbox outbox("unreadable");
  Receiver receiver;
  auto channels = makeChannels(outbox, receiver);
  auto id = outbox.insert({.key = "bad-1"});
  outbox.exec("UPDATE messages SET rendered = '{not json' WHERE id = " + std::to_string(id));
  auto dispatcher = startDispatcher(outbox, *channels);
  dispatcher->notify();

  REQUIRE(outbox.waitStatus(id, "failed"));
  CHECK(outbox.message(id).reason == "the stored rendered message is not a JSON object");
  CHECK(outbox.message(id).attempts == 0);
  CHECK(receiver.count() == 0);
}

TEST_CASE(
    "a message sent while a higher-priority one displaced it is recorded as sent, not skipped") {
  Outbox outbox("displaced-race");
  const auto displaced = outbox.insert({"d1"});
  const auto plain_skip = outbox.insert({"d2"});
  outbox.exec(
      "UPDATE messages SET status = 'skipped', reason = 'capped: at most 1 messages per 1w, given "
      "to "
      "higher-priority win-back/coupon (priority 40)' WHERE id = " +
      std::to_string(displaced));
  outbox.exec(
      "UPDATE messages SET status = 'skipped', reason = 'holdout: in the global holdout group' "
      "WHERE id = " +
      std::to_string(plain_skip));
  std::vector<DeliveryOutcome> outcomes(2);
  for (auto& o : outcomes) {
    o.status = DeliveryOutcome::Status::kSent;
    o.attempt_result = DeliveryOutcome::Attempt::kSent;
    o.at = kStart + 1000;
    o.provider_id = "p";
  }
  outcomes[0].message_id = displaced;
  outcomes[1].message_id = plain_skip;
  REQUIRE(outbox.store().write([&](Tx& tx) -> Result<void> {
    tx.outbox().recordOutcomes(outcomes);
    return ok();
  }));
  CHECK(outbox.message(displaced).status == "sent");      // the truth: it went out
  CHECK(outbox.message(plain_skip).status == "skipped");  // other skips are never overwritten
}

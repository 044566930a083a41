#include <doctest/doctest.h>

#include <future>

#include "delivery_test_support.h"

using namespace journeyd;
using namespace journeyd::test;

TEST_CASE("a rate limit lets one burst out, then only as fast as the clock moves") {
  Outbox outbox("rate");
  Receiver receiver;
  auto channels = makeChannels(outbox, receiver, "  rate_limit: 5/s\n  concurrency: 4\n");
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 12; ++i) ids.push_back(outbox.insert({.key = "rl-" + std::to_string(i)}));
  auto dispatcher = startDispatcher(outbox, *channels);
  dispatcher->notify();

  // The clock is frozen: the burst (5) goes out and the next send waits for a token.
  REQUIRE(waitFor([&] {
    return receiver.count() == 5 && dispatcher->metrics().rate_limited >= 1 &&
           dispatcher->metrics().sent == 5;
  }));
  CHECK(receiver.count() == 5);

  outbox.clock.advance(kSecondMs);
  dispatcher->notify();
  REQUIRE(waitFor([&] {
    return receiver.count() == 10 && dispatcher->metrics().rate_limited >= 1 &&
           dispatcher->metrics().sent == 10;
  }));
  CHECK(receiver.count() == 10);

  outbox.clock.advance(kSecondMs);
  dispatcher->notify();
  for (auto id : ids) REQUIRE(outbox.waitStatus(id, "sent"));
  CHECK(receiver.count() == 12);
}

TEST_CASE("no more sends are in progress on a channel than its concurrency") {
  Outbox outbox("concurrency");
  Receiver receiver;
  receiver.closeGate();
  auto channels = makeChannels(outbox, receiver, "  concurrency: 3\n");
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 9; ++i) ids.push_back(outbox.insert({.key = "c-" + std::to_string(i)}));
  auto dispatcher = startDispatcher(outbox, *channels);
  dispatcher->notify();

  // Every row is claimed and queued on the channel, but only three sends reach the receiver.
  bool ready =
      waitFor([&] { return receiver.active() == 3 && dispatcher->metrics().in_flight == 9; });
  INFO("active=" << receiver.active() << " count=" << receiver.count()
                 << " in_flight=" << dispatcher->metrics().in_flight);
  REQUIRE(ready);
  CHECK(receiver.count() == 3);
  receiver.openGate();
  for (auto id : ids) REQUIRE(outbox.waitStatus(id, "sent"));
  CHECK(receiver.maxActive() == 3);
  CHECK(receiver.count() == 9);
}

TEST_CASE("stop() lets the send in progress finish and records it; queued rows stay pending") {
  Outbox outbox("drain");
  Receiver receiver;
  receiver.closeGate();
  auto channels = makeChannels(outbox, receiver, "  concurrency: 1\n");
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(outbox.insert({.key = "s-" + std::to_string(i)}));
  auto dispatcher = startDispatcher(outbox, *channels);
  dispatcher->notify();

  REQUIRE(waitFor([&] { return receiver.active() == 1 && dispatcher->metrics().in_flight == 3; }));
  auto stopped = std::async(std::launch::async, [&] { dispatcher->stop(); });
  // stop() has dropped the queued rows (only the send in progress is left in flight) before
  // the receiver answers, so the worker cannot pick up the next row.
  REQUIRE(waitFor([&] { return dispatcher->metrics().in_flight == 1; }));
  receiver.openGate();
  REQUIRE(stopped.wait_for(std::chrono::seconds(10)) == std::future_status::ready);

  // The oldest row was the one in flight: its result was recorded before stop() returned.
  auto first = outbox.message(ids[0]);
  CHECK(first.status == "sent");
  CHECK(first.attempts == 1);
  for (size_t i = 1; i < ids.size(); ++i) {
    auto m = outbox.message(ids[i]);
    CHECK(m.status == "pending");
    CHECK(m.attempts == 0);
  }
  CHECK(receiver.count() == 1);
  CHECK(dispatcher->metrics().in_flight == 0);
}

TEST_CASE("after a restart, rows recorded sent are not sent again and pending rows are") {
  Outbox outbox("restart");
  Receiver receiver;
  auto channels = makeChannels(outbox, receiver);
  auto a = outbox.insert({.key = "a"});
  {
    auto first = startDispatcher(outbox, *channels);
    first->notify();
    REQUIRE(outbox.waitStatus(a, "sent"));
    first->stop();
  }
  auto b = outbox.insert({.key = "b"});
  auto c = outbox.insert({.key = "c"});
  auto second = startDispatcher(outbox, *channels);
  second->notify();
  REQUIRE(outbox.waitStatus(b, "sent"));
  REQUIRE(outbox.waitStatus(c, "sent"));
  CHECK(receiver.countOf("a") == 1);
  CHECK(receiver.countOf("b") == 1);
  CHECK(receiver.countOf("c") == 1);
  CHECK(outbox.message(a).attempts == 1);
}

TEST_CASE("a send whose result never reached the store is sent again, with the same key") {
  Outbox outbox("crash");
  Receiver receiver;
  auto channels = makeChannels(outbox, receiver);
  auto options = testOptions();
  options.drain_timeout = 300;
  auto first = startDispatcher(outbox, *channels, options);

  // The store goes away (as in a crash) while the message is being sent: the receiver gets it,
  // but its outcome cannot be recorded.
  outbox.store().stop();
  auto id = outbox.insert({.key = "x-1"});
  first->notify();
  REQUIRE(
      waitFor([&] { return receiver.countOf("x-1") == 1 && first->metrics().store_errors >= 1; }));
  first->stop();
  first.reset();
  auto m = outbox.message(id);
  CHECK(m.status == "pending");
  CHECK(m.attempts == 0);

  // After the restart the row is sent again under the same idempotency key (webhook-id), so the
  // receiver can drop the duplicate; then it is recorded and never sent a third time.
  outbox.openWriter();
  auto second = startDispatcher(outbox, *channels);
  second->notify();
  REQUIRE(outbox.waitStatus(id, "sent"));
  CHECK(receiver.countOf("x-1") == 2);
  auto later = outbox.insert({.key = "x-2"});
  second->notify();
  REQUIRE(outbox.waitStatus(later, "sent"));
  CHECK(receiver.countOf("x-1") == 2);
}

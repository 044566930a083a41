#include "daemon/delivery/policy.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "daemon/journeys/loader.h"

using namespace journeyd;

TEST_CASE("the global holdout is stable per customer and close to the configured share") {
  int held = 0;
  for (std::int64_t id = 1; id <= 10000; ++id) {
    bool in = inHoldout(id, 10);
    CHECK(in == inHoldout(id, 10));  // stable
    held += in;
  }
  CHECK(held > 850);
  CHECK(held < 1150);
  CHECK_FALSE(inHoldout(42, 0));
}

TEST_CASE(
    "quiet hours defer to the end of the window in the customer's timezone, across midnight and "
    "DST") {
  const int kNine = 21 * 60, kEight = 8 * 60;
  struct Row {
    const char* now;
    const char* zone;
    int start, end;
    const char* want;  // nullptr: may go out now
  };
  const Row rows[] = {
      {"2026-03-02T14:30:00Z", "Asia/Shanghai", kNine, kEight,
       "2026-03-03T00:00:00.000Z"},  // 22:30 → 08:00 next day
      {"2026-03-02T23:00:00Z", "Asia/Shanghai", kNine, kEight,
       "2026-03-03T00:00:00.000Z"},  // 07:00 → 08:00 same day
      {"2026-03-02T04:00:00Z", "Asia/Shanghai", kNine, kEight, nullptr},  // 12:00
      {"2026-03-02T13:00:00Z", "Asia/Shanghai", kNine, kEight,
       "2026-03-03T00:00:00.000Z"},                                       // 21:00 exactly
      {"2026-03-03T00:00:00Z", "Asia/Shanghai", kNine, kEight, nullptr},  // 08:00 exactly
      {"2026-03-02T05:30:00Z", "UTC", 5 * 60, 6 * 60,
       "2026-03-02T06:00:00.000Z"},  // a daytime window
      // New York, the night clocks go forward (2026-03-08 02:00 → 03:00): 01:30 EST → 03:00 EDT.
      {"2026-03-08T06:30:00Z", "America/New_York", 60, 3 * 60, "2026-03-08T07:00:00.000Z"},
      {"2026-03-02T22:30:00Z", "Not/AZone", kNine, kEight,
       "2026-03-03T08:00:00.000Z"},  // unknown zone: UTC
  };
  for (const auto& row : rows) {
    CAPTURE(row.now);
    CAPTURE(row.zone);
    auto end = quietHoursEnd(*parseIsoTime(row.now), row.zone, row.start, row.end);
    if (row.want) {
      REQUIRE(end.has_value());
      CHECK(formatIsoTime(*end) == row.want);
    } else {
      CHECK_FALSE(end.has_value());
    }
  }
  CHECK_FALSE(quietHoursEnd(0, "UTC", -1, -1).has_value());
}

namespace {

using json = nlohmann::json;

JourneyPtr journey(const std::string& yaml) {
  Diagnostics diags;
  auto j = loadJourneyText(yaml, "j.yaml", {}, diags);
  INFO(diags.format());
  REQUIRE(j);
  return j;
}

const char* kOffer =
    "journey: offer\npriority: 10\ntopic: promotions\ntrigger: {event: A}\n"
    "steps:\n  - send: mail\n    channel: email\n    template: t\n"
    "  - send: text\n    channel: sms\n    template: t\n"
    "  - send: receipt\n    channel: email\n    template: t\n    category: transactional\n";

struct Ask {
  JourneyPtr j;
  json customer = {{"email", "ann@example.com"}, {"phone", "+8613800000000"}};
  MessageRequest r;
  Ask(JourneyPtr journey, const std::string& step, const std::string& kind, TimeMs now)
      : j(std::move(journey)) {
    r.customer_id = 7;
    r.journey = j.get();
    r.step = j->step(step);
    r.channel = kind;
    r.kind = kind;
    r.now = now;
    r.recipient = kind == "email" ? "ann@example.com" : "+8613800000000";
  }
  PolicyDecision decide(const PolicySettings& p, const std::vector<RecentMessage>& recent = {}) {
    r.customer = &customer;
    return decideDelivery(p, r, recent);
  }
};

RecentMessage recent(std::int64_t id, const std::string& journey_id, int priority, TimeMs at,
                     bool displaceable, const std::string& kind = "email") {
  RecentMessage m;
  m.id = id;
  m.journey_id = journey_id;
  m.step_id = "s" + std::to_string(id);
  m.channel = kind;
  m.kind = kind;
  m.priority = priority;
  m.at = at;
  m.displaceable = displaceable;
  return m;
}

const TimeMs kNoon = *parseIsoTime("2026-03-02T04:00:00Z");  // Monday 12:00 in Shanghai

}  // namespace

TEST_CASE(
    "every skip says why, in order: opt-out, address, suppression, consent, topic, holdout, "
    "control") {
  auto j = journey(kOffer);
  PolicySettings p;
  {
    Ask a(j, "receipt", "email", kNoon);
    a.customer["traits"] = {{"unsubscribed", true}};
    auto d = a.decide(p);
    CHECK_FALSE(d.send);
    CHECK(d.reason == "unsubscribed");  // a global opt-out stops even transactional mail
  }
  {
    Ask a(j, "mail", "email", kNoon);
    a.r.recipient.clear();
    a.r.raw_address = "ann-at-example";
    CHECK(a.decide(p).reason == "invalid address: 'ann-at-example' is not a valid email address");
    a.r.raw_address.clear();
    CHECK(a.decide(p).reason == "missing address: the customer has no email");
  }
  {
    Ask a(j, "receipt", "email", kNoon);
    a.r.suppressed = "hard bounce";
    CHECK(a.decide(p).reason == "suppressed: hard bounce");  // bounced is bounced, receipt or not
  }
  {
    Ask a(j, "mail", "email", kNoon);
    a.customer["traits"] = {{"consent", {{"email", false}}}};
    CHECK(a.decide(p).reason == "no consent for email");
    Ask receipt(j, "receipt", "email", kNoon);
    receipt.customer["traits"] = {
        {"consent", {{"email", false}, {"topics", {{"promotions", false}}}}}};
    CHECK(receipt.decide(p).send);  // transactional bypasses marketing consent
    Ask text(j, "text", "sms", kNoon);
    text.customer["traits"] = {{"consent", {{"email", false}}}};
    CHECK(text.decide(p).send);  // consent is per channel
    text.customer["traits"] = {{"consent", {{"topics", {{"promotions", false}}}}}};
    CHECK(text.decide(p).reason == "no consent for topic promotions");
    text.customer["traits"] = {{"consent", {{"topics", {{"newsletter", false}}}}}};
    CHECK(text.decide(p).send);  // another topic
  }
  {
    p.holdout_percent = 50;
    int held = 0;
    for (std::int64_t id = 1; id <= 200; ++id) {
      Ask a(j, "mail", "email", kNoon);
      a.r.customer_id = id;
      auto d = a.decide(p);
      CHECK(d.send == !inHoldout(id, 50));
      if (!d.send) {
        CHECK(d.reason == "holdout: in the global holdout group");
        ++held;
        Ask receipt(j, "receipt", "email", kNoon);
        receipt.r.customer_id = id;
        CHECK(receipt.decide(p).send);  // receipts reach the holdout too
      }
    }
    CHECK(held > 60);
    p.holdout_percent = 0;
  }
  {
    auto controlled = journey(std::string(kOffer) + "control_group: 20%\n");
    int control = 0;
    for (std::int64_t id = 1; id <= 500; ++id) {
      Ask a(controlled, "mail", "email", kNoon);
      a.r.customer_id = id;
      auto d = a.decide(p);
      if (!d.send) {
        CHECK(d.reason == "control group: held out of offer to measure its lift");
        ++control;
      }
    }
    CHECK(control > 70);
    CHECK(control < 130);
  }
}

TEST_CASE("journey control groups are stable and independent of the holdout and of each other") {
  int both = 0, a = 0, b = 0, held = 0;
  for (std::int64_t id = 1; id <= 20000; ++id) {
    const bool in_a = inJourneyControl("win-back", id, 1000);
    CHECK(in_a == inJourneyControl("win-back", id, 1000));
    const bool in_b = inJourneyControl("newcomer-guide", id, 1000);
    a += in_a;
    b += in_b;
    both += in_a && in_b;
    held += in_a && inHoldout(id, 10);
  }
  CHECK(a > 1800);
  CHECK(a < 2200);
  CHECK(b > 1800);
  // Independent: about 10% of 10% overlap, not the same customers every time.
  CHECK(both > 120);
  CHECK(both < 300);
  CHECK(held > 120);
  CHECK(held < 300);
  CHECK_FALSE(inJourneyControl("win-back", 1, 0));
}

TEST_CASE(
    "frequency caps: first come, priority arbitration over waiting messages, defer, per-journey "
    "caps") {
  auto low = journey(kOffer);
  auto high = journey(
      "journey: win-back\npriority: 40\ntrigger: {event: A}\n"
      "steps:\n  - send: coupon\n    channel: email\n    template: t\n");
  PolicySettings p;
  p.caps.push_back({"", 1, 7 * kDayMs});
  const TimeMs day = kDayMs;

  // Full with an email already sent yesterday: skipped, naming the rule and the message.
  Ask a(low, "mail", "email", kNoon);
  auto d = a.decide(p, {recent(1, "news", 5, kNoon - day, false)});
  CHECK_FALSE(d.send);
  CHECK(d.reason ==
        "capped: at most 1 messages per 1w, already taken by news/s1 (priority 5) at "
        "2026-03-01T04:00:00.000Z");
  // A message eight days old has left the window.
  CHECK(a.decide(p, {recent(1, "news", 5, kNoon - 8 * day, false)}).send);
  // Webhooks are not counted by an all-channel cap.
  CHECK(a.decide(p, {recent(1, "news", 5, kNoon - day, false, "webhook")}).send);

  // A higher priority takes the place of a lower one still waiting in the outbox...
  Ask h(high, "coupon", "email", kNoon);
  d = h.decide(p, {recent(3, "offer", 10, kNoon + 3600 * 1000, true)});
  CHECK(d.send);
  REQUIRE(d.displaced.size() == 1);
  CHECK(d.displaced[0].first == 3);
  CHECK(
      d.displaced[0].second ==
      "capped: at most 1 messages per 1w, given to higher-priority win-back/coupon (priority 40)");
  // ...but not of one already sent, nor does an equal or lower priority displace anything.
  d = h.decide(p, {recent(3, "offer", 10, kNoon - 3600 * 1000, false)});
  CHECK_FALSE(d.send);
  CHECK(d.displaced.empty());
  d = a.decide(p, {recent(3, "win-back", 40, kNoon + 3600 * 1000, true)});
  CHECK_FALSE(d.send);
  CHECK(d.displaced.empty());

  // when_capped: defer waits until the counted message leaves the window.
  auto deferring = journey(std::string(kOffer) + "when_capped: defer\n");
  Ask later(deferring, "mail", "email", kNoon);
  d = later.decide(p, {recent(1, "news", 5, kNoon - day, false)});
  CHECK(d.send);
  CHECK(formatIsoTime(d.send_at) == "2026-03-08T04:00:00.000Z");
  CHECK(d.reason.rfind("capped: at most 1 messages per 1w, taken by news/s1", 0) == 0);
  CHECK(d.reason.find("deferred to 2026-03-08T04:00:00.000Z") != std::string::npos);

  // A journey's own cap counts only its own messages.
  PolicySettings none;
  auto capped = journey(std::string(kOffer) + "caps:\n  - {max: 1, per: 30d}\n");
  Ask own(capped, "mail", "email", kNoon);
  CHECK(own.decide(none, {recent(1, "news", 5, kNoon - day, false)}).send);
  d = own.decide(none, {recent(1, "offer", 10, kNoon - 20 * day, false)});
  CHECK_FALSE(d.send);
  CHECK(d.reason.rfind("capped: at most 1 messages per 30d from journey offer", 0) == 0);
  CHECK(capLookback(none, *capped) == 30 * day);
  CHECK(capLookback(p, *capped) == 30 * day);

  // Transactional messages pass a full cap.
  Ask receipt(low, "receipt", "email", kNoon);
  CHECK(receipt.decide(p, {recent(1, "news", 5, kNoon - day, false)}).send);

  // The arbitration window holds a capped-channel message so a higher priority can still come.
  p.arbitration_ms = 15 * 60 * 1000;
  d = a.decide(p);
  CHECK(d.send);
  CHECK(d.send_at == kNoon + 15 * 60 * 1000);
  CHECK(d.reason == "held 15m for priority arbitration: deferred to 2026-03-02T04:15:00.000Z");

  // Only a message that fills its cap is held: with room for it and one more, a later
  // higher-priority message fits anyway, so it goes at once.
  PolicySettings roomy;
  roomy.caps.push_back({"", 3, 7 * kDayMs});
  roomy.arbitration_ms = 15 * 60 * 1000;
  d = a.decide(roomy);
  CHECK(d.send);
  CHECK(d.send_at == kNoon);
  CHECK(d.reason.empty());
  d = a.decide(roomy, {recent(1, "news", 5, kNoon - day, false)});
  CHECK(d.send_at == kNoon);
  // Two already counted (one sent, one waiting): this one takes the last place, so it waits.
  d = a.decide(roomy, {recent(1, "news", 5, kNoon - day, false),
                       recent(2, "news", 5, kNoon + 3600 * 1000, true)});
  CHECK(d.send);
  CHECK(d.send_at == kNoon + 15 * 60 * 1000);
  CHECK(d.reason == "held 15m for priority arbitration: deferred to 2026-03-02T04:15:00.000Z");
  // A transactional message is never held.
  CHECK(receipt
            .decide(roomy,
                    {recent(1, "news", 5, kNoon - day, false), recent(2, "news", 5, kNoon, true)})
            .send_at == kNoon);
}

TEST_CASE("quiet hours and send windows in the customer's timezone, and what transactional skips") {
  auto windowed = journey(std::string(kOffer) + "send_window: weekdays 10:00-18:00\n");
  PolicySettings p;
  p.timezone = "Asia/Shanghai";
  p.quiet_start_minute = 21 * 60;
  p.quiet_end_minute = 8 * 60;
  // Friday 2026-03-06 20:00 Shanghai (12:00Z): outside the window → Monday 10:00 (02:00Z).
  Ask a(windowed, "mail", "email", *parseIsoTime("2026-03-06T12:00:00Z"));
  auto d = a.decide(p);
  CHECK(d.send);
  CHECK(formatIsoTime(d.send_at) == "2026-03-09T02:00:00.000Z");
  CHECK(d.reason == "send window weekdays 10:00-18:00: deferred to 2026-03-09T02:00:00.000Z");
  // The customer's own zone wins over the business's: 20:00 in New York is quiet there.
  auto plain = journey(kOffer);
  Ask ny(plain, "mail", "email", *parseIsoTime("2026-03-07T01:00:00Z"));  // Fri 20:00 EST
  ny.customer["timezone"] = "America/New_York";
  p.quiet_start_minute = 19 * 60;
  d = ny.decide(p);
  CHECK(d.reason == "quiet hours: deferred to 2026-03-07T13:00:00.000Z");  // Sat 08:00 EST
  // Across the spring-forward night (2026-03-08), 08:00 EDT is 12:00Z.
  Ask dst(plain, "mail", "email", *parseIsoTime("2026-03-08T01:00:00Z"));  // Sat 20:00 EST
  dst.customer["timezone"] = "America/New_York";
  CHECK(dst.decide(p).reason == "quiet hours: deferred to 2026-03-08T12:00:00.000Z");
  // Quiet hours ending inside a closed send window: both are honoured.
  auto mornings = journey(std::string(kOffer) + "send_window: daily 09:00-11:00\n");
  Ask both(mornings, "mail", "email", *parseIsoTime("2026-03-02T14:00:00Z"));  // 22:00 Shanghai
  p.quiet_start_minute = 21 * 60;
  d = both.decide(p);
  CHECK(formatIsoTime(d.send_at) ==
        "2026-03-03T01:00:00.000Z");  // 09:00, after quiet hours end at 08:00
  CHECK(d.reason ==
        "quiet hours; send window daily 09:00-11:00: deferred to 2026-03-03T01:00:00.000Z");
  // A receipt goes out at night; webhooks ignore quiet hours.
  Ask receipt(plain, "receipt", "email", *parseIsoTime("2026-03-02T14:00:00Z"));
  d = receipt.decide(p);
  CHECK(d.send_at == *parseIsoTime("2026-03-02T14:00:00Z"));
  CHECK(d.reason.empty());
}

TEST_CASE(
    "caps are judged at the moment a message would go, and nothing is displaced for a deferred "
    "one") {
  PolicySettings p;
  p.caps.push_back({"", 1, kDayMs});
  // A weekend-only message decided on Monday goes on Saturday: a Tuesday message is four days
  // away from it and passes a one-per-day cap.
  auto plain = journey(kOffer);
  const TimeMs tuesday = *parseIsoTime("2026-03-03T04:00:00Z");
  const TimeMs saturday = *parseIsoTime("2026-03-07T02:00:00Z");
  Ask a(plain, "mail", "email", tuesday);
  CHECK(a.decide(p, {recent(1, "weekend", 10, saturday, false)}).send);
  // ...and the weekend message, judged on Saturday, is not held back by Monday's.
  auto weekend = journey(std::string(kOffer) + "send_window: weekends 10:00-18:00\n");
  Ask w(weekend, "mail", "email", *parseIsoTime("2026-03-02T04:00:00Z"));
  auto d = w.decide(p, {recent(2, "news", 10, *parseIsoTime("2026-03-02T03:00:00Z"), false)});
  CHECK(d.send);
  CHECK(formatIsoTime(d.send_at) == "2026-03-07T10:00:00.000Z");

  // A higher-priority message that ends up deferred by its own journey's cap takes nobody's place.
  auto high = journey(
      "journey: win-back\npriority: 40\nwhen_capped: defer\ncaps:\n  - {max: 1, per: 30d}\n"
      "trigger: {event: A}\nsteps:\n  - send: coupon\n    channel: email\n    template: t\n");
  Ask h(high, "coupon", "email", kNoon);
  d = h.decide(p, {recent(3, "offer", 10, kNoon + 600 * 1000, true),
                   recent(4, "win-back", 40, kNoon - 10 * kDayMs, false)});
  CHECK(d.send);
  CHECK(d.send_at >= kNoon + 20 * kDayMs);
  CHECK(d.displaced.empty());
}

TEST_CASE("a send window inside quiet hours is refused, not silently moved into them") {
  PolicySettings p;
  p.quiet_start_minute = 21 * 60;
  p.quiet_end_minute = 8 * 60;
  auto nightly = journey(std::string(kOffer) + "send_window: daily 22:00-23:00\n");
  Ask a(nightly, "mail", "email", kNoon);
  auto d = a.decide(p);
  CHECK_FALSE(d.send);
  CHECK(d.reason == "send window daily 22:00-23:00 lies inside quiet hours");
  // A receipt is not bound by quiet hours: its window opens at 22:00 UTC.
  auto receipt = journey(std::string(kOffer) + "send_window: daily 22:00-23:00\n");
  Ask r(receipt, "receipt", "email", kNoon);
  CHECK(formatIsoTime(r.decide(p).send_at) == "2026-03-02T22:00:00.000Z");
}

TEST_CASE("the timezone is the profile's, and the control group the one recorded at entry") {
  PolicySettings p;
  p.quiet_start_minute = 21 * 60;
  p.quiet_end_minute = 8 * 60;
  auto plain = journey(kOffer);
  Ask a(plain, "mail", "email",
        *parseIsoTime("2026-03-02T14:00:00Z"));  // 22:00 Shanghai, 15:00 Berlin
  a.customer["timezone"] = "Asia/Shanghai";
  a.customer["traits"] = {{"timezone", "Europe/Berlin"}};  // a trait does not override the profile
  CHECK(a.decide(p).reason == "quiet hours: deferred to 2026-03-03T00:00:00.000Z");

  auto controlled = journey(std::string(kOffer) + "control_group: 50%\n");
  PolicySettings none;
  std::int64_t in = 0, out = 0;
  for (std::int64_t id = 1; (in == 0 || out == 0) && id < 100; ++id) {
    (inJourneyControl("offer", id, 5000) ? in : out) = id;
  }
  Ask c(controlled, "mail", "email", kNoon);
  c.r.customer_id = in;
  CHECK_FALSE(c.decide(none).send);
  c.r.journey_control = false;  // entered as treatment (e.g. before control_group was raised)
  CHECK(c.decide(none).send);
  c.r.customer_id = out;
  c.r.journey_control = true;
  CHECK(c.decide(none).reason == "control group: held out of offer to measure its lift");
}

TEST_CASE(
    "a queued message is withdrawn at claim when the customer opted out, was suppressed or "
    "withdrew consent") {
  struct Row {
    const char* kind;
    bool transactional;
    const char* topic;
    const char* traits;  // nullptr: the customer was erased
    const char* suppressed;
    const char* want;  // "" = may go
  };
  const Row rows[] = {
      {"email", false, "", R"({})", "", ""},
      {"email", false, "", R"({"unsubscribed": true})", "", "withdrawn: unsubscribed"},
      {"email", true, "", R"({"unsubscribed": true})", "",
       "withdrawn: unsubscribed"},  // stops receipts too
      {"sms", false, "", R"({})", "STOP reply", "withdrawn: suppressed: STOP reply"},
      {"sms", true, "", R"({})", "STOP reply", "withdrawn: suppressed: STOP reply"},
      {"email", false, "", R"({"consent": {"email": false}})", "",
       "withdrawn: no consent for email"},
      {"email", true, "", R"({"consent": {"email": false}})", "",
       ""},  // a receipt needs no marketing consent
      {"sms", false, "", R"({"consent": {"email": false}})", "", ""},  // another channel's consent
      {"email", false, "newsletter", R"({"consent": {"topics": {"newsletter": false}}})", "",
       "withdrawn: no consent for topic newsletter"},
      {"email", false, "offers", R"({"consent": {"topics": {"newsletter": false}}})", "", ""},
      {"email", false, "", R"({"unsubscribed": false, "consent": {"email": true}})", "", ""},
      {"webhook", false, "", R"({"unsubscribed": true})", "x", ""},  // systems, not people
      {"email", false, "", nullptr, "", ""},  // no customer row: nothing to decide on
  };
  for (const auto& row : rows) {
    CAPTURE(row.kind);
    CAPTURE(row.traits ? row.traits : "(erased)");
    ClaimCheck check;
    check.kind = row.kind;
    check.transactional = row.transactional;
    check.topic = row.topic;
    check.suppressed = row.suppressed;
    json traits = row.traits ? json::parse(row.traits) : json();
    check.customer = row.traits ? &traits : nullptr;
    CHECK(withdrawAtClaim(check) == row.want);
  }
}

TEST_CASE(
    "the claim-time decision uses the queue-time rules' words: what was skipped then is withdrawn "
    "now") {
  // The same customer and message judged both ways: decideDelivery skips with reason R, so the
  // claim check withdraws with "withdrawn: " + R (one rule, not a copy).
  auto j = journey(
      "journey: j\ntopic: offers\ntrigger: {event: X}\nsteps:\n  - send: a\n    channel: email\n   "
      " template: t\n");
  const json customer = {{"traits", {{"consent", {{"topics", {{"offers", false}}}}}}}};
  MessageRequest request;
  request.customer_id = 1;
  request.customer = &customer;
  request.journey = j.get();
  request.step = &j->steps[0];
  request.channel = "email";
  request.kind = "email";
  request.recipient = "a@example.com";
  const auto queued = decideDelivery(PolicySettings{}, request, {});
  REQUIRE_FALSE(queued.send);
  ClaimCheck check;
  check.kind = "email";
  check.topic = "offers";
  const json traits = customer["traits"];
  check.customer = &traits;
  CHECK(withdrawAtClaim(check) == std::string(kWithdrawnPrefix) + queued.reason);
}

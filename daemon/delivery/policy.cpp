#include "daemon/delivery/policy.h"

#include <date/tz.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "daemon/journeys/cron.h"

namespace journeyd {

using json = nlohmann::json;

namespace {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// A trait of the customer view: under `traits`, else at the top level.
const json* trait(const json& customer, const char* name) {
  if (auto t = customer.find("traits"); t != customer.end() && t->is_object()) {
    if (auto v = t->find(name); v != t->end()) return &*v;
  }
  auto v = customer.find(name);
  return v != customer.end() ? &*v : nullptr;
}

/// consent.<key> or consent.topics.<topic> is explicitly false (absent means consented).
bool consentWithdrawn(const json& customer, const std::string& key, bool topic) {
  const json* consent = trait(customer, "consent");
  if (!consent || !consent->is_object()) return false;
  const json* scope = consent;
  if (topic) {
    auto t = consent->find("topics");
    if (t == consent->end() || !t->is_object()) return false;
    scope = &*t;
  }
  auto v = scope->find(key);
  return v != scope->end() && v->is_boolean() && !v->get<bool>();
}

constexpr const char* kUnsubscribed = "unsubscribed";

/// The global opt-out: `unsubscribed: true` stops every email and SMS, receipts included.
bool optedOut(const json& customer) {
  const json* out = trait(customer, "unsubscribed");
  return out && out->is_boolean() && out->get<bool>();
}

std::string suppressedReason(const std::string& why) { return "suppressed: " + why; }

/// Why marketing consent forbids the message: the channel's, then the topic's; "" when it allows.
std::string consentReason(const json& customer, const std::string& kind, const std::string& topic) {
  if (consentWithdrawn(customer, kind, false)) return "no consent for " + kind;
  if (!topic.empty() && consentWithdrawn(customer, topic, true))
    return "no consent for topic " + topic;
  return {};
}

/// A frequency cap rule as it applies to one message.
struct Rule {
  std::string channel;  ///< name or kind; empty: email and SMS together
  int max = 0;
  DurationMs window = 0;
  std::string journey;  ///< non-empty: counts only this journey's messages

  [[nodiscard]] bool covers(const std::string& name, const std::string& kind) const {
    return channel.empty() ? kind != "webhook" : channel == name || channel == kind;
  }
  [[nodiscard]] std::string describe() const {
    std::string s = "at most " + std::to_string(max) + " " +
                    (channel.empty() ? "messages" : channel) + " per " + formatDuration(window);
    if (!journey.empty()) s += " from journey " + journey;
    return s;
  }
};

std::vector<Rule> rulesFor(const PolicySettings& policy, const Journey& journey,
                           const std::string& name, const std::string& kind) {
  std::vector<Rule> rules;
  for (const auto& c : policy.caps) {
    Rule r{c.channel, c.max, c.window_ms, {}};
    if (r.covers(name, kind)) rules.push_back(r);
  }
  for (const auto& c : journey.caps) {
    Rule r{c.channel, c.max, c.window, journey.id};
    if (r.covers(name, kind)) rules.push_back(r);
  }
  return rules;
}

/// Whether a message going at `t` leaves some cap with no room for one more: the messages sent
/// or waiting within the rule's window of `t`, plus this one, reach its maximum.
bool fillsACap(const std::vector<Rule>& rules, const std::vector<RecentMessage>& recent, TimeMs t) {
  return std::any_of(rules.begin(), rules.end(), [&](const Rule& rule) {
    const auto counted = std::count_if(recent.begin(), recent.end(), [&](const RecentMessage& r) {
      return r.at > t - rule.window && r.at < t + rule.window && rule.covers(r.channel, r.kind) &&
             (rule.journey.empty() || r.journey_id == rule.journey);
    });
    return counted + 1 >= rule.max;
  });
}

std::string label(const RecentMessage& m) {
  return m.journey_id + "/" + m.step_id + " (priority " + std::to_string(m.priority) + ")";
}

/// The customer's timezone as their profile has it (the same one their waits use), else the
/// business's.
const std::string& customerZone(const json& customer, const PolicySettings& policy) {
  return timeZoneName(customerTimeZone(customer, findTimeZone(policy.timezone)));
}

}  // namespace

bool inHoldout(std::int64_t customer_id, double percent) {
  if (percent <= 0) return false;
  return static_cast<double>(splitmix64(static_cast<std::uint64_t>(customer_id)) % 10000) <
         percent * 100.0;
}

bool inJourneyControl(const std::string& journey_id, std::int64_t customer_id, int basis_points) {
  if (basis_points <= 0) return false;
  // Seeded by the journey so its control group is independent of the holdout and of other journeys.
  const std::uint64_t seed = fnv1a64(journey_id);
  return static_cast<int>(splitmix64(seed ^ static_cast<std::uint64_t>(customer_id)) % 10000) <
         basis_points;
}

std::optional<TimeMs> quietHoursEnd(TimeMs now, const std::string& timezone, int start_minute,
                                    int end_minute) {
  if (start_minute < 0 || end_minute < 0 || start_minute == end_minute) return std::nullopt;
  const date::time_zone* zone = findTimeZone(timezone);
  if (!zone) zone = date::locate_zone("UTC");
  using namespace std::chrono;
  const auto local = zone->to_local(sys_time<milliseconds>(milliseconds(now)));
  const auto day = floor<days>(local);
  const int minute = static_cast<int>(duration_cast<minutes>(local - day).count());
  const bool crosses_midnight = start_minute > end_minute;
  const bool quiet = crosses_midnight ? (minute >= start_minute || minute < end_minute)
                                      : (minute >= start_minute && minute < end_minute);
  if (!quiet) return std::nullopt;
  // The end of the window: today if it is still ahead, otherwise tomorrow (local calendar).
  auto end_day = day;
  if (crosses_midnight && minute >= start_minute) end_day += days(1);
  const auto end_local = end_day + minutes(end_minute);
  const auto end = zone->to_sys(end_local, date::choose::latest);
  return duration_cast<milliseconds>(end.time_since_epoch()).count();
}

const char* skipKindName(SkipKind kind) {
  switch (kind) {
    case SkipKind::kUnsubscribed:
      return "unsubscribed";
    case SkipKind::kMissingAddress:
      return "missing_address";
    case SkipKind::kInvalidAddress:
      return "invalid_address";
    case SkipKind::kSuppressed:
      return "suppressed";
    case SkipKind::kConsent:
      return "consent";
    case SkipKind::kHoldout:
      return "holdout";
    case SkipKind::kControlGroup:
      return "control_group";
    case SkipKind::kCapped:
      return "capped";
    case SkipKind::kQuietHours:
      return "quiet_hours";
    case SkipKind::kJourneyExit:
      return "journey_exit";
    case SkipKind::kOther:
      return "other";
  }
  return "other";
}

std::string withdrawAtClaim(const ClaimCheck& c, SkipKind* kind) {
  if (c.kind == "webhook") return {};
  static const json kNobody = json::object();
  const json traits =
      json{{"traits", c.customer && c.customer->is_object() ? *c.customer : kNobody}};
  std::string why;
  SkipKind found = SkipKind::kOther;
  if (optedOut(traits)) {
    why = kUnsubscribed;
    found = SkipKind::kUnsubscribed;
  } else if (!c.suppressed.empty()) {
    why = suppressedReason(c.suppressed);
    found = SkipKind::kSuppressed;
  } else if (!c.transactional) {
    why = consentReason(traits, c.kind, c.topic);
    found = SkipKind::kConsent;
  }
  if (kind) *kind = found;
  return why.empty() ? why : std::string(kWithdrawnPrefix) + why;
}

DurationMs capLookback(const PolicySettings& policy, const Journey& journey) {
  DurationMs longest = 0;
  for (const auto& c : policy.caps) longest = std::max(longest, c.window_ms);
  for (const auto& c : journey.caps) longest = std::max(longest, c.window);
  return longest;
}

PolicyDecision decideDelivery(const PolicySettings& policy, const MessageRequest& m,
                              const std::vector<RecentMessage>& recent) {
  PolicyDecision d;
  d.send_at = m.now;
  const json& customer = *m.customer;
  const MessageRules& rules = m.step->rules;
  auto skip = [&](SkipKind kind, std::string reason) {
    d.send = false;
    d.reason = std::move(reason);
    d.skip_kind = kind;
    return d;
  };
  const bool person = m.kind != "webhook";  // webhooks call systems, not people: no address rules

  // What no message may override: an explicit global opt-out, a missing or unusable address,
  // and the suppression list (bounces, complaints, STOP replies).
  if (person) {
    if (optedOut(customer)) return skip(SkipKind::kUnsubscribed, kUnsubscribed);
    const char* field = m.kind == "email" ? "email" : "phone";
    if (!m.raw_address.empty() && m.recipient.empty()) {
      return skip(SkipKind::kInvalidAddress,
                  "invalid address: '" + m.raw_address + "' is not a valid " +
                      (m.kind == "email" ? "email address" : "phone number"));
    }
    if (m.recipient.empty())
      return skip(SkipKind::kMissingAddress,
                  std::string("missing address: the customer has no ") + field);
    if (!m.suppressed.empty()) return skip(SkipKind::kSuppressed, suppressedReason(m.suppressed));
  }
  // When it may go: the first moment at or after `from` outside quiet hours (marketing to
  // people) and inside the step's send window, in the customer's timezone; nullopt when there is
  // none (a send window lying inside quiet hours).
  const std::string& zone_name = customerZone(customer, policy);
  const date::time_zone* zone = findTimeZone(zone_name);
  bool quiet_moved = false, window_moved = false;
  auto allowedFrom = [&](TimeMs from, bool quiet) -> std::optional<TimeMs> {
    TimeMs t = from;
    for (int i = 0; i < 16; ++i) {
      bool moved = false;
      if (quiet) {
        if (auto end =
                quietHoursEnd(t, zone_name, policy.quiet_start_minute, policy.quiet_end_minute)) {
          t = *end;
          moved = quiet_moved = true;
        }
      }
      if (rules.send_window) {
        const TimeMs next = nextInSendWindow(t, *rules.send_window, zone);
        if (next != t) {
          t = next;
          moved = window_moved = true;
        }
      }
      if (!moved) return t;
    }
    return std::nullopt;
  };
  std::vector<std::string> waits;
  auto sendAt = [&](TimeMs t) {
    d.send_at = t;
    if (t > m.now) {
      if (quiet_moved) waits.push_back("quiet hours");
      if (window_moved) waits.push_back("send window " + rules.send_window->text);
      if (waits.empty())
        waits.push_back("held " + formatDuration(policy.arbitration_ms) +
                        " for priority arbitration");
      for (size_t i = 0; i < waits.size(); ++i) d.reason += (i ? "; " : "") + waits[i];
      d.reason += ": deferred to " + formatIsoTime(t);
    }
    return d;
  };
  const std::string no_moment = "send window " +
                                (rules.send_window ? rules.send_window->text : std::string()) +
                                " lies inside quiet hours";

  if (rules.transactional) {
    // Receipts and resets bypass marketing rules; a send window the step asks for still holds.
    auto t = allowedFrom(m.now, false);
    return t ? sendAt(*t) : skip(SkipKind::kQuietHours, no_moment);
  }

  if (person) {
    if (auto why = consentReason(customer, m.kind, rules.topic); !why.empty())
      return skip(SkipKind::kConsent, std::move(why));
  }
  // The holdout and control groups measure what messages to people do; a webhook tells another
  // system (a reward, a CRM update) and goes regardless. The control group is the one recorded
  // on the enrollment at entry when there is one.
  if (person && inHoldout(m.customer_id, policy.holdout_percent))
    return skip(SkipKind::kHoldout, "holdout: in the global holdout group");
  const bool control = m.journey_control.value_or(
      inJourneyControl(m.journey->id, m.customer_id, m.journey->control_basis_points));
  if (person && control)
    return skip(SkipKind::kControlGroup,
                "control group: held out of " + m.journey->id + " to measure its lift");

  // Frequency caps, judged at the moment the message would go: the messages around it (sent, or
  // waiting in the outbox) count. A full cap gives way only to a higher priority, and only where
  // the message holding the place is still waiting; otherwise the newcomer is skipped or deferred.
  const auto cap_rules = rulesFor(policy, *m.journey, m.channel, m.kind);
  TimeMs from = m.now;
  // Held briefly so a higher-priority message due soon can still take its place, but only when
  // that can happen: when this message fills a cap (with it, the messages sent or waiting in the
  // window leave no room for one more). Where the cap has room for it and one more, a later
  // message fits anyway and holding this one would change nothing.
  if (!cap_rules.empty() && policy.arbitration_ms > 0 &&
      fillsACap(cap_rules, recent, m.now + policy.arbitration_ms)) {
    from += policy.arbitration_ms;
  }
  auto t = allowedFrom(from, person);
  if (!t) return skip(SkipKind::kQuietHours, no_moment);
  for (int round = 0; !cap_rules.empty(); ++round) {
    d.displaced.clear();
    TimeMs later = *t;
    std::vector<std::string> capped;
    for (const auto& rule : cap_rules) {
      std::vector<const RecentMessage*> counted;
      for (const auto& r : recent) {
        if (r.at <= *t - rule.window || r.at >= *t + rule.window || !rule.covers(r.channel, r.kind))
          continue;
        if (!rule.journey.empty() && r.journey_id != rule.journey) continue;
        const bool gone = std::any_of(d.displaced.begin(), d.displaced.end(),
                                      [&](const auto& x) { return x.first == r.id; });
        if (!gone) counted.push_back(&r);
      }
      if (static_cast<int>(counted.size()) < rule.max) continue;
      const size_t excess = counted.size() - static_cast<size_t>(rule.max) + 1;
      std::vector<const RecentMessage*> yielding;
      for (const auto* r : counted) {
        if (r->displaceable && r->priority < m.journey->priority) yielding.push_back(r);
      }
      const std::string rule_text = "capped: " + rule.describe();
      if (yielding.size() >= excess) {
        std::sort(yielding.begin(), yielding.end(),
                  [](const RecentMessage* a, const RecentMessage* b) {
                    return a->priority != b->priority ? a->priority < b->priority : a->at > b->at;
                  });
        for (size_t i = 0; i < excess; ++i) {
          d.displaced.emplace_back(yielding[i]->id, rule_text + ", given to higher-priority " +
                                                        m.journey->id + "/" + m.step->id +
                                                        " (priority " +
                                                        std::to_string(m.journey->priority) + ")");
        }
        continue;
      }
      std::sort(counted.begin(), counted.end(),
                [](const RecentMessage* a, const RecentMessage* b) { return a->at < b->at; });
      std::string held_by;
      for (size_t i = 0; i < counted.size() && i < 3; ++i) {
        held_by += (i ? ", " : "") + label(*counted[counted.size() - 1 - i]) + " at " +
                   formatIsoTime(counted[counted.size() - 1 - i]->at);
      }
      if (rules.when_capped == WhenCapped::kSkip || round == 15) {
        d.displaced.clear();
        return skip(SkipKind::kCapped, rule_text + ", already taken by " + held_by);
      }
      // Deferred: until enough of the counted messages have left the window.
      later = std::max(later, counted[excess - 1]->at + rule.window);
      capped.push_back(rule_text + ", taken by " + held_by);
    }
    if (capped.empty()) break;  // every cap allows it at *t (displacing what it must)
    waits = std::move(capped);
    t = allowedFrom(later, person);
    if (!t) return skip(SkipKind::kQuietHours, no_moment);
  }
  return sendAt(*t);
}

}  // namespace journeyd

#pragma once
/// The delivery policy: the rules every message passes before it is queued (global opt-out,
/// address, suppression, consent per channel and topic, holdout, journey control groups,
/// frequency caps with priority arbitration, quiet hours, send windows), and the reason for any
/// message that does not go out as asked. Pure: the journey runner feeds it from the store,
/// `simulate` from its timeline, so both decide the same way.
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "daemon/config/config.h"
#include "daemon/core/time.h"
#include "daemon/journeys/journey.h"

namespace journeyd {

/// Whether a customer is in the global holdout (no marketing messages, for lift measurement).
/// Stable: the same customer is always in or always out for a given percentage.
[[nodiscard]] bool inHoldout(std::int64_t customer_id, double percent);

/// Whether a customer is in a journey's control group (`control_group: 10%`): stable per
/// journey and customer, independent of the global holdout and of other journeys.
[[nodiscard]] bool inJourneyControl(const std::string& journey_id, std::int64_t customer_id,
                                    int basis_points);

/// When a message due at `now` falls inside quiet hours [start, end) in `timezone` (an IANA
/// name; UTC when unknown), the moment quiet hours end; nullopt when it may go out now. The
/// window may cross midnight (21:00–08:00). Minutes are local minutes of the day.
[[nodiscard]] std::optional<TimeMs> quietHoursEnd(TimeMs now, const std::string& timezone,
                                                  int start_minute, int end_minute);

/// A message the customer already has: sent, or waiting in the outbox. Transactional messages
/// are left out (they never count against caps).
struct RecentMessage {
  std::int64_t id = 0;
  std::string journey_id;
  std::string step_id;
  std::string channel;        ///< channel name
  std::string kind;           ///< email | sms | webhook
  int priority = 0;           ///< its journey's priority
  TimeMs at = 0;              ///< when it went out, or is due to go
  bool displaceable = false;  ///< still waiting, never attempted, due later: may give way
};

/// The message a send step asks for, with what the caller looked up.
struct MessageRequest {
  std::int64_t customer_id = 0;
  const nlohmann::json* customer =
      nullptr;  ///< the customer view (traits at the top level and under traits)
  const Journey* journey = nullptr;
  const Step* step = nullptr;           ///< the send step (its rules)
  std::string channel;                  ///< channel name
  std::string kind;                     ///< email | sms | webhook
  std::string recipient;                ///< normalized address; empty when missing or invalid
  std::string raw_address;              ///< what the customer has, when it did not normalize
  std::string suppressed;               ///< the suppression list's reason for this address
  std::optional<bool> journey_control;  ///< the control group recorded at entry; unset: hash it
  TimeMs now = 0;
};

/// What kind of rule kept a message from going, without the particulars the reason text tells:
/// a small fixed set, so metrics can count by it (the report groups the texts themselves).
enum class SkipKind : std::uint8_t {
  kUnsubscribed,    ///< the global opt-out
  kMissingAddress,  ///< no email / phone
  kInvalidAddress,  ///< an address that does not normalize
  kSuppressed,      ///< the suppression list (bounce, complaint, STOP reply, manual)
  kConsent,         ///< no consent for the channel or the topic
  kHoldout,         ///< the global holdout group
  kControlGroup,    ///< the journey's control group
  kCapped,          ///< a frequency cap (skipped, or displaced by a higher-priority message)
  kQuietHours,      ///< no moment to send: the send window lies inside quiet hours
  kJourneyExit,     ///< withdrawn because the customer left the journey early
  kOther,
};
inline constexpr size_t kSkipKinds = static_cast<size_t>(SkipKind::kOther) + 1;
/// snake_case: unsubscribed, missing_address, …, journey_exit, other.
[[nodiscard]] const char* skipKindName(SkipKind kind);

struct PolicyDecision {
  bool send = true;
  std::string reason;                     ///< why it was skipped, or why it waits (deferred / held)
  SkipKind skip_kind = SkipKind::kOther;  ///< with send == false
  TimeMs send_at = 0;                     ///< when it may go out (>= now)
  /// Lower-priority waiting messages this one takes the place of, with the reason each gets.
  std::vector<std::pair<std::int64_t, std::string>> displaced;
};

/// The dispatcher claims only rows due at its own now. A row due later than a planner's now plus
/// this margin (the two read the clock a moment apart) cannot be in flight, so it may still give
/// way to a higher-priority message.
inline constexpr DurationMs kClaimMarginMs = 1000;

/// How the reason of a queued message that was taken back begins (at claim, or when its
/// enrollment exited): such a message may still be recorded as sent when it was in flight.
inline constexpr const char* kWithdrawnPrefix = "withdrawn: ";

/// A message waiting in the outbox, as the dispatcher claims it: what the rules that cannot
/// wait need to be decided again on the customer as they are now.
struct ClaimCheck {
  std::string kind;            ///< email | sms | webhook
  bool transactional = false;  ///< category transactional: marketing consent does not apply
  std::string topic;           ///< the subscription topic it was queued for, if any
  /// The customer's traits now (object). Null when there is no customer row (erasing a customer
  /// deletes their messages in the same transaction): nothing to decide on, nothing withdrawn.
  const nlohmann::json* customer = nullptr;
  std::string suppressed;  ///< the suppression list's reason for the recipient now
};

/// The policy decided again when a queued message is claimed for sending: a global opt-out, the
/// suppression list, and (for marketing) consent for the channel and the topic, with the same
/// rules and words as decideDelivery. Webhooks call systems, not people: nothing applies. Returns
/// the reason the message is withdrawn ("withdrawn: unsubscribed", …), or "" when it may go.
/// `kind`, when given, receives the kind of rule that withdrew it.
[[nodiscard]] std::string withdrawAtClaim(const ClaimCheck& check, SkipKind* kind = nullptr);

/// How far back the caps that apply to this journey look (0: no cap applies, no history needed).
[[nodiscard]] DurationMs capLookback(const PolicySettings& policy, const Journey& journey);

/// Decides one message. `recent`: the customer's counted messages since now - capLookback().
[[nodiscard]] PolicyDecision decideDelivery(const PolicySettings& policy,
                                            const MessageRequest& request,
                                            const std::vector<RecentMessage>& recent);

}  // namespace journeyd

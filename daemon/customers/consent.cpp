#include "daemon/customers/consent.h"

namespace journeyd {

using json = nlohmann::json;

namespace {

constexpr const char* kStopReason = "STOP reply";

}  // namespace

bool liftedByStart(const std::string& reason) {
  // Our own record of a STOP, or the provider's (it reports a STOP it saw first as error 21610).
  return reason == kStopReason ||
         (reason.rfind("hard bounce:", 0) == 0 && reason.find("21610") != std::string::npos);
}

Result<std::optional<ConsentApplied>> applyConsentChange(Tx& tx, const ConsentChange& change) {
  auto before = tx.customers().load(change.customer_id);
  if (!before) return fail(Error::notFound("no such customer"));
  NewEvent event;
  event.customer_id = change.customer_id;
  event.message_id = change.message_id;
  event.type = "track";
  event.name = change.event;
  event.ts = change.at;
  event.received_at = change.at;
  event.properties = change.properties.dump();
  // A replay of the same change (a link used twice, a provider retrying an old STOP after a
  // START) is recorded once and changes nothing the second time.
  if (!tx.customers().insertEvent(event)) return std::optional<ConsentApplied>{};
  tx.customers().patchProfile(change.customer_id, change.traits, {}, {}, change.at);
  ConsentApplied out;
  out.applied.customer_id = change.customer_id;
  out.applied.previous_traits = before->traits;
  out.message.type = MessageType::kIdentify;
  out.message.traits = change.traits;
  out.message.received_at = out.message.timestamp = change.at;
  out.message.message_id = change.message_id;
  return std::optional<ConsentApplied>(std::move(out));
}

Result<std::vector<ConsentApplied>> applySmsReply(Tx& tx, const SmsReplyCommand& reply) {
  const std::string sid = reply.message_sid.empty() ? std::to_string(reply.at) : reply.message_sid;
  const std::string prefix = "sms-reply-" + sid + "-";
  if (tx.customers().eventIdWithPrefix(prefix)) return std::vector<ConsentApplied>{};
  if (reply.stop) {
    tx.suppressions().add({ChannelKind::kSms, reply.phone, kStopReason, reply.at}, false);
  } else if (auto why = tx.suppressions().reason(ChannelKind::kSms, reply.phone);
             why && liftedByStart(*why)) {
    tx.suppressions().remove(ChannelKind::kSms, reply.phone);
  }
  std::vector<ConsentApplied> out;
  if (const CustomerId owner = tx.customers().findByIdentity(IdentityKind::kPhone, reply.phone)) {
    auto changed = applyConsentChange(
        tx, {owner, json{{"consent", {{"sms", !reply.stop}}}},
             reply.stop ? "Unsubscribed" : "Subscribed",
             json{{"channel", "sms"}, {"via", "sms reply"}, {"keyword", reply.keyword}},
             prefix + std::to_string(owner), reply.at});
    if (!changed) return fail(changed.error());
    if (*changed) out.push_back(std::move(**changed));
  }
  return out;
}

}  // namespace journeyd

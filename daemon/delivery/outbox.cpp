#include "daemon/delivery/outbox.h"

#include <nlohmann/json.hpp>

#include "daemon/customers/inbound_message.h"

namespace journeyd {

namespace {

std::string stringField(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

}  // namespace

void addUnsubscribeHeaders(const std::string& unsubscribe_url, OutboundMessage& message) {
  if (unsubscribe_url.empty()) return;
  message.headers.emplace_back("List-Unsubscribe", "<" + unsubscribe_url + ">");
  if (unsubscribe_url.rfind("https://", 0) == 0) {
    message.headers.emplace_back("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
  }
}

Result<OutboundMessage> buildOutboundMessage(const ClaimedMessage& row, ChannelKind kind) {
  auto rendered = nlohmann::json::parse(row.rendered, nullptr, false);
  if (rendered.is_discarded() || !rendered.is_object()) {
    return fail(Error::invalid("the stored rendered message is not a JSON object"));
  }
  OutboundMessage m;
  m.id = row.idempotency_key;
  m.channel = row.channel;
  m.to = row.recipient;
  m.subject = stringField(rendered, "subject");
  m.html = stringField(rendered, "html");
  m.text = stringField(rendered, "text");
  m.body = stringField(rendered, "body");
  m.metadata["customer_id"] = std::to_string(row.customer_id);
  if (!row.journey_id.empty()) m.metadata["journey"] = row.journey_id;
  if (!row.step_id.empty()) m.metadata["step"] = row.step_id;
  if (!row.enrollment_key.empty()) m.metadata["key"] = row.enrollment_key;
  m.created_at = row.created_at;
  if (kind == ChannelKind::kEmail)
    addUnsubscribeHeaders(stringField(rendered, "unsubscribe_url"), m);
  return m;
}

std::optional<DeliveryOutcome::Suppress> bounceSuppression(const ClaimedMessage& row,
                                                           ChannelKind kind,
                                                           const std::string& detail) {
  if (!reachesPerson(kind)) return std::nullopt;
  const bool email = kind == ChannelKind::kEmail;
  std::string address = email ? normalizeEmail(row.recipient) : normalizePhone(row.recipient);
  if (address.empty()) return std::nullopt;
  return DeliveryOutcome::Suppress{kind, std::move(address), "hard bounce: " + detail};
}

}  // namespace journeyd

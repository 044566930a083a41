#pragma once
/// The kind of a channel: which rendered parts its messages carry and which rules apply to them
/// (email and SMS reach people; webhooks call other systems). One type for templates, the
/// delivery policy, the outbox and the connectors.
#include <optional>
#include <string_view>

namespace journeyd {

enum class ChannelKind { kEmail, kSms, kWebhook };

/// "email" | "sms" | "webhook".
[[nodiscard]] constexpr const char* channelKindName(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::kEmail:
      return "email";
    case ChannelKind::kSms:
      return "sms";
    case ChannelKind::kWebhook:
      return "webhook";
  }
  return "email";
}

/// The kind named `name`, or nullopt.
[[nodiscard]] constexpr std::optional<ChannelKind> parseChannelKind(std::string_view name) {
  if (name == "email") return ChannelKind::kEmail;
  if (name == "sms") return ChannelKind::kSms;
  if (name == "webhook") return ChannelKind::kWebhook;
  return std::nullopt;
}

/// Email and SMS reach a person (addresses, consent, quiet hours apply); webhooks do not.
[[nodiscard]] constexpr bool reachesPerson(ChannelKind kind) {
  return kind != ChannelKind::kWebhook;
}

}  // namespace journeyd

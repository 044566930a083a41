#pragma once
/// Customer data as it arrives: one Segment-spec message (identify, track, page, screen, alias,
/// group), validated. Parsing checks every field a later step relies on, so a message that
/// parses can always be stored.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/core/result.h"
#include "daemon/core/time.h"

namespace journeyd {

enum class MessageType { kIdentify, kTrack, kPage, kScreen, kAlias, kGroup };

const char* messageTypeName(MessageType type);

struct InboundMessage {
  MessageType type = MessageType::kTrack;
  std::string user_id;
  std::string anonymous_id;
  std::string previous_id;  ///< alias: the id being merged away
  std::string event;        ///< track: event name; page/screen: "Page Viewed"/"Screen Viewed"
  nlohmann::json traits;      ///< identify/group traits (object or null)
  nlohmann::json properties;  ///< track/page properties (object or null)
  nlohmann::json context;     ///< Segment context (object or null)
  std::string message_id;   ///< dedup key; generated when the client sent none
  TimeMs timestamp = 0;     ///< when it happened (client timestamp, else received time)
  TimeMs received_at = 0;
};

/// Parses one message. `type` forces the type (the endpoint /v1/track etc.); empty means the
/// body's own "type" (batch items, NDJSON import). `field_prefix` prefixes error field names
/// (e.g. "batch[3].").
Result<InboundMessage> parseSegmentMessage(const nlohmann::json& body, std::string_view type,
                                           TimeMs received_at, const std::string& field_prefix = {});

/// Parses a /v1/batch body: all messages or an error for the first bad one (nothing is stored
/// from a batch with a bad message). Batch-level `context` is merged under each message's own.
Result<std::vector<InboundMessage>> parseSegmentBatch(const nlohmann::json& body, TimeMs received_at);

/// Normalized identifiers: emails trimmed and lower-cased; phones reduced to + and digits.
/// Empty when the input is not a plausible email / phone number.
std::string normalizeEmail(std::string_view email);
std::string normalizePhone(std::string_view phone);

}  // namespace journeyd

#pragma once
/// Customer data as it arrives: one Segment-spec message (identify, track, page, screen, alias,
/// group), validated. Parsing checks every field a later step relies on, so a message that
/// parses can always be stored.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/result.h"
#include "daemon/core/time.h"

namespace journeyd {

enum class MessageType { kIdentify, kTrack, kPage, kScreen, kAlias, kGroup };

const char* messageTypeName(MessageType type);

struct InboundMessage {
  MessageType type = MessageType::kTrack;
  std::string user_id;
  std::string anonymous_id;
  std::string previous_id;    ///< alias: the id being merged away
  std::string event;          ///< track: event name; page/screen: "Page Viewed"/"Screen Viewed"
  nlohmann::json traits;      ///< identify/group traits (object or null)
  nlohmann::json properties;  ///< track/page properties (object or null)
  nlohmann::json context;     ///< Segment context (object or null)
  std::string message_id;     ///< dedup key; generated when the client sent none
  TimeMs timestamp = 0;       ///< when it happened (client timestamp, else received time)
  TimeMs received_at = 0;
  /// A problem that did not cost the message: a timestamp that could not be read (the time
  /// received stands in, as Segment does), with the field it is about.
  std::string warning;
  std::string warning_field;
};

/// A Segment timestamp, read as leniently as Segment reads it: ISO-8601 / RFC 3339 with one- or
/// two-digit month, day, hour, minute and second (`2015-2-24T4:46:30.000Z`), `T` or a space, an
/// optional fraction and a `Z` or `±hh:mm` offset; a date alone is midnight UTC.
std::optional<TimeMs> parseSegmentTimestamp(std::string_view text);

/// Parses one message. `type` forces the type (the endpoint /v1/track etc.); empty means the
/// body's own "type" (batch items, NDJSON import). `field_prefix` prefixes error field names
/// (e.g. "batch[3].").
Result<InboundMessage> parseSegmentMessage(const nlohmann::json& body, std::string_view type,
                                           TimeMs received_at,
                                           const std::string& field_prefix = {});

/// Parses a /v1/batch body: all messages or an error for the first bad one (nothing is stored
/// from a batch with a bad message; an unreadable timestamp is not bad, see `warning`).
/// Batch-level `context` is merged under each message's own.
Result<std::vector<InboundMessage>> parseSegmentBatch(const nlohmann::json& body,
                                                      TimeMs received_at);

/// Normalized identifiers: emails trimmed and lower-cased; phones in E.164 (`+14155550100`,
/// by libphonenumber, with the default region for numbers without a country code), or reduced
/// to their digits when no region tells the country. Empty when the input is not a plausible
/// email / phone number.
std::string normalizeEmail(std::string_view email);
std::string normalizePhone(std::string_view phone);

/// The region (ISO 3166, e.g. "US") for phone numbers written without a country code: set once
/// at start from `customers.default_region`, before any thread normalizes a number.
void setDefaultPhoneRegion(const std::string& region);

}  // namespace journeyd

#include "daemon/customers/inbound_message.h"

#include <phonenumbers/phonenumberutil.h>

#include <atomic>
#include <cctype>
#include <random>

namespace journeyd {

const char* messageTypeName(MessageType type) {
  switch (type) {
    case MessageType::kIdentify:
      return "identify";
    case MessageType::kTrack:
      return "track";
    case MessageType::kPage:
      return "page";
    case MessageType::kScreen:
      return "screen";
    case MessageType::kAlias:
      return "alias";
    case MessageType::kGroup:
      return "group";
  }
  return "track";
}

namespace {

using json = nlohmann::json;

std::optional<MessageType> typeFromName(std::string_view name) {
  if (name == "identify") return MessageType::kIdentify;
  if (name == "track") return MessageType::kTrack;
  if (name == "page") return MessageType::kPage;
  if (name == "screen") return MessageType::kScreen;
  if (name == "alias") return MessageType::kAlias;
  if (name == "group") return MessageType::kGroup;
  return std::nullopt;
}

/// A string id field: strings as they are, whole numbers as their decimal text (some SDKs send
/// numeric ids); anything else is a type error.
Result<std::string> idField(const json& body, const char* key, const std::string& prefix) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::string{};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer() || it->is_number_unsigned()) return it->dump();
  return fail(Error::invalid(std::string(key) + " must be a string", prefix + key));
}

Result<json> objectField(const json& body, const char* key, const std::string& prefix) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return json();
  if (!it->is_object())
    return fail(Error::invalid(std::string(key) + " must be an object", prefix + key));
  return *it;
}

std::string generatedMessageId() {
  static std::atomic<std::uint64_t> counter{0};
  static const std::uint64_t seed =
      std::random_device{}() ^ (std::uint64_t(std::random_device{}()) << 32);
  char buf[48];
  std::snprintf(buf, sizeof buf, "jd-%016llx-%llx", static_cast<unsigned long long>(seed),
                static_cast<unsigned long long>(counter.fetch_add(1)));
  return buf;
}

}  // namespace

Result<InboundMessage> parseSegmentMessage(const json& body, std::string_view forced_type,
                                           TimeMs received_at, const std::string& prefix) {
  if (!body.is_object()) return fail(Error::invalid("a message must be a JSON object", prefix));
  InboundMessage m;
  m.received_at = received_at;

  std::string type_name(forced_type);
  if (type_name.empty()) {
    auto it = body.find("type");
    if (it == body.end() || !it->is_string()) {
      return fail(Error::invalid("type is required (identify, track, page, screen, alias, group)",
                                 prefix + "type"));
    }
    type_name = it->get<std::string>();
  }
  auto type = typeFromName(type_name);
  if (!type) {
    return fail(Error::invalid(
        "unknown type '" + type_name + "' (expected identify, track, page, screen, alias or group)",
        prefix + "type"));
  }
  m.type = *type;

  auto user_id = idField(body, "userId", prefix);
  if (!user_id) return fail(user_id.error());
  auto anonymous_id = idField(body, "anonymousId", prefix);
  if (!anonymous_id) return fail(anonymous_id.error());
  m.user_id = std::move(*user_id);
  m.anonymous_id = std::move(*anonymous_id);

  if (m.type == MessageType::kAlias) {
    auto previous = idField(body, "previousId", prefix);
    if (!previous) return fail(previous.error());
    m.previous_id = std::move(*previous);
    if (m.previous_id.empty())
      return fail(Error::invalid("previousId is required for alias", prefix + "previousId"));
    if (m.user_id.empty())
      return fail(Error::invalid("userId is required for alias", prefix + "userId"));
  } else if (m.user_id.empty() && m.anonymous_id.empty()) {
    return fail(Error::invalid("userId or anonymousId is required", prefix + "userId"));
  }

  auto traits = objectField(body, "traits", prefix);
  if (!traits) return fail(traits.error());
  auto properties = objectField(body, "properties", prefix);
  if (!properties) return fail(properties.error());
  auto context = objectField(body, "context", prefix);
  if (!context) return fail(context.error());
  m.traits = std::move(*traits);
  m.properties = std::move(*properties);
  m.context = std::move(*context);

  switch (m.type) {
    case MessageType::kTrack: {
      auto it = body.find("event");
      if (it == body.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
        return fail(Error::invalid("event is required for track and must be a non-empty string",
                                   prefix + "event"));
      }
      m.event = it->get<std::string>();
      break;
    }
    case MessageType::kPage:
    case MessageType::kScreen: {
      m.event = m.type == MessageType::kPage ? "Page Viewed" : "Screen Viewed";
      // The page's own name and category travel as properties, as Segment destinations do.
      for (const char* key : {"name", "category"}) {
        auto it = body.find(key);
        if (it == body.end() || it->is_null()) continue;
        if (!it->is_string())
          return fail(Error::invalid(std::string(key) + " must be a string", prefix + key));
        if (m.properties.is_null()) m.properties = json::object();
        m.properties[key] = *it;
      }
      break;
    }
    case MessageType::kGroup: {
      auto group_id = idField(body, "groupId", prefix);
      if (!group_id) return fail(group_id.error());
      if (group_id->empty())
        return fail(Error::invalid("groupId is required for group", prefix + "groupId"));
      m.event = "Group";
      m.properties = json{{"groupId", *group_id}};
      break;
    }
    default:
      break;
  }

  auto message_id = idField(body, "messageId", prefix);
  if (!message_id) return fail(message_id.error());
  m.message_id = message_id->empty() ? generatedMessageId() : std::move(*message_id);

  m.timestamp = received_at;
  for (const char* key : {"timestamp", "originalTimestamp"}) {
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) continue;
    // Segment keeps a message whose timestamp it cannot read and stamps it with the time it
    // received it; so do we, and say so in the answer, rather than refuse a whole batch.
    auto t =
        it->is_string() ? parseSegmentTimestamp(it->get_ref<const std::string&>()) : std::nullopt;
    if (!t) {
      m.warning = std::string(key) + " " + it->dump() +
                  " is not an ISO-8601 date-time; the time the message was received is used";
      m.warning_field = prefix + key;
      break;
    }
    m.timestamp = *t;
    break;
  }
  return m;
}

std::optional<TimeMs> parseSegmentTimestamp(std::string_view text) {
  if (auto t = parseIsoTime(text)) return t;
  // Pad one-digit fields to two: YYYY-M-D[(T| )h:m[:s[.frac]]][zone].
  std::string padded;
  size_t pos = 0;
  auto number = [&](size_t min_digits, size_t max_digits, char after, bool optional_after) -> bool {
    const size_t start = pos;
    while (pos < text.size() && pos - start < max_digits && text[pos] >= '0' && text[pos] <= '9')
      ++pos;
    const size_t n = pos - start;
    if (n < min_digits) return false;
    if (n < 2) padded += '0';
    padded.append(text.substr(start, n));
    if (after == 0) return true;
    if (pos < text.size() && text[pos] == after) {
      padded += text[pos++];
      return true;
    }
    return optional_after;
  };
  if (!number(4, 4, '-', false) || !number(1, 2, '-', false) || !number(1, 2, 0, true))
    return std::nullopt;
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == 't' || text[pos] == ' ')) {
    padded += text[pos++];
    if (!number(1, 2, ':', false) || !number(1, 2, 0, true)) return std::nullopt;
    if (pos < text.size() && text[pos] == ':') {
      padded += text[pos++];
      if (!number(1, 2, 0, true)) return std::nullopt;
    }
  }
  padded.append(text.substr(pos));  // fraction and zone, as parseIsoTime reads them
  return parseIsoTime(padded);
}

Result<std::vector<InboundMessage>> parseSegmentBatch(const json& body, TimeMs received_at) {
  if (!body.is_object()) return fail(Error::invalid("the body must be a JSON object", ""));
  auto it = body.find("batch");
  if (it == body.end() || !it->is_array())
    return fail(Error::invalid("batch must be an array", "batch"));
  auto context = objectField(body, "context", "");
  if (!context) return fail(context.error());
  std::vector<InboundMessage> out;
  out.reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    auto m = parseSegmentMessage((*it)[i], "", received_at, "batch[" + std::to_string(i) + "].");
    if (!m) return fail(m.error());
    if (context->is_object()) {
      json merged = *context;
      if (m->context.is_object()) merged.update(m->context);
      m->context = std::move(merged);
    }
    out.push_back(std::move(*m));
  }
  return out;
}

std::string normalizeEmail(std::string_view email) {
  size_t b = 0, e = email.size();
  while (b < e && std::isspace(static_cast<unsigned char>(email[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(email[e - 1]))) --e;
  std::string out(email.substr(b, e - b));
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto at = out.find('@');
  if (at == std::string::npos || at == 0 || at + 1 >= out.size() ||
      out.find('@', at + 1) != std::string::npos || out.find(' ') != std::string::npos) {
    return {};
  }
  return out;
}

namespace {
std::string g_phone_region;  // set once at start, read-only afterwards
}  // namespace

void setDefaultPhoneRegion(const std::string& region) { g_phone_region = region; }

std::string normalizePhone(std::string_view phone) {
  // What a person writes around a number: spaces, dashes, dots, brackets, a leading +.
  std::string digits;
  for (char c : phone) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits += c;
    } else if (c == '+' && digits.empty()) {
      digits += c;
    } else if (c != ' ' && c != '-' && c != '(' && c != ')' && c != '.') {
      return {};
    }
  }
  const size_t count = digits.size() - (digits.starts_with('+') ? 1 : 0);
  if (count < 5 || count > 15) return {};
  auto* util = i18n::phonenumbers::PhoneNumberUtil::GetInstance();
  i18n::phonenumbers::PhoneNumber number;
  const std::string region = g_phone_region.empty() ? "ZZ" : g_phone_region;
  if (util->Parse(digits, region, &number) ==
          i18n::phonenumbers::PhoneNumberUtil::NO_PARSING_ERROR &&
      util->IsPossibleNumber(number)) {
    std::string e164;
    util->Format(number, i18n::phonenumbers::PhoneNumberUtil::E164, &e164);
    return e164;
  }
  return digits;  // no country known (no + and no default region), or not a number libphonenumber
                  // knows
}

}  // namespace journeyd

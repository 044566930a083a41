#include "connectors/http_answer.h"

#include <cctype>
#include <ctime>
#include <nlohmann/json.hpp>

namespace journeyd {

std::optional<HttpUrl> parseHttpUrl(const std::string& url) {
  HttpUrl out;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return std::nullopt;
  out.scheme = url.substr(0, scheme_end);
  if (out.scheme != "http" && out.scheme != "https") return std::nullopt;
  size_t host_start = scheme_end + 3;
  size_t path_start = url.find_first_of("/?", host_start);
  std::string authority = url.substr(
      host_start, path_start == std::string::npos ? std::string::npos : path_start - host_start);
  if (authority.empty() || authority.find('@') != std::string::npos) return std::nullopt;
  out.origin = out.scheme + "://" + authority;
  out.path = path_start == std::string::npos ? "/" : url.substr(path_start);
  if (out.path.front() == '?') out.path = "/" + out.path;
  return out;
}

DurationMs parseRetryAfter(std::string_view value, TimeMs now) {
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front())))
    value.remove_prefix(1);
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())))
    value.remove_suffix(1);
  if (value.empty()) return 0;
  bool digits = true;
  for (char c : value) digits = digits && std::isdigit(static_cast<unsigned char>(c));
  if (digits) {
    if (value.size() > 9) return 0;
    return std::stoll(std::string(value)) * kSecondMs;
  }
  std::tm tm{};
  std::string text(value);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return 0;
  TimeMs at = static_cast<TimeMs>(timegm(&tm)) * kSecondMs;
  return at > now ? at - now : 0;
}

std::string providerErrorText(std::string_view body) {
  constexpr size_t kMaxChars = 300;
  std::string text;
  auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_discarded() && json.is_object()) {
    for (const char* key : {"message", "error_message", "detail", "error", "errors"}) {
      auto it = json.find(key);
      if (it == json.end()) continue;
      if (it->is_string()) {
        text = it->get<std::string>();
      } else if (it->is_object() && it->contains("message") && (*it)["message"].is_string()) {
        text = (*it)["message"].get<std::string>();
      } else {
        text = it->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      }
      break;
    }
  }
  if (text.empty()) text = std::string(body);
  for (char& c : text) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  }
  if (text.size() > kMaxChars) text = text.substr(0, kMaxChars) + "...";
  return text;
}

SendResult mapHttpAnswer(int status, std::string_view body, std::string_view retry_after,
                         TimeMs now, std::string provider_id) {
  if (status >= 200 && status < 300) return SendResult::sent(std::move(provider_id));
  std::string reason = "HTTP " + std::to_string(status);
  std::string detail = providerErrorText(body);
  if (!detail.empty()) reason += ": " + detail;
  if (status == 429 || status >= 500 || status == 408) {
    return SendResult::retry(std::move(reason), parseRetryAfter(retry_after, now));
  }
  return SendResult::failed(std::move(reason));
}

}  // namespace journeyd

#pragma once
/// What HTTP-based connectors (webhook, sms_http) share: splitting a configured URL, and mapping
/// a provider's answer to a SendResult (2xx sent; 429/5xx retry honouring Retry-After; other
/// 4xx failed with the provider's own error text). Pure functions, no I/O.
#include <optional>
#include <string>
#include <string_view>

#include "connectors/connector.h"

namespace journeyd {

/// An http(s) URL split the way HTTP clients want it.
struct HttpUrl {
  std::string scheme;  ///< "http" or "https"
  std::string origin;  ///< "https://host:port" (port only when given)
  std::string path;    ///< "/hooks?x=1", "/" when empty
};

/// nullopt unless `url` is http:// or https:// with a host.
std::optional<HttpUrl> parseHttpUrl(const std::string& url);

/// A Retry-After value (delta seconds or an HTTP-date) as a duration from `now`; 0 when absent,
/// malformed or already past.
DurationMs parseRetryAfter(std::string_view value, TimeMs now);

/// The provider's error text from a response body: a JSON `message` / `error` / `error.message`
/// / `detail` field when there is one, else the body itself; trimmed to a readable length.
std::string providerErrorText(std::string_view body);

/// Maps an HTTP status to a send result; `provider_id` goes into a kSent result.
SendResult mapHttpAnswer(int status, std::string_view body, std::string_view retry_after,
                         TimeMs now, std::string provider_id = {});

}  // namespace journeyd

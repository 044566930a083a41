#pragma once
/// Base64 (RFC 4648), standard and URL-safe, on OpenSSL's encoder: the one implementation the
/// daemon and the connectors use.
#include <optional>
#include <string>
#include <string_view>

namespace journeyd {

/// Standard alphabet with '=' padding.
[[nodiscard]] std::string base64Encode(std::string_view data);
/// Standard alphabet; padding optional. nullopt for anything else.
[[nodiscard]] std::optional<std::string> base64Decode(std::string_view text);

/// URL-safe alphabet ('-', '_'), no padding (JWT style).
[[nodiscard]] std::string base64UrlEncode(std::string_view data);
/// URL-safe alphabet, padding optional. nullopt for anything else.
[[nodiscard]] std::optional<std::string> base64UrlDecode(std::string_view text);

}  // namespace journeyd

#pragma once
/// Building RFC 5322 / MIME messages for the smtp connector: RFC 2047 encoded words, folding,
/// quoted-printable and base64 bodies, multipart/alternative. Pure functions.
#include <optional>
#include <string>
#include <string_view>

#include "connectors/connector.h"

namespace journeyd {

/// An address with an optional display name: `Shop <news@shop.example>` or `news@shop.example`.
struct Mailbox {
  std::string display_name;
  std::string address;
  [[nodiscard]] std::string domain() const { return address.substr(address.rfind('@') + 1); }
};

/// nullopt unless `text` is one plausible address (local@domain, no spaces, CR or LF).
std::optional<Mailbox> parseMailbox(const std::string& text);

/// A header field `Name: value` (no trailing CRLF) with a UTF-8 value encoded as RFC 2047
/// `=?UTF-8?B?...?=` words when it is not plain ASCII, and folded so lines stay short.
std::string encodeHeader(const std::string& name, const std::string& value);

/// `"Display Name" <address>` with the name quoted or encoded as needed.
std::string formatMailbox(const Mailbox& mailbox);

/// Quoted-printable (RFC 2045) with CRLF line breaks and lines of at most 76 characters.
std::string quotedPrintable(std::string_view text);

/// Base64 in lines of 76 characters, each ended by CRLF.
std::string base64Lines(std::string_view data);

/// An RFC 5322 date: `Sun, 22 Nov 2026 16:58:39 +0000`.
std::string rfc5322Date(TimeMs t);

/// What goes into a message beyond the OutboundMessage itself.
struct MimeEnvelope {
  Mailbox from;
  std::string reply_to;  ///< optional Reply-To, as written in config
  TimeMs date = 0;       ///< the Date header
};

/// The complete message (headers and body, CRLF line breaks) ready for SMTP DATA.
std::string buildMimeMessage(const OutboundMessage& message, const MimeEnvelope& envelope);

}  // namespace journeyd

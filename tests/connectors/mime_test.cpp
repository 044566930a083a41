#include "connectors/smtp/mime.h"

#include <doctest/doctest.h>

using namespace journeyd;

TEST_CASE("mailboxes parse with and without a display name") {
  struct Row {
    const char* text;
    bool valid;
    const char* name;
    const char* address;
  };
  const Row rows[] = {
      {"Shop <news@shop.example>", true, "Shop", "news@shop.example"},
      {"\"Shop, Inc.\" <news@shop.example>", true, "Shop, Inc.", "news@shop.example"},
      {"news@shop.example", true, "", "news@shop.example"},
      {"商城 <news@shop.example>", true, "商城", "news@shop.example"},
      {"Shop news", false, "", ""},
      {"a@b@c", false, "", ""},
      {"<news@shop.example> trailing", false, "", ""},
      {"news@shop.example\r\nBcc: x@y.z", false, "", ""},
      {"@shop.example", false, "", ""},
  };
  for (const auto& row : rows) {
    CAPTURE(row.text);
    auto mailbox = parseMailbox(row.text);
    REQUIRE(mailbox.has_value() == row.valid);
    if (!row.valid) continue;
    CHECK(mailbox->display_name == row.name);
    CHECK(mailbox->address == row.address);
  }
}

TEST_CASE("header values are encoded only when they are not plain ASCII") {
  CHECK(encodeHeader("Subject", "Welcome back") == "Subject: Welcome back");
  CHECK(encodeHeader("Subject", "你好") == "Subject: =?UTF-8?B?5L2g5aW9?=");
  CHECK(encodeHeader("Subject", "a =?x?Q?y?= b") == "Subject: =?UTF-8?B?YSA9P3g/UT95Pz0gYg==?=");
  CHECK(encodeHeader("X-Bad", "line\r\nBcc: evil@example.com") ==
        "X-Bad: line  Bcc: evil@example.com");
  // long non-ASCII values become several words on folded lines, never splitting a character
  std::string long_subject;
  for (int i = 0; i < 40; ++i) long_subject += "会员";
  std::string header = encodeHeader("Subject", long_subject);
  size_t start = 0;
  while (start < header.size()) {
    size_t end = header.find("\r\n", start);
    std::string line =
        header.substr(start, end == std::string::npos ? std::string::npos : end - start);
    CHECK(line.size() <= 78);
    if (end == std::string::npos) break;
    start = end + 2;
  }
  // long ASCII values fold at spaces
  std::string words;
  for (int i = 0; i < 30; ++i) words += "word" + std::to_string(i) + " ";
  CHECK(encodeHeader("Subject", words).find("\r\n ") != std::string::npos);
}

TEST_CASE("quoted-printable keeps lines short and encodes what must be encoded") {
  struct Row {
    const char* in;
    const char* want;
  };
  const Row rows[] = {
      {"plain", "plain"},
      {"a=b", "a=3Db"},
      {"trailing \nspace", "trailing=20\r\nspace"},
      {"tab\t", "tab=09"},
      {"line1\r\nline2", "line1\r\nline2"},
      {".dot", "=2Edot"},
      {"é", "=C3=A9"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.in);
    CHECK(quotedPrintable(row.in) == row.want);
  }
  std::string encoded = quotedPrintable(std::string(200, 'x') + "é" + std::string(100, '='));
  size_t start = 0;
  while (start < encoded.size()) {
    size_t end = encoded.find("\r\n", start);
    CHECK((end == std::string::npos ? encoded.size() : end) - start <= 76);
    if (end == std::string::npos) break;
    start = end + 2;
  }
}

TEST_CASE("base64 bodies come in 76-character lines") {
  CHECK(base64Lines("") == "");
  CHECK(base64Lines("hello") == "aGVsbG8=\r\n");
  std::string lines = base64Lines(std::string(100, 'a'));
  CHECK(lines.find("\r\n") == 76);
}

TEST_CASE("dates are RFC 5322 in UTC") {
  CHECK(rfc5322Date(0) == "Thu, 01 Jan 1970 00:00:00 +0000");
  CHECK(rfc5322Date(1704164645000) == "Tue, 02 Jan 2024 03:04:05 +0000");
}

TEST_CASE("a message with only text is a single text/plain part") {
  OutboundMessage m{"id-1", "email", "a@b.example"};
  m.subject = "Hi";
  m.text = "Hello";
  std::string data = buildMimeMessage(m, {*parseMailbox("x@shop.example"), "", 0});
  CHECK(data.find("multipart") == std::string::npos);
  CHECK(data.find("Content-Type: text/plain; charset=UTF-8\r\n") != std::string::npos);
  CHECK(data.find("Message-ID: <id-1@shop.example>\r\n") != std::string::npos);
}

TEST_CASE("message headers cannot override the ones the connector owns") {
  OutboundMessage m{"id-2", "email", "a@b.example"};
  m.text = "x";
  m.headers = {
      {"From", "evil@example.com"}, {"Bad Name", "x"}, {"List-Unsubscribe", "<mailto:u@x>"}};
  std::string data = buildMimeMessage(m, {*parseMailbox("x@shop.example"), "", 0});
  CHECK(data.find("evil@example.com") == std::string::npos);
  CHECK(data.find("Bad Name") == std::string::npos);
  CHECK(data.find("List-Unsubscribe: <mailto:u@x>\r\n") != std::string::npos);
}

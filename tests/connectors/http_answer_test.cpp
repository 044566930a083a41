#include "connectors/http_answer.h"

#include <doctest/doctest.h>

using namespace journeyd;
using Status = SendResult::Status;

TEST_CASE("Retry-After is read as seconds or as an HTTP-date") {
  const TimeMs now = 1704164645000;  // Tue, 02 Jan 2024 03:04:05 GMT
  struct Row {
    const char* value;
    DurationMs want;
  };
  const Row rows[] = {
      {"120", 120000},
      {" 5 ", 5000},
      {"", 0},
      {"soon", 0},
      {"-3", 0},
      {"Tue, 02 Jan 2024 03:05:05 GMT", 60000},
      {"Tue, 02 Jan 2024 03:00:00 GMT", 0},  // already past
      {"Tue, 02 Jan 2024 03:05:05 PST", 0},
  };
  for (const auto& row : rows) {
    CAPTURE(row.value);
    CHECK(parseRetryAfter(row.value, now) == row.want);
  }
}

TEST_CASE("HTTP answers map to sent, retry and failed") {
  struct Row {
    int status;
    const char* body;
    const char* retry_after;
    Status want;
    DurationMs after;
    const char* reason;
  };
  const Row rows[] = {
      {200, "", "", Status::kSent, 0, ""},
      {201, "{}", "", Status::kSent, 0, ""},
      {204, "", "", Status::kSent, 0, ""},
      {429, "slow down", "30", Status::kRetry, 30000, "HTTP 429: slow down"},
      {500, "", "", Status::kRetry, 0, "HTTP 500"},
      {503, R"({"message":"maintenance"})", "2", Status::kRetry, 2000, "HTTP 503: maintenance"},
      {408, "", "", Status::kRetry, 0, "HTTP 408"},
      {400, R"({"error":{"message":"bad number"}})", "", Status::kFailed, 0,
       "HTTP 400: bad number"},
      {401, R"({"detail":"no key"})", "", Status::kFailed, 0, "HTTP 401: no key"},
      {404, "not\nfound", "", Status::kFailed, 0, "HTTP 404: not found"},
      {301, "", "", Status::kFailed, 0, "HTTP 301"},
  };
  for (const auto& row : rows) {
    CAPTURE(row.status);
    auto result = mapHttpAnswer(row.status, row.body, row.retry_after, 0, "pid");
    CHECK(result.status == row.want);
    CHECK(result.retry_after == row.after);
    CHECK(result.reason == row.reason);
    if (row.want == Status::kSent) CHECK(result.provider_id == "pid");
  }
}

TEST_CASE("provider error text is trimmed to a readable length") {
  CHECK(providerErrorText(std::string(1000, 'e')).size() == 303);
}

TEST_CASE("http URLs split into origin and path") {
  auto url = parseHttpUrl("https://api.example.com:8443/v1/sms?x=1");
  REQUIRE(url);
  CHECK(url->scheme == "https");
  CHECK(url->origin == "https://api.example.com:8443");
  CHECK(url->path == "/v1/sms?x=1");
  CHECK(parseHttpUrl("http://h")->path == "/");
  CHECK_FALSE(parseHttpUrl("ftp://h/x"));
  CHECK_FALSE(parseHttpUrl("http:///x"));
  CHECK_FALSE(parseHttpUrl("http://user:pw@h/x"));
  CHECK_FALSE(parseHttpUrl("h/x"));
}

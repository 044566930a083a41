#pragma once
/// Harnesses for the smtp connector (against tests/support/smtp_sink.py, aiosmtpd with
/// STARTTLS and AUTH, told what to answer by the recipient's address) and the log connector
/// (a local NDJSON file).
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness.h"
#include "tests/connectors/test_support.h"

namespace journeyd::kit {

/// smtp over STARTTLS with AUTH against aiosmtpd; the Message-ID carries the idempotency key.
class SmtpHarness final : public ConnectorHarness {
 public:
  SmtpHarness()
      : dir_("kit-smtp"),
        sink_({test::kPython, test::kSourceDir + "/tests/support/smtp_sink.py", dir_.str() + "/out",
               "--tls", "--user", "kit", "--password", kPassword}) {
    auto line = sink_.readLine(std::chrono::seconds(30));
    REQUIRE_MESSAGE(line.has_value(), "the SMTP sink did not start");
    port_ = std::stoi(*line);
  }
  [[nodiscard]] std::string settings(DurationMs timeout) const override {
    return "connector: smtp\n"
           "url: smtp://127.0.0.1:" +
           std::to_string(port_) +
           "\n"
           "tls: starttls\n"
           "ca_file: " +
           dir_.str() +
           "/out/cert.pem\n"
           "username: kit\n"
           "password: " +
           kPassword +
           "\n"
           "from: 'Kit <kit@shop.example>'\n"
           "timeout: " +
           std::to_string(timeout) +
           "ms\n"
           "connect_timeout: 2s\n";
  }
  [[nodiscard]] MessageKind kind() const override { return MessageKind::kEmail; }
  /// SMTP has no Retry-After.
  [[nodiscard]] bool supports(FakeMode mode) const override {
    return mode != FakeMode::kRetryAfter;
  }
  void setMode(FakeMode mode) override { mode_ = mode; }
  [[nodiscard]] OutboundMessage message(const std::string& id) const override {
    // smtp_sink.py answers by the recipient's local part.
    const char* local = mode_ == FakeMode::kPermanent           ? "policy"
                        : mode_ == FakeMode::kRecipientRejected ? "reject"
                        : mode_ == FakeMode::kRetryable         ? "tempfail"
                        : mode_ == FakeMode::kHang              ? "hang"
                                                                : "ann";
    OutboundMessage m{id, "kit", std::string(local) + "@example.com"};
    m.subject = "Welcome back";
    m.text = "Hello";
    m.html = "<p>Hello</p>";
    m.created_at = 1704164645000;
    return m;
  }
  [[nodiscard]] std::vector<Received> received() const override {
    std::vector<Received> out;
    for (int n = 1;; ++n) {
      auto file = dir_.path() / ("out/msg-" + std::to_string(n) + ".eml");
      if (!std::filesystem::exists(file)) break;
      std::string text = test::readFile(file);
      std::string key;
      const std::string header = "\nMessage-ID: <";
      if (size_t at = text.find(header); at != std::string::npos) {
        size_t start = at + header.size();
        key = text.substr(start, text.find('@', start) - start);
      }
      out.push_back({key, text});
    }
    return out;
  }
  [[nodiscard]] std::vector<std::string> secrets() const override { return {kPassword}; }
  [[nodiscard]] std::vector<BadSettings> badSettings() const override {
    const std::string head =
        "connector: smtp\nurl: smtp://127.0.0.1:" + std::to_string(port_) + "\n";
    return {
        {head + "tls: startls\nfrom: kit@shop.example\n", 3, 6,
         "'tls' must be one of starttls, none, not 'startls'; did you mean 'starttls'?"},
        {head + "username: kit\npassword: ${JD_KIT_UNSET_PASSWORD}\nfrom: kit@shop.example\n", 4,
         11, "environment variable 'JD_KIT_UNSET_PASSWORD' for 'password' is not set"},
        {head + "from: not an address\n", 3, 7,
         "'from' must be an address like 'Shop <news@shop.example>', not 'not an address'"},
    };
  }

 private:
  static constexpr const char* kPassword = "kit-smtp-password-4e2b77";
  test::TempDir dir_;
  test::ChildProcess sink_;
  int port_ = 0;
  FakeMode mode_ = FakeMode::kAccept;
};

/// log: appends NDJSON to a file; a temporary failure is a path that cannot be created (its
/// folder is a regular file), made before the first send.
class LogHarness final : public ConnectorHarness {
 public:
  LogHarness() : dir_("kit-log") {}
  [[nodiscard]] std::string settings(DurationMs) const override {
    return "connector: log\npath: " + dir_.str() + "/out/messages.ndjson\nkind: email\n";
  }
  [[nodiscard]] MessageKind kind() const override { return MessageKind::kEmail; }
  [[nodiscard]] bool supports(FakeMode mode) const override {
    return mode == FakeMode::kAccept || mode == FakeMode::kRetryable;
  }
  void setMode(FakeMode mode) override {
    std::filesystem::remove_all(dir_.path() / "out");
    if (mode == FakeMode::kRetryable) std::ofstream(dir_.path() / "out") << "not a folder\n";
  }
  [[nodiscard]] OutboundMessage message(const std::string& id) const override {
    OutboundMessage m{id, "kit", "ann@example.com"};
    m.subject = "Welcome back";
    m.text = "Hello";
    return m;
  }
  [[nodiscard]] std::vector<Received> received() const override {
    std::vector<Received> out;
    std::ifstream in(dir_.path() / "out/messages.ndjson");
    for (std::string line; std::getline(in, line);) {
      auto json = nlohmann::json::parse(line, nullptr, false);
      out.push_back({json.is_object() ? json.value("id", "") : "", line});
    }
    return out;
  }
  [[nodiscard]] std::vector<std::string> secrets() const override { return {}; }
  [[nodiscard]] std::vector<BadSettings> badSettings() const override {
    return {
        {"connector: log\npath: x.ndjson\nkind: emial\n", 3, 7,
         "'kind' must be one of email, sms, webhook, not 'emial'; did you mean 'email'?"},
        {"connector: log\nkind: sms\n", 1, 1, "missing required setting 'path'"},
    };
  }

 private:
  test::TempDir dir_;
};

}  // namespace journeyd::kit

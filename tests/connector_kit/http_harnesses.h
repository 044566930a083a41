#pragma once
/// Harnesses for the connectors that talk HTTP — sms_http (Twilio format), webhook, and the
/// crm_task example plugin — each against a FakeHttpProvider on 127.0.0.1.
#include <nlohmann/json.hpp>

#include "harness.h"
#include "tests/support/fake_http_provider.h"

namespace journeyd::kit {

using test::FakeHttpProvider;

/// What the HTTP harnesses share: the fake, its answer per mode, and reading the idempotency
/// key from a request header.
class HttpHarness : public ConnectorHarness {
 public:
  explicit HttpHarness(std::string key_header) : key_header_(std::move(key_header)) {}

  [[nodiscard]] bool supports(FakeMode mode) const override {
    return mode != FakeMode::kRecipientRejected || bounces();
  }
  void setMode(FakeMode mode) override {
    switch (mode) {
      case FakeMode::kAccept:
        fake_.respond([this](const FakeHttpProvider::Request&, int nth) {
          return FakeHttpProvider::Answer{acceptStatus(), acceptBody(nth)};
        });
        break;
      case FakeMode::kPermanent:
        fake_.respondAlways(permanentAnswer());
        break;
      case FakeMode::kRecipientRejected:
        fake_.respondAlways(recipientRejectedAnswer());
        break;
      case FakeMode::kRetryable:
        fake_.respondAlways({503, R"({"message":"service unavailable"})"});
        break;
      case FakeMode::kRetryAfter:
        fake_.respondAlways(
            {429, R"({"message":"slow down"})", std::to_string(kFakeRetryAfter / kSecondMs)});
        break;
      case FakeMode::kHang:
        fake_.respondAlways({200, "{}", "", true});
        break;
    }
  }
  [[nodiscard]] std::vector<Received> received() const override {
    std::vector<Received> out;
    for (const auto& request : fake_.requests()) {
      std::string payload = request.body;
      for (const auto& [name, value] : request.headers) payload += "\n" + name + ": " + value;
      out.push_back({request.header(key_header_), payload});
    }
    return out;
  }

 protected:
  [[nodiscard]] virtual bool bounces() const = 0;
  [[nodiscard]] virtual int acceptStatus() const { return 200; }
  [[nodiscard]] virtual std::string acceptBody(int nth) const = 0;
  [[nodiscard]] virtual FakeHttpProvider::Answer permanentAnswer() const = 0;
  [[nodiscard]] virtual FakeHttpProvider::Answer recipientRejectedAnswer() const { return {}; }

  FakeHttpProvider fake_;

 private:
  std::string key_header_;
};

/// sms_http in Twilio format: Basic auth with the auth token, `Idempotency-Key` header.
class SmsHttpHarness final : public HttpHarness {
 public:
  SmsHttpHarness() : HttpHarness("Idempotency-Key") { setMode(FakeMode::kAccept); }
  [[nodiscard]] std::string settings(DurationMs timeout) const override {
    return "connector: sms_http\n"
           "url: " +
           fake_.url("/2010-04-01/Accounts/ACkit/Messages.json") +
           "\n"
           "from: '+15550001111'\n"
           "account_sid: ACkit\n"
           "auth_token: " +
           kToken +
           "\n"
           "timeout: " +
           std::to_string(timeout) +
           "ms\n"
           "connect_timeout: 2s\n";
  }
  [[nodiscard]] MessageKind kind() const override { return MessageKind::kSms; }
  [[nodiscard]] OutboundMessage message(const std::string& id) const override {
    OutboundMessage m{id, "kit", "+15551234567"};
    m.body = "Your table is ready";
    return m;
  }
  [[nodiscard]] std::vector<std::string> secrets() const override { return {kToken}; }
  [[nodiscard]] std::vector<BadSettings> badSettings() const override {
    const std::string url = "url: " + fake_.url("/sms") + "\n";
    return {
        {"connector: sms_http\n" + url + "format: twillio\n", 3, 9,
         "'format' must be one of twilio, json, not 'twillio'; did you mean 'twilio'?"},
        {"connector: sms_http\n" + url +
             "from: '+15550001111'\naccount_sid: ACkit\nauth_token: ${JD_KIT_UNSET_TOKEN}\n",
         5, 13, "environment variable 'JD_KIT_UNSET_TOKEN' for 'auth_token' is not set"},
    };
  }

 protected:
  [[nodiscard]] bool bounces() const override { return true; }
  [[nodiscard]] int acceptStatus() const override { return 201; }
  [[nodiscard]] std::string acceptBody(int nth) const override {
    return R"({"sid":"SM)" + std::to_string(nth) + R"(","status":"queued"})";
  }
  [[nodiscard]] FakeHttpProvider::Answer permanentAnswer() const override {
    return {400, R"({"code":21602,"message":"Message body is required."})"};
  }
  [[nodiscard]] FakeHttpProvider::Answer recipientRejectedAnswer() const override {
    return {400, R"({"code":21211,"message":"The 'To' number is not a valid phone number."})"};
  }

 private:
  static constexpr const char* kToken = "kit-twilio-auth-token-7f3a9c";
};

/// webhook: signed with the whsec_ secret, `webhook-id` header; never bounces.
class WebhookHarness final : public HttpHarness {
 public:
  WebhookHarness() : HttpHarness("webhook-id") { setMode(FakeMode::kAccept); }
  [[nodiscard]] std::string settings(DurationMs timeout) const override {
    return "connector: webhook\n"
           "url: " +
           fake_.url("/hooks/kit") +
           "\n"
           "secret: " +
           std::string(kSecret) +
           "\n"
           "timeout: " +
           std::to_string(timeout) +
           "ms\n"
           "connect_timeout: 2s\n";
  }
  [[nodiscard]] MessageKind kind() const override { return MessageKind::kWebhook; }
  [[nodiscard]] OutboundMessage message(const std::string& id) const override {
    OutboundMessage m{id, "kit", ""};
    m.body = R"({"event":"order_shipped","order":"A-17"})";
    return m;
  }
  [[nodiscard]] std::vector<std::string> secrets() const override {
    return {kSecret, std::string(kSecret).substr(6)};
  }
  [[nodiscard]] std::vector<BadSettings> badSettings() const override {
    return {
        {"connector: webhook\nurl: ftp://hooks.example\nsecret: " + std::string(kSecret) + "\n", 2,
         6, "'url' must be an http:// or https:// URL with a host, not 'ftp://hooks.example'"},
        {"connector: webhook\nurl: " + fake_.url("/h") + "\nsecret: not-a-secret\n", 3, 9,
         "'secret' must be written whsec_ followed by base64 (Standard Webhooks)"},
        {"connector: webhook\nurl: " + fake_.url("/h") + "\nsecret: " + kSecret + "\ntimout: 5s\n",
         4, 1, "unknown setting 'timout'; did you mean 'timeout'?"},
    };
  }

 protected:
  [[nodiscard]] bool bounces() const override { return false; }
  [[nodiscard]] std::string acceptBody(int) const override { return "{}"; }
  [[nodiscard]] FakeHttpProvider::Answer permanentAnswer() const override {
    return {400, R"({"message":"unknown event type"})"};
  }

 private:
  static constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
};

/// The worked example plugin (examples/crm_task_plugin/, libcrm_task.so) loaded through
/// `connector: plugin`: Bearer token, `Idempotency-Key` header, `contact_not_found` bounces.
class CrmTaskPluginHarness final : public HttpHarness {
 public:
  CrmTaskPluginHarness() : HttpHarness("Idempotency-Key") { setMode(FakeMode::kAccept); }
  [[nodiscard]] std::string settings(DurationMs timeout) const override {
    return "connector: plugin\n"
           "path: " JD_CRM_TASK_PLUGIN
           "\n"
           "kind: webhook\n"
           "settings:\n"
           "  url: " +
           fake_.url("/v1/tasks") +
           "\n"
           "  token: " +
           kToken +
           "\n"
           "  timeout_ms: " +
           std::to_string(timeout) +
           "\n"
           "  connect_timeout_ms: 2000\n";
  }
  [[nodiscard]] MessageKind kind() const override { return MessageKind::kWebhook; }
  [[nodiscard]] OutboundMessage message(const std::string& id) const override {
    OutboundMessage m{id, "kit", "contact-17"};
    m.subject = "Call back about the order";
    m.body = R"({"note":"asked for a call"})";
    m.metadata = {{"journey", "win_back"}, {"step", "crm_task"}};
    return m;
  }
  [[nodiscard]] std::vector<std::string> secrets() const override { return {kToken}; }
  [[nodiscard]] std::vector<BadSettings> badSettings() const override {
    return {
        {"connector: plugin\npath: /nonexistent/libnope.so\n", 2, 7,
         "plugin file '/nonexistent/libnope.so' does not exist"},
        {"connector: plugin\npath: " JD_CRM_TASK_PLUGIN
         "\nsettings:\n  url: ftp://crm.example/tasks\n  token: t\n",
         4, 8,
         "plugin refused its settings: 'url' must be an http:// or https:// URL, not "
         "'ftp://crm.example/tasks'"},
        {"connector: plugin\npath: " JD_CRM_TASK_PLUGIN "\nsettings:\n  url: " +
             fake_.url("/v1/tasks") + "\n  token: ${JD_KIT_UNSET_TOKEN}\n",
         5, 10, "environment variable 'JD_KIT_UNSET_TOKEN' is not set"},
    };
  }

 protected:
  [[nodiscard]] bool bounces() const override { return true; }
  [[nodiscard]] int acceptStatus() const override { return 201; }
  [[nodiscard]] std::string acceptBody(int nth) const override {
    return R"({"id":"task-)" + std::to_string(nth) + R"("})";
  }
  [[nodiscard]] FakeHttpProvider::Answer permanentAnswer() const override {
    return {422, R"({"code":"invalid_task","message":"title is too long"})"};
  }
  [[nodiscard]] FakeHttpProvider::Answer recipientRejectedAnswer() const override {
    return {404, R"({"code":"contact_not_found","message":"no contact contact-17"})"};
  }

 private:
  static constexpr const char* kToken = "kit-crm-api-token-b81d40";
};

}  // namespace journeyd::kit

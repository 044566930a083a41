#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <yaml-cpp/yaml.h>

#include <mutex>
#include <set>

#include "connectors/webhook/signature.h"
#include "connectors/webhook/webhook_connector.h"
#include "http_sink.h"

using namespace journeyd;
using namespace journeyd::test;
using Status = SendResult::Status;

namespace {

const std::string kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The receiver's own check, written from the Standard Webhooks spec with OpenSSL's EVP_Q_mac,
/// independent of connectors/webhook/signature.cpp.
bool receiverVerifies(const std::string& secret, const std::string& id,
                      const std::string& timestamp, const std::string& body,
                      const std::string& signature_header) {
  std::string b64 = secret.substr(6);
  std::string key(b64.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(key.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  key.resize(static_cast<size_t>(n) - std::count(b64.begin(), b64.end(), '='));
  std::string content = id + "." + timestamp + "." + body;
  unsigned char mac[64];
  size_t mac_len = 0;
  EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
            reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, sizeof mac,
            &mac_len);
  unsigned char out[128];
  int out_len = EVP_EncodeBlock(out, mac, static_cast<int>(mac_len));
  const std::string expected =
      "v1," + std::string(reinterpret_cast<char*>(out), static_cast<size_t>(out_len));
  // the header may carry several space-separated signatures
  size_t start = 0;
  while (start < signature_header.size()) {
    size_t end = signature_header.find(' ', start);
    if (signature_header.substr(start, end - start) == expected) return true;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return false;
}

/// Records what the receiver saw.
struct Received {
  std::mutex mutex;
  std::vector<std::string> bodies;
  std::set<int> remote_ports;
  int invalid = 0;
};

std::unique_ptr<WebhookConnector> makeWebhook(const std::string& yaml, Diagnostics& diagnostics) {
  ConnectorConfigContext ctx{"partner", "journeyd.yaml", &diagnostics};
  auto config = parseWebhookConfig(YAML::Load(yaml), ctx);
  if (!config) return nullptr;
  return std::make_unique<WebhookConnector>(std::move(*config));
}

OutboundMessage hook(const std::string& id,
                     const std::string& body = R"({"event":"coupon","amount":20})") {
  OutboundMessage m{id, "partner", ""};
  m.body = body;
  return m;
}

}  // namespace

TEST_CASE("the signature matches the Standard Webhooks reference example") {
  auto key = decodeWebhookSecret(kSecret);
  REQUIRE(key);
  CHECK(signWebhook(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})") ==
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  CHECK_FALSE(decodeWebhookSecret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
  CHECK_FALSE(decodeWebhookSecret("whsec_not*base64"));
  CHECK_FALSE(decodeWebhookSecret("whsec_"));
}

TEST_CASE("webhooks arrive signed and their answers map to sent, retry and failed") {
  Received received;
  HttpSink sink;
  sink.server.Post("/hooks", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(received.mutex);
    received.remote_ports.insert(req.remote_port);
    const bool valid = req.get_header_value("Content-Type") == "application/json" &&
                       receiverVerifies(kSecret, req.get_header_value("webhook-id"),
                                        req.get_header_value("webhook-timestamp"), req.body,
                                        req.get_header_value("webhook-signature"));
    const long long age =
        std::time(nullptr) - std::atoll(req.get_header_value("webhook-timestamp").c_str());
    if (!valid || age < -5 || age > 300) {
      ++received.invalid;
      res.status = 401;
      res.set_content(R"({"message":"invalid signature"})", "application/json");
      return;
    }
    received.bodies.push_back(req.body);
    res.status = 204;
  });
  sink.server.Post("/busy", [](const httplib::Request&, httplib::Response& res) {
    res.status = 429;
    res.set_header("Retry-After", "7");
  });
  sink.server.Post("/broken",
                   [](const httplib::Request&, httplib::Response& res) { res.status = 500; });
  sink.server.Post("/invalid", [](const httplib::Request&, httplib::Response& res) {
    res.status = 400;
    res.set_content(R"({"error":{"message":"amount must be positive"}})", "application/json");
  });
  sink.start();
  Diagnostics diagnostics;

  SUBCASE("2xx is sent, the receiver verifies every signature, and connections are kept alive") {
    auto connector = makeWebhook(
        "{url: '" + sink.url("/hooks") + "', secret: " + kSecret + ", timeout: 5s}", diagnostics);
    REQUIRE(connector);
    constexpr int kMessages = 20;
    for (int i = 0; i < kMessages; ++i) {
      auto result =
          connector->send(hook("wh-" + std::to_string(i), R"({"n":)" + std::to_string(i) + "}"));
      INFO(result.reason);
      CHECK(result.status == Status::kSent);
    }
    std::lock_guard lock(received.mutex);
    CHECK(received.invalid == 0);
    REQUIRE(received.bodies.size() == kMessages);
    CHECK(received.bodies[3] == R"({"n":3})");
    CHECK(received.remote_ports.size() < kMessages);
  }
  SUBCASE("a wrong secret fails the receiver's verification") {
    auto connector = makeWebhook("{url: '" + sink.url("/hooks") + "', secret: whsec_" +
                                     "c2VjcmV0LXRoYXQtaXMtbm90LXRoZS1yZWNlaXZlcnM=}",
                                 diagnostics);
    REQUIRE(connector);
    auto result = connector->send(hook("wh-bad"));
    CHECK(result.status == Status::kFailed);
    CHECK(result.reason == "HTTP 401: invalid signature");
    std::lock_guard lock(received.mutex);
    CHECK(received.invalid == 1);
  }
  SUBCASE("a tampered body does not verify") {
    auto key = decodeWebhookSecret(kSecret);
    const std::string body = R"({"amount":20})";
    const std::string signature = signWebhook(*key, "wh-1", 1700000000, body);
    CHECK(receiverVerifies(kSecret, "wh-1", "1700000000", body, signature));
    CHECK_FALSE(receiverVerifies(kSecret, "wh-1", "1700000000", R"({"amount":2000})", signature));
    CHECK_FALSE(receiverVerifies(kSecret, "wh-2", "1700000000", body, signature));
    CHECK_FALSE(receiverVerifies(kSecret, "wh-1", "1700000001", body, signature));
  }
  SUBCASE("429 with Retry-After is retried after that long") {
    auto connector =
        makeWebhook("{url: '" + sink.url("/busy") + "', secret: " + kSecret + "}", diagnostics);
    REQUIRE(connector);
    auto result = connector->send(hook("wh-busy"));
    CHECK(result.status == Status::kRetry);
    CHECK(result.retry_after == 7000);
  }
  SUBCASE("500 is retried, 400 fails with the receiver's message") {
    auto broken =
        makeWebhook("{url: '" + sink.url("/broken") + "', secret: " + kSecret + "}", diagnostics);
    REQUIRE(broken);
    auto retry = broken->send(hook("wh-500"));
    CHECK(retry.status == Status::kRetry);
    CHECK(retry.retry_after == 0);
    auto invalid =
        makeWebhook("{url: '" + sink.url("/invalid") + "', secret: " + kSecret + "}", diagnostics);
    REQUIRE(invalid);
    auto failed = invalid->send(hook("wh-400"));
    CHECK(failed.status == Status::kFailed);
    CHECK(failed.reason == "HTTP 400: amount must be positive");
  }
  SUBCASE("a refused connection is retried") {
    sink.server.stop();
    auto connector = makeWebhook(
        "{url: '" + sink.url("/hooks") + "', secret: " + kSecret + ", connect_timeout: 1s}",
        diagnostics);
    REQUIRE(connector);
    auto result = connector->send(hook("wh-down"));
    CHECK(result.status == Status::kRetry);
  }
}

TEST_CASE("webhooks are sent from several threads at once") {
  std::atomic<int> count{0};
  HttpSink sink;
  sink.server.Post("/hooks", [&](const httplib::Request&, httplib::Response& res) {
    ++count;
    res.status = 200;
  });
  sink.start();
  Diagnostics diagnostics;
  auto connector =
      makeWebhook("{url: '" + sink.url("/hooks") + "', secret: " + kSecret + "}", diagnostics);
  REQUIRE(connector);
  std::vector<std::thread> threads;
  std::atomic<int> sent{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        if (connector->send(hook("mt-" + std::to_string(t) + "-" + std::to_string(i))).status ==
            Status::kSent)
          ++sent;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(sent == 200);
  CHECK(count == 200);
}

TEST_CASE("https webhooks verify the receiver's certificate") {
  TempDir dir("webhook-tls");
  const std::string cert = dir.str() + "/cert.pem", key = dir.str() + "/key.pem";
  const std::string command =
      "/usr/bin/openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
      " -keyout " +
      key + " -out " + cert +
      " -days 2 -subj /CN=localhost"
      " -addext subjectAltName=IP:127.0.0.1,DNS:localhost >/dev/null 2>&1";
  REQUIRE(std::system(command.c_str()) == 0);
  httplib::SSLServer server(cert.c_str(), key.c_str());
  std::atomic<int> valid{0};
  server.Post("/hooks", [&](const httplib::Request& req, httplib::Response& res) {
    if (receiverVerifies(kSecret, req.get_header_value("webhook-id"),
                         req.get_header_value("webhook-timestamp"), req.body,
                         req.get_header_value("webhook-signature"))) {
      ++valid;
    }
    res.status = 200;
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread listener([&] { server.listen_after_bind(); });
  REQUIRE(waitFor([&] { return server.is_running(); }, std::chrono::seconds(5)));
  const std::string base =
      "url: 'https://127.0.0.1:" + std::to_string(port) + "/hooks', secret: " + kSecret;
  Diagnostics diagnostics;

  auto trusted = makeWebhook("{" + base + ", ca_file: " + cert + "}", diagnostics);
  REQUIRE(trusted);
  auto sent = trusted->send(hook("tls-1"));
  INFO(sent.reason);
  CHECK(sent.status == Status::kSent);
  auto unknown_ca = makeWebhook("{" + base + "}", diagnostics);
  REQUIRE(unknown_ca);
  CHECK(unknown_ca->send(hook("tls-2")).status == Status::kRetry);
  auto unverified = makeWebhook("{" + base + ", verify_tls: false}", diagnostics);
  REQUIRE(unverified);
  CHECK(unverified->send(hook("tls-3")).status == Status::kSent);
  CHECK(valid == 2);
  server.stop();
  listener.join();
}

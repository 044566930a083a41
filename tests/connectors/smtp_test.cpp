#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "connectors/smtp/smtp_connector.h"
#include "test_support.h"

using namespace journeyd;
using namespace journeyd::test;
using Status = SendResult::Status;

namespace {

/// tests/support/smtp_sink.py running on a free port of 127.0.0.1.
struct SmtpSink {
  explicit SmtpSink(std::vector<std::string> options = {})
      : dir("smtp"), process([&] {
          std::vector<std::string> argv = {kPython, kSourceDir + "/tests/support/smtp_sink.py",
                                           dir.str() + "/out"};
          argv.insert(argv.end(), options.begin(), options.end());
          return argv;
        }()) {
    auto line = process.readLine(std::chrono::seconds(20));
    REQUIRE_MESSAGE(line.has_value(), "the SMTP sink did not start");
    port = std::stoi(*line);
  }
  [[nodiscard]] std::string url(const std::string& scheme = "smtp") const {
    return scheme + "://127.0.0.1:" + std::to_string(port);
  }
  [[nodiscard]] int connections() const {
    return std::stoi(readFile(dir.path() / "out/connections"));
  }
  [[nodiscard]] nlohmann::json received(int n) const {
    auto file = dir.path() / ("out/msg-" + std::to_string(n) + ".eml");
    REQUIRE(std::filesystem::exists(file));
    return nlohmann::json::parse(
        runCapture(kPython + " " + kSourceDir + "/tests/support/parse_email.py " + file.string()));
  }
  [[nodiscard]] std::string cert() const { return (dir.path() / "out/cert.pem").string(); }

  TempDir dir;
  ChildProcess process;
  int port = 0;
};

std::unique_ptr<Connector> makeSmtp(const std::string& yaml, Diagnostics& diagnostics) {
  ConnectorConfigContext ctx{"email", "journeyd.yaml", &diagnostics};
  auto config = parseSmtpConfig(YAML::Load(yaml), ctx);
  if (!config) return nullptr;
  return std::make_unique<SmtpConnector>(std::move(*config));
}

OutboundMessage email(const std::string& id, const std::string& to = "ann@example.com") {
  OutboundMessage m{id, "email", to};
  m.subject = "Welcome";
  m.text = "Hello";
  m.html = "<p>Hello</p>";
  m.created_at = 1704164645000;
  return m;
}

int freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

TEST_CASE("smtp delivers multipart UTF-8 mail that Python's email package reads back intact") {
  SmtpSink sink;
  Diagnostics diagnostics;
  auto connector = makeSmtp(
      "{url: '" + sink.url() + "', tls: none, from: 'Shop 商城 <news@shop.example>'}", diagnostics);
  REQUIRE(connector);

  const std::string long_subject =
      "您好，张伟！您的会员专享活动邀请：本周末全场八折，另有生日礼包与积分翻倍，名额有限，先到先得"
      "。"
      " Don't miss it — members only, this weekend!";
  auto m = email("msg-0001");
  m.subject = long_subject;
  m.text =
      "亲爱的张伟：\n\n欢迎回来！这是您的回归礼包。\nA line with = sign and trailing space \n" +
      std::string(1200, 'x') + "\n.\n.leading dot";
  m.html = "<html><body><h1>欢迎回来，张伟</h1><p>Café — naïve — 😀</p>" + std::string(1500, 'y') +
           "</body></html>";
  m.headers = {
      {"List-Unsubscribe", "<https://shop.example/u/abc>, <mailto:unsub@shop.example?subject=abc>"},
      {"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"}};
  m.metadata = {{"journey", "win_back"}, {"step", "send_coupon"}};
  auto result = connector->send(m);
  INFO(result.reason);
  REQUIRE(result.status == Status::kSent);
  CHECK(result.provider_id == "Q1");

  auto got = sink.received(1);
  INFO(got.dump());
  auto headers = got["headers"];
  CHECK(headers["Subject"] == long_subject);
  CHECK(headers["From"] == "Shop 商城 <news@shop.example>");
  CHECK(headers["To"] == "ann@example.com");
  CHECK(headers["Message-ID"] == "<msg-0001@shop.example>");
  CHECK(headers["MIME-Version"] == "1.0");
  CHECK(headers["Date"] == "Tue, 02 Jan 2024 03:04:05 +0000");
  CHECK(headers["List-Unsubscribe"] == m.headers[0].second);
  CHECK(headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click");
  CHECK(headers["X-Journeyd-Journey"] == "win_back");
  CHECK(headers["X-Journeyd-Step"] == "send_coupon");
  CHECK(got["content_type"] == "multipart/alternative");
  CHECK(got["defects"].empty());
  CHECK(got["max_line_length"].get<int>() <= 998);
  CHECK(got["crlf_only"] == true);
  REQUIRE(got["parts"].size() == 2);
  CHECK(got["parts"][0]["content_type"] == "text/plain");
  CHECK(got["parts"][0]["charset"] == "utf-8");
  CHECK(got["parts"][0]["content"] == m.text);
  CHECK(got["parts"][1]["content_type"] == "text/html");
  CHECK(got["parts"][1]["content"] == m.html);
}

TEST_CASE("smtp reuses one connection for consecutive sends from a thread") {
  SmtpSink sink({"--no-save"});
  Diagnostics diagnostics;
  auto connector =
      makeSmtp("{url: '" + sink.url() + "', tls: none, from: news@shop.example}", diagnostics);
  REQUIRE(connector);
  constexpr int kMessages = 20;
  for (int i = 0; i < kMessages; ++i) {
    auto result = connector->send(email("reuse-" + std::to_string(i)));
    INFO(result.reason);
    REQUIRE(result.status == Status::kSent);
  }
  CHECK(sink.connections() < kMessages);
  CHECK(sink.connections() == 1);
}

TEST_CASE("smtp maps 4xx replies to retry and 5xx replies to failed, with the server's text") {
  SmtpSink sink({"--no-save"});
  Diagnostics diagnostics;
  auto connector =
      makeSmtp("{url: '" + sink.url() + "', tls: none, from: news@shop.example}", diagnostics);
  REQUIRE(connector);
  auto temp = connector->send(email("t1", "tempfail@example.com"));
  CHECK(temp.status == Status::kRetry);
  CHECK(temp.reason.find("451") != std::string::npos);
  CHECK(temp.reason.find("temporarily unavailable") != std::string::npos);
  auto rejected = connector->send(email("t2", "reject@example.com"));
  CHECK(rejected.status == Status::kFailed);
  CHECK(rejected.reason.find("550") != std::string::npos);
  CHECK(rejected.reason.find("No such user") != std::string::npos);
  CHECK(connector->send(email("t3")).status == Status::kSent);
  CHECK(connector->send(email("t4", "not an address")).status == Status::kFailed);
}

TEST_CASE("smtp reports a hard bounce only for a 5xx to RCPT TO that is about the mailbox") {
  SmtpSink sink({"--no-save"});
  Diagnostics diagnostics;
  auto connector =
      makeSmtp("{url: '" + sink.url() + "', tls: none, from: news@shop.example}", diagnostics);
  REQUIRE(connector);

  auto unknown = connector->send(email("b1", "reject-ann@example.com"));
  CHECK(unknown.status == Status::kFailed);
  CHECK(unknown.hard_bounce);
  CHECK(unknown.reason == "SMTP 550 5.1.1 No such user here");

  auto greylisted = connector->send(email("b2", "tempfail-ann@example.com"));
  CHECK(greylisted.status == Status::kRetry);
  CHECK(greylisted.reason == "SMTP 451 4.3.0 Mailbox temporarily unavailable");
  CHECK_FALSE(greylisted.hard_bounce);

  // A 550 to RCPT TO whose enhanced status is about policy (5.7.1), not the mailbox.
  auto refused = connector->send(email("b3", "policy-ann@example.com"));
  CHECK(refused.status == Status::kFailed);
  CHECK(refused.reason == "SMTP 550 5.7.1 Relaying denied by policy");
  CHECK_FALSE(refused.hard_bounce);

  // Every recipient accepted, the message itself refused after DATA: a 550 that would be a
  // bounce had it answered RCPT TO.
  auto spam = connector->send(email("b4", "spamtrap-ann@example.com"));
  CHECK(spam.status == Status::kFailed);
  CHECK(spam.reason == "SMTP 550 Message rejected as spam");
  CHECK_FALSE(spam.hard_bounce);

  CHECK(connector->send(email("b5")).status == Status::kSent);

  // The sender refused at MAIL FROM: our problem, whatever the recipient.
  auto blocked_sender =
      makeSmtp("{url: '" + sink.url() + "', tls: none, from: blocked@shop.example}", diagnostics);
  REQUIRE(blocked_sender);
  auto blocked = blocked_sender->send(email("b6"));
  CHECK(blocked.status == Status::kFailed);
  CHECK(blocked.reason == "SMTP 553 Sender address rejected");
  CHECK_FALSE(blocked.hard_bounce);
}

TEST_CASE("smtp speaks STARTTLS and AUTH, verifying the server with a CA file") {
  SmtpSink sink({"--tls", "--user", "mailer", "--password", "s3cret-pw"});
  TempDir secrets("smtp-secret");
  std::ofstream(secrets.path() / "pass") << "s3cret-pw\n";
  const std::string base =
      "url: '" + sink.url() + "', tls: starttls, username: mailer, from: news@shop.example";

  SUBCASE("with the generated certificate as ca_file") {
    Diagnostics diagnostics;
    auto connector =
        makeSmtp("{" + base + ", password_file: " + (secrets.path() / "pass").string() +
                     ", ca_file: " + sink.cert() + "}",
                 diagnostics);
    REQUIRE(connector);
    auto result = connector->send(email("tls-1"));
    INFO(result.reason);
    CHECK(result.status == Status::kSent);
  }
  SUBCASE("with verification off") {
    Diagnostics diagnostics;
    ::setenv("JD_TEST_SMTP_PASSWORD", "s3cret-pw", 1);
    auto connector = makeSmtp(
        "{" + base + ", password: '${JD_TEST_SMTP_PASSWORD}', verify_tls: false}", diagnostics);
    REQUIRE(connector);
    CHECK(diagnostics.format().find("verification is off") != std::string::npos);
    auto result = connector->send(email("tls-2"));
    INFO(result.reason);
    CHECK(result.status == Status::kSent);
  }
  SUBCASE("a wrong password fails permanently without echoing the password") {
    Diagnostics diagnostics;
    auto connector = makeSmtp(
        "{" + base + ", password: wrong-pw-123, ca_file: " + sink.cert() + "}", diagnostics);
    REQUIRE(connector);
    auto result = connector->send(email("tls-3"));
    CHECK(result.status == Status::kFailed);
    CHECK_FALSE(result.hard_bounce);
    CHECK(result.reason.find("535") != std::string::npos);
    CHECK(result.reason.find("wrong-pw-123") == std::string::npos);
  }
  SUBCASE("an unknown certificate is retried, not sent in the clear") {
    Diagnostics diagnostics;
    auto connector = makeSmtp("{" + base + ", password: s3cret-pw}", diagnostics);
    REQUIRE(connector);
    CHECK(connector->send(email("tls-4")).status == Status::kRetry);
  }
}

TEST_CASE("smtp speaks implicit TLS for smtps:// URLs") {
  SmtpSink sink({"--implicit-tls", "--user", "mailer", "--password", "pw"});
  Diagnostics diagnostics;
  auto connector = makeSmtp("{url: '" + sink.url("smtps") +
                                "', username: mailer, password: pw, ca_file: " + sink.cert() +
                                ", from: news@shop.example}",
                            diagnostics);
  REQUIRE(connector);
  auto result = connector->send(email("smtps-1"));
  INFO(result.reason);
  CHECK(result.status == Status::kSent);
  CHECK(sink.received(1)["headers"]["Message-ID"] == "<smtps-1@shop.example>");
}

TEST_CASE("smtp retries when the server is down") {
  Diagnostics diagnostics;
  auto connector = makeSmtp("{url: 'smtp://127.0.0.1:" + std::to_string(freePort()) +
                                "', tls: none, from: news@shop.example, connect_timeout: 2s}",
                            diagnostics);
  REQUIRE(connector);
  auto result = connector->send(email("down-1"));
  CHECK(result.status == Status::kRetry);
  CHECK_FALSE(result.reason.empty());
}

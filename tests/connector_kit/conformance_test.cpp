// The connector conformance kit: every case runs against every connector in kit_harnesses.h.
// A connector is done when all of them pass.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <thread>

#include "kit.h"
#include "kit_harnesses.h"

using namespace journeyd;
using namespace journeyd::kit;
using Status = SendResult::Status;

namespace {

/// Time a send may take against a fake that answers at once (generous: loaded CI machines).
constexpr DurationMs kSendTimeout = 10 * kSecondMs;
/// The timeout configured for the hanging-provider case, and the slack allowed past it.
constexpr DurationMs kHangTimeout = 1 * kSecondMs;
constexpr DurationMs kHangSlack = 2 * kSecondMs;

const char* statusName(Status status) {
  return status == Status::kSent ? "sent" : status == Status::kRetry ? "retry" : "failed";
}

/// Builds the harness's channel and requires it to work.
std::unique_ptr<BuiltChannel> buildOrFail(const ConnectorHarness& harness,
                                          DurationMs timeout = kSendTimeout) {
  auto built = buildChannel(harness.settings(timeout));
  INFO(built->diagnostics.format());
  REQUIRE(built->connector != nullptr);
  CHECK_FALSE(built->diagnostics.hasErrors());
  return built;
}

SendResult sendIn(ConnectorHarness& harness, FakeMode mode, const std::string& id) {
  harness.setMode(mode);
  auto built = buildOrFail(harness);
  SendResult result = built->connector->send(harness.message(id));
  INFO("status=" << statusName(result.status) << " reason=" << result.reason);
  return result;
}

}  // namespace

// Each SUBCASE runs on a fresh harness (doctest enters the case once per subcase). A case that
// does not apply says so with MESSAGE inside an if/else: returning from a SUBCASE would hide the
// subcases after it from doctest.
TEST_CASE_TEMPLATE_DEFINE("a connector conforms", H, kit_conformance) {
  H harness;

  SUBCASE("a send the provider takes is kSent, with the idempotency key passed on") {
    auto built = buildOrFail(harness);
    CHECK(built->connector->kind() == harness.kind());
    auto result = built->connector->send(harness.message("kit-idem-42"));
    INFO(result.reason);
    CHECK(result.status == Status::kSent);
    CHECK_FALSE(result.hard_bounce);
    auto got = harness.received();
    REQUIRE(got.size() == 1);
    CHECK(got[0].idempotency_key == "kit-idem-42");
  }

  SUBCASE("a permanent refusal is kFailed and not a bounce") {
    if (!harness.supports(FakeMode::kPermanent)) {
      MESSAGE("no permanent refusal to show for this connector");
    } else {
      auto result = sendIn(harness, FakeMode::kPermanent, "kit-permanent");
      CHECK(result.status == Status::kFailed);
      CHECK_FALSE(result.hard_bounce);
      CHECK_FALSE(result.reason.empty());
    }
  }

  SUBCASE("a recipient the provider says can never take messages is a hard bounce") {
    if (!harness.supports(FakeMode::kRecipientRejected)) {
      MESSAGE("this connector has no per-recipient refusal, so it never bounces");
    } else {
      auto result = sendIn(harness, FakeMode::kRecipientRejected, "kit-bounce");
      CHECK(result.status == Status::kFailed);
      CHECK(result.hard_bounce);
      CHECK_FALSE(result.reason.empty());
    }
  }

  SUBCASE("a temporary refusal is kRetry, without a bounce or a made-up Retry-After") {
    if (!harness.supports(FakeMode::kRetryable)) {
      MESSAGE("no temporary refusal to show for this connector");
    } else {
      auto result = sendIn(harness, FakeMode::kRetryable, "kit-retry");
      CHECK(result.status == Status::kRetry);
      CHECK_FALSE(result.hard_bounce);
      CHECK(result.retry_after == 0);
      CHECK_FALSE(result.reason.empty());
    }
  }

  SUBCASE("the provider's Retry-After comes back as retry_after") {
    if (!harness.supports(FakeMode::kRetryAfter)) {
      MESSAGE("this connector's protocol has no Retry-After");
    } else {
      auto result = sendIn(harness, FakeMode::kRetryAfter, "kit-retry-after");
      CHECK(result.status == Status::kRetry);
      CHECK(result.retry_after == kFakeRetryAfter);
    }
  }

  SUBCASE("a provider that hangs gives kRetry within the configured timeout") {
    if (!harness.supports(FakeMode::kHang)) {
      MESSAGE("this connector talks to nothing that can hang");
    } else {
      harness.setMode(FakeMode::kHang);
      auto built = buildOrFail(harness, kHangTimeout);
      const auto start = std::chrono::steady_clock::now();
      auto result = built->connector->send(harness.message("kit-hang"));
      const auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now() - start)
                                  .count();
      INFO("elapsed " << elapsed_ms << " ms, reason: " << result.reason);
      CHECK(result.status == Status::kRetry);
      CHECK(elapsed_ms <= kHangTimeout + kHangSlack);
    }
  }

  SUBCASE("sends from several threads at once all arrive, each exactly once") {
    constexpr int kThreads = 4;
    constexpr int kSendsPerThread = 8;
    auto built = buildOrFail(harness);
    std::atomic<int> sent{0};
    std::vector<std::string> problems[kThreads];
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int m = 0; m < kSendsPerThread; ++m) {
          const std::string id = "kit-" + std::to_string(t) + "-" + std::to_string(m);
          auto result = built->connector->send(harness.message(id));
          if (result.status == Status::kSent) {
            ++sent;
          } else {
            problems[t].push_back(id + ": " + result.reason);
          }
        }
      });
    }
    for (auto& thread : threads) thread.join();
    for (const auto& list : problems) {
      for (const auto& problem : list) FAIL_CHECK(problem);
    }
    CHECK(sent == kThreads * kSendsPerThread);
    std::map<std::string, int> arrivals;
    for (const auto& got : harness.received()) ++arrivals[got.idempotency_key];
    CHECK(arrivals.size() == static_cast<size_t>(kThreads * kSendsPerThread));
    for (int t = 0; t < kThreads; ++t) {
      for (int m = 0; m < kSendsPerThread; ++m) {
        const std::string id = "kit-" + std::to_string(t) + "-" + std::to_string(m);
        INFO(id);
        CHECK(arrivals[id] == 1);
      }
    }
  }

  SUBCASE("no secret appears in a log line, a send result or a diagnostic") {
    const auto secrets = harness.secrets();
    if (secrets.empty()) {
      MESSAGE("this connector has no secret setting");
    } else {
      std::string seen;  // everything an operator could read
      {
        LogCapture logs;
        int n = 0;
        for (FakeMode mode : {FakeMode::kAccept, FakeMode::kPermanent, FakeMode::kRecipientRejected,
                              FakeMode::kRetryable, FakeMode::kRetryAfter}) {
          if (!harness.supports(mode)) continue;
          harness.setMode(mode);
          auto built = buildChannel(harness.settings(kSendTimeout));
          seen += built->diagnostics.format();
          REQUIRE(built->connector != nullptr);
          auto result =
              built->connector->send(harness.message("kit-secret-" + std::to_string(++n)));
          seen += "\n" + result.reason + "\n" + result.provider_id;
        }
        // A settings mistake next to the secret: the diagnostics must not quote it either.
        auto broken = buildChannel(harness.settings(kSendTimeout) + "rate_limit: often\n");
        CHECK(broken->connector == nullptr);
        CHECK(broken->diagnostics.hasErrors());
        seen += "\n" + broken->diagnostics.format();
        seen += "\n" + logs.text();
      }
      INFO(seen);
      for (const auto& secret : secrets) {
        REQUIRE_FALSE(secret.empty());
        CHECK_MESSAGE(seen.find(secret) == std::string::npos, "the secret leaked: " << secret);
      }
    }
  }

  SUBCASE("settings mistakes are reported at their FILE:LINE:COL and build no channel") {
    for (const auto& bad : harness.badSettings()) {
      auto built = buildChannel(bad.settings);
      const std::string expected = kConfigFile + ":" + std::to_string(bad.line + kLineOffset) +
                                   ":" + std::to_string(bad.column + kColumnOffset) +
                                   ": error: channel 'kit': " + bad.message;
      INFO("settings:\n" << bad.settings << "diagnostics:\n" << built->diagnostics.format());
      CHECK(built->connector == nullptr);
      CHECK(built->channels == nullptr);
      CHECK(built->diagnostics.format().find(expected) != std::string::npos);
    }
  }
}

TEST_CASE_TEMPLATE_APPLY(kit_conformance, KitHarnesses);

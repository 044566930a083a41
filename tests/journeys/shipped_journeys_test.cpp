#include <doctest/doctest.h>

#include "daemon/journeys/loader.h"

using namespace journeyd;

TEST_CASE("every shipped journey and segment file loads without a problem") {
  Diagnostics diagnostics;
  JourneyCatalog known;
  known.channels = {"email", "sms", "webhook"};
  auto defs = loadDefinitions(std::string(JOURNEYD_SOURCE_DIR) + "/journeys", known, diagnostics);
  INFO(diagnostics.format());
  CHECK(diagnostics.empty());
  std::vector<std::string> ids;
  for (const auto& j : defs.journeys) ids.push_back(j->id);
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<std::string>{"birthday", "cart-abandon", "member-exclusive",
                                        "newcomer-guide", "nps-survey", "referral", "win-back"});
  std::vector<std::string> segments;
  for (const auto& s : defs.segments) segments.push_back(s.name);
  CHECK(segments == std::vector<std::string>{"dormant", "high-value", "churn-risk", "potential",
                                             "low-frequency"});
  REQUIRE(defs.scores.size() == 1);
  CHECK(defs.scores[0].name == "engagement");
  for (const auto& j : defs.journeys) {
    CAPTURE(j->id);
    CHECK(j->version.size() == 16);
    CHECK_FALSE(j->steps.empty());
  }
}

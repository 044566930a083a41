#include "daemon/intelligence/rfm.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <numeric>

#include "tests/intelligence/cdnow_data.h"

using namespace journeyd;

namespace {

/// RFM facts of every master-file customer with an order on or before as_of (frequency =
/// purchase days, monetary = total spend), keyed by customer id.
std::map<int, RfmFacts> masterFacts(const std::map<int, std::vector<Order>>& orders, TimeMs as_of) {
  std::map<int, RfmFacts> facts;
  for (const auto& [id, list] : orders) {
    const PurchaseTally tally = tallyOrders(list, as_of).value();
    if (tally.days == 0) continue;
    facts[id] = {tally.last_order_at, static_cast<double>(tally.days), tally.totalAmount()};
  }
  return facts;
}

std::vector<RfmFacts> values(const std::map<int, RfmFacts>& facts) {
  std::vector<RfmFacts> out;
  for (const auto& [id, f] : facts) out.push_back(f);
  return out;
}

/// The scoring rule by brute force: 1 + ⌊5 · #{strictly lower} / n⌋.
template <typename T>
int referenceScore(const std::vector<T>& sorted, T value) {
  const auto lower = std::lower_bound(sorted.begin(), sorted.end(), value) - sorted.begin();
  return 1 + std::min<int>(4, static_cast<int>(5 * lower / static_cast<long>(sorted.size())));
}

}  // namespace

TEST_CASE("RFM quintiles on the full CDNOW cohort as of 1998-06-30") {
  const auto orders = cdnow::loadOrders(false);
  const auto facts_by_id = masterFacts(orders, cdnow::dateMs("19980630"));
  const auto facts = values(facts_by_id);
  REQUIRE(facts.size() == 23570);
  const RfmBoundaries boundaries = computeRfmBoundaries(facts);
  CHECK(boundaries.customers == 23570);

  std::vector<TimeMs> last;
  std::vector<double> frequency, monetary;
  for (const auto& f : facts) {
    last.push_back(f.last_order_at);
    frequency.push_back(f.frequency);
    monetary.push_back(f.monetary);
  }
  std::sort(last.begin(), last.end());
  std::sort(frequency.begin(), frequency.end());
  std::sort(monetary.begin(), monetary.end());

  std::array<int, 6> r_count{}, f_count{}, m_count{};
  int mismatches = 0;
  for (const auto& f : facts) {
    const RfmScore s = scoreRfm(f, boundaries);
    ++r_count[s.r];
    ++f_count[s.f];
    ++m_count[s.m];
    if (s.r != referenceScore(last, f.last_order_at) ||
        s.f != referenceScore(frequency, f.frequency) ||
        s.m != referenceScore(monetary, f.monetary)) {
      ++mismatches;
    }
  }
  CHECK(mismatches == 0);
  // Spend is nearly continuous: each monetary bucket holds 20% ± 0.5%.
  for (int s = 1; s <= 5; ++s) {
    CAPTURE(s);
    CHECK(m_count[s] == doctest::Approx(23570 / 5.0).epsilon(0.025));
  }
  // Half the cohort bought on one day only: that tie group fills F = 1 beyond its 20%, and
  // the scores it swallows stay empty; equal values never split.
  CHECK(f_count[1] == std::count(frequency.begin(), frequency.end(), 1.0));
  CHECK(f_count[1] > 23570 / 2);
  CHECK(f_count[2] == 0);
  for (int s = 2; s <= 5; ++s) {
    CAPTURE(s);
    // At most (6 − s)/5 of the base scores s or more; recency (many distinct days) fills
    // every bucket.
    CHECK(std::accumulate(f_count.begin() + s, f_count.end(), 0) <= (6 - s) * 23570 / 5 + 1);
    CHECK(r_count[s] > 0);
  }
  // Monotone: more recent, more frequent, bigger spend never scores lower.
  const RfmFacts low{cdnow::dateMs("19970101"), 1, 1};
  const RfmFacts high{cdnow::dateMs("19980630"), 100, 10000};
  CHECK(scoreRfm(low, boundaries) == RfmScore{1, 1, 1});
  CHECK(scoreRfm(high, boundaries) == RfmScore{5, 5, 5});
  // Hand-checked customers: #1 bought once, $11.77, on 1997-01-01: the bottom everywhere.
  CHECK(scoreRfm(facts_by_id.at(1), boundaries) == RfmScore{1, 1, 1});
  // The biggest spender of the cohort scores M = 5.
  const auto biggest = std::max_element(facts.begin(), facts.end(),
                                        [](auto& l, auto& r) { return l.monetary < r.monetary; });
  CHECK(scoreRfm(*biggest, boundaries).m == 5);
}

TEST_CASE("segments move between the end of calibration and the end of the holdout") {
  const auto orders = cdnow::loadOrders(false);
  const RfmSegmentMap map = defaultRfmSegmentMap();
  const TimeMs calibration_end = cdnow::dateMs("19970930");
  const TimeMs holdout_end = cdnow::dateMs("19980630");
  const auto before = masterFacts(orders, calibration_end);
  const auto after = masterFacts(orders, holdout_end);
  REQUIRE(before.size() == 23570);  // everyone's first order is in Q1 1997
  const RfmBoundaries b_before = computeRfmBoundaries(values(before));
  const RfmBoundaries b_after = computeRfmBoundaries(values(after));

  std::map<std::string, int> count_before, count_after;
  int changed = 0;
  int holdout_buyers = 0;
  int silent_gaining = 0;
  int silent_top_recency = 0;
  for (const auto& [id, f] : after) {
    const RfmScore s_before = scoreRfm(before.at(id), b_before);
    const RfmScore s_after = scoreRfm(f, b_after);
    const std::string seg_before(rfmSegment(map, s_before));
    const std::string seg_after(rfmSegment(map, s_after));
    REQUIRE_FALSE(seg_before.empty());
    REQUIRE_FALSE(seg_after.empty());
    ++count_before[seg_before];
    ++count_after[seg_after];
    changed += seg_before != seg_after ? 1 : 0;
    if (f.last_order_at > calibration_end) {
      ++holdout_buyers;
    } else {
      // Everyone else's facts only grew, so a silent customer's rank in every dimension can
      // only fall: no score of theirs may rise.
      if (s_after.r > s_before.r || s_after.f > s_before.f || s_after.m > s_before.m) {
        ++silent_gaining;
      }
      if (s_after.r == 5) ++silent_top_recency;
    }
  }
  MESSAGE("segment changed for " << changed << " of 23570; holdout buyers " << holdout_buyers
                                 << "; lost+hibernating "
                                 << count_before["lost"] + count_before["hibernating"] << " -> "
                                 << count_after["lost"] + count_after["hibernating"]);
  CHECK(changed > 23570 / 10);
  CHECK(changed < 23570);
  CHECK(silent_gaining == 0);
  // 7,058 customers (30%) bought in the holdout, so the top recency quintile is theirs alone.
  CHECK(holdout_buyers == 7058);
  CHECK(silent_top_recency == 0);
  int total_before = 0, total_after = 0;
  for (const auto& [name, n] : count_before) total_before += n;
  for (const auto& [name, n] : count_after) total_after += n;
  CHECK(total_before == 23570);
  CHECK(total_after == 23570);
  // Nine more months of silence for 70% of the cohort: the sleeping segments grow.
  CHECK(count_after["lost"] + count_after["hibernating"] >
        count_before["lost"] + count_before["hibernating"]);
}

TEST_CASE("the default segment grid names every (R, FM) cell as documented") {
  const RfmSegmentMap map = defaultRfmSegmentMap();
  REQUIRE(validateRfmSegmentMap(map));
  const char* grid[5][5] = {
      // FM = 1..5, R = 5 first
      {"new", "potential_loyalist", "potential_loyalist", "champions", "champions"},
      {"promising", "potential_loyalist", "potential_loyalist", "loyal", "loyal"},
      {"about_to_sleep", "about_to_sleep", "needs_attention", "loyal", "loyal"},
      {"hibernating", "hibernating", "at_risk", "at_risk", "cant_lose_them"},
      {"lost", "lost", "at_risk", "at_risk", "cant_lose_them"},
  };
  for (int r = 5; r >= 1; --r) {
    for (int fm = 1; fm <= 5; ++fm) {
      CAPTURE(r);
      CAPTURE(fm);
      CHECK(rfmSegment(map, {r, fm, fm}) == grid[5 - r][fm - 1]);
    }
  }
  CHECK(RfmScore{3, 4, 5}.fm() == 5);  // halves round up
  CHECK(RfmScore{3, 1, 2}.fm() == 2);
  CHECK(RfmScore{3, 1, 1}.fm() == 1);
}

TEST_CASE("a replacement segment map is validated and used") {
  RfmSegmentMap two{{{"vip", 4, 5, 4, 5}, {"everyone_else", 1, 5, 1, 5}}};
  REQUIRE(validateRfmSegmentMap(two));
  CHECK(rfmSegment(two, {5, 5, 4}) == "vip");
  CHECK(rfmSegment(two, {3, 5, 5}) == "everyone_else");

  RfmSegmentMap broken{{{"", 0, 5, 1, 5}, {"top", 5, 5, 3, 2}}};
  const auto refused = validateRfmSegmentMap(broken);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("name is empty") != std::string::npos);
  CHECK(refused.error().message.find("R range") != std::string::npos);
  CHECK(refused.error().message.find("FM range") != std::string::npos);
  CHECK(refused.error().message.find("no rule covers R=1 FM=1") != std::string::npos);
  CHECK(rfmSegment(RfmSegmentMap{}, {5, 5, 5}).empty());
}

TEST_CASE("an empty base scores everyone 1 and a single customer 1") {
  const RfmBoundaries none = computeRfmBoundaries({});
  CHECK(scoreRfm({123, 5, 50}, none) == RfmScore{1, 1, 1});
  const std::vector<RfmFacts> one{{123, 5, 50}};
  CHECK(scoreRfm(one[0], computeRfmBoundaries(one)) == RfmScore{1, 1, 1});
}

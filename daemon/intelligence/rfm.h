#pragma once
/// RFM scoring: recency, frequency and monetary scores 1–5 by quintiles of the customer base,
/// and the named RFM segments from a configurable (R, FM) grid.
///
/// Two operations with different costs: computeRfmBoundaries() is the periodic rebase over the
/// whole base (O(n) with nth_element), scoreRfm() scores one customer against the boundaries in
/// O(1) whenever their facts change. Both are pure and thread-safe.
///
/// Scoring rule (ties): a value's score is 1 + ⌊5 · L / n⌋ (at most 5), where L is the number of
/// customers whose value is strictly worse. Equal values therefore always get equal scores,
/// and a tie group takes the score of its worst-ranked member: if 60% of customers bought once,
/// they all score F = 1 and the next frequency up scores 4 (it beats 60% of the base). Buckets
/// hold 20% each when values are distinct; ties make some larger and skip others. Recency is
/// scored on the last order instant (later = better), so scores do not drift as time passes
/// between rebases: everyone ages together and the ranking is unchanged.
#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/result.h"
#include "daemon/core/time.h"

namespace journeyd {

/// What RFM scores one customer on. Customers without any order are not scored.
struct RfmFacts {
  TimeMs last_order_at = 0;  ///< recency: the later, the better
  double frequency = 0.0;    ///< purchase count; the product uses purchase days (x + 1)
  double monetary = 0.0;     ///< spend; the product uses total spend, in currency
};

/// The four quintile cut points of each dimension: score = 1 + #{k : value > cut[k]}.
/// cut[k] is the value at ascending rank ⌈(k+1)·n/5⌉ (1-based) of the base.
struct RfmBoundaries {
  std::array<TimeMs, 4> recency{};
  std::array<double, 4> frequency{};
  std::array<double, 4> monetary{};
  std::size_t customers = 0;  ///< size of the base the cuts were computed on
};

/// One customer's scores, each 1 (worst) to 5 (best).
struct RfmScore {
  int r = 1;
  int f = 1;
  int m = 1;

  /// The combined frequency-monetary score used by the segment grid: (f + m) / 2, halves up.
  [[nodiscard]] int fm() const { return (f + m + 1) / 2; }
  bool operator==(const RfmScore&) const = default;
};

/// Quintile cut points over the whole base. O(n); allocates a copy of one dimension at a time.
/// An empty base gives cuts that score everyone 1 in every dimension.
[[nodiscard]] RfmBoundaries computeRfmBoundaries(std::span<const RfmFacts> customers);

/// Scores one customer against the boundaries. O(1).
[[nodiscard]] RfmScore scoreRfm(const RfmFacts& facts, const RfmBoundaries& boundaries);

/// One cell range of the segment grid: R in [r_min, r_max] and FM in [fm_min, fm_max].
struct RfmSegmentRule {
  std::string name;  ///< segment id as used in segment YAML, e.g. "champions"
  int r_min = 1;
  int r_max = 5;
  int fm_min = 1;
  int fm_max = 5;
};

/// A named-segment map: the first rule containing (R, FM) names the customer's segment.
/// Replaceable from config; validate with validateRfmSegmentMap().
struct RfmSegmentMap {
  std::vector<RfmSegmentRule> rules;
};

/// The common R × FM grid (R rows, FM columns 1..5):
///
///   R\FM  1                2                  3                  4              5
///   5     new              potential_loyalist potential_loyalist champions      champions
///   4     promising        potential_loyalist potential_loyalist loyal          loyal
///   3     about_to_sleep   about_to_sleep     needs_attention    loyal          loyal
///   2     hibernating      hibernating        at_risk            at_risk        cant_lose_them
///   1     lost             lost               at_risk            at_risk        cant_lose_them
[[nodiscard]] RfmSegmentMap defaultRfmSegmentMap();

/// Checks that every rule has a name and ranges within 1..5 with min <= max, and that all 25
/// (R, FM) cells are covered. Reports every problem, one per line, in one kInvalidArgument.
[[nodiscard]] Result<void> validateRfmSegmentMap(const RfmSegmentMap& map);

/// The segment name for a score; empty when no rule matches (impossible for a valid map).
[[nodiscard]] std::string_view rfmSegment(const RfmSegmentMap& map, const RfmScore& score);

}  // namespace journeyd

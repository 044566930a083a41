#include "daemon/intelligence/rfm.h"

#include <algorithm>
#include <limits>

namespace journeyd {
namespace {

/// The four cuts of one dimension: the values at 1-based ascending ranks ⌈k·n/5⌉, k = 1..4.
template <typename T, typename Field>
std::array<T, 4> quintileCuts(std::span<const RfmFacts> customers, Field field) {
  std::array<T, 4> cuts;
  const std::size_t n = customers.size();
  if (n == 0) {
    cuts.fill(std::numeric_limits<T>::max());
    return cuts;
  }
  std::vector<T> values;
  values.reserve(n);
  for (const RfmFacts& c : customers) values.push_back(field(c));
  auto begin = values.begin();
  for (std::size_t k = 1; k <= 4; ++k) {
    const std::size_t index = (k * n + 4) / 5 - 1;  // ⌈k·n/5⌉ − 1, zero-based
    // Each nth_element leaves everything before `index` no greater, so the next search can
    // start at the previous cut.
    std::nth_element(begin, values.begin() + static_cast<std::ptrdiff_t>(index), values.end());
    cuts[k - 1] = values[index];
    begin = values.begin() + static_cast<std::ptrdiff_t>(index);
  }
  return cuts;
}

template <typename T>
int scoreAgainst(T value, const std::array<T, 4>& cuts) {
  int score = 1;
  for (const T& cut : cuts) score += value > cut ? 1 : 0;
  return score;
}

}  // namespace

RfmBoundaries computeRfmBoundaries(std::span<const RfmFacts> customers) {
  RfmBoundaries boundaries;
  boundaries.recency =
      quintileCuts<TimeMs>(customers, [](const RfmFacts& c) { return c.last_order_at; });
  boundaries.frequency =
      quintileCuts<double>(customers, [](const RfmFacts& c) { return c.frequency; });
  boundaries.monetary =
      quintileCuts<double>(customers, [](const RfmFacts& c) { return c.monetary; });
  boundaries.customers = customers.size();
  return boundaries;
}

RfmScore scoreRfm(const RfmFacts& facts, const RfmBoundaries& boundaries) {
  return {scoreAgainst(facts.last_order_at, boundaries.recency),
          scoreAgainst(facts.frequency, boundaries.frequency),
          scoreAgainst(facts.monetary, boundaries.monetary)};
}

RfmSegmentMap defaultRfmSegmentMap() {
  // {name, r_min, r_max, fm_min, fm_max}; see the grid in rfm.h.
  return {{
      {"champions", 5, 5, 4, 5},
      {"loyal", 3, 4, 4, 5},
      {"potential_loyalist", 4, 5, 2, 3},
      {"new", 5, 5, 1, 1},
      {"promising", 4, 4, 1, 1},
      {"needs_attention", 3, 3, 3, 3},
      {"about_to_sleep", 3, 3, 1, 2},
      {"at_risk", 1, 2, 3, 4},
      {"cant_lose_them", 1, 2, 5, 5},
      {"hibernating", 2, 2, 1, 2},
      {"lost", 1, 1, 1, 2},
  }};
}

Result<void> validateRfmSegmentMap(const RfmSegmentMap& map) {
  std::string problems;
  auto in_range = [](int v) { return v >= 1 && v <= 5; };
  for (std::size_t i = 0; i < map.rules.size(); ++i) {
    const RfmSegmentRule& rule = map.rules[i];
    const std::string where = "rule " + std::to_string(i + 1) +
                              (rule.name.empty() ? std::string() : " (" + rule.name + ")");
    if (rule.name.empty()) problems += where + ": name is empty\n";
    if (!in_range(rule.r_min) || !in_range(rule.r_max) || rule.r_min > rule.r_max) {
      problems += where + ": R range must satisfy 1 <= r_min <= r_max <= 5\n";
    }
    if (!in_range(rule.fm_min) || !in_range(rule.fm_max) || rule.fm_min > rule.fm_max) {
      problems += where + ": FM range must satisfy 1 <= fm_min <= fm_max <= 5\n";
    }
  }
  for (int r = 1; r <= 5; ++r) {
    for (int fm = 1; fm <= 5; ++fm) {
      // Any (f, m) with (f + m + 1) / 2 == fm stands for the cell: take f = m = fm.
      if (rfmSegment(map, {r, fm, fm}).empty()) {
        problems += "no rule covers R=" + std::to_string(r) + " FM=" + std::to_string(fm) + "\n";
      }
    }
  }
  if (!problems.empty()) {
    problems.pop_back();
    return fail(Error::invalid(problems, "rfm_segments"));
  }
  return ok();
}

std::string_view rfmSegment(const RfmSegmentMap& map, const RfmScore& score) {
  const int fm = score.fm();
  for (const RfmSegmentRule& rule : map.rules) {
    if (score.r >= rule.r_min && score.r <= rule.r_max && fm >= rule.fm_min && fm <= rule.fm_max) {
      return rule.name;
    }
  }
  return {};
}

}  // namespace journeyd

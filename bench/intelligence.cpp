// Customer-intelligence benchmark: a synthetic base of 1,000,000 customers and ~10,000,000
// orders (fixed-seed RNG, at most 200 orders a customer), timing the full RFM rebase, the BG/NBD
// and Gamma-Gamma fits, and the per-customer update on a new order (tally + RFM score + P(alive) +
// CLV). Usage: bench_intelligence [customers]   (default 1000000)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "daemon/intelligence/bgnbd.h"
#include "daemon/intelligence/btyd_summary.h"
#include "daemon/intelligence/clv.h"
#include "daemon/intelligence/gamma_gamma.h"
#include "daemon/intelligence/lifecycle.h"
#include "daemon/intelligence/rfm.h"

using namespace journeyd;

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

constexpr TimeMs kAsOf = 1'735'689'600'000;  // 2025-01-01T00:00:00Z
constexpr int kHistoryDays = 730;

// The synthetic base follows the models themselves, so the fits can be checked against the
// truth: purchase rate λ ~ Gamma(r, α) per day, drop-out after each repeat purchase with
// probability p ~ Beta(a, b), spend per order ~ Gamma(p_spend, ν) with ν ~ Gamma(q, γ).
constexpr double kTrueR = 2.0, kTrueAlpha = 20.0, kTrueA = 2.0, kTrueB = 15.0;
constexpr double kTrueP = 6.0, kTrueQ = 4.0, kTrueGamma = 15.0;
constexpr int kMaxOrders = 200;

/// Orders of one synthetic customer: first order uniform over the two years before kAsOf, then
/// the BG/NBD process until drop-out or kAsOf (at most kMaxOrders), amounts rounded to cents.
std::vector<Order> syntheticOrders(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::gamma_distribution<double> rate(kTrueR, 1.0 / kTrueAlpha);
  std::gamma_distribution<double> beta_a(kTrueA, 1.0), beta_b(kTrueB, 1.0);
  std::gamma_distribution<double> spend_rate(kTrueQ, 1.0 / kTrueGamma);
  const double lambda = rate(rng);
  const double ga = beta_a(rng);
  const double drop = ga / (ga + beta_b(rng));
  std::exponential_distribution<double> gap(lambda);
  std::gamma_distribution<double> amount(kTrueP, 1.0 / spend_rate(rng));
  std::vector<Order> orders;
  double day = uniform(rng) * kHistoryDays;
  auto add = [&](double d) {
    const TimeMs at = kAsOf - static_cast<TimeMs>((kHistoryDays - d) * kDayMs);
    orders.push_back({at, std::max(0.01, std::round(amount(rng) * 100) / 100)});
  };
  add(day);
  while (static_cast<int>(orders.size()) < kMaxOrders) {
    day += gap(rng);
    if (day >= kHistoryDays) break;
    add(day);
    if (uniform(rng) < drop) break;
  }
  return orders;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t customers = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1'000'000;
  std::mt19937_64 rng(20240601);

  // 1. Generate orders and build each customer's tally (orders arrive in time order).
  auto start = Clock::now();
  std::vector<PurchaseTally> tallies(customers);
  std::size_t order_count = 0;
  for (std::size_t i = 0; i < customers; ++i) {
    for (const Order& order : syntheticOrders(rng)) {
      if (!addOrder(tallies[i], order)) return 1;
      ++order_count;
    }
  }
  std::printf("generated + tallied %zu customers, %zu orders: %.2f s\n", customers, order_count,
              secondsSince(start));

  // 2. Full RFM rebase: facts, quintile boundaries, every score and segment.
  start = Clock::now();
  std::vector<RfmFacts> facts(customers);
  for (std::size_t i = 0; i < customers; ++i) {
    facts[i] = {tallies[i].last_order_at, static_cast<double>(tallies[i].days),
                tallies[i].totalAmount()};
  }
  const RfmBoundaries boundaries = computeRfmBoundaries(facts);
  const RfmSegmentMap segments = defaultRfmSegmentMap();
  std::size_t champions = 0;
  for (const RfmFacts& f : facts) {
    champions += rfmSegment(segments, scoreRfm(f, boundaries)) == "champions" ? 1 : 0;
  }
  std::printf("RFM rebase (boundaries + score + segment for all): %.3f s (%zu champions)\n",
              secondsSince(start), champions);

  // 3. Model fits on daily summaries of the whole base.
  start = Clock::now();
  std::vector<BtydSummary> summaries(customers);
  for (std::size_t i = 0; i < customers; ++i) summaries[i] = summarize(tallies[i], kAsOf);
  std::printf("BTYD summaries for all: %.3f s\n", secondsSince(start));
  start = Clock::now();
  const auto bgnbd = fitBgNbd(summaries);
  if (!bgnbd) {
    std::printf("BG/NBD fit failed: %s\n", bgnbd.error().message.c_str());
    return 1;
  }
  std::printf(
      "BG/NBD fit on all %zu: %.2f s (r=%.3f alpha=%.2f a=%.3f b=%.2f, %d evals; "
      "truth r=%.1f alpha=%.1f a=%.1f b=%.1f)\n",
      customers, secondsSince(start), bgnbd->params.r, bgnbd->params.alpha, bgnbd->params.a,
      bgnbd->params.b, bgnbd->evaluations, kTrueR, kTrueAlpha, kTrueA, kTrueB);
  const std::size_t subsample = std::min<std::size_t>(customers, 100'000);
  start = Clock::now();
  const auto sub_fit = fitBgNbd(std::span(summaries).first(subsample));
  if (!sub_fit) return 1;
  std::printf("BG/NBD fit on the first %zu: %.2f s (r=%.3f alpha=%.2f a=%.3f b=%.2f)\n", subsample,
              secondsSince(start), sub_fit->params.r, sub_fit->params.alpha, sub_fit->params.a,
              sub_fit->params.b);
  start = Clock::now();
  const auto gamma_gamma = fitGammaGamma(summaries);
  if (!gamma_gamma) {
    std::printf("Gamma-Gamma fit failed: %s\n", gamma_gamma.error().message.c_str());
    return 1;
  }
  std::printf(
      "Gamma-Gamma fit on %d repeat customers: %.2f s (p=%.3f q=%.3f gamma=%.3f; "
      "truth p=%.1f q=%.1f gamma=%.1f)\n",
      gamma_gamma->customers, secondsSince(start), gamma_gamma->params.p, gamma_gamma->params.q,
      gamma_gamma->params.gamma, kTrueP, kTrueQ, kTrueGamma);
  std::printf("  LL fitted %.2f, LL at truth %.2f, %d evals\n", gamma_gamma->log_likelihood,
              gammaGammaLogLikelihood({kTrueP, kTrueQ, kTrueGamma}, summaries),
              gamma_gamma->evaluations);

  // 4. Per-customer update on a new order: tally, RFM score, P(alive), 12-month CLV, stage.
  ValueModels models;
  models.bgnbd = bgnbd->params;
  models.gamma_gamma = gamma_gamma->params;
  const std::size_t updates = std::min<std::size_t>(customers, 200'000);
  std::uniform_int_distribution<std::size_t> pick(0, customers - 1);
  std::vector<std::size_t> picked(updates);
  for (auto& p : picked) p = pick(rng);
  const TimeMs now = kAsOf + 3 * kHourMs;
  double checksum = 0;
  start = Clock::now();
  for (std::size_t p : picked) {
    PurchaseTally& tally = tallies[p];
    if (!addOrder(tally, {now, 25.0})) return 1;
    const RfmScore score = scoreRfm(
        {tally.last_order_at, static_cast<double>(tally.days), tally.totalAmount()}, boundaries);
    const CustomerValue value = evaluateCustomerValue(tally, now, models);
    const LifecycleStage stage =
        lifecycleStage({{}, tally.first_order_at, tally.last_order_at, value.p_alive}, now);
    checksum += value.clv + score.r + static_cast<int>(stage);
  }
  const double per_update_us = secondsSince(start) / static_cast<double>(updates) * 1e6;
  std::printf("per-customer update (%zu updates): %.2f us each (checksum %.1f)\n", updates,
              per_update_us, checksum);
  return 0;
}

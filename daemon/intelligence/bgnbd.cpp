#include "daemon/intelligence/bgnbd.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <tuple>
#include <vector>

#include "daemon/intelligence/hypergeometric.h"

namespace journeyd {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

double logSumExp(double u, double v) {
  if (u == kNegInf) return v;
  if (v == kNegInf) return u;
  const double hi = std::max(u, v);
  return hi + std::log1p(std::exp(std::min(u, v) - hi));
}

/// Part of the log-likelihood that depends only on x (shared by every customer with that x).
double logLikelihoodXTerm(const BgNbdParams& p, double x) {
  return std::lgamma(p.r + x) - std::lgamma(p.r) + p.r * std::log(p.alpha) +
         std::lgamma(p.a + p.b) + std::lgamma(p.b + x) - std::lgamma(p.b) -
         std::lgamma(p.a + p.b + x);
}

double logDropTerm(const BgNbdParams& p, double x) {
  return x > 0.0 ? std::log(p.a) - std::log(p.b + x - 1.0) : kNegInf;
}

double logLikelihoodRest(const BgNbdParams& p, double x, double t_x, double T, double log_drop) {
  const double alive = -(p.r + x) * std::log(p.alpha + T);
  const double dropped =
      log_drop == kNegInf ? kNegInf : log_drop - (p.r + x) * std::log(p.alpha + t_x);
  return logSumExp(alive, dropped);
}

/// A distinct (x, t_x, T) and how many customers share it; t_x and T also as indexes into
/// the table of distinct times, so ln(α + t) is computed once per distinct time.
struct WeightedSummary {
  double x, t_x, T, weight;
  std::uint32_t t_x_index = 0, T_index = 0;
};

bool validSummary(const BtydSummary& s) {
  return std::isfinite(s.x) && std::isfinite(s.t_x) && std::isfinite(s.T) && s.x >= 0.0 &&
         (s.x == 0.0 || s.x >= 1.0) && s.t_x >= 0.0 && s.T >= s.t_x;
}

/// Guards the removable singularity of the (a+b+x−1)/(a−1) factor at a = 1.
double awayFromOne(double a) {
  constexpr double kNudge = 1e-7;
  return std::fabs(a - 1.0) < kNudge ? 1.0 + (a >= 1.0 ? kNudge : -kNudge) : a;
}

}  // namespace

double bgNbdLogLikelihood(const BgNbdParams& params, const BtydSummary& customer) {
  return logLikelihoodXTerm(params, customer.x) +
         logLikelihoodRest(params, customer.x, customer.t_x, customer.T,
                           logDropTerm(params, customer.x));
}

double bgNbdLogLikelihood(const BgNbdParams& params, std::span<const BtydSummary> customers) {
  double total = 0.0;
  for (const BtydSummary& customer : customers) total += bgNbdLogLikelihood(params, customer);
  return total;
}

Result<BgNbdFit> fitBgNbd(std::span<const BtydSummary> customers, const FitOptions& options) {
  if (customers.empty()) return fail(Error::invalid("BG/NBD fit needs at least one customer"));
  std::vector<WeightedSummary> rows;
  rows.reserve(customers.size());
  double sum_x = 0.0;
  double sum_T = 0.0;
  for (const BtydSummary& s : customers) {
    if (!validSummary(s)) {
      return fail(Error::invalid("BG/NBD fit: summary needs x = 0 or x >= 1, 0 <= t_x <= T"));
    }
    rows.push_back({s.x, s.t_x, s.T, 1.0});
    sum_x += s.x;
    sum_T += s.T;
  }
  // Group identical summaries, sorted by x so the x-only terms are computed once per run.
  std::sort(rows.begin(), rows.end(), [](const WeightedSummary& l, const WeightedSummary& r) {
    return std::tie(l.x, l.t_x, l.T) < std::tie(r.x, r.t_x, r.T);
  });
  std::size_t kept = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (kept > 0 && rows[kept - 1].x == rows[i].x && rows[kept - 1].t_x == rows[i].t_x &&
        rows[kept - 1].T == rows[i].T) {
      rows[kept - 1].weight += 1.0;
    } else {
      rows[kept++] = rows[i];
    }
  }
  rows.resize(kept);
  std::vector<double> times;
  times.reserve(2 * rows.size());
  for (const WeightedSummary& row : rows) {
    times.push_back(row.t_x);
    times.push_back(row.T);
  }
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  auto index_of = [&times](double t) {
    return static_cast<std::uint32_t>(std::lower_bound(times.begin(), times.end(), t) -
                                      times.begin());
  };
  for (WeightedSummary& row : rows) {
    row.t_x_index = index_of(row.t_x);
    row.T_index = index_of(row.T);
  }

  std::vector<double> log_alpha_plus(times.size());
  auto negative_log_likelihood = [&rows, &times, &log_alpha_plus](std::span<const double> theta) {
    const BgNbdParams p{theta[0], theta[1], theta[2], theta[3]};
    for (std::size_t i = 0; i < times.size(); ++i) log_alpha_plus[i] = std::log(p.alpha + times[i]);
    double total = 0.0;
    std::size_t i = 0;
    while (i < rows.size()) {
      const double x = rows[i].x;
      const double x_term = logLikelihoodXTerm(p, x);
      const double log_drop = logDropTerm(p, x);
      const double power = p.r + x;
      double run_weight = 0.0;
      double run_total = 0.0;
      for (; i < rows.size() && rows[i].x == x; ++i) {
        const double alive = -power * log_alpha_plus[rows[i].T_index];
        double row_ll = alive;
        if (x > 0.0) {
          row_ll = logSumExp(alive, log_drop - power * log_alpha_plus[rows[i].t_x_index]);
        }
        run_weight += rows[i].weight;
        run_total += rows[i].weight * row_ll;
      }
      total += run_total + run_weight * x_term;
    }
    return -total;
  };

  // Start: r = 1 and α matching the observed purchase rate r/α ≈ Σx / ΣT; a = b = 1.
  const double n = static_cast<double>(customers.size());
  const double alpha0 = std::clamp((sum_T / n) / std::max(sum_x / n, 0.01), 1e-3, 1e6);
  const std::array<double, 4> start{1.0, alpha0, 1.0, 1.0};
  auto outcome = minimizePositive(negative_log_likelihood, start, options);
  if (!outcome) return fail(outcome.error());
  BgNbdFit fit;
  fit.params = {outcome->parameters[0], outcome->parameters[1], outcome->parameters[2],
                outcome->parameters[3]};
  fit.log_likelihood = -outcome->value;
  fit.evaluations = outcome->evaluations;
  return fit;
}

double bgNbdExpectedPurchases(const BgNbdParams& params, double t) {
  if (t <= 0.0) return 0.0;
  const double a = awayFromOne(params.a);
  const double z = t / (params.alpha + t);
  const ScaledValue f = hyp2f1Scaled(params.r, params.b, a + params.b - 1.0, z);
  const double tail =
      f.value * std::exp(f.log_scale + params.r * std::log(params.alpha / (params.alpha + t)));
  return (a + params.b - 1.0) / (a - 1.0) * (1.0 - tail);
}

double bgNbdConditionalExpectedPurchases(const BgNbdParams& params, double t,
                                         const BtydSummary& customer) {
  if (t <= 0.0) return 0.0;
  const double a = awayFromOne(params.a);
  const double x = customer.x;
  const double base = params.alpha + customer.T;
  const double z = t / (base + t);
  const ScaledValue f = hyp2f1Scaled(params.r + x, params.b + x, a + params.b + x - 1.0, z);
  // ((α+T)/(α+T+t))^(r+x) = (1 − z)^(r+x), applied in log space against the series' scale.
  const double tail = f.value * std::exp(f.log_scale + (params.r + x) * std::log1p(-z));
  const double numerator = (a + params.b + x - 1.0) / (a - 1.0) * (1.0 - tail);
  return numerator * bgNbdProbabilityAlive(params, customer);
}

double bgNbdProbabilityAlive(const BgNbdParams& params, const BtydSummary& customer) {
  if (customer.x <= 0.0) return 1.0;
  const double log_odds_dead = std::log(params.a) - std::log(params.b + customer.x - 1.0) +
                               (params.r + customer.x) * (std::log(params.alpha + customer.T) -
                                                          std::log(params.alpha + customer.t_x));
  // 1 / (1 + e^u), computed without overflow for large u.
  if (log_odds_dead > 0.0) {
    const double e = std::exp(-log_odds_dead);
    return e / (1.0 + e);
  }
  return 1.0 / (1.0 + std::exp(log_odds_dead));
}

double bgNbdProbabilityOfPurchases(const BgNbdParams& params, double t, int n) {
  if (n < 0) return 0.0;
  const double r = params.r;
  const double a = params.a;
  const double b = params.b;
  if (t <= 0.0) return n == 0 ? 1.0 : 0.0;
  auto log_beta = [](double u, double v) {
    return std::lgamma(u) + std::lgamma(v) - std::lgamma(u + v);
  };
  const double log_stay = std::log(params.alpha / (params.alpha + t));  // ln(α/(α+t))
  const double log_rate = std::log(t / (params.alpha + t));             // ln(t/(α+t))
  const double lb_ab = log_beta(a, b);
  // NB(r, α) probability of j events in (0, t]: Γ(r+j)/(Γ(r) j!) (α/(α+t))^r (t/(α+t))^j.
  auto log_nb = [&](int j) {
    return std::lgamma(r + j) - std::lgamma(r) - std::lgamma(j + 1.0) + r * log_stay + j * log_rate;
  };
  double probability = std::exp(log_beta(a, b + n) - lb_ab + log_nb(n));
  if (n > 0) {
    double cdf = 0.0;
    for (int j = 0; j < n; ++j) cdf += std::exp(log_nb(j));
    probability += std::exp(log_beta(a + 1.0, b + n - 1.0) - lb_ab) * std::max(0.0, 1.0 - cdf);
  }
  return probability;
}

}  // namespace journeyd

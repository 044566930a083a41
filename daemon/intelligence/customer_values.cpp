#include "daemon/intelligence/customer_values.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "daemon/intelligence/btyd_summary.h"
#include "daemon/intelligence/clv.h"

namespace journeyd {

using json = nlohmann::json;

namespace {

double roundTo(double value, double scale) {
  if (!std::isfinite(value)) return 0.0;
  return std::round(value * scale) / scale;
}

/// A required positive finite number at `object[key]`.
Result<double> positive(const json& object, const char* section, const char* key) {
  const std::string field = std::string(section) + "." + key;
  auto it = object.find(key);
  if (it == object.end() || !it->is_number()) {
    return fail(Error::invalid("missing number " + field, field));
  }
  const double value = it->get<double>();
  if (!std::isfinite(value) || !(value > 0.0)) {
    return fail(Error::invalid(field + " must be a positive number", field));
  }
  return value;
}

std::optional<double> optionalNumber(const json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

template <typename T, std::size_t N>
Result<std::array<T, N>> cuts(const json& object, const char* key) {
  const std::string field = std::string("rfm.") + key;
  auto it = object.find(key);
  if (it == object.end() || !it->is_array() || it->size() != N) {
    return fail(
        Error::invalid(field + " must be an array of " + std::to_string(N) + " numbers", field));
  }
  std::array<T, N> out{};
  for (std::size_t i = 0; i < N; ++i) {
    if (!(*it)[i].is_number()) {
      return fail(Error::invalid(field + " must hold numbers", field));
    }
    out[i] = (*it)[i].get<T>();
  }
  return out;
}

}  // namespace

json StoredModels::toJson() const {
  json j = {{"time_unit_days", time_unit_days},
            {"customers", customers},
            {"fitted_at", formatIsoTime(fitted_at)},
            {"as_of", formatIsoTime(as_of)}};
  if (bgnbd) {
    j["bgnbd"] = {{"r", bgnbd->r}, {"alpha", bgnbd->alpha}, {"a", bgnbd->a}, {"b", bgnbd->b}};
    if (bgnbd_log_likelihood) j["bgnbd"]["log_likelihood"] = *bgnbd_log_likelihood;
  }
  if (gamma_gamma) {
    j["gamma_gamma"] = {
        {"p", gamma_gamma->p}, {"q", gamma_gamma->q}, {"gamma", gamma_gamma->gamma}};
    if (gamma_gamma_log_likelihood) {
      j["gamma_gamma"]["log_likelihood"] = *gamma_gamma_log_likelihood;
    }
  }
  if (rfm) {
    j["rfm"] = {{"recency", rfm->recency},
                {"frequency", rfm->frequency},
                {"monetary", rfm->monetary},
                {"customers", rfm->customers}};
  }
  return j;
}

Result<StoredModels> StoredModels::fromJson(const json& j) {
  if (!j.is_object()) return fail(Error::invalid("model parameters must be a JSON object"));
  StoredModels m;
  if (auto unit = optionalNumber(j, "time_unit_days")) {
    if (!std::isfinite(*unit) || !(*unit > 0.0)) {
      return fail(Error::invalid("time_unit_days must be a positive number", "time_unit_days"));
    }
    m.time_unit_days = *unit;
  }
  if (auto n = optionalNumber(j, "customers")) m.customers = static_cast<std::int64_t>(*n);
  for (const char* key : {"fitted_at", "as_of"}) {
    auto it = j.find(key);
    if (it == j.end()) continue;
    std::optional<TimeMs> t;
    if (it->is_string()) t = parseIsoTime(it->get<std::string>());
    if (it->is_number_integer()) t = it->get<TimeMs>();
    if (!t) return fail(Error::invalid(std::string(key) + " must be an ISO time", key));
    (std::string_view(key) == "fitted_at" ? m.fitted_at : m.as_of) = *t;
  }
  if (auto it = j.find("bgnbd"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return fail(Error::invalid("bgnbd must be an object", "bgnbd"));
    BgNbdParams p;
    for (auto [key, slot] : {std::pair{"r", &p.r}, std::pair{"alpha", &p.alpha},
                             std::pair{"a", &p.a}, std::pair{"b", &p.b}}) {
      auto v = positive(*it, "bgnbd", key);
      if (!v) return fail(v.error());
      *slot = *v;
    }
    m.bgnbd = p;
    m.bgnbd_log_likelihood = optionalNumber(*it, "log_likelihood");
  }
  if (auto it = j.find("gamma_gamma"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) {
      return fail(Error::invalid("gamma_gamma must be an object", "gamma_gamma"));
    }
    GammaGammaParams p;
    for (auto [key, slot] :
         {std::pair{"p", &p.p}, std::pair{"q", &p.q}, std::pair{"gamma", &p.gamma}}) {
      auto v = positive(*it, "gamma_gamma", key);
      if (!v) return fail(v.error());
      *slot = *v;
    }
    m.gamma_gamma = p;
    m.gamma_gamma_log_likelihood = optionalNumber(*it, "log_likelihood");
  }
  if (auto it = j.find("rfm"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return fail(Error::invalid("rfm must be an object", "rfm"));
    RfmBoundaries b;
    auto recency = cuts<TimeMs, 4>(*it, "recency");
    if (!recency) return fail(recency.error());
    auto frequency = cuts<double, 4>(*it, "frequency");
    if (!frequency) return fail(frequency.error());
    auto monetary = cuts<double, 4>(*it, "monetary");
    if (!monetary) return fail(monetary.error());
    b.recency = *recency;
    b.frequency = *frequency;
    b.monetary = *monetary;
    if (auto n = optionalNumber(*it, "customers"); n && *n >= 0) {
      b.customers = static_cast<std::size_t>(*n);
    }
    m.rfm = b;
  }
  return m;
}

const CustomerValueOptions& CustomerValueOptions::defaults() {
  static const CustomerValueOptions options;
  return options;
}

BtydSummary summarizeFacts(const CustomerOrderFacts& facts, TimeMs now, double time_unit_days,
                           DurationMs day_offset_ms) {
  if (facts.purchase_days <= 0 || !facts.first_order_at || !facts.last_order_at) return {};
  PurchaseTally tally;
  tally.first_day = customerDay(*facts.first_order_at, day_offset_ms);
  tally.last_day = std::max(customerDay(*facts.last_order_at, day_offset_ms), tally.first_day);
  // Distinct days cannot exceed the days spanned; keep the summary consistent (t_x >= 0 and
  // x = 0 when there is a single day).
  tally.days = std::min<std::int64_t>(facts.purchase_days, tally.last_day - tally.first_day + 1);
  if (tally.days == 1 && tally.last_day != tally.first_day) tally.days = 2;
  tally.orders = facts.orders_count;
  const double mean_per_day = std::isfinite(facts.total_spent) && facts.total_spent > 0.0
                                  ? facts.total_spent / static_cast<double>(tally.days)
                                  : 0.0;
  tally.first_day_amount = mean_per_day;
  tally.repeat_amount = mean_per_day * static_cast<double>(tally.days - 1);
  tally.first_order_at = *facts.first_order_at;
  tally.last_order_at = *facts.last_order_at;
  return summarize(tally, now, {.time_unit_days = time_unit_days, .day_offset_ms = day_offset_ms});
}

json customerValues(const CustomerOrderFacts& facts, const StoredModels& models, TimeMs now,
                    const CustomerValueOptions& options) {
  json values = json::object();
  const bool ordered = facts.purchase_days > 0 && facts.first_order_at && facts.last_order_at;

  if (models.rfm && ordered) {
    const RfmScore score = scoreRfm({.last_order_at = *facts.last_order_at,
                                     .frequency = static_cast<double>(facts.purchase_days),
                                     .monetary = facts.total_spent},
                                    *models.rfm);
    values["rfm"] = {{"r", score.r},
                     {"f", score.f},
                     {"m", score.m},
                     {"segment", std::string(rfmSegment(options.segments, score))}};
  }

  std::optional<double> p_alive;
  if (models.bgnbd && ordered) {
    const double unit = models.time_unit_days > 0.0 ? models.time_unit_days : 1.0;
    const BtydSummary summary = summarizeFacts(facts, now, unit, options.day_offset_ms);
    p_alive = bgNbdProbabilityAlive(*models.bgnbd, summary);
    values["p_alive"] = roundTo(*p_alive, 1e4);
    values["churn_risk"] = roundTo(1.0 - *p_alive, 1e4);
    values["expected_orders_90d"] =
        roundTo(bgNbdConditionalExpectedPurchases(*models.bgnbd,
                                                  options.expected_orders_days / unit, summary),
                1e4);
    if (models.gamma_gamma) {
      const ClvOptions clv{.horizon_days = options.clv_horizon_days,
                           .step_days = options.clv_step_days,
                           .discount_rate_per_step = options.clv_discount_per_step,
                           .time_unit_days = unit};
      values["clv_12m"] =
          roundTo(customerLifetimeValue(*models.bgnbd, *models.gamma_gamma, summary, clv), 100.0);
    }
  }

  values["ltv"] =
      ordered
          ? roundTo(seedLtv(facts.total_spent, *facts.first_order_at, now, options.seed_ltv), 100.0)
          : 0.0;

  const LifecycleFacts lifecycle{.signed_up_at = facts.signed_up_at,
                                 .first_order_at = ordered ? facts.first_order_at : std::nullopt,
                                 .last_order_at = ordered ? facts.last_order_at : std::nullopt,
                                 .p_alive = p_alive};
  values["lifecycle"] =
      std::string(lifecycleStageName(lifecycleStage(lifecycle, now, options.lifecycle)));
  return values;
}

}  // namespace journeyd

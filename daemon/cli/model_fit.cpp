// `journeyd model fit`: one streamed pass over the stored orders (ORDER BY customer_id, ts, so
// memory holds one tally at a time plus a 56-byte summary per customer), then the maximum-
// likelihood fits, the RFM cuts, and one row in model_params.
#include "daemon/cli/model_fit.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/cli/store_setup.h"
#include "daemon/core/clock.h"
#include "daemon/intelligence/bgnbd.h"
#include "daemon/intelligence/btyd_summary.h"
#include "daemon/intelligence/gamma_gamma.h"
#include "daemon/intelligence/rfm.h"

namespace journeyd {

using json = nlohmann::json;

namespace {

/// What the pass over the orders gathered.
struct OrderBase {
  std::vector<BtydSummary> summaries;  ///< in the fit's time unit
  std::vector<RfmFacts> rfm;
  std::int64_t orders = 0;
  std::int64_t refused_amounts = 0;  ///< negative or non-finite amounts counted as 0
  double repeat_days = 0;            ///< Σx
};

/// Streams every order event at or before `as_of`, one customer at a time.
OrderBase readOrders(const ModelRepo& models, const OrderSettings& orders, TimeMs as_of,
                     double unit_days) {
  OrderBase base;
  const SummaryOptions summary_options{.time_unit_days = unit_days};
  PurchaseTally tally;
  CustomerId current = 0;
  bool any = false;
  auto flush = [&] {
    if (tally.days == 0) return;
    const BtydSummary s = summarize(tally, as_of, summary_options);
    base.summaries.push_back(s);
    base.repeat_days += s.x;
    base.rfm.push_back({.last_order_at = tally.last_order_at,
                        .frequency = static_cast<double>(tally.days),
                        .monetary = tally.totalAmount()});
  };
  models.forEachOrder(orders.events, orders.revenue_properties, as_of,
                      [&](CustomerId customer, TimeMs ts, double amount) {
                        if (!std::isfinite(amount) || amount < 0.0) {
                          ++base.refused_amounts;
                          amount = 0.0;
                        }
                        if (!any || customer != current) {
                          flush();
                          tally = PurchaseTally{};
                          current = customer;
                          any = true;
                        }
                        ++base.orders;
                        // Rows come in time order, so this only fails on a bad amount, already
                        // cleaned.
                        (void)addOrder(tally, {ts, amount});
                      });
  flush();
  return base;
}

/// Parses --as-of: a date means the end of that UTC day; an instant is taken as is.
std::optional<TimeMs> parseAsOf(const std::string& text, bool& date_only) {
  date_only = text.size() == 10;
  auto t = parseIsoTime(text);
  if (!t) return std::nullopt;
  return date_only ? *t + kDayMs - 1 : *t;
}

std::string fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

}  // namespace

void saveStoredModels(Tx& tx, const StoredModels& models) {
  tx.models().save(kCustomerValueModels, models.toJson(), models.fitted_at);
}

Result<std::optional<StoredModels>> loadStoredModels(const Snapshot& snapshot) {
  auto stored = guardStore("loading model parameters", [&] {
    return Result<std::optional<std::pair<json, TimeMs>>>(
        snapshot.models().load(kCustomerValueModels));
  });
  if (!stored) return fail(stored.error());
  if (!*stored) return std::optional<StoredModels>{};
  auto models = StoredModels::fromJson((*stored)->first);
  if (!models) return fail(models.error());
  return std::optional<StoredModels>(std::move(*models));
}

int runModelFit(const ModelFitCommand& cmd) {
  double unit_days = 0;
  if (cmd.unit == "days") {
    unit_days = 1;
  } else if (cmd.unit == "weeks") {
    unit_days = 7;
  } else {
    std::fprintf(stderr, "journeyd: error: --unit must be days or weeks, not '%s'\n",
                 cmd.unit.c_str());
    return 2;
  }
  SystemClock clock;
  const TimeMs now = clock.now();
  bool date_only = false;
  TimeMs as_of = now;
  std::string as_of_text = formatIsoTime(now);
  if (!cmd.as_of.empty()) {
    auto parsed = parseAsOf(cmd.as_of, date_only);
    if (!parsed) {
      std::fprintf(stderr, "journeyd: error: --as-of '%s' is not a date (YYYY-MM-DD) or ISO time\n",
                   cmd.as_of.c_str());
      return 2;
    }
    as_of = *parsed;
    as_of_text = date_only ? cmd.as_of : formatIsoTime(as_of);
  }

  auto opened = openStore(cmd.store, /*read_only=*/false);
  if (!opened) return opened.error();
  const auto& config = opened->config;
  Store& store = *opened->store;

  auto base = store.withSnapshot("reading orders", [&](const Snapshot& snap) {
    return Result<OrderBase>(readOrders(snap.models(), config->orders, as_of, unit_days));
  });
  if (!base) {
    std::fprintf(stderr, "journeyd: error: %s\n", base.error().message.c_str());
    return 1;
  }
  if (base->summaries.empty()) {
    std::fprintf(stderr, "journeyd: error: no orders on or before %s to fit on\n",
                 as_of_text.c_str());
    return 1;
  }
  if (base->refused_amounts > 0) {
    std::fprintf(stderr,
                 "journeyd: warning: %lld orders with a negative or invalid amount "
                 "counted as 0\n",
                 static_cast<long long>(base->refused_amounts));
  }

  auto bgnbd = fitBgNbd(base->summaries);
  if (!bgnbd) {
    std::fprintf(stderr, "journeyd: error: BG/NBD fit: %s\n", bgnbd.error().message.c_str());
    return 1;
  }
  auto gamma_gamma = fitGammaGamma(base->summaries);
  if (!gamma_gamma) {
    std::fprintf(stderr, "journeyd: warning: Gamma-Gamma not fitted (no CLV): %s\n",
                 gamma_gamma.error().message.c_str());
  }

  // Stored in days: α scales with the unit; the log-likelihood of the same data differs by
  // the Jacobian Σx · ln(unit) (LL_weeks = LL_days + Σx ln 7).
  StoredModels models;
  models.time_unit_days = 1;
  models.bgnbd = BgNbdParams{bgnbd->params.r, bgnbd->params.alpha * unit_days, bgnbd->params.a,
                             bgnbd->params.b};
  models.bgnbd_log_likelihood = bgnbd->log_likelihood - base->repeat_days * std::log(unit_days);
  if (gamma_gamma) {
    models.gamma_gamma = gamma_gamma->params;
    models.gamma_gamma_log_likelihood = gamma_gamma->log_likelihood;
  }
  models.rfm = computeRfmBoundaries(base->rfm);
  models.customers = static_cast<std::int64_t>(base->summaries.size());
  models.fitted_at = now;
  models.as_of = as_of;
  if (auto saved = store.write([&](Tx& tx) -> Result<void> {
        saveStoredModels(tx, models);
        return ok();
      });
      !saved) {
    std::fprintf(stderr, "journeyd: error: %s\n", saved.error().message.c_str());
    return 1;
  }

  if (cmd.json) {
    json out = {{"bgnbd",
                 {{"r", bgnbd->params.r},
                  {"alpha", bgnbd->params.alpha},
                  {"a", bgnbd->params.a},
                  {"b", bgnbd->params.b},
                  {"log_likelihood", bgnbd->log_likelihood}}},
                {"gamma_gamma", nullptr},
                {"customers", models.customers},
                {"orders", base->orders},
                {"as_of", as_of_text},
                {"unit", cmd.unit}};
    if (gamma_gamma) {
      out["gamma_gamma"] = {{"p", gamma_gamma->params.p},
                            {"q", gamma_gamma->params.q},
                            {"gamma", gamma_gamma->params.gamma},
                            {"log_likelihood", gamma_gamma->log_likelihood},
                            {"customers", gamma_gamma->customers}};
    }
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  std::printf("models fitted on %lld customers (%lld orders) as of %s; time unit: %s\n",
              static_cast<long long>(models.customers), static_cast<long long>(base->orders),
              as_of_text.c_str(), cmd.unit.c_str());
  std::printf("  BG/NBD       r = %s  alpha = %s  a = %s  b = %s  log-likelihood = %s\n",
              fixed(bgnbd->params.r, 4).c_str(), fixed(bgnbd->params.alpha, 4).c_str(),
              fixed(bgnbd->params.a, 4).c_str(), fixed(bgnbd->params.b, 4).c_str(),
              fixed(bgnbd->log_likelihood, 2).c_str());
  if (gamma_gamma) {
    std::printf(
        "  Gamma-Gamma  p = %s  q = %s  gamma = %s  log-likelihood = %s  (%d repeat "
        "customers)\n",
        fixed(gamma_gamma->params.p, 4).c_str(), fixed(gamma_gamma->params.q, 4).c_str(),
        fixed(gamma_gamma->params.gamma, 4).c_str(), fixed(gamma_gamma->log_likelihood, 2).c_str(),
        gamma_gamma->customers);
  } else {
    std::printf("  Gamma-Gamma  not fitted\n");
  }
  std::printf(
      "  RFM          quintile cuts: frequency %s/%s/%s/%s order days, monetary "
      "%s/%s/%s/%s\n",
      fixed(models.rfm->frequency[0], 0).c_str(), fixed(models.rfm->frequency[1], 0).c_str(),
      fixed(models.rfm->frequency[2], 0).c_str(), fixed(models.rfm->frequency[3], 0).c_str(),
      fixed(models.rfm->monetary[0], 2).c_str(), fixed(models.rfm->monetary[1], 2).c_str(),
      fixed(models.rfm->monetary[2], 2).c_str(), fixed(models.rfm->monetary[3], 2).c_str());
  std::printf("stored in %s (model_params '%s', parameters in days)\n",
              config->databasePath().c_str(), kCustomerValueModels);
  return 0;
}

}  // namespace journeyd

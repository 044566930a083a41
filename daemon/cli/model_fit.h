#pragma once
/// `journeyd model fit [--as-of DATE] [--unit days|weeks] [--json]`: fits BG/NBD and
/// Gamma-Gamma by maximum likelihood and the RFM quintile cuts on every customer's orders up to
/// DATE, stores them in model_params, and prints the parameters with their log-likelihood.
#include <optional>
#include <string>

#include "daemon/cli/commands.h"
#include "daemon/core/result.h"
#include "daemon/intelligence/customer_values.h"
#include "daemon/store/database.h"

namespace journeyd {

struct ModelFitCommand {
  StoreOptions store;
  /// `YYYY-MM-DD` (orders on or before that UTC day count, T is measured to it) or an ISO
  /// instant (orders at or before it). Empty: now.
  std::string as_of;
  /// Unit of the printed BG/NBD parameters and log-likelihood: "days" (default) or "weeks"
  /// (the unit of the published CDNOW figures). The stored parameters are always in days.
  std::string unit = "days";
  bool json = false;
};
int runModelFit(const ModelFitCommand& cmd);

/// The table the fitted models are kept in (row name "customer_values" holds
/// StoredModels::toJson()). Idempotent; to become schema migration 5.
inline constexpr const char* kModelParamsSchema =
    "CREATE TABLE IF NOT EXISTS model_params ("
    "name TEXT PRIMARY KEY, "      // which model set, e.g. customer_values
    "params TEXT NOT NULL, "       // JSON
    "fitted_at INTEGER NOT NULL"   // epoch ms
    ")";
inline constexpr const char* kCustomerValueModels = "customer_values";

/// Writes (replaces) the stored customer-value models. Creates the table if needed.
[[nodiscard]] Result<void> saveStoredModels(Database& db, const StoredModels& models);

/// The stored customer-value models; nullopt when no fit has been stored yet.
[[nodiscard]] Result<std::optional<StoredModels>> loadStoredModels(Database& db);

}  // namespace journeyd

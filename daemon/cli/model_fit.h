#pragma once
/// `journeyd model fit [--as-of DATE] [--unit days|weeks] [--json]`: fits BG/NBD and
/// Gamma-Gamma by maximum likelihood and the RFM quintile cuts on every customer's orders up to
/// DATE, stores them in model_params, and prints the parameters with their log-likelihood.
#include <optional>
#include <string>

#include "daemon/cli/commands.h"
#include "daemon/core/result.h"
#include "daemon/intelligence/customer_values.h"
#include "daemon/store/store.h"

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

/// The name the fitted customer-value models are stored under (StoredModels::toJson()).
inline constexpr const char* kCustomerValueModels = "customer_values";

/// Writes (replaces) the stored customer-value models.
void saveStoredModels(Tx& tx, const StoredModels& models);

/// The stored customer-value models; nullopt when no fit has been stored yet.
[[nodiscard]] Result<std::optional<StoredModels>> loadStoredModels(const Snapshot& snapshot);

}  // namespace journeyd

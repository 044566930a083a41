#pragma once
/// Results as people read them: a customer's story across journeys (`explain`), and the text
/// forms of the journey and segment reports. The numbers come from the store's read models
/// (ReportRepo, SegmentRepo); this composes and formats them.
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "daemon/store/store.h"

namespace journeyd {

/// "Why did, or didn't, this customer get this message": per journey (one, or all when
/// `journey_id` is empty), in order, the entry checks, steps, branches with the values that
/// decided them, waits, policy decisions and exits from the journey log, and what became of
/// each message in the outbox.
nlohmann::json explainCustomer(const Snapshot& snapshot, CustomerId customer_id,
                               const std::string& journey_id);
std::string formatExplanation(const nlohmann::json& explanation);

/// Plain-text rendering of ReportRepo::journey for the CLI.
std::string formatReport(const nlohmann::json& report);

/// Plain-text rendering of SegmentRepo::report.
std::string formatSegmentReport(const nlohmann::json& report);

}  // namespace journeyd

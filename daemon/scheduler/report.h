#pragma once
/// Results per journey, read from the store: the funnel (entered, in flight, completed,
/// converted, exited with reasons), messages per step by status (sent, failed, skipped with
/// reasons, dead), and split variants. Shared by the admin API and `journeyd report`.
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "daemon/core/result.h"
#include "daemon/store/database.h"

namespace journeyd {

Result<nlohmann::json> journeyReport(Database& db, const std::string& journey_id);

/// A customer's enrollments and most recent messages, for the customer profile.
Result<nlohmann::json> customerJourneys(Database& db, std::int64_t customer_id, int recent_messages = 50);

/// Segment sizes now, entries and exits per segment, and the moves between segments (a customer
/// leaving one segment and entering another at the same moment), from the membership history.
Result<nlohmann::json> segmentReport(Database& db);
std::string formatSegmentReport(const nlohmann::json& report);

/// "Why did, or didn't, this customer get this message": per journey (one, or all when
/// `journey_id` is empty), in order, the entry checks, steps, branches with the values that
/// decided them, waits, policy decisions and exits from the journey log, and what became of
/// each message in the outbox.
Result<nlohmann::json> explainCustomer(Database& db, std::int64_t customer_id, const std::string& journey_id);
std::string formatExplanation(const nlohmann::json& explanation);

/// Plain-text rendering of journeyReport for the CLI.
std::string formatReport(const nlohmann::json& report);

}  // namespace journeyd

#pragma once
/// Process-wide counters exported at GET /metrics in the Prometheus text format.
#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace journeyd {

/// Lock-free counters; any thread may bump them.
struct IngestMetrics {
  std::array<std::atomic<std::uint64_t>, 6> messages_by_type{};  ///< indexed by MessageType
  std::atomic<std::uint64_t> duplicates{0};
  std::atomic<std::uint64_t> rejected{0};  ///< requests refused with 4xx
  std::atomic<std::uint64_t> unauthorized{0};
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> store_failures{0};  ///< 5xx from the store
  std::atomic<std::uint64_t> inbound_sms_accepted{
      0};  ///< signed SMS replies taken (keyword or not)
  std::atomic<std::uint64_t> inbound_sms_refused{
      0};  ///< unsigned, wrongly signed or without a valid From
};

}  // namespace journeyd

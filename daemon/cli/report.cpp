// `journeyd report [JOURNEY] [--json]`: the funnel and results per journey, from the store;
// `journeyd explain CUSTOMER [JOURNEY]`: one customer's story in the journeys.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "daemon/cli/commands.h"
#include "daemon/cli/store_setup.h"
#include "daemon/customers/customer_writer.h"
#include "daemon/scheduler/report.h"

namespace journeyd {

int runReport(const ReportCommand& cmd) {
  auto store = openStore(cmd.store, /*read_only=*/true);
  if (!store) return store.error();
  auto& db = store->db;
  if (cmd.journey == "segments") {
    auto r = segmentReport(*db);
    if (!r) {
      std::fprintf(stderr, "journeyd: error: %s\n", r.error().message.c_str());
      return 1;
    }
    std::fputs(cmd.json ? (r->dump(2) + "\n").c_str() : formatSegmentReport(*r).c_str(), stdout);
    return 0;
  }
  std::vector<std::string> ids;
  if (!cmd.journey.empty()) {
    ids.push_back(cmd.journey);
  } else {
    auto& q = db->prepare("SELECT DISTINCT journey_id FROM enrollments ORDER BY journey_id");
    while (q.executeStep()) ids.push_back(q.getColumn(0).getString());
    q.reset();
  }
  nlohmann::json all = nlohmann::json::array();
  for (const auto& id : ids) {
    auto r = journeyReport(*db, id);
    if (!r) {
      std::fprintf(stderr, "journeyd: error: %s\n", r.error().message.c_str());
      return 1;
    }
    if (cmd.json) {
      all.push_back(*r);
    } else {
      std::fputs(formatReport(*r).c_str(), stdout);
    }
  }
  if (cmd.json) std::printf("%s\n", (cmd.journey.empty() ? all : all[0]).dump(2).c_str());
  if (ids.empty() && !cmd.json) std::printf("no journey has had any customer yet\n");
  return 0;
}

int runExplain(const ExplainCommand& cmd) {
  auto store = openStore(cmd.store, /*read_only=*/true);
  if (!store) return store.error();
  auto& db = store->db;
  auto id = guardSql("find customer", [&]() -> Result<std::int64_t> { return findCustomerBySpec(*db, cmd.customer); });
  if (!id) {
    std::fprintf(stderr, "journeyd: error: %s\n", id.error().message.c_str());
    return 1;
  }
  if (*id == 0) {
    std::fprintf(stderr, "journeyd: error: no customer %s\n", cmd.customer.c_str());
    return 1;
  }
  auto r = explainCustomer(*db, *id, cmd.journey);
  if (!r) {
    std::fprintf(stderr, "journeyd: error: %s\n", r.error().message.c_str());
    return 1;
  }
  std::fputs(cmd.json ? ((*r).dump(2) + "\n").c_str() : formatExplanation(*r).c_str(), stdout);
  return 0;
}

}  // namespace journeyd

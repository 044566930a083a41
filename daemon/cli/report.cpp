// `journeyd report [JOURNEY] [--json]`: the funnel and results per journey, from the store;
// `journeyd explain CUSTOMER [JOURNEY]`: one customer's story in the journeys.
#include "daemon/scheduler/report.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "daemon/cli/commands.h"
#include "daemon/cli/store_setup.h"
#include "daemon/customers/customer_writer.h"

namespace journeyd {

namespace {

int storeError(const Error& e) {
  std::fprintf(stderr, "journeyd: error: %s\n", e.message.c_str());
  return 1;
}

}  // namespace

int runReport(const ReportCommand& cmd) {
  auto opened = openStore(cmd.store, /*read_only=*/true);
  if (!opened) return opened.error();
  Store& store = *opened->store;
  if (cmd.journey == "segments") {
    auto r = store.withSnapshot("segment report", [](const Snapshot& snap) {
      return Result<nlohmann::json>(snap.segments().report());
    });
    if (!r) return storeError(r.error());
    std::fputs(cmd.json ? (r->dump(2) + "\n").c_str() : formatSegmentReport(*r).c_str(), stdout);
    return 0;
  }
  auto reports =
      store.withSnapshot("journey report", [&](const Snapshot& snap) -> Result<nlohmann::json> {
        std::vector<std::string> ids = cmd.journey.empty() ? snap.enrollments().journeyIds()
                                                           : std::vector<std::string>{cmd.journey};
        nlohmann::json all = nlohmann::json::array();
        for (const auto& id : ids) all.push_back(snap.reports().journey(id));
        return all;
      });
  if (!reports) return storeError(reports.error());
  if (cmd.json) {
    std::printf("%s\n", (cmd.journey.empty() ? *reports : (*reports)[0]).dump(2).c_str());
    return 0;
  }
  for (const auto& r : *reports) std::fputs(formatReport(r).c_str(), stdout);
  if (reports->empty()) std::printf("no journey has had any customer yet\n");
  return 0;
}

int runExplain(const ExplainCommand& cmd) {
  auto opened = openStore(cmd.store, /*read_only=*/true);
  if (!opened) return opened.error();
  auto r =
      opened->store->withSnapshot("explain", [&](const Snapshot& snap) -> Result<nlohmann::json> {
        const CustomerId id = findCustomerBySpec(snap.customers(), cmd.customer);
        if (id == 0) return fail(Error::notFound("no customer " + cmd.customer));
        return explainCustomer(snap, id, cmd.journey);
      });
  if (!r) return storeError(r.error());
  std::fputs(cmd.json ? (r->dump(2) + "\n").c_str() : formatExplanation(*r).c_str(), stdout);
  return 0;
}

}  // namespace journeyd

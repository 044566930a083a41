#pragma once
// Loaders for the CDNOW reference files (tests/data/cdnow, see REFERENCE.md and SOURCES.md there)
// used by the intelligence tests. Test-only code: it reads files.
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/core/time.h"
#include "daemon/intelligence/btyd_summary.h"

namespace journeyd::cdnow {

inline std::string dataPath(const std::string& name) {
  return std::string(JOURNEYD_SOURCE_DIR) + "/tests/data/cdnow/" + name;
}

/// YYYYMMDD as midnight UTC.
inline TimeMs dateMs(const std::string& yyyymmdd) {
  const std::string iso =
      yyyymmdd.substr(0, 4) + "-" + yyyymmdd.substr(4, 2) + "-" + yyyymmdd.substr(6, 2);
  return parseIsoTime(iso).value();
}

/// Orders per customer key, keys in ascending order. `sample` selects the layout of
/// CDNOW_sample.txt (key = sample id, column 2) or CDNOW_master.txt (key = column 1, header).
inline std::map<int, std::vector<Order>> loadOrders(bool sample) {
  std::ifstream in(dataPath(sample ? "CDNOW_sample.txt" : "CDNOW_master.txt"));
  std::map<int, std::vector<Order>> orders;
  std::string line;
  if (!sample) std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string master_id, sample_id, date;
    double cds = 0, dollars = 0;
    if (sample) {
      fields >> master_id >> sample_id >> date >> cds >> dollars;
    } else {
      fields >> master_id >> date >> cds >> dollars;
    }
    if (!fields) continue;
    const int key = std::stoi(sample ? sample_id : master_id);
    orders[key].push_back({dateMs(date), dollars});
  }
  return orders;
}

/// One row of cdnow_customers_summary_with_transactions.csv (ID,x,t_x,T,zbar).
struct PublishedSummary {
  int id;
  double x, t_x, T, zbar;
};

inline std::vector<PublishedSummary> loadPublishedSummaries(const std::string& file) {
  std::ifstream in(dataPath(file));
  std::vector<PublishedSummary> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    for (char& c : line) {
      if (c == ',') c = ' ';
    }
    std::istringstream fields(line);
    PublishedSummary row{0, 0, 0, 0, 0};
    fields >> row.id >> row.x >> row.t_x >> row.T;
    if (!(fields >> row.zbar)) row.zbar = 0;
    if (row.id > 0) rows.push_back(row);
  }
  return rows;
}

/// The 2,357 calibration summaries (weeks, as of 1997-09-30), in sample-id order.
inline std::vector<BtydSummary> calibrationSummaries() {
  std::vector<BtydSummary> summaries;
  const TimeMs as_of = dateMs("19970930");
  for (const auto& [id, orders] : loadOrders(true)) {
    summaries.push_back(summarizeOrders(orders, as_of, {.time_unit_days = 7.0}).value());
  }
  return summaries;
}

}  // namespace journeyd::cdnow

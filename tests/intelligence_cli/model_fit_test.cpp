// `journeyd model fit` end to end: the CDNOW sample goes in through the real `journeyd import`
// as Segment track messages, the real binary fits the models, and the parameters printed must
// be the published ones (tests/data/cdnow/REFERENCE.md, section 3).
#include "daemon/cli/model_fit.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "daemon/store/sqlite_store.h"
#include "tests/integration/daemon_process.h"

using namespace journeyd;
using namespace journeyd::testing;
using json = nlohmann::json;

namespace {

/// The binary under test; JOURNEYD_TEST_BINARY runs the test against another build.
std::string binary() {
  const char* other = std::getenv("JOURNEYD_TEST_BINARY");
  return other && *other ? other : JOURNEYD_BINARY;
}

/// runCommand, with this process's buffered output flushed first (the child would repeat it).
CommandResult run(const std::vector<std::string>& args, const fs::path& work) {
  std::fflush(nullptr);
  return runCommand(args, work);
}

/// CDNOW_sample.txt (master_id sample_id YYYYMMDD cds dollars, CRLF) as NDJSON track messages,
/// the sample id being the customer. Returns the number of rows.
int writeCdnowNdjson(const fs::path& out_path) {
  std::ifstream in(std::string(JOURNEYD_SOURCE_DIR) + "/tests/data/cdnow/CDNOW_sample.txt");
  REQUIRE(in);
  std::ofstream out(out_path, std::ios::binary);
  std::string line;
  int row = 0;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string master_id, sample_id, date;
    int cds = 0;
    double dollars = 0;
    if (!(fields >> master_id >> sample_id >> date >> cds >> dollars)) continue;
    ++row;
    const json message = {{"type", "track"},
                          {"userId", sample_id},
                          {"event", "Order Completed"},
                          {"messageId", "cdnow-" + std::to_string(row)},
                          {"properties", {{"revenue", dollars}}},
                          {"timestamp", date.substr(0, 4) + "-" + date.substr(4, 2) + "-" +
                                            date.substr(6, 2) + "T12:00:00Z"}};
    out << message.dump() << "\n";
  }
  return row;
}

}  // namespace

TEST_CASE("model fit on the imported CDNOW sample reproduces the published parameters") {
  TempDir tmp;
  const fs::path config = tmp.path() / "journeyd.yaml";
  writeFile(config, "store:\n  data_dir: " + (tmp.path() / "data").string() + "\n");
  const fs::path orders = tmp.path() / "cdnow.ndjson";
  REQUIRE(writeCdnowNdjson(orders) == 6919);

  auto imported =
      run({binary(), "import", "--config", config.string(), orders.string()}, tmp.path());
  INFO("import: " << imported.out << imported.err);
  REQUIRE(imported.status == 0);

  auto fitted = run({binary(), "model", "fit", "--config", config.string(), "--as-of", "1997-09-30",
                     "--unit", "weeks", "--json"},
                    tmp.path());
  INFO("model fit: " << fitted.out << fitted.err);
  REQUIRE(fitted.status == 0);
  const json out = json::parse(fitted.out);
  CHECK(out["customers"] == 2357);
  CHECK(out["as_of"] == "1997-09-30");
  CHECK(out["unit"] == "weeks");

  // Fader, Hardie & Lee (2005): r = 0.243, α = 4.414, a = 0.793, b = 2.426, LL −9582.4
  // (CLVTools' own estimate to 7 digits: 0.2425945, 4.4136019, 0.7929199, 2.4258881).
  const json& bgnbd = out["bgnbd"];
  CHECK(bgnbd["r"].get<double>() == doctest::Approx(0.2425945).epsilon(1e-3));
  CHECK(bgnbd["alpha"].get<double>() == doctest::Approx(4.4136019).epsilon(1e-3));
  CHECK(bgnbd["a"].get<double>() == doctest::Approx(0.7929199).epsilon(2e-3));
  CHECK(bgnbd["b"].get<double>() == doctest::Approx(2.4258881).epsilon(2e-3));
  CHECK(std::abs(bgnbd["log_likelihood"].get<double>() - -9582.429) < 0.05);

  // Fader & Hardie (2013): p = 6.25, q = 3.74, γ = 15.44, LL −4055.9177, 946 repeat customers.
  const json& spend = out["gamma_gamma"];
  CHECK(spend["p"].get<double>() == doctest::Approx(6.25).epsilon(2e-3));
  CHECK(spend["q"].get<double>() == doctest::Approx(3.74).epsilon(2e-3));
  CHECK(spend["gamma"].get<double>() == doctest::Approx(15.44).epsilon(2e-3));
  CHECK(std::abs(spend["log_likelihood"].get<double>() - -4055.9177) < 0.05);
  CHECK(spend["customers"] == 946);

  // Stored in days: α × 7, LL_days = LL_weeks − Σx ln 7 (Σx = 2457 repeat days).
  {
    auto store = openSqliteStoreReadOnly((tmp.path() / "data" / "journeyd.db").string());
    REQUIRE(store);
    auto stored =
        (*store)->withSnapshot("load", [](const Snapshot& s) { return loadStoredModels(s); });
    REQUIRE(stored);
    REQUIRE(stored->has_value());
    const StoredModels& models = **stored;
    CHECK(models.time_unit_days == 1);
    CHECK(models.customers == 2357);
    CHECK(models.as_of == parseIsoTime("1997-09-30T23:59:59.999Z").value());
    REQUIRE(models.bgnbd);
    CHECK(models.bgnbd->alpha == doctest::Approx(7 * bgnbd["alpha"].get<double>()));
    CHECK(models.bgnbd->r == doctest::Approx(bgnbd["r"].get<double>()));
    CHECK(*models.bgnbd_log_likelihood ==
          doctest::Approx(-9582.429 - 2457 * std::log(7.0)).epsilon(1e-5));
    REQUIRE(models.gamma_gamma);
    CHECK(models.gamma_gamma->p == doctest::Approx(spend["p"].get<double>()));
    REQUIRE(models.rfm);
    CHECK(models.rfm->customers == 2357);
  }

  // The product's unit: the same model in days.
  auto daily = run(
      {binary(), "model", "fit", "--config", config.string(), "--as-of", "1997-09-30", "--json"},
      tmp.path());
  INFO("model fit (days): " << daily.out << daily.err);
  REQUIRE(daily.status == 0);
  const json days = json::parse(daily.out);
  CHECK(days["unit"] == "days");
  CHECK(days["bgnbd"]["alpha"].get<double>() == doctest::Approx(7 * 4.4136019).epsilon(2e-3));
  CHECK(days["bgnbd"]["r"].get<double>() == doctest::Approx(0.2425945).epsilon(2e-3));
  CHECK(days["bgnbd"]["log_likelihood"].get<double>() ==
        doctest::Approx(-9582.429 - 2457 * std::log(7.0)).epsilon(1e-5));

  // Readable output, and a bad unit.
  auto readable = run({binary(), "model", "fit", "--config", config.string(), "--as-of",
                       "1997-09-30", "--unit", "weeks"},
                      tmp.path());
  CHECK(readable.status == 0);
  CHECK(readable.out.find("BG/NBD") != std::string::npos);
  CHECK(readable.out.find("2357 customers") != std::string::npos);
  auto bad =
      run({binary(), "model", "fit", "--config", config.string(), "--unit", "months"}, tmp.path());
  CHECK(bad.status != 0);  // 2 from runModelFit, or CLI11's code if the option is checked there
}

TEST_CASE("model fit counts the as-of day in full and nothing after it") {
  TempDir tmp;
  const fs::path config = tmp.path() / "journeyd.yaml";
  writeFile(config, "store:\n  data_dir: " + (tmp.path() / "data").string() + "\n");
  const fs::path orders = tmp.path() / "orders.ndjson";
  std::string ndjson;
  int n = 0;
  auto order = [&](const std::string& user, const std::string& ts, const std::string& revenue) {
    ndjson += json({{"type", "track"},
                    {"userId", user},
                    {"event", "Order Completed"},
                    {"messageId", "m" + std::to_string(++n)},
                    {"properties", json::parse("{\"revenue\": " + revenue + "}")},
                    {"timestamp", ts}})
                  .dump() +
              "\n";
  };
  // Two customers with repeat orders, one late on the as-of day, one the day after.
  order("a", "2024-01-01T10:00:00Z", "10");
  order("a", "2024-01-15T10:00:00Z", "\"12.5\"");  // numeric strings count, as in total_spent
  order("a", "2024-03-01T23:59:00Z", "20");
  order("b", "2024-01-05T10:00:00Z", "30");
  order("b", "2024-02-01T10:00:00Z", "35");
  order("c", "2024-03-02T00:00:01Z", "50");
  ndjson += json({{"type", "track"},
                  {"userId", "b"},
                  {"event", "Product Viewed"},
                  {"messageId", "v1"},
                  {"properties", {{"revenue", 999}}},
                  {"timestamp", "2024-02-10T10:00:00Z"}})
                .dump() +
            "\n";
  writeFile(orders, ndjson);
  auto imported =
      run({binary(), "import", "--config", config.string(), orders.string()}, tmp.path());
  INFO("import: " << imported.out << imported.err);
  REQUIRE(imported.status == 0);

  auto fitted = run(
      {binary(), "model", "fit", "--config", config.string(), "--as-of", "2024-03-01", "--json"},
      tmp.path());
  INFO("model fit: " << fitted.out << fitted.err);
  REQUIRE(fitted.status == 0);
  const json out = json::parse(fitted.out);
  CHECK(out["customers"] == 2);  // c ordered after the as-of day
  CHECK(out["orders"] == 5);     // the late order of a on 2024-03-01 counts; the view does not
  CHECK(out["gamma_gamma"]["customers"] == 2);

  auto store = openSqliteStoreReadOnly((tmp.path() / "data" / "journeyd.db").string());
  REQUIRE(store);
  auto stored =
      (*store)->withSnapshot("load", [](const Snapshot& s) { return loadStoredModels(s); });
  REQUIRE(stored);
  REQUIRE(stored->has_value());
  REQUIRE((*stored)->rfm);
  // Monetary cuts come from total spend: a 42.5, b 65.
  CHECK((*stored)->rfm->monetary[3] == doctest::Approx(65));
  CHECK((*stored)->rfm->monetary[0] == doctest::Approx(42.5));

  // Nothing before the first order: an error, nothing stored over the previous fit.
  auto early = run({binary(), "model", "fit", "--config", config.string(), "--as-of", "2023-12-31"},
                   tmp.path());
  CHECK(early.status == 1);
  CHECK(early.err.find("no orders") != std::string::npos);
}

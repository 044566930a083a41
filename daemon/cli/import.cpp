// `journeyd import FILE`: bulk import of customers (CSV) or Segment messages (NDJSON), in large
// transactions, with a progress line on a terminal. Bad lines are reported as FILE:LINE:COL and
// skipped; everything else is imported (re-running is safe: messageIds dedupe and CSV rows are
// idempotent trait updates).
#include <csv.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "daemon/cli/commands.h"
#include "daemon/cli/store_setup.h"
#include "daemon/core/clock.h"
#include "daemon/core/json_input.h"
#include "daemon/customers/customer_writer.h"

namespace journeyd {

using json = nlohmann::json;

namespace {

constexpr size_t kMessagesPerTransaction = 20000;
constexpr size_t kMaxErrorsShown = 20;
constexpr size_t kMaxChunksQueued = 8;

/// Two stages on two cores: the caller's thread parses lines into messages (add/reject), a
/// writer thread stores them in large transactions, in file order. Rejections travel in the
/// same stream so they print in order too.
class Importer {
 public:
  Importer(Store& store, const OrderSettings& orders, std::string file)
      : store_(store), writer_(orders), file_(std::move(file)), tty_(isatty(STDERR_FILENO)) {
    start_ = std::chrono::steady_clock::now();
    last_progress_ = start_;
    thread_ = std::thread([this] { writeLoop(); });
  }
  ~Importer() {
    if (thread_.joinable()) {
      close();
      thread_.join();
    }
  }

  void add(InboundMessage m) {
    chunk_.push_back(Item{std::move(m), 0, 0, {}});
    if (chunk_.size() >= kMessagesPerTransaction) handOver();
  }

  void reject(int line, int column, std::string message) {
    chunk_.push_back(Item{{}, line, column, std::move(message)});
  }

  [[nodiscard]] bool failed() const { return failed_.load(); }

  int finish() {
    handOver();
    close();
    thread_.join();
    clearProgress();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (failed_) return 1;
    if (rejected_ > kMaxErrorsShown) {
      std::fprintf(stderr, "%s: %zu more errors not shown\n", file_.c_str(),
                   rejected_ - kMaxErrorsShown);
    }
    std::printf("imported %zu messages (%zu duplicates skipped, %zu rejected) in %.2f s, %.0f/s\n",
                imported_, duplicates_, rejected_, secs, secs > 0 ? imported_ / secs : 0.0);
    return rejected_ > 0 ? 1 : 0;
  }

 private:
  struct Item {
    InboundMessage message;
    int line = 0;  ///< non-zero: a rejection at line:column
    int column = 0;
    std::string error;
  };
  using Chunk = std::vector<Item>;

  void handOver() {
    if (chunk_.empty()) return;
    std::unique_lock lock(mutex_);
    space_.wait(lock, [&] { return queue_.size() < kMaxChunksQueued || failed_; });
    queue_.push_back(std::move(chunk_));
    chunk_.clear();
    ready_.notify_one();
  }

  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    ready_.notify_one();
  }

  void writeLoop() {
    for (;;) {
      Chunk chunk;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return closed_ || !queue_.empty(); });
        if (queue_.empty()) return;
        chunk = std::move(queue_.front());
        queue_.pop_front();
        space_.notify_one();
      }
      if (!failed_) store(chunk);
    }
  }

  void store(Chunk& chunk) {
    size_t stored = 0;
    // One write job (one transaction) per chunk; rejections print in file order as it goes.
    auto result = store_.write([&](Tx& tx) -> Result<void> {
      for (auto& item : chunk) {
        if (item.line) {
          printRejection(item);
          continue;
        }
        auto applied = writer_.apply(tx, item.message);
        if (!applied) return fail(applied.error());
        if (applied->duplicate) ++duplicates_;
        ++stored;
      }
      return ok();
    });
    if (!result) {
      failed_ = true;
      space_.notify_one();
      clearProgress();
      std::fprintf(stderr, "%s: error: the store failed: %s\n", file_.c_str(),
                   result.error().message.c_str());
      return;
    }
    imported_ += stored;
    progress();
  }

  void printRejection(const Item& item) {
    ++rejected_;
    if (rejected_ > kMaxErrorsShown) return;
    clearProgress();
    std::fprintf(stderr, "%s:%d:%d: error: %s\n", file_.c_str(), item.line, item.column,
                 item.error.c_str());
  }

  void progress() {
    if (!tty_) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_progress_ < std::chrono::milliseconds(250)) return;
    last_progress_ = now;
    double secs = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "\rimporting %s: %zu messages, %.0f/s   ", file_.c_str(), imported_,
                 imported_ / std::max(secs, 1e-9));
    shown_ = true;
  }
  void clearProgress() {
    if (shown_) std::fputs("\r\033[K", stderr);
    shown_ = false;
  }

  Store& store_;
  CustomerWriter writer_;
  std::string file_;
  bool tty_;
  Chunk chunk_;  // parse side only

  std::mutex mutex_;
  std::condition_variable ready_, space_;
  std::deque<Chunk> queue_;
  bool closed_ = false;
  std::atomic<bool> failed_{false};

  // writer side only (read by finish() after the join)
  bool shown_ = false;
  size_t imported_ = 0, duplicates_ = 0, rejected_ = 0;
  std::chrono::steady_clock::time_point start_, last_progress_;
  std::thread thread_;
};

int importNdjson(std::istream& in, Importer& importer, const Clock& clock) {
  std::string line;
  int line_no = 0;
  while (std::getline(in, line) && !importer.failed()) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    json body;
    if (auto at = invalidUtf8(line)) {
      importer.reject(line_no, static_cast<int>(*at) + 1, "not UTF-8: invalid byte");
      continue;
    }
    if (auto at = jsonTooDeep(line)) {
      importer.reject(line_no, static_cast<int>(*at) + 1,
                      "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
      continue;
    }
    try {
      body = json::parse(line);
    } catch (const json::parse_error& e) {
      std::string what = e.what();
      importer.reject(line_no, static_cast<int>(e.byte),
                      "malformed JSON: " + what.substr(what.find(':') + 2));
      continue;
    }
    auto m = parseSegmentMessage(body, "", clock.now());
    if (!m) {
      importer.reject(
          line_no, 1,
          m.error().message + (m.error().field.empty() ? "" : " (field " + m.error().field + ")"));
      continue;
    }
    if (!m->warning.empty()) {
      // History needs its real times: an unreadable timestamp is an error here, not "now".
      importer.reject(line_no, 1,
                      m->warning_field + ": " + body[m->warning_field].dump() +
                          " is not an ISO-8601 date-time");
      continue;
    }
    importer.add(std::move(*m));
  }
  return importer.finish();
}

/// A CSV value as a trait: JSON numbers and booleans become typed (so conditions can compare
/// them), everything else stays a string. Numbers with leading zeros (zip codes, phone numbers)
/// stay strings.
json csvValue(const std::string& text) {
  if (text == "true") return true;
  if (text == "false") return false;
  bool numeric =
      !text.empty() && text.size() < 20 && !(text.size() > 1 && text[0] == '0' && text[1] != '.');
  if (numeric) {
    json parsed = json::parse(text, nullptr, false);
    if (!parsed.is_discarded() && parsed.is_number()) return parsed;
  }
  return text;
}

struct CsvState {
  Importer* importer = nullptr;
  const Clock* clock = nullptr;
  std::vector<std::string> header;
  std::vector<std::string> row;
  int line = 0;
};

void onCsvField(void* data, size_t len, void* state_ptr) {
  auto* state = static_cast<CsvState*>(state_ptr);
  state->row.emplace_back(static_cast<const char*>(data), len);
}

void onCsvRow(int, void* state_ptr) {
  auto* state = static_cast<CsvState*>(state_ptr);
  ++state->line;
  std::vector<std::string> row;
  row.swap(state->row);
  if (state->header.empty()) {
    state->header = std::move(row);
    return;
  }
  if (row.size() == 1 && row[0].empty()) return;  // blank line
  if (row.size() != state->header.size()) {
    state->importer->reject(state->line, 1,
                            "expected " + std::to_string(state->header.size()) + " fields, found " +
                                std::to_string(row.size()));
    return;
  }
  InboundMessage m;
  m.type = MessageType::kIdentify;
  m.traits = json::object();
  for (size_t i = 0; i < row.size(); ++i) {
    const std::string& key = state->header[i];
    if (row[i].empty()) continue;
    if (key == "id" || key == "user_id" || key == "userId") {
      m.user_id = row[i];
    } else if (key == "anonymous_id" || key == "anonymousId") {
      m.anonymous_id = row[i];
    } else if (key == "email" || key == "phone") {
      m.traits[key] = row[i];
    } else {
      // A dotted column (consent.email, consent.topics.newsletter) sets a nested trait; the
      // store merges it into what the customer has (JSON merge patch).
      json* target = &m.traits;
      size_t start = 0;
      for (size_t dot = key.find('.'); dot != std::string::npos;
           start = dot + 1, dot = key.find('.', start)) {
        json& child = (*target)[key.substr(start, dot - start)];
        if (!child.is_object()) child = json::object();
        target = &child;
      }
      (*target)[key.substr(start)] = csvValue(row[i]);
    }
  }
  if (m.user_id.empty() && m.anonymous_id.empty()) {
    // Rows known only by email/phone get a stable anonymous id so re-imports find them again.
    std::string email = normalizeEmail(m.traits.value("email", ""));
    std::string phone = normalizePhone(m.traits.value("phone", ""));
    if (email.empty() && phone.empty()) {
      state->importer->reject(state->line, 1, "a row needs an id, email or phone column value");
      return;
    }
    m.anonymous_id = !email.empty() ? "email:" + email : "phone:" + phone;
  }
  m.received_at = m.timestamp = state->clock->now();
  m.message_id = "import-" + std::to_string(m.received_at) + "-" + std::to_string(state->line);
  state->importer->add(std::move(m));
}

int importCsv(std::istream& in, Importer& importer, const Clock& clock) {
  csv_parser parser;
  if (csv_init(&parser, CSV_APPEND_NULL) != 0) return 1;
  CsvState state;
  state.importer = &importer;
  state.clock = &clock;
  std::vector<char> buf(1 << 16);
  while (in && !importer.failed()) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    size_t n = static_cast<size_t>(in.gcount());
    if (n == 0) break;
    if (csv_parse(&parser, buf.data(), n, onCsvField, onCsvRow, &state) != n) {
      importer.reject(state.line + 1, 1,
                      std::string("malformed CSV: ") + csv_strerror(csv_error(&parser)));
      break;
    }
  }
  csv_fini(&parser, onCsvField, onCsvRow, &state);
  csv_free(&parser);
  return importer.finish();
}

}  // namespace

int runImport(const ImportOptions& options) {
  auto opened = openStore(options.store, /*read_only=*/false);
  if (!opened) return opened.error();
  const auto& config = opened->config;
  SystemClock clock;
  const bool is_csv = options.file.size() > 4 && options.file.ends_with(".csv");
  const bool is_ndjson =
      options.file == "-" || options.file.ends_with(".ndjson") || options.file.ends_with(".jsonl");
  if (!is_csv && !is_ndjson) {
    std::fprintf(stderr, "%s: error: unknown file type (use .csv or .ndjson)\n",
                 options.file.c_str());
    return 2;
  }
  Importer importer(*opened->store, config->orders, options.file);
  if (options.file == "-") return importNdjson(std::cin, importer, clock);
  std::ifstream in(options.file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "%s: error: cannot read file\n", options.file.c_str());
    return 2;
  }
  return is_csv ? importCsv(in, importer, clock) : importNdjson(in, importer, clock);
}

}  // namespace journeyd

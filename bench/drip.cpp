// Drip benchmark: N customers enter a journey "send → wait 2s → send" at once; every message
// goes through the real daemon's outbox and webhook channel to a keep-alive HTTP sink in this
// process on 127.0.0.1. Prints end-to-end messages/s, the daemon's peak memory, restart-to-ready
// time with the customers still waiting, and trigger-to-send latency at a fixed event rate.
//
//   bench_drip [customers=100000] [journeyd=build/journeyd]
// Bounded: every phase has a deadline and stops by itself.
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

struct Sink {
  httplib::Server server;
  std::atomic<long> received{0};
  std::mutex mutex;
  std::unordered_map<std::string, Clock::time_point>
      arrivals;  // customer → first arrival (latency phase)
  bool track_arrivals = false;
  int port = 0;
  std::thread thread;

  Sink() {
    server.new_task_queue = [] { return new httplib::ThreadPool(32); };
    server.set_keep_alive_max_count(1000000);
    server.set_tcp_nodelay(true);
    server.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      ++received;
      if (track_arrivals) {
        auto pos = req.body.find("\"customer\": \"");
        if (pos != std::string::npos) {
          auto start = pos + 13;
          auto end = req.body.find('"', start);
          std::lock_guard lock(mutex);
          arrivals.emplace(req.body.substr(start, end - start), Clock::now());
        }
      }
      res.status = 200;
    });
    port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server.listen_after_bind(); });
  }
  ~Sink() {
    server.stop();
    thread.join();
  }
};

void writeFile(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

struct Daemon {
  pid_t pid = -1;
  int port = 0;
  fs::path log;
};

Daemon start(const std::string& binary, const fs::path& dir, int n) {
  Daemon d;
  d.log = dir / ("daemon-" + std::to_string(n) + ".log");
  d.pid = fork();
  if (d.pid == 0) {
    freopen(d.log.c_str(), "w", stderr);
    execl(binary.c_str(), binary.c_str(), "serve", "--config", (dir / "journeyd.yaml").c_str(),
          "--listen", "127.0.0.1:0", nullptr);
    _exit(127);
  }
  auto deadline = Clock::now() + std::chrono::seconds(120);
  while (Clock::now() < deadline) {
    std::ifstream in(d.log);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto pos = text.find("addr=127.0.0.1:");
    if (pos != std::string::npos) {
      d.port = std::atoi(text.c_str() + pos + 15);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return d;
}

long peakRssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

long rssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

bool waitFor(const std::function<bool()>& done, std::chrono::seconds limit) {
  auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

/// How late step 2 left, per customer: its send time minus the moment its 2 s wait was due (the
/// time step 1 was planned + 2 s), read from the daemon's database with sqlite3.
void printWaitLateness(const fs::path& db) {
  const std::string query =
      "SELECT s.sent_at - (f.created_at + 2000) FROM messages f JOIN messages s "
      "ON s.enrollment_id = f.enrollment_id AND s.step_id = 'second' "
      "WHERE f.step_id = 'first' AND s.sent_at IS NOT NULL";
  const std::string command = "sqlite3 -readonly '" + db.string() + "' \"" + query + "\"";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return;
  std::vector<double> late;
  char line[64];
  while (std::fgets(line, sizeof line, pipe)) late.push_back(std::atof(line));
  pclose(pipe);
  if (late.empty()) {
    std::printf("  step-2 lateness: no data (is sqlite3 installed?)\n");
    return;
  }
  std::sort(late.begin(), late.end());
  auto at = [&](double q) {
    return late[std::min(late.size() - 1, static_cast<size_t>(q * late.size()))];
  };
  size_t within_1s = 0;
  for (double x : late) within_1s += x <= 1000;
  std::printf(
      "  step-2 lateness after its due time (%zu customers): p50=%.0f ms p90=%.0f ms p99=%.0f ms "
      "max=%.0f ms; "
      "%.1f%% within 1 s\n",
      late.size(), at(0.5), at(0.9), at(0.99), late.back(), 100.0 * within_1s / late.size());
}

}  // namespace

int main(int argc, char** argv) {
  const int customers = argc > 1 ? std::atoi(argv[1]) : 100000;
  const std::string binary = argc > 2 ? argv[2] : "build/journeyd";
  Sink sink;
  char tmpl[] = "/tmp/journeyd-drip-XXXXXX";
  fs::path dir = mkdtemp(tmpl);
  writeFile(dir / "journeys" / "drip.yaml",
            "journey: drip\ntrigger:\n  event: Go\nentry:\n  reentry: always\nsteps:\n"
            "  - send: first\n    channel: sink\n    template: drip/hook\n  - wait: 2s\n"
            "  - send: second\n    channel: sink\n    template: drip/hook\n");
  writeFile(dir / "templates" / "drip" / "hook.yaml",
            "channel: webhook\nlocales:\n  en:\n    body: '{\"customer\": {{ customer.user_id | "
            "json }}, \"step\": "
            "{{ journey.step | json }}}'\n");
  writeFile(dir / "journeyd.yaml",
            "keys: {write: [bench-key], admin: [bench-admin]}\nstore: {data_dir: data}\nlog: "
            "{level: info}\n"
            "journeys: journeys\ntemplates: templates\nchannels:\n  sink:\n    connector: webhook\n"
            "    url: http://127.0.0.1:" +
                std::to_string(sink.port) +
                "/hook\n    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n    concurrency: 16\n");

  Daemon d = start(binary, dir, 1);
  if (!d.port) {
    std::fprintf(stderr, "journeyd did not start (log: %s)\n", d.log.c_str());
    return 1;
  }
  httplib::Client client("127.0.0.1", d.port);
  client.set_basic_auth("bench-key", "");
  client.set_read_timeout(120);
  client.set_tcp_nodelay(true);

  // Phase 1: the drip.
  auto t0 = Clock::now();
  for (int i = 0; i < customers; i += 1000) {
    std::string body = "{\"batch\":[";
    for (int k = i; k < std::min(customers, i + 1000); ++k) {
      if (k > i) body += ',';
      body += "{\"type\":\"track\",\"userId\":\"c" + std::to_string(k) +
              "\",\"event\":\"Go\",\"messageId\":\"go-" + std::to_string(k) + "\"}";
    }
    body += "]}";
    auto r = client.Post("/v1/batch", body, "application/json");
    if (!r || r->status != 200) {
      std::fprintf(stderr, "batch failed\n");
      return 1;
    }
  }
  auto t_ingested = Clock::now();
  bool first_done = waitFor([&] { return sink.received >= customers; }, std::chrono::seconds(300));
  auto t_first = Clock::now();
  bool all_done =
      waitFor([&] { return sink.received >= 2L * customers; }, std::chrono::seconds(300));
  auto t_all = Clock::now();
  auto secs = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  std::printf("drip: customers=%d messages=%ld complete=%s\n", customers, sink.received.load(),
              all_done && first_done ? "yes" : "NO");
  std::printf(
      "  ingest of %d trigger events: %.2f s (%.0f events/s, each starts a journey and queues a "
      "message)\n",
      customers, secs(t0, t_ingested), customers / secs(t0, t_ingested));
  std::printf("  first %d messages at the sink after %.2f s: %.0f messages/s\n", customers,
              secs(t0, t_first), customers / secs(t0, t_first));
  std::printf("  all %d messages after %.2f s (incl. the 2 s wait): %.0f messages/s overall\n",
              2 * customers, secs(t0, t_all), 2.0 * customers / secs(t0, t_all));
  std::printf("  daemon peak memory (VmHWM): %.1f MB\n", peakRssKb(d.pid) / 1024.0);
  printWaitLateness(dir / "data" / "journeyd.db");
  {
    // The report over all those enrollments and messages is aggregated by SQL, not in memory.
    httplib::Client admin("127.0.0.1", d.port);
    admin.set_bearer_token_auth("bench-admin");
    admin.set_read_timeout(120);
    const long before = peakRssKb(d.pid), rss_before = rssKb(d.pid);
    auto t_report = Clock::now();
    auto report = admin.Get("/v1/journeys/drip/report");
    std::printf(
        "  report over %d enrollments: HTTP %d in %.0f ms; daemon memory %.1f → %.1f MB (peak %.1f "
        "→ %.1f MB)\n",
        customers, report ? report->status : 0,
        std::chrono::duration<double, std::milli>(Clock::now() - t_report).count(),
        rss_before / 1024.0, rssKb(d.pid) / 1024.0, before / 1024.0, peakRssKb(d.pid) / 1024.0);
  }

  // Phase 2: restart to ready with the customers still in the journey (parked on a long wait).
  writeFile(
      dir / "journeys" / "park.yaml",
      "journey: park\ntrigger:\n  event: Park\nentry:\n  reentry: always\nsteps:\n  - wait: 30d\n");
  kill(d.pid, SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  for (int i = 0; i < customers; i += 1000) {
    std::string body = "{\"batch\":[";
    for (int k = i; k < std::min(customers, i + 1000); ++k) {
      if (k > i) body += ',';
      body += "{\"type\":\"track\",\"userId\":\"c" + std::to_string(k) +
              "\",\"event\":\"Park\",\"messageId\":\"park-" + std::to_string(k) + "\"}";
    }
    body += "]}";
    client.Post("/v1/batch", body, "application/json");
  }
  kill(d.pid, SIGTERM);
  waitpid(d.pid, nullptr, 0);
  auto t_restart = Clock::now();
  Daemon d2 = start(binary, dir, 2);
  httplib::Client c2("127.0.0.1", d2.port);
  waitFor(
      [&] {
        auto r = c2.Get("/readyz");
        return r && r->status == 200;
      },
      std::chrono::seconds(120));
  std::printf("restart to ready with %d customers waiting in a journey: %.2f s\n", customers,
              secs(t_restart, Clock::now()));

  // Phase 3: trigger-to-send latency at 1,000 events/s for 5 s.
  sink.track_arrivals = true;
  httplib::Client c3("127.0.0.1", d2.port);
  c3.set_basic_auth("bench-key", "");
  c3.set_tcp_nodelay(true);
  std::vector<std::pair<std::string, Clock::time_point>> sent;
  auto next = Clock::now();
  for (int i = 0; i < 5000; ++i) {
    std::this_thread::sleep_until(next);
    std::string user = "lat" + std::to_string(i);
    sent.emplace_back(user, Clock::now());
    c3.Post("/v1/track", "{\"userId\":\"" + user + "\",\"event\":\"Go\"}", "application/json");
    next += std::chrono::microseconds(1000);
  }
  waitFor(
      [&] {
        std::lock_guard lock(sink.mutex);
        return sink.arrivals.size() >= sent.size();
      },
      std::chrono::seconds(30));
  std::vector<double> lat;
  {
    std::lock_guard lock(sink.mutex);
    for (auto& [user, at] : sent) {
      auto it = sink.arrivals.find(user);
      if (it != sink.arrivals.end())
        lat.push_back(std::chrono::duration<double, std::milli>(it->second - at).count());
    }
  }
  std::sort(lat.begin(), lat.end());
  if (!lat.empty()) {
    std::printf(
        "trigger-to-send latency at 1,000 events/s (%zu events): p50=%.1f ms p99=%.1f ms max=%.1f "
        "ms\n",
        lat.size(), lat[lat.size() / 2], lat[lat.size() * 99 / 100], lat.back());
  }
  kill(d2.pid, SIGTERM);
  waitpid(d2.pid, nullptr, 0);
  fs::remove_all(dir);
  return all_done ? 0 : 1;
}

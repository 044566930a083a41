// Load client for the ingestion API: drives a running journeyd over loopback with keep-alive
// connections and prints throughput and latency percentiles. Bounded in time and count.
//
//   bench_ingest --port 8700 --key KEY --mode batch --batch 100 --seconds 10 --connections 8
//   bench_ingest --port 8700 --key KEY --mode track --rate 2000 --seconds 10
//
// With --rate, requests are paced open-loop and latency is measured from each request's
// scheduled time, so a stall shows up in the percentiles instead of hiding (no coordinated
// omission).
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Options {
  int port = 8700;
  std::string key = "dev-write-key";
  std::string mode = "batch";  // batch | track
  int batch = 100;
  double seconds = 10;
  int connections = 8;
  double rate = 0;  // requests/s in total; 0 = as fast as possible
  int users = 100000;
  long max_requests = 5'000'000;
};

std::string trackJson(std::uint64_t seq, int users, bool with_type) {
  char buf[512];
  std::snprintf(
      buf, sizeof buf,
      "{%s\"userId\":\"user-%llu\",\"event\":\"%s\",\"messageId\":\"bench-%d-%llu\","
      "\"properties\":{\"product_id\":\"p-%llu\",\"price\":%llu.99,\"currency\":\"CNY\"},"
      "\"timestamp\":\"2026-11-01T10:%02llu:%02lluZ\"}",
      with_type ? "\"type\":\"track\"," : "", static_cast<unsigned long long>(seq % users),
      seq % 10 == 0 ? "Order Completed" : "Product Viewed", getpid(),
      static_cast<unsigned long long>(seq), static_cast<unsigned long long>(seq % 997),
      static_cast<unsigned long long>(seq % 300), static_cast<unsigned long long>(seq % 60),
      static_cast<unsigned long long>((seq / 60) % 60));
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--port")
      o.port = std::stoi(v);
    else if (k == "--key")
      o.key = v;
    else if (k == "--mode")
      o.mode = v;
    else if (k == "--batch")
      o.batch = std::stoi(v);
    else if (k == "--seconds")
      o.seconds = std::stod(v);
    else if (k == "--connections")
      o.connections = std::stoi(v);
    else if (k == "--rate")
      o.rate = std::stod(v);
    else if (k == "--users")
      o.users = std::stoi(v);
    else if (k == "--max-requests")
      o.max_requests = std::stol(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  const bool batch = o.mode == "batch";
  std::atomic<std::uint64_t> seq{0};
  std::atomic<long> requests{0}, failures{0};
  std::vector<std::vector<double>> latencies(o.connections);
  using clock = std::chrono::steady_clock;
  const auto start =
      clock::now() + std::chrono::milliseconds(1500);  // after every connection is open
  const auto deadline =
      start + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(o.seconds));

  std::vector<std::thread> threads;
  for (int t = 0; t < o.connections; ++t) {
    threads.emplace_back([&, t] {
      httplib::Client client("127.0.0.1", o.port);
      client.set_keep_alive(true);
      client.set_tcp_nodelay(true);
      client.set_basic_auth(o.key, "");
      client.set_read_timeout(30);
      // Open the connection before the clock starts: cpp-httplib listens with a backlog of 5, so
      // a burst of new connections waits for SYN retries (1 s), which is not what this measures.
      client.Get("/healthz");
      const double per_thread_rate = o.rate / o.connections;
      std::this_thread::sleep_until(start);
      auto next = start + std::chrono::microseconds(t * 97);
      auto& lat = latencies[t];
      lat.reserve(1 << 16);
      std::string body;
      while (true) {
        if (o.rate > 0) {
          if (next >= deadline) break;
          std::this_thread::sleep_until(next);
        } else if (clock::now() >= deadline) {
          break;
        }
        if (requests.fetch_add(1) >= o.max_requests) break;
        const auto scheduled = o.rate > 0 ? next : clock::now();
        if (batch) {
          body = "{\"batch\":[";
          for (int i = 0; i < o.batch; ++i) {
            if (i) body += ',';
            body += trackJson(seq.fetch_add(1), o.users, true);
          }
          body += "]}";
        } else {
          body = trackJson(seq.fetch_add(1), o.users, false);
        }
        auto res = client.Post(batch ? "/v1/batch" : "/v1/track", body, "application/json");
        if (!res || res->status != 200) {
          if (failures.fetch_add(1) == 0) {
            std::fprintf(stderr, "first failure: %s\n",
                         res ? (std::to_string(res->status) + " " + res->body).c_str()
                             : httplib::to_string(res.error()).c_str());
          }
        }
        lat.push_back(std::chrono::duration<double, std::milli>(clock::now() - scheduled).count());
        if (o.rate > 0)
          next += std::chrono::duration_cast<clock::duration>(
              std::chrono::duration<double>(1.0 / per_thread_rate));
      }
    });
  }
  for (auto& th : threads) th.join();
  const double elapsed = std::chrono::duration<double>(clock::now() - start).count();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))];
  };
  const double sent = static_cast<double>(all.size());
  const double events = sent * (batch ? o.batch : 1);
  std::printf("mode=%s batch=%d connections=%d rate=%s seconds=%.1f\n", o.mode.c_str(),
              batch ? o.batch : 1, o.connections,
              o.rate > 0 ? std::to_string(static_cast<int>(o.rate)).c_str() : "max", elapsed);
  std::printf("requests=%.0f failures=%ld requests/s=%.0f events/s=%.0f\n", sent, failures.load(),
              sent / elapsed, events / elapsed);
  std::printf("latency_ms p50=%.2f p90=%.2f p99=%.2f max=%.2f\n", pct(0.50), pct(0.90), pct(0.99),
              all.empty() ? 0.0 : all.back());
  return failures.load() == 0 ? 0 : 1;
}

// Connector throughput: webhook messages/s to a local keep-alive httplib sink, and SMTP
// messages/s to the local aiosmtpd sink (tests/support/smtp_sink.py) with connection reuse.
// Usage: bench_connectors [--webhook N] [--smtp N] [--threads T] [--only webhook|smtp]
#include <fcntl.h>
#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "connectors/connector.h"

using namespace journeyd;

namespace {

struct Figures {
  int sent = 0;
  int other = 0;
  double seconds = 0;
};

/// Sends `total` messages split over `threads` threads and times it.
Figures run(Connector& connector, int total, int threads, const OutboundMessage& prototype) {
  std::atomic<int> next{0}, sent{0}, other{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      OutboundMessage m = prototype;
      for (int i = next++; i < total; i = next++) {
        m.id = "bench-" + std::to_string(i);
        if (connector.send(m).status == SendResult::Status::kSent)
          ++sent;
        else
          ++other;
      }
    });
  }
  for (auto& w : workers) w.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return {sent.load(), other.load(), seconds};
}

std::unique_ptr<Connector> build(const std::string& yaml) {
  ConnectorRegistry registry;
  registerBuiltinConnectors(registry);
  YAML::Node settings = YAML::Load(yaml);
  Diagnostics diagnostics;
  ConnectorConfigContext ctx{"bench", "bench", &diagnostics};
  auto connector = (*registry.find(settings["connector"].Scalar()))(settings, ctx);
  if (!connector) std::fprintf(stderr, "%s", diagnostics.format().c_str());
  return connector;
}

void report(const char* what, const Figures& f, int threads) {
  std::printf("%-8s %6d sent %4d not sent  %6.2f s  %9.0f messages/s  (%d threads)\n", what, f.sent,
              f.other, f.seconds, f.sent / f.seconds, threads);
}

void benchWebhook(int total, int threads) {
  httplib::Server server;
  server.set_keep_alive_max_count(1000000);
  server.set_tcp_nodelay(true);
  server.new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads) + 2);
  };
  server.Post("/hooks", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread listener([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto connector = build("{connector: webhook, url: 'http://127.0.0.1:" + std::to_string(port) +
                         "/hooks', secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}");
  OutboundMessage m{"", "bench", ""};
  m.body = R"({"type":"coupon.issued","customer_id":"c-123","journey":"win_back","amount":20})";
  if (connector) report("webhook", run(*connector, total, threads, m), threads);
  server.stop();
  listener.join();
}

void benchSmtp(int total, int threads, const std::string& sink_script) {
  char dir_template[] = "/tmp/jd-bench-smtp-XXXXXX";
  const std::string dir = ::mkdtemp(dir_template);
  int out_pipe[2], in_pipe[2];
  if (::pipe(out_pipe) != 0 || ::pipe(in_pipe) != 0) return;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::execl("/usr/bin/python3", "/usr/bin/python3", sink_script.c_str(), dir.c_str(), "--no-save",
            nullptr);
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(in_pipe[0]);
  std::string line;
  pollfd p{out_pipe[0], POLLIN, 0};
  char c;
  while (::poll(&p, 1, 20000) > 0 && ::read(out_pipe[0], &c, 1) == 1 && c != '\n') line += c;
  if (line.empty()) {
    std::fprintf(stderr, "the SMTP sink did not start\n");
  } else {
    auto connector = build("{connector: smtp, url: 'smtp://127.0.0.1:" + line +
                           "', tls: none, from: 'Shop <news@shop.example>'}");
    OutboundMessage m{"", "bench", "ann@example.com"};
    m.subject = "您好，欢迎回来 — welcome back";
    m.text = "亲爱的顾客：这是您的回归礼包。\nHello, here is your welcome-back coupon.";
    m.html = "<p>亲爱的顾客：这是您的回归礼包。</p><p>Hello, here is your welcome-back coupon.</p>";
    m.headers = {{"List-Unsubscribe", "<https://shop.example/u/x>"},
                 {"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"}};
    m.created_at = 1704164645000;
    if (connector) report("smtp", run(*connector, total, threads, m), threads);
    std::FILE* f = std::fopen((dir + "/connections").c_str(), "r");
    int connections = 0;
    if (f != nullptr && std::fscanf(f, "%d", &connections) == 1)
      std::printf("smtp     %d SMTP connections used\n", connections);
    if (f != nullptr) std::fclose(f);
  }
  ::close(in_pipe[1]);
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  ::close(out_pipe[0]);
  std::filesystem::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  int webhook_total = 50000, smtp_total = 5000, threads = 4;
  std::string only;
  std::string sink =
      (std::filesystem::path(__FILE__).parent_path().parent_path() / "tests/support/smtp_sink.py")
          .string();
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--webhook")
      webhook_total = std::atoi(argv[i + 1]);
    else if (flag == "--smtp")
      smtp_total = std::atoi(argv[i + 1]);
    else if (flag == "--threads")
      threads = std::atoi(argv[i + 1]);
    else if (flag == "--only")
      only = argv[i + 1];
    else if (flag == "--smtp-sink")
      sink = argv[i + 1];
  }
  if (only.empty() || only == "webhook") benchWebhook(webhook_total, threads);
  if (only.empty() || only == "smtp") benchSmtp(smtp_total, threads, sink);
  return 0;
}

#pragma once
/// A controllable HTTP provider for connector tests: an httplib::Server on 127.0.0.1 (port
/// chosen by the OS) that records every request and answers as the test says — a status, a
/// body, a Retry-After, or no answer at all (it hangs until released or destroyed).
#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace journeyd::test {

/// Records requests and answers with the current script; stops (releasing hung requests) and
/// joins on destruction. Thread-safe.
class FakeHttpProvider {
 public:
  struct Request {
    std::string method;
    std::string path;
    httplib::Headers headers;
    std::string body;
    [[nodiscard]] std::string header(const std::string& name) const {
      auto it = headers.find(name);
      return it == headers.end() ? std::string{} : it->second;
    }
  };
  /// How to answer one request; `hang` holds it unanswered (see release()).
  struct Answer {
    int status = 200;
    std::string body = "{}";
    std::string retry_after;  ///< Retry-After header value; none when empty
    bool hang = false;
  };
  /// Picks the answer for the nth request (1-based) of the current script.
  using Script = std::function<Answer(const Request&, int nth)>;

  FakeHttpProvider() {
    server_.set_tcp_nodelay(true);
    server_.Post(".*",
                 [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!server_.is_running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  FakeHttpProvider(const FakeHttpProvider&) = delete;
  FakeHttpProvider& operator=(const FakeHttpProvider&) = delete;
  ~FakeHttpProvider() {
    release();
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }

  /// Answers every later request through `script`.
  void respond(Script script) {
    std::lock_guard lock(mutex_);
    script_ = std::move(script);
    answered_ = 0;
  }
  /// Answers every later request the same way.
  void respondAlways(Answer answer) {
    respond([answer](const Request&, int) { return answer; });
  }
  /// Lets hung requests go (they answer 503).
  void release() {
    {
      std::lock_guard lock(mutex_);
      released_ = true;
    }
    wake_.notify_all();
  }

  [[nodiscard]] std::vector<Request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  void handle(const httplib::Request& req, httplib::Response& res) {
    Request request{req.method, req.path, req.headers, req.body};
    Answer answer;
    {
      std::unique_lock lock(mutex_);
      requests_.push_back(request);
      answer = script_ ? script_(request, ++answered_) : Answer{};
      if (answer.hang) {
        // Bounded, so a test that forgets to release cannot hang the suite.
        wake_.wait_for(lock, std::chrono::seconds(30), [this] { return released_; });
        answer = Answer{503, R"({"message":"released"})"};
      }
    }
    res.status = answer.status;
    if (!answer.retry_after.empty()) res.set_header("Retry-After", answer.retry_after);
    res.set_content(answer.body, "application/json");
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  Script script_;
  int answered_ = 0;
  bool released_ = false;
  std::vector<Request> requests_;
};

}  // namespace journeyd::test

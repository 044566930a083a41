#pragma once
/// An httplib::Server on 127.0.0.1 (port chosen by the OS) running on its own thread for the
/// lifetime of the object; the test installs handlers before start().
#include <httplib.h>

#include <chrono>
#include <string>
#include <thread>

#include "test_support.h"

namespace journeyd::test {

/// A local HTTP server for connector tests; stops and joins on destruction.
class HttpSink {
 public:
  httplib::Server server;

  void start() {
    server.set_tcp_nodelay(true);
    port_ = server.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server.listen_after_bind(); });
    waitFor([this] { return server.is_running(); }, std::chrono::seconds(5));
  }
  ~HttpSink() {
    server.stop();
    if (thread_.joinable()) thread_.join();
  }
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  int port_ = 0;
  std::thread thread_;
};

}  // namespace journeyd::test

#pragma once
// Test support: runs the real journeyd binary as a child process on 127.0.0.1 with its own
// temporary data folder, and talks to it over real sockets with cpp-httplib.
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace journeyd::testing {

namespace fs = std::filesystem;

inline std::string readAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void writeFile(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

/// A fresh temporary folder, removed when the object goes.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "journeyd-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

/// Runs a command to completion; returns exit status and combined output.
struct CommandResult {
  int status = -1;
  std::string out;
  std::string err;
};

inline CommandResult runCommand(const std::vector<std::string>& args, const fs::path& work,
                                const std::string& stdin_text = {}) {
  fs::path out = work / "cmd.out", err = work / "cmd.err", in = work / "cmd.in";
  writeFile(in, stdin_text);
  pid_t pid = fork();
  if (pid == 0) {
    freopen(in.c_str(), "r", stdin);
    freopen(out.c_str(), "w", stdout);
    freopen(err.c_str(), "w", stderr);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, readAll(out), readAll(err)};
}

/// The daemon under test. Starts on a free port (listen 127.0.0.1:0) and reads the bound port
/// from its log.
class Daemon {
 public:
  static constexpr const char* kWriteKey = "test-write-key";
  static constexpr const char* kAdminKey = "test-admin-key";

  explicit Daemon(fs::path dir, std::string extra_config = {}) : dir_(std::move(dir)) {
    config_ = dir_ / "journeyd.yaml";
    writeFile(config_, std::string("keys:\n  write: [") + kWriteKey + "]\n  admin: [" + kAdminKey +
                           "]\nstore:\n  data_dir: data\n" + extra_config);
  }
  ~Daemon() { kill(SIGKILL); }

  const fs::path& configPath() const { return config_; }
  const fs::path& dir() const { return dir_; }

  /// Starts the daemon and waits until it listens; false if it exited or never listened.
  bool start(const std::vector<std::string>& extra_args = {}) {
    log_ = dir_ / ("daemon-" + std::to_string(++starts_) + ".log");
    std::vector<std::string> args = {JOURNEYD_BINARY,  "serve",    "--config",
                                     config_.string(), "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    pid_ = fork();
    if (pid_ == 0) {
      freopen(log_.c_str(), "w", stderr);
      freopen("/dev/null", "w", stdout);
      for (const auto& [name, value] : env_) setenv(name.c_str(), value.c_str(), 1);
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      std::string text = readAll(log_);
      auto pos = text.find("msg=listening addr=127.0.0.1:");
      if (pos != std::string::npos) {
        port_ = std::atoi(text.c_str() + pos + std::strlen("msg=listening addr=127.0.0.1:"));
        return port_ > 0;
      }
      int status;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  /// An environment variable for the daemon's next start() (e.g. LD_PRELOAD of a fault shim).
  void setEnv(std::string name, std::string value) {
    env_.emplace_back(std::move(name), std::move(value));
  }

  /// Sends a signal and (for TERM/INT/KILL) waits for the exit; returns the exit status.
  int kill(int sig) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  void signal(int sig) { ::kill(pid_, sig); }
  int stop() { return kill(SIGTERM); }

  std::string log() const { return readAll(log_); }
  int port() const { return port_; }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_connection_timeout(5);
    c.set_read_timeout(10);
    return c;
  }

  httplib::Result post(const std::string& path, const std::string& body,
                       const std::string& key = kWriteKey) const {
    auto c = client();
    if (!key.empty()) c.set_basic_auth(key, "");
    return c.Post(path, body, "application/json");
  }
  /// Reads: after waiting until the daemon has planned everything due (its journey inbox is
  /// empty and no wake-up is overdue), so a read sees what the data posted before it caused.
  httplib::Result get(const std::string& path, const std::string& key = kAdminKey) const {
    if (path.rfind("/v1/customers/", 0) == 0 || path.rfind("/v1/journeys", 0) == 0) settle();
    auto c = client();
    if (!key.empty()) c.set_bearer_token_auth(key);
    return c.Get(path);
  }
  /// Waits (up to 10 s) until GET /v1/status says no journey work is due.
  void settle() const {
    auto c = client();
    c.set_bearer_token_auth(kAdminKey);
    for (int i = 0; i < 1000; ++i) {
      auto r = c.Get("/v1/status");
      if (!r || r->status != 200) return;
      const auto status = nlohmann::json::parse(r->body, nullptr, false);
      if (status.is_object() && status["journeys"].value("due", true) == false) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  httplib::Result del(const std::string& path, const std::string& key = kAdminKey) const {
    auto c = client();
    if (!key.empty()) c.set_bearer_token_auth(key);
    return c.Delete(path);
  }

  /// GET /v1/customers/{id} as JSON; nullopt on 404.
  std::optional<nlohmann::json> customer(const std::string& id) const {
    std::string path = "/v1/customers/";
    for (unsigned char c : id) {
      if (std::isalnum(c) || std::strchr("-_.~@:+", c)) {
        path += static_cast<char>(c);
      } else {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", c);
        path += buf;
      }
    }
    auto r = get(path);
    if (!r || r->status != 200) return std::nullopt;
    return nlohmann::json::parse(r->body);
  }

 private:
  fs::path dir_, config_, log_;
  pid_t pid_ = -1;
  int port_ = 0;
  int starts_ = 0;
  std::vector<std::pair<std::string, std::string>> env_;
};

}  // namespace journeyd::testing

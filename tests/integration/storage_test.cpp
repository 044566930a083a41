// When the storage fails: a database on a small filesystem that fills up, and write/fsync errors
// injected by a SQLite VFS shim (tests/support/faulty_vfs.cpp, LD_PRELOAD) into the real daemon.
// Ingestion answers 503 with a JSON error, /readyz says why, nothing acknowledged is lost,
// nothing refused is visible, planning and sending pause and go on when the storage is back.
#include <doctest/doctest.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <thread>

#include "tests/integration/daemon_process.h"

using namespace journeyd::testing;
using json = nlohmann::json;

namespace {

/// A journey that sends on sign-up after a short wait, to a log channel outside the failing
/// storage.
std::string journeyConfig(const fs::path& dir) {
  writeFile(dir / "journeys/hello.yaml",
            "journey: hello\ntrigger: {event: Signed Up}\n"
            "steps:\n  - wait: 2s\n  - send: hello\n    channel: hook\n    template: hello\n");
  writeFile(
      dir / "templates/hello.yaml",
      "channel: webhook\nlocales:\n  en:\n    body: '{\"user\": \"{{ customer.user_id }}\"}'\n");
  return "journeys: " + (dir / "journeys").string() +
         "\ntemplates: " + (dir / "templates").string() +
         "\nchannels:\n  hook: {connector: log, kind: webhook, path: " +
         (dir / "sent.ndjson").string() + "}\n";
}

json readyz(const Daemon& d) {
  auto r = d.client().Get("/readyz");
  REQUIRE(r);
  auto body = json::parse(r->body);
  body["http_status"] = r->status;
  return body;
}

/// Polls /readyz until `ready` is as wanted (at most ~15 s); the last answer.
json waitReady(const Daemon& d, bool ready) {
  json last;
  for (int i = 0; i < 300; ++i) {
    last = readyz(d);
    if ((last["http_status"] == 200) == ready) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return last;
}

/// The users the log channel delivered to, with how many times each.
std::map<std::string, int> delivered(const fs::path& file) {
  std::map<std::string, int> out;
  std::istringstream in(readAll(file));
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto m = json::parse(line);
    ++out[json::parse(m["body"].get<std::string>())["user"].get<std::string>()];
  }
  return out;
}

/// Waits until `n` messages were delivered (at most ~20 s).
std::map<std::string, int> waitDelivered(const fs::path& file, size_t n) {
  std::map<std::string, int> got;
  for (int i = 0; i < 400; ++i) {
    got = delivered(file);
    if (got.size() >= n) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return got;
}

std::string signUp(const std::string& user) {
  return json{
      {"batch",
       {{{"type", "identify"}, {"userId", user}, {"traits", {{"email", user + "@example.com"}}}},
        {{"type", "track"},
         {"userId", user},
         {"event", "Signed Up"},
         {"messageId", "signup-" + user}}}}}
      .dump();
}

}  // namespace

TEST_CASE(
    "I/O errors: 503 with a JSON error, readiness says why, work pauses and resumes, nothing "
    "lost") {
  TempDir tmp;
  // synchronous: full, so every commit syncs and a failing fsync fails the commit (with the
  // default `normal`, WAL commits do not sync; syncs come with checkpoints).
  Daemon d(tmp.path(), journeyConfig(tmp.path()));
  {
    std::string config = readAll(d.configPath());
    const std::string store = "store:\n  data_dir: data\n";
    REQUIRE(config.find(store) != std::string::npos);
    config.replace(config.find(store), store.size(), store + "  synchronous: full\n");
    writeFile(d.configPath(), config);
  }
  const fs::path fault = tmp.path() / "fault";
  d.setEnv("LD_PRELOAD", JOURNEYD_FAULTY_VFS);
  d.setEnv("JOURNEYD_TEST_FAULT_FILE", fault.string());
  REQUIRE(d.start());
  CHECK(readyz(d)["http_status"] == 200);

  std::set<std::string> acknowledged;
  for (int i = 0; i < 5; ++i) {
    const std::string user = "before-" + std::to_string(i);
    auto r = d.post("/v1/batch", signUp(user));
    REQUIRE(r);
    REQUIRE(r->status == 200);
    acknowledged.insert(user);
  }

  for (const char* kind : {"write", "fsync"}) {
    CAPTURE(kind);
    writeFile(fault, kind);
    // The wake-ups of the five sign-ups come due during the fault: nothing goes out while the
    // store cannot record it, and nothing is lost.
    auto r = d.post("/v1/batch", signUp(std::string("refused-") + kind));
    REQUIRE(r);
    CHECK(r->status == 503);
    auto error = json::parse(r->body)["error"];
    CHECK(error["code"] == "unavailable");
    CHECK(error["message"] == "the store could not save the data (I/O error); retry later");
    auto not_ready = waitReady(d, false);
    CHECK(not_ready["http_status"] == 503);
    CHECK(not_ready["status"] == "not ready");
    CHECK(not_ready["store"] == false);
    CHECK(not_ready["reason"].get<std::string>().rfind("I/O error: ", 0) == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));

    fs::remove(fault);
    // The writer's probe finds the storage back; no new request is needed.
    CHECK(waitReady(d, true)["http_status"] == 200);
    const std::string user = std::string("after-") + kind;
    auto again = d.post("/v1/batch", signUp(user));
    REQUIRE(again);
    CHECK(again->status == 200);
    acknowledged.insert(user);
  }

  // Every acknowledged sign-up is delivered exactly once; the refused ones never existed.
  auto got = waitDelivered(tmp.path() / "sent.ndjson", acknowledged.size());
  std::set<std::string> users;
  for (const auto& [user, times] : got) {
    users.insert(user);
    CHECK_MESSAGE(times == 1, user << " delivered " << times << " times");
  }
  CHECK(users == acknowledged);
  CHECK(d.get("/v1/customers/refused-write")->status == 404);
  CHECK(d.get("/v1/customers/refused-fsync")->status == 404);
  CHECK(d.log().find("the store cannot write") != std::string::npos);
  CHECK(d.log().find("the store writes again") != std::string::npos);

  // After a kill -9 the database opens clean (no shim) with everything acknowledged.
  d.kill(SIGKILL);
  auto check = runCommand(
      {"/usr/bin/sqlite3", (tmp.path() / "data/journeyd.db").string(), "PRAGMA integrity_check;"},
      tmp.path());
  CHECK(check.out == "ok\n");
}

TEST_CASE(
    "disk full: a database on a small filesystem answers 503 when full and goes on when space "
    "returns") {
  TempDir tmp;
  const fs::path mnt = tmp.path() / "small";
  fs::create_directories(mnt);
  if (mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=3m") != 0) {
    MESSAGE("skipped: cannot mount a tmpfs here (needs root): " << std::strerror(errno));
    return;
  }
  struct Unmount {
    fs::path path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{mnt};
  // The daemon's data folder (data/ beside its config) is the small filesystem.
  fs::create_directory_symlink(mnt, tmp.path() / "data");
  Daemon d(tmp.path(), journeyConfig(tmp.path()));
  REQUIRE(d.start());

  // Fill it: customers with large traits until the store refuses (bounded).
  std::set<std::string> acknowledged;
  const std::string filler(4000, 'x');
  int refused = 0;
  json error;
  for (int i = 0; i < 3000 && refused == 0; ++i) {
    json batch = json::array();
    for (int k = 0; k < 10; ++k) {
      batch.push_back({{"type", "identify"},
                       {"userId", "u" + std::to_string(i) + "-" + std::to_string(k)},
                       {"traits", {{"note", filler}}}});
    }
    auto r = d.post("/v1/batch", json{{"batch", batch}}.dump());
    REQUIRE(r);
    if (r->status == 200) {
      for (const auto& m : batch) acknowledged.insert(m["userId"].get<std::string>());
    } else {
      CHECK(r->status == 503);
      error = json::parse(r->body)["error"];
      ++refused;
    }
  }
  REQUIRE(refused == 1);
  CHECK(error["code"] == "unavailable");
  CHECK(error["message"] == "the store could not save the data (disk full); retry later");
  // At once: not ready, and why (the writer notes it before the request is answered).
  auto full = readyz(d);
  CHECK(full["http_status"] == 503);
  CHECK(full["store"] == false);
  CHECK(full["reason"].get<std::string>().rfind("disk full: ", 0) == 0);

  // Space returns: ready again without a restart, and new data is taken.
  REQUIRE(mount("tmpfs", mnt.c_str(), "tmpfs", MS_REMOUNT, "size=64m") == 0);
  CHECK(waitReady(d, true)["http_status"] == 200);
  auto after = d.post("/v1/batch", signUp("after-full"));
  REQUIRE(after);
  CHECK(after->status == 200);
  auto got = waitDelivered(tmp.path() / "sent.ndjson", 1);
  CHECK_MESSAGE(got["after-full"] == 1,
                d.log().substr(d.log().size() > 3000 ? d.log().size() - 3000 : 0));

  // Nothing acknowledged is lost, also across a kill -9.
  d.kill(SIGKILL);
  REQUIRE(d.start());
  REQUIRE(acknowledged.size() > 10);
  int missing = 0;
  for (const auto& user : acknowledged) missing += d.get("/v1/customers/" + user)->status != 200;
  CHECK(missing == 0);
  d.kill(SIGKILL);
}

TEST_CASE(
    "the watchdog means healthy: a wedged writer stops WATCHDOG=1, and its recovery resumes it") {
  TempDir tmp;
  // A notify socket like systemd's, so the daemon sends its sd_notify datagrams here.
  const fs::path sock_path = tmp.path() / "notify.sock";
  const int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(sock >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, sock_path.c_str(), sizeof(addr.sun_path) - 1);
  REQUIRE(bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  struct Close {
    int fd;
    ~Close() { close(fd); }
  } closer{sock};
  // Counts WATCHDOG=1 datagrams arriving within `seconds`.
  auto pets = [&](int seconds) {
    int count = 0;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < until) {
      pollfd p{sock, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[512];
      const ssize_t n = recv(sock, buf, sizeof(buf) - 1, 0);
      if (n > 0 && std::string(buf, static_cast<size_t>(n)).find("WATCHDOG=1") != std::string::npos)
        ++count;
    }
    return count;
  };

  Daemon d(tmp.path());
  const fs::path fault = tmp.path() / "fault";
  d.setEnv("LD_PRELOAD", JOURNEYD_FAULTY_VFS);
  d.setEnv("JOURNEYD_TEST_FAULT_FILE", fault.string());
  d.setEnv("NOTIFY_SOCKET", sock_path.string());
  d.setEnv("WATCHDOG_USEC", "4000000");  // pets every 2 s while healthy
  REQUIRE(d.start());
  CHECK(pets(5) >= 2);

  // Wedge the writer inside a write (the shim blocks it), as a stuck disk or a bug would.
  writeFile(fault, "hang");
  std::thread blocked(
      [&] { (void)d.post("/v1/identify", R"({"userId": "stuck", "traits": {"a": 1}})"); });
  pets(3);  // a pet already under way may still arrive
  CHECK(pets(8) == 0);
  CHECK(d.log().find("watchdog: no progress") != std::string::npos);
  CHECK(d.log().find("stuck=writer") != std::string::npos);

  // Unwedged: the writer finishes its job and the pets come back.
  fs::remove(fault);
  blocked.join();
  CHECK(pets(6) >= 1);
  CHECK(d.log().find("watchdog: progress again") != std::string::npos);
}

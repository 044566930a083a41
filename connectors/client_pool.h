#pragma once
/// A small pool of protocol clients (CURL handles, HTTP clients) so each sending thread holds
/// one at a time and keeps its connection open between sends. Thread-safe.
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace journeyd {

/// Hands out clients one per caller; a client returns to the pool when its lease ends.
template <typename Client>
class ClientPool {
 public:
  using Factory = std::function<std::unique_ptr<Client>()>;
  explicit ClientPool(Factory factory) : factory_(std::move(factory)) {}

  /// Exclusive use of one client until destroyed; discard() drops a client in a bad state.
  class Lease {
   public:
    Lease(ClientPool& pool, std::unique_ptr<Client> client)
        : pool_(pool), client_(std::move(client)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (client_) pool_.release(std::move(client_));
    }
    Client& operator*() { return *client_; }
    Client* operator->() { return client_.get(); }
    void discard() { client_.reset(); }

   private:
    ClientPool& pool_;
    std::unique_ptr<Client> client_;
  };

  Lease acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        auto client = std::move(idle_.back());
        idle_.pop_back();
        return Lease(*this, std::move(client));
      }
    }
    return Lease(*this, factory_());
  }

 private:
  void release(std::unique_ptr<Client> client) {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(client));
  }

  Factory factory_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Client>> idle_;
};

}  // namespace journeyd

#pragma once
// A small least-recently-used cache shared by the server's request threads. Each value is computed
// once even when several requests ask for it at the same moment (they wait for the first), and a
// value evicted while someone still uses it stays alive until they let go of it.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace cs::viewer {

template <class K, class V>
class LruCache {
 public:
  explicit LruCache(size_t capacity) : capacity_(capacity ? capacity : 1) {}

  // The value for `key`, from `make` when absent. An exception from `make` reaches every waiter
  // and leaves nothing cached, so the next request tries again.
  std::shared_ptr<const V> get(const K& key, const std::function<V()>& make) {
    std::unique_lock lock(mutex_);
    if (auto it = entries_.find(key); it != entries_.end()) {
      order_.splice(order_.begin(), order_, it->second.position);
      std::shared_future<std::shared_ptr<const V>> f = it->second.value;
      lock.unlock();
      return f.get();
    }
    std::promise<std::shared_ptr<const V>> promise;
    std::shared_future<std::shared_ptr<const V>> f = promise.get_future().share();
    const uint64_t id = ++made_;
    order_.push_front(key);
    entries_.emplace(key, Entry{f, order_.begin(), id});
    while (entries_.size() > capacity_) {
      entries_.erase(order_.back());
      order_.pop_back();
    }
    lock.unlock();
    try {
      promise.set_value(std::make_shared<const V>(make()));
    } catch (...) {
      promise.set_exception(std::current_exception());
      forget(key, id);
    }
    return f.get();
  }

  size_t size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
  }

  // Most recently used first.
  std::vector<K> keys() const {
    std::lock_guard lock(mutex_);
    return {order_.begin(), order_.end()};
  }

 private:
  struct Entry {
    std::shared_future<std::shared_ptr<const V>> value;
    typename std::list<K>::iterator position;
    uint64_t id = 0;
  };

  // Drops a failed computation, unless the key was evicted and made again meanwhile.
  void forget(const K& key, uint64_t id) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.id != id) return;
    order_.erase(it->second.position);
    entries_.erase(it);
  }

  size_t capacity_;
  uint64_t made_ = 0;
  mutable std::mutex mutex_;
  std::list<K> order_;
  std::map<K, Entry> entries_;
};

}  // namespace cs::viewer

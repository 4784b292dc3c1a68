// SignatureCache: a bounded set of transaction ids whose signatures verified. A transaction id
// commits to the whole signed encoding (chain/transaction.h), so "this id verified once" stays
// true forever; the cache only forgets, oldest first, when full. The mempool fills it; block
// validation reads it to skip signatures the mempool already checked. Only successes are cached.
//
// Thread-safe: every method may be called from any thread.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <unordered_set>

#include "base/bytes.h"

namespace synod::mempool {

class SignatureCache {
 public:
  // `entries_max` 0 disables the cache.
  explicit SignatureCache(size_t entries_max) : entries_max_(entries_max) {}

  bool contains(const Hash256& id) const;
  // Records that `id` verified; forgets the oldest entry when over `entries_max`.
  void insert(const Hash256& id);
  size_t size() const;
  size_t entries_max() const { return entries_max_; }

 private:
  const size_t entries_max_;
  mutable std::mutex mutex_;
  std::unordered_set<Hash256, FixedBytesHasher> ids_;  // guarded by mutex_
  std::deque<Hash256> insertion_order_;                // guarded by mutex_; same ids as ids_
};

}  // namespace synod::mempool

#include "mempool/signature_cache.h"

namespace synod::mempool {

bool SignatureCache::contains(const Hash256& id) const {
  std::lock_guard lock(mutex_);
  return ids_.contains(id);
}

void SignatureCache::insert(const Hash256& id) {
  if (entries_max_ == 0) return;
  std::lock_guard lock(mutex_);
  if (!ids_.insert(id).second) return;
  insertion_order_.push_back(id);
  if (insertion_order_.size() > entries_max_) {
    ids_.erase(insertion_order_.front());
    insertion_order_.pop_front();
  }
  SYNOD_ASSERT(ids_.size() == insertion_order_.size());
  SYNOD_ASSERT(ids_.size() <= entries_max_);
}

size_t SignatureCache::size() const {
  std::lock_guard lock(mutex_);
  return ids_.size();
}

}  // namespace synod::mempool

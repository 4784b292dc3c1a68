#include "storage/mem_kv.h"

#include <iterator>

namespace synod::storage {

Result<std::optional<Bytes>> MemKvStore::get(ByteView key) const {
  std::lock_guard lock(mutex_);
  auto found = entries_.find(key);
  if (found == entries_.end()) return std::optional<Bytes>();
  return std::optional<Bytes>(found->second);
}

Status MemKvStore::write(const WriteBatch& batch, bool sync) {
  SYNOD_TRY(check_batch_limits(batch));
  std::lock_guard lock(mutex_);
  if (!batch.empty()) {
    UndoList undo;
    undo.reserve(batch.op_count());
    for (const WriteBatch::Op& op : batch.ops())
      apply_locked(op, undo);
    unsynced_.push_back(std::move(undo));
  }
  if (sync) unsynced_.clear();
  return Status::ok();
}

Status MemKvStore::sync() {
  std::lock_guard lock(mutex_);
  unsynced_.clear();
  return Status::ok();
}

Status MemKvStore::scan(const KeyRange& range, const ScanOptions& options,
                        const ScanVisitor& visit) const {
  // Copy under the lock, visit without it: one consistent view, and the visitor may call back.
  std::vector<KeyValue> selected;
  {
    std::lock_guard lock(mutex_);
    auto begin = entries_.lower_bound(range.begin);
    auto end = range.end ? entries_.lower_bound(*range.end) : entries_.end();
    if (options.order == ScanOrder::kAscending) {
      for (auto it = begin; it != end && selected.size() < options.entries_max; ++it) {
        selected.push_back(KeyValue{it->first, it->second});
      }
    } else {
      for (auto it = end; it != begin && selected.size() < options.entries_max;) {
        --it;
        selected.push_back(KeyValue{it->first, it->second});
      }
    }
  }
  for (const KeyValue& entry : selected)
    SYNOD_TRY(visit(entry.key, entry.value));
  return Status::ok();
}

void MemKvStore::simulate_crash_keeping(size_t writes_kept) {
  std::lock_guard lock(mutex_);
  SYNOD_ASSERT(writes_kept <= unsynced_.size());
  while (unsynced_.size() > writes_kept) {
    undo_locked(unsynced_.back());
    unsynced_.pop_back();
  }
  unsynced_.clear();
}

size_t MemKvStore::unsynced_write_count() const {
  std::lock_guard lock(mutex_);
  return unsynced_.size();
}

size_t MemKvStore::entry_count() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void MemKvStore::apply_locked(const WriteBatch::Op& op, UndoList& undo) {
  auto found = entries_.find(op.key);
  std::optional<Bytes> previous;
  if (found != entries_.end()) previous = found->second;
  undo.push_back(Undo{op.key, std::move(previous)});
  if (op.kind == WriteBatch::Kind::kPut) {
    if (found != entries_.end()) {
      found->second = op.value;
    } else {
      entries_.emplace(op.key, op.value);
    }
  } else if (found != entries_.end()) {
    entries_.erase(found);
  }
}

void MemKvStore::undo_locked(const UndoList& undo) {
  for (auto it = undo.rbegin(); it != undo.rend(); ++it) {
    if (it->previous) {
      entries_.insert_or_assign(it->key, *it->previous);
    } else {
      entries_.erase(it->key);
    }
  }
}

}  // namespace synod::storage

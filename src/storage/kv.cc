#include "storage/kv.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace synod::storage {

void WriteBatch::put(ByteView key, ByteView value) {
  ops_.push_back(Op{Kind::kPut, Bytes(key.begin(), key.end()), Bytes(value.begin(), value.end())});
  payload_bytes_ += key.size() + value.size();
}

void WriteBatch::remove(ByteView key) {
  ops_.push_back(Op{Kind::kRemove, Bytes(key.begin(), key.end()), Bytes()});
  payload_bytes_ += key.size();
}

void WriteBatch::append(const WriteBatch& other) {
  ops_.insert(ops_.end(), other.ops_.begin(), other.ops_.end());
  payload_bytes_ += other.payload_bytes_;
}

void WriteBatch::clear() {
  ops_.clear();
  payload_bytes_ = 0;
}

Status check_batch_limits(const WriteBatch& batch) {
  if (batch.op_count() > kBatchOpsMax) {
    return error(Code::kInvalidArgument, "write batch has " + std::to_string(batch.op_count()) +
                                             " operations, over the limit of " +
                                             std::to_string(kBatchOpsMax));
  }
  if (batch.payload_bytes() > kBatchBytesMax) {
    return error(Code::kInvalidArgument,
                 "write batch has " + std::to_string(batch.payload_bytes()) +
                     " bytes, over the limit of " + std::to_string(kBatchBytesMax));
  }
  for (const WriteBatch::Op& op : batch.ops()) {
    if (op.key.size() > kKeyBytesMax) {
      return error(Code::kInvalidArgument, "key of " + std::to_string(op.key.size()) +
                                               " bytes is over the limit of " +
                                               std::to_string(kKeyBytesMax));
    }
    if (op.value.size() > kValueBytesMax) {
      return error(Code::kInvalidArgument, "value of " + std::to_string(op.value.size()) +
                                               " bytes is over the limit of " +
                                               std::to_string(kValueBytesMax));
    }
  }
  return Status::ok();
}

std::optional<Bytes> prefix_successor(ByteView prefix) {
  Bytes successor(prefix.begin(), prefix.end());
  while (!successor.empty() && successor.back() == 0xff)
    successor.pop_back();
  if (successor.empty()) return std::nullopt;
  successor.back() += 1;
  return successor;
}

KeyRange KeyRange::with_prefix(ByteView prefix) {
  return KeyRange{Bytes(prefix.begin(), prefix.end()), prefix_successor(prefix)};
}

KeyRange KeyRange::between(ByteView begin, ByteView end) {
  return KeyRange{Bytes(begin.begin(), begin.end()), Bytes(end.begin(), end.end())};
}

bool KeyRange::contains(ByteView key) const {
  BytesLess less;
  if (less(key, begin)) return false;
  return !end.has_value() || less(key, *end);
}

bool BytesLess::operator()(ByteView a, ByteView b) const {
  size_t common = std::min(a.size(), b.size());
  int order = common == 0 ? 0 : std::memcmp(a.data(), b.data(), common);
  if (order != 0) return order < 0;
  return a.size() < b.size();
}

Status KvStore::put(ByteView key, ByteView value, bool sync) {
  WriteBatch batch;
  batch.put(key, value);
  return write(batch, sync);
}

Status KvStore::remove(ByteView key, bool sync) {
  WriteBatch batch;
  batch.remove(key);
  return write(batch, sync);
}

Status KvStore::scan_prefix(ByteView prefix, const ScanVisitor& visit) const {
  return scan(KeyRange::with_prefix(prefix), ScanOptions{}, visit);
}

namespace {

Result<std::optional<KeyValue>> edge(const KvStore& store, const KeyRange& range, ScanOrder order) {
  std::optional<KeyValue> found;
  Status status = store.scan(range, ScanOptions{order, 1}, [&](ByteView key, ByteView value) {
    found = KeyValue{Bytes(key.begin(), key.end()), Bytes(value.begin(), value.end())};
    return Status::ok();
  });
  if (!status.is_ok()) return status;
  return found;
}

}  // namespace

Result<std::optional<KeyValue>> KvStore::first(const KeyRange& range) const {
  return edge(*this, range, ScanOrder::kAscending);
}

Result<std::optional<KeyValue>> KvStore::last(const KeyRange& range) const {
  return edge(*this, range, ScanOrder::kDescending);
}

}  // namespace synod::storage

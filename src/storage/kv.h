// KvStore: the one seam between synod and its disk, in the spirit of LevelDB's Env. A KvStore is
// an ordered map from byte keys to byte values, changed only by atomic WriteBatches. Keys compare
// as unsigned bytes (memcmp order), so big-endian integers in keys sort numerically.
//
// Implementations: RocksKvStore (rocks_kv.h) for real nodes; MemKvStore (mem_kv.h) for tests and
// the deterministic simulator, which loses unsynced writes on a simulated crash.
//
// The contract every implementation keeps:
// - Atomicity. write() applies all of a batch or none of it, both as readers see it and as the
//   store recovers after a crash. Each get() and each whole scan() sees the store as it was
//   between two writes, never part-way through one.
// - Order. Operations in a batch apply in order (a put then a remove of one key removes it).
//   Writes apply in the order their write() calls return.
// - Durability. A write is visible to reads once write() returns. It is durable (survives a crash
//   of the process or the machine) once a write with sync=true, or a sync(), has returned after
//   it: a sync makes every earlier write durable too. A crash may lose unsynced writes, but only
//   a suffix of them: the store recovers to the state after some prefix of the writes that
//   includes every synced one.
// - Errors. kIoError: the disk or the storage engine failed. kCorrupt: stored data failed an
//   integrity check. kInvalidArgument: a batch broke the size limits below. A missing key is not
//   an error: get() returns std::nullopt.
// - Threads. Every method is safe to call concurrently: any number of readers alongside one
//   writer (several writers are also safe, serialised in some order; synod uses one, the node
//   driver, so that write order is commit order). A scan visitor may call get() or write();
//   writes made during a scan are not seen by it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"

namespace synod::storage {

// Limits on what one write may carry, checked by write() before anything is applied.
inline constexpr size_t kKeyBytesMax = 4 * 1024;
inline constexpr size_t kValueBytesMax = 64 * 1024 * 1024;
inline constexpr size_t kBatchBytesMax = 256 * 1024 * 1024;  // keys plus values
inline constexpr size_t kBatchOpsMax = 1024 * 1024;

// Puts and removes to apply together, in order. A plain value; not thread-safe.
class WriteBatch {
 public:
  enum class Kind : uint8_t { kPut, kRemove };
  struct Op {
    Kind kind;
    Bytes key;
    Bytes value;  // empty for kRemove
  };

  void put(ByteView key, ByteView value);
  void remove(ByteView key);
  // Appends `other`'s operations after this batch's own.
  void append(const WriteBatch& other);
  void clear();

  const std::vector<Op>& ops() const { return ops_; }
  size_t op_count() const { return ops_.size(); }
  bool empty() const { return ops_.empty(); }
  // Bytes of keys plus values, the measure kBatchBytesMax limits.
  size_t payload_bytes() const { return payload_bytes_; }

 private:
  std::vector<Op> ops_;
  size_t payload_bytes_ = 0;
};

// kInvalidArgument when `batch` breaks one of the limits above; implementations call this first.
Status check_batch_limits(const WriteBatch& batch);

// The keys k with begin <= k < end; without `end` there is no upper bound.
struct KeyRange {
  Bytes begin;
  std::optional<Bytes> end;

  static KeyRange all() { return KeyRange{}; }
  // Every key that starts with `prefix`.
  static KeyRange with_prefix(ByteView prefix);
  static KeyRange between(ByteView begin, ByteView end);
  bool contains(ByteView key) const;
};

// The smallest key greater than every key that starts with `prefix`, or std::nullopt when there
// is none (the prefix is empty or all 0xff bytes).
std::optional<Bytes> prefix_successor(ByteView prefix);

// Unsigned byte-wise order, usable as a transparent comparator for maps keyed by Bytes.
struct BytesLess {
  using is_transparent = void;
  bool operator()(ByteView a, ByteView b) const;
};

enum class ScanOrder : uint8_t { kAscending, kDescending };

struct ScanOptions {
  ScanOrder order = ScanOrder::kAscending;
  size_t entries_max = std::numeric_limits<size_t>::max();  // stop after this many
};

// Called once per entry. The views are valid only during the call. Returning an error stops the
// scan, and scan() returns that error.
using ScanVisitor = std::function<Status(ByteView key, ByteView value)>;

struct KeyValue {
  Bytes key;
  Bytes value;
  friend bool operator==(const KeyValue&, const KeyValue&) = default;
};

class KvStore {
 public:
  virtual ~KvStore() = default;

  // The value stored under `key`, or std::nullopt if there is none.
  virtual Result<std::optional<Bytes>> get(ByteView key) const = 0;
  // Applies `batch` atomically. With `sync`, returns only once the batch and every earlier write
  // are durable. An empty batch with `sync` is a sync().
  virtual Status write(const WriteBatch& batch, bool sync) = 0;
  // Makes every write that has returned durable.
  virtual Status sync() = 0;
  // Visits the entries in `range` in key order (or reverse order), from one consistent view.
  virtual Status scan(const KeyRange& range, const ScanOptions& options,
                      const ScanVisitor& visit) const = 0;

  // Conveniences over the calls above.
  Status put(ByteView key, ByteView value, bool sync);
  Status remove(ByteView key, bool sync);
  Status scan_prefix(ByteView prefix, const ScanVisitor& visit) const;
  // The entry with the smallest (first) or largest (last) key in `range`, if any.
  Result<std::optional<KeyValue>> first(const KeyRange& range) const;
  Result<std::optional<KeyValue>> last(const KeyRange& range) const;
};

}  // namespace synod::storage

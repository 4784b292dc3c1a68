#include "storage/rocks_kv.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

namespace synod::storage {
namespace {

rocksdb::Slice to_slice(ByteView bytes) {
  // An empty span may have no data pointer; RocksDB's comparisons assert on one.
  if (bytes.empty()) return rocksdb::Slice("", 0);
  return rocksdb::Slice(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

ByteView to_view(const rocksdb::Slice& slice) {
  return ByteView(reinterpret_cast<const uint8_t*>(slice.data()), slice.size());
}

Status from_rocks(const rocksdb::Status& status, std::string_view context) {
  if (status.ok()) return Status::ok();
  Code code = status.IsCorruption() ? Code::kCorrupt : Code::kIoError;
  std::string message(context);
  message += ": ";
  message += status.ToString();
  return error(code, std::move(message));
}

rocksdb::Options make_options(const RocksKvOptions& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.paranoid_checks = options.paranoid_checks;
  db_options.max_open_files = options.open_files_max;
  db_options.write_buffer_size = options.write_buffer_bytes;
  // The memtable keeps an insert position per two-byte key prefix (the ChainStore's "x/", "a/",
  // "s/", ... key families) and, with write() sorting each batch, starts each insert from the
  // previous one of its family instead of searching the skip list from the top.
  db_options.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(2));
  // Replays the log up to its first damaged record: a crash loses only a suffix of the writes.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  db_options.keep_log_file_num = 4;  // RocksDB's own text logs, not the write-ahead log
  db_options.max_log_file_size = 16 * 1024 * 1024;

  rocksdb::BlockBasedTableOptions table_options;
  table_options.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  table_options.cache_index_and_filter_blocks = true;  // counted in the cache's bound
  table_options.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  db_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_options));
  return db_options;
}

// Positions `iterator` on the first entry of `range` in the scan's order.
void seek_start(rocksdb::Iterator& iterator, const KeyRange& range, ScanOrder order) {
  if (order == ScanOrder::kAscending) {
    iterator.Seek(to_slice(range.begin));
    return;
  }
  if (!range.end) {
    iterator.SeekToLast();
    return;
  }
  iterator.SeekForPrev(to_slice(*range.end));
  if (iterator.Valid() && iterator.key() == to_slice(*range.end)) iterator.Prev();
}

}  // namespace

Result<std::unique_ptr<RocksKvStore>> RocksKvStore::open(const std::string& path,
                                                         const RocksKvOptions& options) {
  rocksdb::DB* db = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(make_options(options), path, &db);
  if (!status.ok()) return from_rocks(status, "open " + path);
  return std::unique_ptr<RocksKvStore>(new RocksKvStore(path, std::unique_ptr<rocksdb::DB>(db)));
}

RocksKvStore::RocksKvStore(std::string path, std::unique_ptr<rocksdb::DB> db)
    : path_(std::move(path)), db_(std::move(db)) {}

RocksKvStore::~RocksKvStore() {
  // Unsynced writes are in the operating system's hands already; Close() does not sync them.
  db_->Close().PermitUncheckedError();
}

Result<std::optional<Bytes>> RocksKvStore::get(ByteView key) const {
  rocksdb::PinnableSlice value;
  rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), db_->DefaultColumnFamily(), to_slice(key), &value);
  if (status.IsNotFound()) return std::optional<Bytes>();
  if (!status.ok()) return from_rocks(status, "get");
  ByteView bytes = to_view(value);
  return std::optional<Bytes>(Bytes(bytes.begin(), bytes.end()));
}

Status RocksKvStore::write(const WriteBatch& batch, bool sync) {
  SYNOD_TRY(check_batch_limits(batch));
  if (batch.empty()) return sync ? this->sync() : Status::ok();
  // RocksDB inserts a batch into the memtable in batch order; a block's keys (hashes, addresses)
  // come in random order. Sorted, each key of a family lands near the previous one, which the
  // per-family insert hints above turn into short searches: BM_BlockStoreCommit5000 74.8 ms
  // unsorted, 65.2 ms sorted, 53.0 ms sorted with hints. The sort is stable, so of two operations
  // on one key the later still lands last and wins.
  const std::vector<WriteBatch::Op>& ops = batch.ops();
  std::vector<uint32_t> order(ops.size());
  for (uint32_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return BytesLess{}(ops[a].key, ops[b].key); });
  rocksdb::WriteBatch rocks_batch(static_cast<size_t>(batch.payload_bytes() + 16 * ops.size()));
  for (uint32_t index : order) {
    const WriteBatch::Op& op = ops[index];
    rocksdb::Status status = op.kind == WriteBatch::Kind::kPut
                                 ? rocks_batch.Put(to_slice(op.key), to_slice(op.value))
                                 : rocks_batch.Delete(to_slice(op.key));
    SYNOD_TRY(from_rocks(status, "write batch"));
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = sync;
  return from_rocks(db_->Write(write_options, &rocks_batch), "write");
}

Status RocksKvStore::sync() {
  // Flushes RocksDB's log buffer, if any, then fsyncs the log.
  return from_rocks(db_->FlushWAL(/*sync=*/true), "sync");
}

Status RocksKvStore::scan(const KeyRange& range, const ScanOptions& options,
                          const ScanVisitor& visit) const {
  // The iterator reads from an implicit snapshot taken when it is created. The bounds let
  // RocksDB skip files outside the range; the slices must outlive the iterator.
  rocksdb::Slice lower = to_slice(range.begin);
  rocksdb::Slice upper;
  rocksdb::ReadOptions read_options;
  read_options.iterate_lower_bound = &lower;
  if (range.end) {
    upper = to_slice(*range.end);
    read_options.iterate_upper_bound = &upper;
  }
  std::unique_ptr<rocksdb::Iterator> iterator(db_->NewIterator(read_options));
  seek_start(*iterator, range, options.order);
  for (size_t visited = 0; iterator->Valid() && visited < options.entries_max; ++visited) {
    ByteView key = to_view(iterator->key());
    if (!range.contains(key)) break;
    SYNOD_TRY(visit(key, to_view(iterator->value())));
    if (options.order == ScanOrder::kAscending) {
      iterator->Next();
    } else {
      iterator->Prev();
    }
  }
  return from_rocks(iterator->status(), "scan");
}

}  // namespace synod::storage

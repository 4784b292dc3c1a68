// RocksKvStore: the KvStore of a real node, one RocksDB database in one folder. It keeps the
// contract in kv.h: a WriteBatch becomes one rocksdb::WriteBatch (atomic in RocksDB's write-ahead
// log), sync=true is WriteOptions::sync (fsync of the log before returning), and after a crash
// RocksDB's point-in-time recovery replays the log up to the first damaged record, so a crash
// loses at most a suffix of the unsynced writes. RocksDB errors become kCorrupt (its corruption
// errors) or kIoError (everything else), with RocksDB's message.
//
// Thread-safe as kv.h says (RocksDB itself is). One process may have a folder open at a time;
// a second open() fails with kIoError while the first store lives. Closing is destruction.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "storage/kv.h"

namespace rocksdb {
class DB;
}

namespace synod::storage {

struct RocksKvOptions {
  bool create_if_missing = true;
  // Shared by all reads of this store; bounds the memory that cached data blocks take.
  size_t block_cache_bytes = 64 * 1024 * 1024;
  // Size of one in-memory write buffer (memtable) before RocksDB flushes it to a table file.
  size_t write_buffer_bytes = 32 * 1024 * 1024;
  int open_files_max = 512;
  // RocksDB's extra consistency checks when opening and after a background error. Cheap at run
  // time; on by default because safety comes before speed.
  bool paranoid_checks = true;
};

class RocksKvStore final : public KvStore {
 public:
  // Opens (or, with create_if_missing, creates) the database in folder `path`.
  static Result<std::unique_ptr<RocksKvStore>> open(const std::string& path,
                                                    const RocksKvOptions& options = {});
  ~RocksKvStore() override;
  RocksKvStore(const RocksKvStore&) = delete;
  RocksKvStore& operator=(const RocksKvStore&) = delete;

  Result<std::optional<Bytes>> get(ByteView key) const override;
  Status write(const WriteBatch& batch, bool sync) override;
  Status sync() override;
  Status scan(const KeyRange& range, const ScanOptions& options,
              const ScanVisitor& visit) const override;

  const std::string& path() const { return path_; }

 private:
  RocksKvStore(std::string path, std::unique_ptr<rocksdb::DB> db);

  std::string path_;
  std::unique_ptr<rocksdb::DB> db_;  // thread-safe; lives as long as this store
};

}  // namespace synod::storage

// RocksKvStore on a real disk: reopening, errors, and a real crash (SIGKILL of a writing process).
// The KvStore contract itself is tested for every store in kv_test.cc.
#include "storage/rocks_kv.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "base/codec.h"
#include "storage/test_process.h"
#include "storage/test_support.h"

extern char** environ;

namespace synod::storage {
namespace {

using test::bytes_of;
using test::key_with_number;
using test::TempDir;
using test::text_of;

std::unique_ptr<RocksKvStore> open_or_die(const std::string& path,
                                          const RocksKvOptions& options = {}) {
  auto store = RocksKvStore::open(path, options);
  if (!store.is_ok()) {
    ADD_FAILURE() << store.status().to_string();
    return nullptr;
  }
  return std::move(store).value();
}

std::optional<std::string> get_text(const KvStore& store, std::string_view key) {
  auto value = store.get(bytes_of(key));
  SYNOD_ASSERT(value.is_ok());
  if (!value->has_value()) return std::nullopt;
  return text_of(**value);
}

TEST(RocksKvStore, ReopenKeepsWrittenData) {
  TempDir dir;
  {
    auto store = open_or_die(dir.child("db"));
    ASSERT_NE(store, nullptr);
    WriteBatch batch;
    batch.put(bytes_of("synced"), bytes_of("1"));
    batch.put(bytes_of("removed"), bytes_of("1"));
    ASSERT_TRUE(store->write(batch, true).is_ok());
    ASSERT_TRUE(store->remove(bytes_of("removed"), false).is_ok());
    ASSERT_TRUE(store->put(bytes_of("then-synced"), bytes_of("2"), false).is_ok());
    ASSERT_TRUE(store->sync().is_ok());
  }
  auto store = open_or_die(dir.child("db"));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(get_text(*store, "synced"), "1");
  EXPECT_EQ(get_text(*store, "then-synced"), "2");
  EXPECT_EQ(get_text(*store, "removed"), std::nullopt);
}

TEST(RocksKvStore, ReopenKeepsDataFlushedToTableFiles) {
  TempDir dir;
  RocksKvOptions small_buffers;
  small_buffers.write_buffer_bytes = 64 * 1024;  // forces several flushes below
  Bytes value(1000, 'v');
  {
    auto store = open_or_die(dir.child("db"), small_buffers);
    ASSERT_NE(store, nullptr);
    for (uint64_t n = 0; n < 1000; ++n) {
      ASSERT_TRUE(store->put(key_with_number("n/", n), value, false).is_ok());
    }
    ASSERT_TRUE(store->sync().is_ok());
  }
  auto store = open_or_die(dir.child("db"), small_buffers);
  ASSERT_NE(store, nullptr);
  uint64_t expected = 0;
  Status status = store->scan_prefix(bytes_of("n/"), [&](ByteView key, ByteView stored) {
    EXPECT_EQ(Bytes(key.begin(), key.end()), key_with_number("n/", expected));
    EXPECT_EQ(stored.size(), value.size());
    ++expected;
    return Status::ok();
  });
  ASSERT_TRUE(status.is_ok()) << status.to_string();
  EXPECT_EQ(expected, 1000u);
}

TEST(RocksKvStore, SecondOpenOfTheSameFolderFails) {
  TempDir dir;
  auto first = open_or_die(dir.child("db"));
  ASSERT_NE(first, nullptr);
  auto second = RocksKvStore::open(dir.child("db"));
  ASSERT_FALSE(second.is_ok());
  EXPECT_EQ(second.status().code(), Code::kIoError);
}

TEST(RocksKvStore, MissingFolderWithoutCreateFails) {
  TempDir dir;
  RocksKvOptions options;
  options.create_if_missing = false;
  auto store = RocksKvStore::open(dir.child("absent"), options);
  ASSERT_FALSE(store.is_ok());
  EXPECT_EQ(store.status().code(), Code::kIoError);
  EXPECT_NE(store.status().message().find("absent"), std::string::npos);
}

TEST(RocksKvStore, DamagedManifestPointerIsReportedAsCorrupt) {
  TempDir dir;
  {
    auto store = open_or_die(dir.child("db"));
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->put(bytes_of("k"), bytes_of("v"), true).is_ok());
  }
  std::ofstream(dir.child("db") + "/CURRENT", std::ios::trunc) << "garbage without newline";
  auto store = RocksKvStore::open(dir.child("db"));
  ASSERT_FALSE(store.is_ok());
  EXPECT_EQ(store.status().code(), Code::kCorrupt) << store.status().to_string();
}

// ---------------------------------------------------------------------------------------------
// The real crash test. The test binary re-executes itself as a writer process (a fork alone would
// inherit a copy of RocksDB's global thread pools without their threads). The writer appends
// batches with sync=true and reports each acknowledged batch number on a pipe; the parent kills
// it with SIGKILL at a random moment, reopens the folder and checks that
//   - every batch is whole: the counter, all slots and the log window agree on one batch number;
//   - no acknowledged batch is lost, and at most the one batch in flight was added after the last
//     acknowledgement.
// Each batch n writes counter = n, slot/i = (n, i) plus padding (so table flushes happen), puts
// log/n and removes log/(n - kLogWindow), so the log holds exactly the last kLogWindow numbers.

constexpr char kWriterFolderEnv[] = "SYNOD_STORAGE_CRASH_WRITER_FOLDER";
constexpr char kWriterAckFdEnv[] = "SYNOD_STORAGE_CRASH_WRITER_ACK_FD";
constexpr uint64_t kSlotCount = 8;
constexpr uint64_t kLogWindow = 4;
constexpr uint64_t kWriterBatchesMax = 100000;  // the writer stops by itself after this many
constexpr size_t kWriteBufferBytes = 64 * 1024;

Bytes counter_key() {
  return bytes_of("counter");
}
Bytes slot_key(uint64_t slot) {
  return key_with_number("slot/", slot);
}
Bytes log_key(uint64_t n) {
  return key_with_number("log/", n);
}

Bytes slot_value(uint64_t n, uint64_t slot) {
  Writer writer;
  writer.u64(n);
  writer.u64(slot);
  writer.bytes(Bytes((n * 37 + slot) % 600, 'p'));
  return writer.take();
}

Bytes number_value(uint64_t n) {
  Writer writer;
  writer.u64(n);
  return writer.take();
}

WriteBatch crash_batch(uint64_t n) {
  WriteBatch batch;
  batch.put(counter_key(), number_value(n));
  for (uint64_t slot = 0; slot < kSlotCount; ++slot) {
    batch.put(slot_key(slot), slot_value(n, slot));
  }
  batch.put(log_key(n), number_value(n));
  if (n > kLogWindow) batch.remove(log_key(n - kLogWindow));
  return batch;
}

Result<uint64_t> decode_number(ByteView bytes) {
  Reader reader(bytes);
  uint64_t n = reader.u64();
  SYNOD_TRY(reader.finish());
  return n;
}

// The number of the last whole batch in `store` (0 for none), or an error naming what is torn.
Result<uint64_t> check_whole(const KvStore& store) {
  SYNOD_ASSIGN_OR_RETURN(std::optional<Bytes> counter_bytes, store.get(counter_key()));
  uint64_t n = 0;
  if (counter_bytes) {
    SYNOD_ASSIGN_OR_RETURN(n, decode_number(*counter_bytes));
  }
  for (uint64_t slot = 0; slot < kSlotCount; ++slot) {
    SYNOD_ASSIGN_OR_RETURN(std::optional<Bytes> value, store.get(slot_key(slot)));
    bool whole = n == 0 ? !value.has_value() : value.has_value() && *value == slot_value(n, slot);
    if (!whole) {
      return error(Code::kCorrupt,
                   "slot " + std::to_string(slot) + " torn at " + std::to_string(n));
    }
  }
  std::vector<uint64_t> logged;
  SYNOD_TRY(store.scan_prefix(bytes_of("log/"), [&](ByteView, ByteView value) {
    SYNOD_ASSIGN_OR_RETURN(uint64_t number, decode_number(value));
    logged.push_back(number);
    return Status::ok();
  }));
  std::vector<uint64_t> expected;
  for (uint64_t i = n > kLogWindow ? n - kLogWindow + 1 : 1; i <= n; ++i) {
    expected.push_back(i);
  }
  if (logged != expected) return error(Code::kCorrupt, "log window torn at " + std::to_string(n));
  return n;
}

// The writer process: continues the batch sequence from what the folder holds. Returns an exit
// code; it normally never returns, because the parent kills it.
int run_crash_writer(const std::string& folder, int ack_fd) {
  RocksKvOptions options;
  options.write_buffer_bytes = kWriteBufferBytes;
  auto store = RocksKvStore::open(folder, options);
  if (!store.is_ok()) {
    std::fprintf(stderr, "crash writer: %s\n", store.status().to_string().c_str());
    return 2;
  }
  auto start = check_whole(**store);
  if (!start.is_ok()) {
    std::fprintf(stderr, "crash writer: %s\n", start.status().to_string().c_str());
    return 3;
  }
  for (uint64_t n = *start + 1; n <= *start + kWriterBatchesMax; ++n) {
    Status status = (*store)->write(crash_batch(n), /*sync=*/true);
    if (!status.is_ok()) {
      std::fprintf(stderr, "crash writer: %s\n", status.to_string().c_str());
      return 4;
    }
    uint8_t ack[sizeof(n)];
    std::memcpy(ack, &n, sizeof(n));
    if (::write(ack_fd, ack, sizeof(ack)) != static_cast<ssize_t>(sizeof(ack))) return 5;
  }
  return 0;
}

// Runs before main() when this binary was started as the writer, and never returns then.
[[maybe_unused]] const bool kStartedAsCrashWriter = [] {
  const char* folder = std::getenv(kWriterFolderEnv);
  const char* ack_fd = std::getenv(kWriterAckFdEnv);
  if (folder == nullptr || ack_fd == nullptr) return false;
  std::_Exit(run_crash_writer(folder, std::atoi(ack_fd)));
}();

using Clock = std::chrono::steady_clock;

uint32_t crash_seed() {
  if (const char* text = std::getenv("SYNOD_STORAGE_CRASH_SEED"))
    return static_cast<uint32_t>(std::atoll(text));
  return std::random_device()();
}

TEST(RocksKvCrash, KilledWriterLeavesWholeBatchesAndKeepsAcknowledgedOnes) {
  constexpr int kRuns = 6;
  uint32_t seed = crash_seed();
  SCOPED_TRACE("SYNOD_STORAGE_CRASH_SEED=" + std::to_string(seed));
  std::mt19937 random(seed);
  TempDir dir;
  const std::string folder = dir.child("db");
  uint64_t recovered = 0;  // the last whole batch found on the previous reopen
  for (int run = 0; run < kRuns; ++run) {
    SCOPED_TRACE("run " + std::to_string(run));
    // Every third run is killed at any moment after the start, perhaps while RocksDB is still
    // opening and recovering; the others once the writer is writing.
    bool kill_anytime = run % 3 == 2;
    std::uniform_int_distribution<int> delay_ms(0, kill_anytime ? 150 : 250);
    test::ChildWriter writer({{kWriterFolderEnv, folder}}, kWriterAckFdEnv);
    bool alive = true;
    if (!kill_anytime) {
      alive = writer.read_acks(Clock::now() + std::chrono::seconds(20), /*until_first_ack=*/true);
    }
    if (alive) alive = writer.read_acks(Clock::now() + std::chrono::milliseconds(delay_ms(random)));
    int wait_status = writer.kill_and_wait();
    ASSERT_TRUE(alive && WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGKILL)
        << "the writer exited by itself with wait status " << wait_status;
    ASSERT_TRUE(kill_anytime || writer.acked_any()) << "the writer never acknowledged a batch";

    auto store = open_or_die(folder, RocksKvOptions{.write_buffer_bytes = kWriteBufferBytes});
    ASSERT_NE(store, nullptr);
    auto whole = check_whole(*store);
    ASSERT_TRUE(whole.is_ok()) << whole.status().to_string();
    uint64_t acked = writer.acked_any() ? writer.acked_last() : recovered;
    EXPECT_GE(*whole, acked) << "an acknowledged (synced) batch was lost";
    EXPECT_LE(*whole, acked + 1) << "more than the one batch in flight appeared";
    recovered = *whole;
  }
  EXPECT_GT(recovered, 0u);
}

}  // namespace
}  // namespace synod::storage

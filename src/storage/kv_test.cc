// The KvStore contract (kv.h), run against every implementation, plus the pieces in kv.cc.
#include "storage/kv.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "storage/mem_kv.h"
#include "storage/rocks_kv.h"
#include "storage/test_support.h"

namespace synod::storage {
namespace {

using test::bytes_of;
using test::key_with_number;
using test::TempDir;
using test::text_of;

TEST(PrefixSuccessor, IncrementsTheLastByteBelow0xff) {
  EXPECT_EQ(prefix_successor(bytes_of("ab")), bytes_of("ac"));
  EXPECT_EQ(prefix_successor(Bytes{0x01, 0xff, 0xff}), (Bytes{0x02}));
  EXPECT_EQ(prefix_successor(Bytes{0xff, 0xff}), std::nullopt);
  EXPECT_EQ(prefix_successor(Bytes{}), std::nullopt);
}

TEST(KeyRange, ContainsItsBeginNotItsEnd) {
  KeyRange range = KeyRange::between(bytes_of("b"), bytes_of("d"));
  EXPECT_FALSE(range.contains(bytes_of("a")));
  EXPECT_TRUE(range.contains(bytes_of("b")));
  EXPECT_TRUE(range.contains(bytes_of("c\xff")));
  EXPECT_FALSE(range.contains(bytes_of("d")));
  KeyRange prefix = KeyRange::with_prefix(Bytes{0x01, 0xff});
  EXPECT_TRUE(prefix.contains(Bytes{0x01, 0xff}));
  EXPECT_TRUE(prefix.contains(Bytes{0x01, 0xff, 0xff, 0x00}));
  EXPECT_FALSE(prefix.contains(Bytes{0x02}));
  EXPECT_FALSE(prefix.contains(Bytes{0x01, 0xfe, 0xff}));
  EXPECT_TRUE(KeyRange::all().contains(Bytes{}));
}

TEST(WriteBatch, CountsOperationsAndPayload) {
  WriteBatch batch;
  batch.put(bytes_of("key"), bytes_of("value"));
  batch.remove(bytes_of("gone"));
  EXPECT_EQ(batch.op_count(), 2u);
  EXPECT_EQ(batch.payload_bytes(), 12u);
  WriteBatch more;
  more.put(bytes_of("k"), bytes_of("v"));
  batch.append(more);
  ASSERT_EQ(batch.op_count(), 3u);
  EXPECT_EQ(batch.ops()[2].key, bytes_of("k"));
  EXPECT_EQ(batch.payload_bytes(), 14u);
  batch.clear();
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(batch.payload_bytes(), 0u);
}

struct StoreKind {
  std::string name;
  std::function<std::unique_ptr<KvStore>(const TempDir&)> open;
};

// Names the parameter in test output instead of dumping its bytes.
void PrintTo(const StoreKind& kind, std::ostream* out) {
  *out << kind.name;
}

std::vector<StoreKind> store_kinds() {
  return {
      {"Mem", [](const TempDir&) { return std::make_unique<MemKvStore>(); }},
      {"Rocks",
       [](const TempDir& dir) -> std::unique_ptr<KvStore> {
         auto store = RocksKvStore::open(dir.child("db"));
         SYNOD_ASSERT(store.is_ok());
         return std::move(store).value();
       }},
  };
}

class KvContract : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override { store_ = GetParam().open(dir_); }

  std::optional<std::string> get(std::string_view key) {
    auto value = store_->get(bytes_of(key));
    SYNOD_ASSERT(value.is_ok());
    if (!value->has_value()) return std::nullopt;
    return text_of(**value);
  }

  // Every key and value in `range`, as "key=value" strings in the scan's order.
  std::vector<std::string> scan_text(const KeyRange& range, ScanOptions options = {}) {
    std::vector<std::string> out;
    Status status = store_->scan(range, options, [&](ByteView key, ByteView value) {
      out.push_back(text_of(key) + "=" + text_of(value));
      return Status::ok();
    });
    EXPECT_TRUE(status.is_ok()) << status.to_string();
    return out;
  }

  TempDir dir_;
  std::unique_ptr<KvStore> store_;
};

TEST_P(KvContract, MissingKeyIsNulloptNotAnError) {
  EXPECT_EQ(get("absent"), std::nullopt);
}

TEST_P(KvContract, PutOverwriteRemove) {
  ASSERT_TRUE(store_->put(bytes_of("k"), bytes_of("1"), false).is_ok());
  EXPECT_EQ(get("k"), "1");
  ASSERT_TRUE(store_->put(bytes_of("k"), bytes_of("2"), true).is_ok());
  EXPECT_EQ(get("k"), "2");
  ASSERT_TRUE(store_->remove(bytes_of("k"), false).is_ok());
  EXPECT_EQ(get("k"), std::nullopt);
  ASSERT_TRUE(store_->remove(bytes_of("never-there"), false).is_ok());
}

TEST_P(KvContract, BatchOperationsApplyInOrder) {
  WriteBatch batch;
  batch.put(bytes_of("a"), bytes_of("1"));
  batch.put(bytes_of("b"), bytes_of("2"));
  batch.remove(bytes_of("a"));
  batch.put(bytes_of("c"), bytes_of("3"));
  batch.put(bytes_of("b"), bytes_of("4"));
  ASSERT_TRUE(store_->write(batch, true).is_ok());
  EXPECT_EQ(scan_text(KeyRange::all()), (std::vector<std::string>{"b=4", "c=3"}));
}

// The RocksDB store sorts a batch by key before inserting it; later operations on a key must
// still win over earlier ones, whatever their order in the batch.
TEST_P(KvContract, ShuffledBatchWithRepeatedKeysMatchesAModel) {
  std::map<std::string, std::string> model;
  WriteBatch batch;
  uint64_t state = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 2000; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const std::string key = "k" + std::to_string((state >> 33) % 300);
    if ((state >> 20) % 4 == 0) {
      batch.remove(bytes_of(key));
      model.erase(key);
    } else {
      const std::string value = std::to_string(i);
      batch.put(bytes_of(key), bytes_of(value));
      model[key] = value;
    }
  }
  ASSERT_TRUE(store_->write(batch, false).is_ok());
  std::vector<std::string> expected;
  for (const auto& [key, value] : model)
    expected.push_back(key + "=" + value);
  EXPECT_EQ(scan_text(KeyRange::all()), expected);
}

TEST_P(KvContract, BinaryKeysAndEmptyValues) {
  Bytes binary_key = {0x00, 0xff, 0x00};
  ASSERT_TRUE(store_->put(binary_key, Bytes{0xff, 0x00}, false).is_ok());
  ASSERT_TRUE(store_->put(bytes_of("empty"), Bytes{}, false).is_ok());
  ASSERT_TRUE(store_->put(Bytes{}, bytes_of("empty key"), false).is_ok());
  auto value = store_->get(binary_key);
  ASSERT_TRUE(value.is_ok());
  EXPECT_EQ(*value, (Bytes{0xff, 0x00}));
  EXPECT_EQ(get("empty"), "");  // present and empty, not missing
  EXPECT_EQ(get(""), "empty key");
}

TEST_P(KvContract, PrefixScanVisitsExactlyThePrefixInOrder) {
  for (const char* key : {"acct/bob", "acco", "acct", "acct/alice", "acct0", "b", "acct/carol"}) {
    ASSERT_TRUE(store_->put(bytes_of(key), bytes_of("v"), false).is_ok());
  }
  std::vector<std::string> keys;
  Status status = store_->scan_prefix(bytes_of("acct/"), [&](ByteView key, ByteView) {
    keys.push_back(text_of(key));
    return Status::ok();
  });
  ASSERT_TRUE(status.is_ok());
  EXPECT_EQ(keys, (std::vector<std::string>{"acct/alice", "acct/bob", "acct/carol"}));
}

TEST_P(KvContract, PrefixEndingIn0xffStopsAtItsSuccessor) {
  for (Bytes key : {Bytes{0x01, 0xfe}, Bytes{0x01, 0xff}, Bytes{0x01, 0xff, 0xff, 0x00},
                    Bytes{0x02}, Bytes{0xff, 0xff}}) {
    ASSERT_TRUE(store_->put(key, Bytes{}, false).is_ok());
  }
  std::vector<Bytes> keys;
  ASSERT_TRUE(store_
                  ->scan_prefix(Bytes{0x01, 0xff},
                                [&](ByteView key, ByteView) {
                                  keys.emplace_back(key.begin(), key.end());
                                  return Status::ok();
                                })
                  .is_ok());
  EXPECT_EQ(keys, (std::vector<Bytes>{{0x01, 0xff}, {0x01, 0xff, 0xff, 0x00}}));
  auto last = store_->last(KeyRange::with_prefix(Bytes{0xff}));
  ASSERT_TRUE(last.is_ok());
  ASSERT_TRUE(last->has_value());
  EXPECT_EQ((*last)->key, (Bytes{0xff, 0xff}));
}

// The way the chain store finds its highest block: big-endian heights under a prefix.
TEST_P(KvContract, FirstLastAndDescendingScanOverBigEndianNumbers) {
  WriteBatch batch;
  for (uint64_t height = 1; height <= 300; ++height) {
    batch.put(key_with_number("block/", height), bytes_of(std::to_string(height)));
  }
  batch.put(bytes_of("blocl"), bytes_of("after the prefix"));
  batch.put(bytes_of("block"), bytes_of("before the prefix"));
  ASSERT_TRUE(store_->write(batch, false).is_ok());
  KeyRange blocks = KeyRange::with_prefix(bytes_of("block/"));

  auto last = store_->last(blocks);
  ASSERT_TRUE(last.is_ok());
  ASSERT_TRUE(last->has_value());
  EXPECT_EQ((*last)->key, key_with_number("block/", 300));
  EXPECT_EQ(text_of((*last)->value), "300");
  auto first = store_->first(blocks);
  ASSERT_TRUE(first.is_ok() && first->has_value());
  EXPECT_EQ(text_of((*first)->value), "1");

  std::vector<std::string> values;
  ScanOptions newest_three{ScanOrder::kDescending, 3};
  ASSERT_TRUE(store_
                  ->scan(blocks, newest_three,
                         [&](ByteView, ByteView value) {
                           values.push_back(text_of(value));
                           return Status::ok();
                         })
                  .is_ok());
  EXPECT_EQ(values, (std::vector<std::string>{"300", "299", "298"}));

  // A range whose end is a stored key excludes that key, in both directions.
  KeyRange middle =
      KeyRange::between(key_with_number("block/", 255), key_with_number("block/", 257));
  std::vector<std::string> middle_values;
  for (ScanOrder order : {ScanOrder::kAscending, ScanOrder::kDescending}) {
    ASSERT_TRUE(store_
                    ->scan(middle, ScanOptions{order},
                           [&](ByteView, ByteView value) {
                             middle_values.push_back(text_of(value));
                             return Status::ok();
                           })
                    .is_ok());
  }
  EXPECT_EQ(middle_values, (std::vector<std::string>{"255", "256", "256", "255"}));
  auto none = store_->last(KeyRange::with_prefix(bytes_of("nothing/")));
  ASSERT_TRUE(none.is_ok());
  EXPECT_FALSE(none->has_value());
}

TEST_P(KvContract, VisitorErrorStopsTheScanAndIsReturned) {
  for (const char* key : {"p/1", "p/2", "p/3"}) {
    ASSERT_TRUE(store_->put(bytes_of(key), bytes_of("v"), false).is_ok());
  }
  int visits = 0;
  Status status = store_->scan_prefix(bytes_of("p/"), [&](ByteView, ByteView) {
    ++visits;
    return visits == 2 ? error(Code::kCorrupt, "bad account") : Status::ok();
  });
  EXPECT_EQ(status.code(), Code::kCorrupt);
  EXPECT_EQ(status.message(), "bad account");
  EXPECT_EQ(visits, 2);
}

TEST_P(KvContract, ScanSeesOneViewWhileTheVisitorReadsAndWrites) {
  ASSERT_TRUE(store_->put(bytes_of("p/1"), bytes_of("a"), false).is_ok());
  ASSERT_TRUE(store_->put(bytes_of("p/2"), bytes_of("b"), false).is_ok());
  std::vector<std::string> seen;
  Status status = store_->scan_prefix(bytes_of("p/"), [&](ByteView key, ByteView) {
    seen.push_back(text_of(key));
    SYNOD_TRY(store_->put(bytes_of("p/3"), bytes_of("c"), false));
    SYNOD_TRY(store_->remove(bytes_of("p/2"), false));
    auto value = store_->get(bytes_of("p/1"));
    return value.status();
  });
  ASSERT_TRUE(status.is_ok()) << status.to_string();
  EXPECT_EQ(seen, (std::vector<std::string>{"p/1", "p/2"}));
  EXPECT_EQ(scan_text(KeyRange::with_prefix(bytes_of("p/"))),
            (std::vector<std::string>{"p/1=a", "p/3=c"}));
}

TEST_P(KvContract, OversizeBatchIsRejectedWhole) {
  WriteBatch batch;
  batch.put(bytes_of("fine"), bytes_of("v"));
  batch.put(Bytes(kKeyBytesMax + 1, 'k'), bytes_of("v"));
  Status status = store_->write(batch, true);
  EXPECT_EQ(status.code(), Code::kInvalidArgument);
  EXPECT_EQ(get("fine"), std::nullopt);
}

TEST_P(KvContract, SyncAndEmptyBatchesSucceed) {
  EXPECT_TRUE(store_->sync().is_ok());
  EXPECT_TRUE(store_->write(WriteBatch(), false).is_ok());
  EXPECT_TRUE(store_->write(WriteBatch(), true).is_ok());
  EXPECT_TRUE(scan_text(KeyRange::all()).empty());
}

// One writer replaces eight slots per batch; readers must see all eight from the same batch.
TEST_P(KvContract, ConcurrentReadersNeverSeeHalfABatch) {
  constexpr int kSlotCount = 8;
  constexpr uint64_t kBatchCount = 300;
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::atomic<int> scans{0};
  auto reader = [&] {
    while (!done.load()) {
      std::vector<std::string> values;
      Status status = store_->scan_prefix(bytes_of("slot/"), [&](ByteView, ByteView value) {
        values.push_back(text_of(value));
        return Status::ok();
      });
      bool whole = values.empty() || values.size() == kSlotCount;
      for (const std::string& value : values)
        whole = whole && value == values.front();
      if (!status.is_ok() || !whole) torn.fetch_add(1);
      scans.fetch_add(1);
    }
  };
  std::thread reader_a(reader);
  std::thread reader_b(reader);
  // At least kBatchCount batches, and on until the readers have scanned (on a loaded machine the
  // writer can finish before a reader thread first runs), for at most 10 s.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  uint64_t written = 0;
  for (uint64_t n = 1;
       n <= kBatchCount || (scans.load() < 2 && std::chrono::steady_clock::now() < give_up); ++n) {
    written = n;
    WriteBatch batch;
    for (int slot = 0; slot < kSlotCount; ++slot) {
      batch.put(bytes_of("slot/" + std::to_string(slot)), bytes_of(std::to_string(n)));
    }
    Status status = store_->write(batch, false);
    EXPECT_TRUE(status.is_ok()) << status.to_string();
    if (!status.is_ok()) break;
  }
  done.store(true);
  reader_a.join();
  reader_b.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(scans.load(), 0);
  EXPECT_EQ(get("slot/7"), std::to_string(written));
}

INSTANTIATE_TEST_SUITE_P(AllStores, KvContract, ::testing::ValuesIn(store_kinds()),
                         [](const ::testing::TestParamInfo<StoreKind>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace synod::storage

// MemKvStore's crash model: a crash keeps exactly the durable writes (and, when asked, a prefix of
// the unsynced ones). The KvStore contract itself is tested for every store in kv_test.cc.
#include "storage/mem_kv.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "storage/test_support.h"

namespace synod::storage {
namespace {

using test::bytes_of;
using test::text_of;

using Contents = std::map<std::string, std::string>;

Contents contents(const KvStore& store) {
  Contents out;
  Status status = store.scan(KeyRange::all(), ScanOptions{}, [&](ByteView key, ByteView value) {
    out[text_of(key)] = text_of(value);
    return Status::ok();
  });
  SYNOD_ASSERT(status.is_ok());
  return out;
}

void put(MemKvStore& store, std::string_view key, std::string_view value, bool sync) {
  SYNOD_ASSERT(store.put(bytes_of(key), bytes_of(value), sync).is_ok());
}

void remove(MemKvStore& store, std::string_view key, bool sync) {
  SYNOD_ASSERT(store.remove(bytes_of(key), sync).is_ok());
}

TEST(MemKvStore, CrashDropsExactlyTheUnsyncedWrites) {
  MemKvStore store;
  put(store, "a", "1", false);
  put(store, "b", "1", true);  // makes "a" durable too
  put(store, "c", "1", false);
  put(store, "a", "2", false);
  EXPECT_EQ(store.unsynced_write_count(), 2u);
  store.simulate_crash();
  EXPECT_EQ(contents(store), (Contents{{"a", "1"}, {"b", "1"}}));
  EXPECT_EQ(store.unsynced_write_count(), 0u);
}

TEST(MemKvStore, CrashRestoresOverwrittenAndRemovedValues) {
  MemKvStore store;
  put(store, "kept", "old", false);
  put(store, "removed", "old", false);
  ASSERT_TRUE(store.sync().is_ok());
  WriteBatch batch;
  batch.put(bytes_of("kept"), bytes_of("new"));
  batch.remove(bytes_of("removed"));
  batch.put(bytes_of("fresh"), bytes_of("new"));
  batch.put(bytes_of("kept"), bytes_of("newer"));
  batch.remove(bytes_of("fresh"));
  batch.put(bytes_of("fresh"), bytes_of("newest"));
  ASSERT_TRUE(store.write(batch, false).is_ok());
  EXPECT_EQ(contents(store), (Contents{{"fresh", "newest"}, {"kept", "newer"}}));
  store.simulate_crash();
  EXPECT_EQ(contents(store), (Contents{{"kept", "old"}, {"removed", "old"}}));
}

TEST(MemKvStore, SyncMakesEveryEarlierWriteDurable) {
  MemKvStore store;
  put(store, "a", "1", false);
  put(store, "b", "1", false);
  ASSERT_TRUE(store.sync().is_ok());
  put(store, "c", "1", false);
  ASSERT_TRUE(store.write(WriteBatch(), true).is_ok());  // an empty synced batch is a sync
  remove(store, "a", false);
  store.simulate_crash();
  EXPECT_EQ(contents(store), (Contents{{"a", "1"}, {"b", "1"}, {"c", "1"}}));
}

TEST(MemKvStore, EmptyUnsyncedBatchIsNotAWrite) {
  MemKvStore store;
  ASSERT_TRUE(store.write(WriteBatch(), false).is_ok());
  EXPECT_EQ(store.unsynced_write_count(), 0u);
}

TEST(MemKvStore, CrashKeepingAPrefixKeepsThoseWritesWhole) {
  MemKvStore store;
  put(store, "base", "0", true);
  for (int n = 1; n <= 3; ++n) {
    WriteBatch batch;
    batch.put(bytes_of("x"), bytes_of(std::to_string(n)));
    batch.put(bytes_of("y"), bytes_of(std::to_string(n)));
    ASSERT_TRUE(store.write(batch, false).is_ok());
  }
  store.simulate_crash_keeping(2);
  EXPECT_EQ(contents(store), (Contents{{"base", "0"}, {"x", "2"}, {"y", "2"}}));
  // The kept writes are durable now: a second crash keeps them.
  store.simulate_crash();
  EXPECT_EQ(contents(store), (Contents{{"base", "0"}, {"x", "2"}, {"y", "2"}}));
}

TEST(MemKvStore, StoreKeepsWorkingAfterACrash) {
  MemKvStore store;
  put(store, "a", "1", false);
  store.simulate_crash();
  put(store, "a", "2", true);
  put(store, "b", "2", false);
  store.simulate_crash();
  EXPECT_EQ(contents(store), (Contents{{"a", "2"}}));
  EXPECT_EQ(store.entry_count(), 1u);
}

// Random writes, syncs and crashes against a model that replays whole batches onto the last
// durable contents. Seeded, so a failure replays.
TEST(MemKvStore, MatchesAModelOverRandomWritesSyncsAndCrashes) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 random(seed);
    auto pick = [&](uint32_t count) {
      return std::uniform_int_distribution<uint32_t>(0, count - 1)(random);
    };
    MemKvStore store;
    Contents durable;
    std::vector<std::vector<WriteBatch::Op>> pending;  // unsynced batches, oldest first
    auto replay = [&](size_t batches) {
      Contents out = durable;
      for (size_t i = 0; i < batches; ++i) {
        for (const WriteBatch::Op& op : pending[i]) {
          if (op.kind == WriteBatch::Kind::kPut) {
            out[text_of(op.key)] = text_of(op.value);
          } else {
            out.erase(text_of(op.key));
          }
        }
      }
      return out;
    };
    for (int step = 0; step < 300; ++step) {
      uint32_t action = pick(10);
      if (action < 7) {
        WriteBatch batch;
        uint32_t op_count = pick(4);
        for (uint32_t i = 0; i < op_count; ++i) {
          std::string key = "k" + std::to_string(pick(12));
          if (pick(3) == 0) {
            batch.remove(bytes_of(key));
          } else {
            batch.put(bytes_of(key), bytes_of(std::to_string(step)));
          }
        }
        bool sync = pick(4) == 0;
        ASSERT_TRUE(store.write(batch, sync).is_ok());
        if (!batch.empty()) pending.push_back(batch.ops());
        if (sync) {
          durable = replay(pending.size());
          pending.clear();
        }
      } else if (action == 7) {
        ASSERT_TRUE(store.sync().is_ok());
        durable = replay(pending.size());
        pending.clear();
      } else {
        ASSERT_EQ(store.unsynced_write_count(), pending.size());
        size_t kept = action == 8 ? 0 : pick(static_cast<uint32_t>(pending.size()) + 1);
        store.simulate_crash_keeping(kept);
        durable = replay(kept);
        pending.clear();
      }
      ASSERT_EQ(contents(store), replay(pending.size())) << "step " << step;
    }
  }
}

}  // namespace
}  // namespace synod::storage

// ChainStore on both KvStores: round trips, indexes, history paging, records, reverts, corrupt
// bytes, and atomicity across a simulated crash. The real crash (SIGKILL of a writing process on
// RocksDB) is in chain_store_crash_test.cc.
#include "storage/chain_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "storage/chain_test_support.h"
#include "storage/mem_kv.h"
#include "storage/rocks_kv.h"
#include "storage/test_support.h"

namespace synod::storage {
namespace {

using test::account_address;
using test::bytes_of;
using test::key_with_number;
using test::State;
using test::TempDir;
using test::TestChain;
using test::TestCommit;

#define ASSERT_OK(expression)                            \
  do {                                                   \
    const ::synod::Status status_ = (expression);        \
    ASSERT_TRUE(status_.is_ok()) << status_.to_string(); \
  } while (0)

// The value of a Result that must be ok, for brevity in tests.
template <typename T>
T ok_value(Result<T> result) {
  EXPECT_TRUE(result.is_ok()) << result.status().to_string();
  SYNOD_ASSERT(result.is_ok());
  return std::move(result).value();
}

Bytes raw_key(std::string_view prefix, ByteView rest) {
  Bytes key = bytes_of(prefix);
  key.insert(key.end(), rest.begin(), rest.end());
  return key;
}

struct StoreKind {
  std::string name;
  std::function<std::unique_ptr<KvStore>(const TempDir&)> open;
};

void PrintTo(const StoreKind& kind, std::ostream* out) {
  *out << kind.name;
}

class ChainStoreTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    kv_ = GetParam().open(dir_);
    store_ = std::make_unique<ChainStore>(*kv_);
  }

  // Builds and commits `count` blocks; returns what was committed.
  std::vector<TestCommit> commit_blocks(ChainStore& store, size_t count, bool sync = true) {
    std::vector<TestCommit> commits;
    for (size_t i = 0; i < count; ++i) {
      commits.push_back(chain_.next());
      const TestCommit& c = commits.back();
      Status status = store.commit_block(c.block, c.certificate, c.result, sync);
      EXPECT_TRUE(status.is_ok()) << status.to_string();
    }
    return commits;
  }

  TempDir dir_;
  std::unique_ptr<KvStore> kv_;
  std::unique_ptr<ChainStore> store_;
  TestChain chain_;
};

TEST_P(ChainStoreTest, EmptyStoreHasNothing) {
  EXPECT_EQ(ok_value(store_->tip()), std::nullopt);
  EXPECT_EQ(ok_value(store_->block(1)), std::nullopt);
  EXPECT_EQ(ok_value(store_->certificate(1)), std::nullopt);
  EXPECT_EQ(ok_value(store_->block_by_hash(Hash256{})), std::nullopt);
  EXPECT_EQ(ok_value(store_->transaction_location(Hash256{})), std::nullopt);
  EXPECT_TRUE(ok_value(store_->load_records()).empty());
  EXPECT_TRUE(ok_value(test::stored_state(*store_)).empty());
  EXPECT_TRUE(ok_value(store_->history(account_address(0), {})).entries.empty());
}

TEST_P(ChainStoreTest, FormatMarkerIsWrittenOnceAndAnotherFormatIsRefused) {
  // A store with blocks but no marker (written before the marker existed) is format 1.
  commit_blocks(*store_, 2);
  ASSERT_TRUE(store_->check_format().is_ok());
  auto marker = ok_value(kv_->get(bytes_of("m/format")));
  ASSERT_TRUE(marker.has_value());
  Writer expected(4);
  expected.u32(kChainStoreFormat);
  EXPECT_EQ(*marker, expected.buffer());
  EXPECT_TRUE(store_->check_format().is_ok());  // and again, unchanged

  WriteBatch batch;
  Writer other(4);
  other.u32(kChainStoreFormat + 1);
  batch.put(bytes_of("m/format"), other.buffer());
  ASSERT_TRUE(kv_->write(batch, true).is_ok());
  Status refused = store_->check_format();
  EXPECT_EQ(refused.code(), Code::kFailedPrecondition);
  EXPECT_NE(refused.message().find("format " + std::to_string(kChainStoreFormat + 1)),
            std::string::npos)
      << refused.to_string();

  WriteBatch garbled;
  garbled.put(bytes_of("m/format"), Bytes{1, 2});
  ASSERT_TRUE(kv_->write(garbled, true).is_ok());
  EXPECT_EQ(store_->check_format().code(), Code::kCorrupt);
  // Nothing else was touched.
  EXPECT_EQ(ok_value(store_->tip())->height, 2u);
}

TEST_P(ChainStoreTest, CommittedBlockReadsBack) {
  TestCommit c = commit_blocks(*store_, 1)[0];
  ASSERT_FALSE(c.result.writes.empty());
  EXPECT_EQ(ok_value(store_->block(1)), c.block);
  EXPECT_EQ(ok_value(store_->header(1)), c.block.header);
  EXPECT_EQ(ok_value(store_->certificate(1)), c.certificate);
  EXPECT_EQ(ok_value(store_->block_by_hash(c.block.hash())), c.block);
  EXPECT_EQ(ok_value(store_->height_of(c.block.hash())), 1u);
  ChainTip tip = *ok_value(store_->tip());
  EXPECT_EQ(tip, (ChainTip{1, c.block.hash(), c.block.header.time_ms, c.certificate}));
  EXPECT_EQ(ok_value(test::stored_state(*store_)), chain_.state());
  const chain::StateWrite& write = c.result.writes[0];
  EXPECT_EQ(ok_value(store_->state_value(write.key)), write.value);
  EXPECT_EQ(ok_value(store_->block(2)), std::nullopt);
}

TEST_P(ChainStoreTest, RecentHeadersAreTheLastOnesOldestFirst) {
  EXPECT_TRUE(ok_value(store_->recent_headers(0, 6)).empty());
  const std::vector<TestCommit> commits = commit_blocks(*store_, 5);
  std::vector<chain::BlockHeader> last3 = ok_value(store_->recent_headers(5, 3));
  ASSERT_EQ(last3.size(), 3u);
  for (size_t i = 0; i < 3; ++i)
    EXPECT_EQ(last3[i], commits[2 + i].block.header);
  EXPECT_EQ(ok_value(store_->recent_headers(5, 6)).size(), 5u);  // the chain is shorter
  EXPECT_EQ(ok_value(store_->recent_headers(4, 2)).back(), commits[3].block.header);
  EXPECT_EQ(store_->recent_headers(7, 3).status().code(), Code::kCorrupt);  // 6, 7 are missing
}

TEST_P(ChainStoreTest, StateScanFeedsApplicationRestore) {
  commit_blocks(*store_, 3);
  State seen;
  Status status = store_->state_scan()([&](ByteView key, ByteView value) {
    seen.emplace(Bytes(key.begin(), key.end()), Bytes(value.begin(), value.end()));
    return Status::ok();
  });
  ASSERT_OK(status);
  EXPECT_EQ(seen, chain_.state());
  // A visitor error stops the scan and comes back.
  status = store_->scan_state([](ByteView, ByteView) { return error(Code::kInternal, "stop"); });
  EXPECT_EQ(status.code(), Code::kInternal);
}

TEST_P(ChainStoreTest, TipFollowsManyCommitsAndEveryBlockStaysReadable) {
  std::vector<TestCommit> commits = commit_blocks(*store_, 60);
  ChainTip tip = *ok_value(store_->tip());
  EXPECT_EQ(tip.height, 60u);
  EXPECT_EQ(tip.hash, commits.back().block.hash());
  EXPECT_EQ(tip.certificate, commits.back().certificate);
  for (const TestCommit& c : commits) {
    EXPECT_EQ(ok_value(store_->block(c.block.height())), c.block);
    EXPECT_EQ(ok_value(store_->certificate(c.block.height())), c.certificate);
    EXPECT_EQ(ok_value(store_->height_of(c.block.hash())), c.block.height());
  }
  EXPECT_EQ(ok_value(test::stored_state(*store_)), chain_.state());
}

TEST_P(ChainStoreTest, TransactionsAreFoundById) {
  std::vector<TestCommit> commits = commit_blocks(*store_, 5);
  for (const TestCommit& c : commits) {
    for (size_t i = 0; i < c.block.transactions.size(); ++i) {
      const chain::Transaction& tx = c.block.transactions[i];
      TxLocation expected{c.block.height(), static_cast<uint32_t>(i), chain::TxOutcome::kSuccess};
      EXPECT_EQ(ok_value(store_->transaction_location(tx.id())), expected);
      auto located = ok_value(store_->transaction(tx.id()));
      ASSERT_TRUE(located.has_value());
      EXPECT_EQ(located->transaction, tx);
      EXPECT_EQ(located->location, expected);
    }
  }
  Hash256 unknown;
  unknown.data[0] = 1;
  EXPECT_EQ(ok_value(store_->transaction(unknown)), std::nullopt);
}

// Every history entry of `address` in `commits`, oldest first.
std::vector<HistoryEntry> expected_history(const std::vector<TestCommit>& commits,
                                           const chain::Address& address) {
  std::vector<HistoryEntry> out;
  for (const TestCommit& c : commits) {
    for (size_t i = 0; i < c.block.transactions.size(); ++i) {
      const chain::Transaction& tx = c.block.transactions[i];
      bool sender = tx.sender_address() == address;
      bool recipient = std::get<chain::Transfer>(tx.payload).to == address;
      if (sender || recipient) {
        out.push_back(HistoryEntry{c.block.height(), static_cast<uint32_t>(i), sender, recipient});
      }
    }
  }
  return out;
}

// Reads the whole history of `address` in pages of `limit`.
std::vector<HistoryEntry> read_in_pages(const ChainStore& store, const chain::Address& address,
                                        ScanOrder order, size_t limit) {
  std::vector<HistoryEntry> out;
  HistoryQuery query{order, limit, std::nullopt};
  for (int page_count = 0; page_count < 1000; ++page_count) {
    HistoryPage page = ok_value(store.history(address, query));
    out.insert(out.end(), page.entries.begin(), page.entries.end());
    EXPECT_LE(page.entries.size(), limit);
    if (!page.more) return out;
    query.after = page.entries.back();
  }
  ADD_FAILURE() << "history paging never ended";
  return out;
}

TEST_P(ChainStoreTest, HistoryListsAnAddressInOrderAndPages) {
  std::vector<TestCommit> commits = commit_blocks(*store_, 40);
  bool saw_both_roles = false;
  for (uint32_t account = 0; account < 8; ++account) {
    chain::Address address = account_address(account);
    std::vector<HistoryEntry> expected = expected_history(commits, address);
    ASSERT_GT(expected.size(), 10u);
    for (const HistoryEntry& entry : expected)
      saw_both_roles |= entry.sender && entry.recipient;
    EXPECT_EQ(read_in_pages(*store_, address, ScanOrder::kAscending, 1000), expected);
    EXPECT_EQ(read_in_pages(*store_, address, ScanOrder::kAscending, 3), expected);
    std::vector<HistoryEntry> newest_first(expected.rbegin(), expected.rend());
    EXPECT_EQ(read_in_pages(*store_, address, ScanOrder::kDescending, 7), newest_first);
  }
  EXPECT_TRUE(saw_both_roles) << "the test chain should include a transfer to oneself";
  HistoryPage page = ok_value(
      store_->history(account_address(0), HistoryQuery{ScanOrder::kAscending, 2, std::nullopt}));
  EXPECT_EQ(page.entries.size(), 2u);
  EXPECT_TRUE(page.more);
}

// Every transaction of `commits` is found by id and in its sender's history, or none is.
void expect_indexed(const ChainStore& store, const std::vector<TestCommit>& commits, bool indexed) {
  for (const TestCommit& c : commits) {
    for (const chain::Transaction& tx : c.block.transactions) {
      EXPECT_EQ(ok_value(store.transaction_location(tx.id())).has_value(), indexed)
          << "height " << c.block.height();
      std::vector<HistoryEntry> history =
          ok_value(store.history(tx.sender_address(), HistoryQuery{})).entries;
      bool listed = std::any_of(history.begin(), history.end(), [&](const HistoryEntry& entry) {
        return entry.height == c.block.height();
      });
      EXPECT_EQ(listed, indexed) << "height " << c.block.height();
    }
  }
}

TEST_P(ChainStoreTest, IndexOffWritesNoEntriesAndTurnedOnCatchesUp) {
  std::vector<TestCommit> first = commit_blocks(*store_, 2);
  EXPECT_EQ(ok_value(store_->indexed_through()), std::nullopt);

  ChainStore off(*kv_, ChainStoreOptions{.index_transactions = false});
  EXPECT_FALSE(off.indexes_transactions());
  EXPECT_EQ(ok_value(off.catch_up_index()), 0u) << "nothing to do with the index off";
  std::vector<TestCommit> unindexed = commit_blocks(off, 3);
  EXPECT_EQ(ok_value(off.indexed_through()), std::optional<uint64_t>(2));
  expect_indexed(off, first, true);  // entries written before stay, and stay right
  expect_indexed(off, unindexed, false);
  EXPECT_EQ(ok_value(off.tip())->height, 5u);

  ChainStore on(*kv_);
  TestCommit sixth = chain_.next();
  EXPECT_EQ(on.commit_block(sixth.block, sixth.certificate, sixth.result, true).code(),
            Code::kFailedPrecondition)
      << "a commit above a gap in the index";
  std::vector<std::pair<uint64_t, uint64_t>> progress;
  EXPECT_EQ(ok_value(on.catch_up_index(
                [&](uint64_t done, uint64_t total) { progress.emplace_back(done, total); })),
            3u);
  EXPECT_EQ(progress, (std::vector<std::pair<uint64_t, uint64_t>>{{1, 3}, {2, 3}, {3, 3}}));
  EXPECT_EQ(ok_value(on.indexed_through()), std::nullopt);
  expect_indexed(on, first, true);
  expect_indexed(on, unindexed, true);
  ASSERT_OK(on.commit_block(sixth.block, sixth.certificate, sixth.result, true));
  expect_indexed(on, {sixth}, true);
  EXPECT_EQ(ok_value(on.catch_up_index()), 0u);
}

TEST_P(ChainStoreTest, IndexMarkerFromAnEmptyStoreAndWhenTurnedOffAgain) {
  ChainStore off(*kv_, ChainStoreOptions{.index_transactions = false});
  std::vector<TestCommit> commits = commit_blocks(off, 2);
  EXPECT_EQ(ok_value(off.indexed_through()), std::optional<uint64_t>(0));
  ChainStore on(*kv_);
  EXPECT_EQ(ok_value(on.catch_up_index()), 2u);
  expect_indexed(on, commits, true);
  // Off again for one commit: the marker is written at 2, and only block 3 is missing.
  ChainStore off_again(*kv_, ChainStoreOptions{.index_transactions = false});
  TestCommit third = commit_blocks(off_again, 1)[0];
  EXPECT_EQ(ok_value(on.indexed_through()), std::optional<uint64_t>(2));
  EXPECT_EQ(ok_value(on.catch_up_index()), 1u);
  expect_indexed(on, {third}, true);
}

TEST_P(ChainStoreTest, RevertWithTheIndexOffRemovesEntriesItFindsAndMovesTheMarker) {
  ChainStore on(*kv_, ChainStoreOptions{.revertible = true});
  std::vector<TestCommit> commits = commit_blocks(on, 3);
  ChainStore off(*kv_, ChainStoreOptions{.revertible = true, .index_transactions = false});
  ASSERT_OK(off.revert_block(3, true));  // committed with the index: its entries go
  EXPECT_EQ(ok_value(off.indexed_through()), std::optional<uint64_t>(2));
  expect_indexed(off, {commits[2]}, false);
  expect_indexed(off, {commits[0], commits[1]}, true);
  // The marker is at the tip: turned on, nothing is missing and the marker goes.
  ChainStore on_at_tip(*kv_, ChainStoreOptions{.revertible = true});
  EXPECT_EQ(ok_value(on_at_tip.catch_up_index()), 0u);
  EXPECT_EQ(ok_value(on_at_tip.indexed_through()), std::nullopt);
  // A new third block (other transactions), committed with the index still off.
  TestChain other(5, 3);
  other.resume(ok_value(test::stored_state(off)), *ok_value(off.tip()));
  TestCommit third = other.next();
  ASSERT_OK(off.commit_block(third.block, third.certificate, third.result, true));
  expect_indexed(off, {third}, false);
  EXPECT_EQ(ok_value(off.indexed_through()), std::optional<uint64_t>(2)) << "written again";
  ChainStore on_again(*kv_, ChainStoreOptions{.revertible = true});
  EXPECT_EQ(ok_value(on_again.catch_up_index()), 1u);
  expect_indexed(on_again, {third}, true);
  EXPECT_EQ(ok_value(on_again.indexed_through()), std::nullopt);
}

TEST_P(ChainStoreTest, HistoryLimitIsBounded) {
  for (size_t limit : {size_t{0}, kHistoryEntriesMax + 1}) {
    auto page = store_->history(account_address(0),
                                HistoryQuery{ScanOrder::kAscending, limit, std::nullopt});
    ASSERT_FALSE(page.is_ok());
    EXPECT_EQ(page.status().code(), Code::kInvalidArgument);
  }
}

TEST_P(ChainStoreTest, RecordsReplaceByKeyAndLoadInKeyOrder) {
  std::vector<EngineRecord> first = {{"view", {1}}, {"lock", {2, 2}}, {"vote/5", {}}};
  ASSERT_OK(store_->put_records(first));
  std::vector<EngineRecord> second = {{"view", {3}}};
  ASSERT_OK(store_->put_records(second, /*sync=*/false));
  std::vector<EngineRecord> expected = {{"lock", {2, 2}}, {"view", {3}}, {"vote/5", {}}};
  EXPECT_EQ(ok_value(store_->load_records()), expected);
  // Records and blocks do not see each other.
  commit_blocks(*store_, 2);
  EXPECT_EQ(ok_value(store_->load_records()), expected);
}

TEST_P(ChainStoreTest, RecordKeysAreBounded) {
  for (std::string key : {std::string(), std::string(kEngineRecordKeyBytesMax + 1, 'k')}) {
    std::vector<EngineRecord> records = {{"fine", {1}}, {key, {1}}};
    Status status = store_->put_records(records);
    EXPECT_EQ(status.code(), Code::kInvalidArgument) << status.to_string();
  }
  EXPECT_TRUE(ok_value(store_->load_records()).empty()) << "a rejected batch wrote nothing";
}

TEST_P(ChainStoreTest, CommitRejectsWhatDoesNotExtendTheTip) {
  commit_blocks(*store_, 2);
  ChainTip tip = *ok_value(store_->tip());
  TestCommit next = chain_.next();
  auto expect_rejected = [&](const TestCommit& c, Code code) {
    Status status = store_->commit_block(c.block, c.certificate, c.result, true);
    EXPECT_EQ(status.code(), code) << status.to_string();
    EXPECT_EQ(ok_value(store_->tip()), tip) << "a rejected commit changed the tip";
    EXPECT_EQ(ok_value(store_->block(3)), std::nullopt);
  };
  TestCommit skipped = next;
  skipped.block.header.height = 4;
  expect_rejected(skipped, Code::kFailedPrecondition);
  TestCommit fork = next;
  fork.block.header.previous_hash.data[0] ^= 1;
  expect_rejected(fork, Code::kFailedPrecondition);
  TestCommit wrong_root = next;
  wrong_root.result.state_root.data[0] ^= 1;
  expect_rejected(wrong_root, Code::kInvalidArgument);
  TestCommit wrong_certificate = next;
  wrong_certificate.certificate.height = 2;
  wrong_certificate.certificate.signatures.resize(1);
  expect_rejected(wrong_certificate, Code::kInvalidArgument);
  TestCommit unordered = next;
  ASSERT_GE(unordered.result.writes.size(), 2u);
  std::swap(unordered.result.writes[0], unordered.result.writes[1]);
  expect_rejected(unordered, Code::kInvalidArgument);
  ASSERT_OK(store_->commit_block(next.block, next.certificate, next.result, true));
  EXPECT_EQ(ok_value(store_->tip())->height, 3u);
}

TEST_P(ChainStoreTest, FinalStoreKeepsNoUndoAndRefusesReverts) {
  commit_blocks(*store_, 2);
  EXPECT_EQ(ok_value(store_->application_undo(2)), std::nullopt);
  EXPECT_EQ(store_->revert_block(2, true).code(), Code::kFailedPrecondition);
  ASSERT_OK(store_->finalize(2, true));
  EXPECT_EQ(store_->finalize(3, true).code(), Code::kFailedPrecondition);
}

TEST_P(ChainStoreTest, RevertRestoresStateIndexesAndTip) {
  ChainStore store(*kv_, ChainStoreOptions{.revertible = true});
  std::vector<TestCommit> commits = commit_blocks(store, 2);
  State state_after_2 = chain_.state();
  ChainTip tip_after_2 = *ok_value(store.tip());
  TestCommit third = commit_blocks(store, 1)[0];
  EXPECT_EQ(ok_value(store.application_undo(3)), third.result.undo);

  EXPECT_EQ(store.revert_block(2, true).code(), Code::kFailedPrecondition) << "not the tip";
  ASSERT_OK(store.revert_block(3, true));
  EXPECT_EQ(ok_value(store.tip()), tip_after_2);
  EXPECT_EQ(ok_value(test::stored_state(store)), state_after_2);
  EXPECT_EQ(ok_value(store.block(3)), std::nullopt);
  EXPECT_EQ(ok_value(store.certificate(3)), std::nullopt);
  EXPECT_EQ(ok_value(store.height_of(third.block.hash())), std::nullopt);
  EXPECT_EQ(ok_value(store.application_undo(3)), std::nullopt);
  for (const chain::Transaction& tx : third.block.transactions) {
    EXPECT_EQ(ok_value(store.transaction_location(tx.id())), std::nullopt);
    chain::Address sender = tx.sender_address();
    EXPECT_EQ(ok_value(store.history(sender, {})).entries, expected_history(commits, sender));
  }
  // Revert everything, then the store takes a new first block.
  ASSERT_OK(store.revert_block(2, false));
  ASSERT_OK(store.revert_block(1, true));
  EXPECT_EQ(ok_value(store.tip()), std::nullopt);
  EXPECT_TRUE(ok_value(test::stored_state(store)).empty());
  TestChain other(5, 3);
  TestCommit first = other.next();
  ASSERT_OK(store.commit_block(first.block, first.certificate, first.result, true));
  EXPECT_EQ(ok_value(store.block(1)), first.block);
}

TEST_P(ChainStoreTest, FinalizeDropsUndoAndStopsReverts) {
  ChainStore store(*kv_, ChainStoreOptions{.revertible = true});
  commit_blocks(store, 4);
  ASSERT_OK(store.finalize(3, true));
  EXPECT_EQ(ok_value(store.application_undo(3)), std::nullopt);
  EXPECT_TRUE(ok_value(store.application_undo(4)).has_value());
  ASSERT_OK(store.revert_block(4, true));
  Status status = store.revert_block(3, true);
  EXPECT_EQ(status.code(), Code::kFailedPrecondition) << status.to_string();
  EXPECT_EQ(ok_value(store.tip())->height, 3u);
  ASSERT_OK(store.finalize(1, false));  // below what is already final: nothing to do
}

TEST_P(ChainStoreTest, CorruptStoredBytesAreErrorsNotCrashes) {
  TestCommit c = commit_blocks(*store_, 2)[1];
  auto expect_corrupt = [](const Status& status) {
    EXPECT_EQ(status.code(), Code::kCorrupt) << status.to_string();
  };
  Bytes garbage = {0xde, 0xad};
  ASSERT_OK(kv_->put(key_with_number("b/", 2), garbage, false));
  expect_corrupt(store_->block(2).status());
  expect_corrupt(store_->header(2).status());
  expect_corrupt(store_->block_by_hash(c.block.hash()).status());
  expect_corrupt(store_->transaction(c.block.transactions[0].id()).status());
  // A block stored under another height's key.
  ASSERT_OK(kv_->put(key_with_number("b/", 2), encode(*ok_value(store_->block(1))), false));
  expect_corrupt(store_->block(2).status());
  ASSERT_OK(kv_->put(key_with_number("c/", 2), garbage, false));
  expect_corrupt(store_->certificate(2).status());
  ASSERT_OK(kv_->put(raw_key("x/", c.block.transactions[0].id().view()), garbage, false));
  expect_corrupt(store_->transaction_location(c.block.transactions[0].id()).status());
  ASSERT_OK(kv_->put(raw_key("h/", c.block.hash().view()), garbage, false));
  expect_corrupt(store_->height_of(c.block.hash()).status());
  chain::Address sender = c.block.transactions[0].sender_address();
  Bytes history_key = raw_key("a/", sender.bytes.view());
  ASSERT_OK(kv_->put(history_key, Bytes{1}, false));  // too short to hold a height and position
  expect_corrupt(store_->history(sender, {}).status());
  ASSERT_OK(kv_->put(bytes_of("m/tip"), garbage, false));
  expect_corrupt(store_->tip().status());
  TestCommit next = chain_.next();
  expect_corrupt(store_->commit_block(next.block, next.certificate, next.result, true));
}

TEST_P(ChainStoreTest, CorruptUndoIsAnError) {
  ChainStore store(*kv_, ChainStoreOptions{.revertible = true});
  commit_blocks(store, 2);
  ASSERT_OK(kv_->put(key_with_number("u/", 2), Bytes{0x05, 0, 0, 0, 1}, false));
  EXPECT_EQ(store.application_undo(2).status().code(), Code::kCorrupt);
  Status status = store.revert_block(2, true);
  EXPECT_EQ(status.code(), Code::kCorrupt) << status.to_string();
  EXPECT_EQ(ok_value(store.tip())->height, 2u);
}

INSTANTIATE_TEST_SUITE_P(
    AllStores, ChainStoreTest,
    ::testing::Values(StoreKind{"Mem",
                                [](const TempDir&) { return std::make_unique<MemKvStore>(); }},
                      StoreKind{"Rocks",
                                [](const TempDir& dir) -> std::unique_ptr<KvStore> {
                                  auto store = RocksKvStore::open(dir.child("db"));
                                  SYNOD_ASSERT(store.is_ok());
                                  return std::move(store).value();
                                }}),
    [](const ::testing::TestParamInfo<StoreKind>& info) { return info.param.name; });

// ---- atomicity across a simulated crash (MemKvStore) ----

// True when nothing of `c` is in `store`: no block, certificate, hash or transaction index entry,
// or history entry.
void expect_absent(const ChainStore& store, const TestCommit& c) {
  uint64_t height = c.block.height();
  EXPECT_EQ(ok_value(store.block(height)), std::nullopt);
  EXPECT_EQ(ok_value(store.certificate(height)), std::nullopt);
  EXPECT_EQ(ok_value(store.height_of(c.block.hash())), std::nullopt);
  for (const chain::Transaction& tx : c.block.transactions) {
    EXPECT_EQ(ok_value(store.transaction_location(tx.id())), std::nullopt);
    for (const HistoryEntry& entry : ok_value(store.history(tx.sender_address(), {})).entries)
      EXPECT_NE(entry.height, height);
  }
}

void expect_whole(const ChainStore& store, const TestCommit& c) {
  uint64_t height = c.block.height();
  EXPECT_EQ(ok_value(store.block(height)), c.block);
  EXPECT_EQ(ok_value(store.certificate(height)), c.certificate);
  EXPECT_EQ(ok_value(store.height_of(c.block.hash())), height);
  for (const chain::Transaction& tx : c.block.transactions) {
    EXPECT_EQ(ok_value(store.transaction_location(tx.id())).value_or(TxLocation{}).height, height);
  }
}

TEST(ChainStoreCrash, UnsyncedCommitIsLostWhole) {
  MemKvStore kv;
  TestChain chain;
  std::vector<EngineRecord> records = {{"vote", {1}}};
  TestCommit first = chain.next();
  State state_after_first = chain.state();
  TestCommit second = chain.next();
  {
    ChainStore store(kv, ChainStoreOptions{.revertible = true});
    ASSERT_OK(store.commit_block(first.block, first.certificate, first.result, /*sync=*/true));
    ASSERT_OK(store.commit_block(second.block, second.certificate, second.result, false));
    ASSERT_OK(store.put_records(records, /*sync=*/false));
    expect_whole(store, second);
  }
  kv.simulate_crash();
  ChainStore store(kv, ChainStoreOptions{.revertible = true});
  EXPECT_EQ(ok_value(store.tip())->hash, first.block.hash());
  expect_whole(store, first);
  expect_absent(store, second);
  EXPECT_EQ(ok_value(test::stored_state(store)), state_after_first);
  EXPECT_EQ(ok_value(store.application_undo(2)), std::nullopt);
  EXPECT_TRUE(ok_value(store.load_records()).empty());
  // The node then commits the block again, as it would after fetching it from a peer.
  ASSERT_OK(store.commit_block(second.block, second.certificate, second.result, true));
  expect_whole(store, second);
}

TEST(ChainStoreCrash, CrashKeepsEachCommitWholeOrNotAtAll) {
  MemKvStore kv;
  TestChain chain;
  std::vector<TestCommit> commits;
  std::vector<State> states;
  {
    ChainStore store(kv);
    for (int i = 0; i < 4; ++i) {
      commits.push_back(chain.next());
      states.push_back(chain.state());
      const TestCommit& c = commits.back();
      ASSERT_OK(store.commit_block(c.block, c.certificate, c.result, /*sync=*/i == 0));
    }
  }
  ASSERT_EQ(kv.unsynced_write_count(), 3u);
  kv.simulate_crash_keeping(2);  // blocks 2 and 3 reached the disk, block 4 did not
  ChainStore store(kv);
  EXPECT_EQ(ok_value(store.tip())->height, 3u);
  for (int i = 0; i < 3; ++i)
    expect_whole(store, commits[i]);
  expect_absent(store, commits[3]);
  EXPECT_EQ(ok_value(test::stored_state(store)), states[2]);
}

TEST(ChainStoreCrash, SyncedRecordsSurvive) {
  MemKvStore kv;
  std::vector<EngineRecord> records = {{"term", {7}}};
  ASSERT_OK(ChainStore(kv).put_records(records));
  kv.simulate_crash();
  EXPECT_EQ(ok_value(ChainStore(kv).load_records()), records);
}

}  // namespace
}  // namespace synod::storage

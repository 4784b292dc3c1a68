// The real crash test of ChainStore on RocksDB. A writer process (this binary, re-executed; see
// test_process.h) commits blocks of the toy chain (chain_test_support.h) with sync=true, resuming
// from whatever the folder holds, and finalizes each block six deep as proof of work would. The
// parent SIGKILLs it at a random moment, reopens the folder and checks that
//   - no acknowledged (synced) block was lost, and at most the one in flight was added;
//   - the tip block is whole: it decodes, its hash, certificate, hash index, transaction index and
//     history entries are present, and every earlier block links to the one before it;
//   - the stored state is exactly the state the tip's header commits to (its digest equals the
//     header's state_root), and undo is present for every height not yet finalized;
//   - on every other run, reverting the tip restores the state its parent's header commits to.
// Set SYNOD_STORAGE_CRASH_SEED to replay a run's kill moments.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "storage/chain_store.h"
#include "storage/chain_test_support.h"
#include "storage/rocks_kv.h"
#include "storage/test_process.h"
#include "storage/test_support.h"

namespace synod::storage {
namespace {

using test::ChildWriter;
using test::State;
using test::TempDir;
using test::TestChain;

constexpr char kWriterFolderEnv[] = "SYNOD_CHAIN_STORE_CRASH_WRITER_FOLDER";
constexpr char kWriterAckFdEnv[] = "SYNOD_CHAIN_STORE_CRASH_WRITER_ACK_FD";
constexpr uint32_t kAccountCount = 24;
constexpr size_t kTransactionsPerBlock = 6;
constexpr uint64_t kConfirmations = 6;           // the writer finalizes height h - 6 after h
constexpr uint64_t kWriterBlocksMax = 100'000;   // the writer stops by itself after this many
constexpr size_t kWriteBufferBytes = 64 * 1024;  // small, so table flushes happen during the run

RocksKvOptions rocks_options() {
  RocksKvOptions options;
  options.write_buffer_bytes = kWriteBufferBytes;
  return options;
}

Status fail(std::string message) {
  return error(Code::kCorrupt, std::move(message));
}

// Checks that the stored state is what the header at `height` commits to (empty at height 0).
Status check_state_matches(const ChainStore& store, uint64_t height) {
  SYNOD_ASSIGN_OR_RETURN(State state, test::stored_state(store));
  if (height == 0) return state.empty() ? Status::ok() : fail("state without blocks");
  SYNOD_ASSIGN_OR_RETURN(std::optional<chain::BlockHeader> header, store.header(height));
  if (!header) return fail("no header at " + std::to_string(height));
  if (test::state_digest(state) != header->state_root) {
    return fail("stored state differs from the state root at " + std::to_string(height));
  }
  return Status::ok();
}

Status check_tip_block_whole(const ChainStore& store, const ChainTip& tip) {
  SYNOD_ASSIGN_OR_RETURN(std::optional<chain::Block> block, store.block(tip.height));
  if (!block || block->hash() != tip.hash) return fail("the tip block is missing or differs");
  SYNOD_ASSIGN_OR_RETURN(std::optional<chain::Block> by_hash, store.block_by_hash(tip.hash));
  if (!by_hash || *by_hash != *block) return fail("the hash index misses the tip");
  SYNOD_ASSIGN_OR_RETURN(std::optional<chain::Certificate> certificate,
                         store.certificate(tip.height));
  if (!certificate || *certificate != tip.certificate) return fail("the certificate differs");
  for (size_t i = 0; i < block->transactions.size(); ++i) {
    const chain::Transaction& tx = block->transactions[i];
    TxLocation expected{tip.height, static_cast<uint32_t>(i), chain::TxOutcome::kSuccess};
    SYNOD_ASSIGN_OR_RETURN(std::optional<TxLocation> location, store.transaction_location(tx.id()));
    if (location != expected)
      return fail("transaction index entry missing at " + std::to_string(i));
    HistoryQuery newest{ScanOrder::kDescending, 2 * kTransactionsPerBlock, std::nullopt};
    SYNOD_ASSIGN_OR_RETURN(HistoryPage page, store.history(tx.sender_address(), newest));
    bool found = false;
    for (const HistoryEntry& entry : page.entries)
      found |= entry.height == tip.height && entry.position == i && entry.sender;
    if (!found) return fail("history entry missing at " + std::to_string(i));
  }
  return Status::ok();
}

// Every block links to its parent, and undo is kept for the heights not yet final. The writer
// finalizes h - 6 after committing h (and on resuming), so heights below tip - 6 are final; the
// highest height ever committed may be the tip + 1 (after a revert), so heights above tip - 5
// still have undo.
Status check_chain_and_undo(const ChainStore& store, uint64_t tip_height) {
  Hash256 parent_hash;
  for (uint64_t height = 1; height <= tip_height; ++height) {
    SYNOD_ASSIGN_OR_RETURN(std::optional<chain::BlockHeader> header, store.header(height));
    if (!header) return fail("block missing at " + std::to_string(height));
    if (height > 1 && header->previous_hash != parent_hash) {
      return fail("chain broken at " + std::to_string(height));
    }
    parent_hash = header->hash();
    SYNOD_ASSIGN_OR_RETURN(std::optional<Bytes> undo, store.application_undo(height));
    if (height + kConfirmations > tip_height + 1 && !undo) {
      return fail("undo missing at " + std::to_string(height));
    }
    if (height + kConfirmations < tip_height && undo) {
      return fail("undo kept at final height " + std::to_string(height));
    }
  }
  return Status::ok();
}

// The height of the whole tip (0 for none), or an error naming what is torn.
Result<uint64_t> check_store(const ChainStore& store) {
  SYNOD_ASSIGN_OR_RETURN(std::optional<ChainTip> tip, store.tip());
  uint64_t height = tip ? tip->height : 0;
  if (tip) SYNOD_TRY(check_tip_block_whole(store, *tip));
  SYNOD_TRY(check_state_matches(store, height));
  SYNOD_TRY(check_chain_and_undo(store, height));
  return height;
}

// The writer: resumes the toy chain from the store and commits until killed. Returns an exit code.
int run_chain_writer(const std::string& folder, int ack_fd) {
  auto kv = RocksKvStore::open(folder, rocks_options());
  if (!kv.is_ok()) {
    std::fprintf(stderr, "chain writer: %s\n", kv.status().to_string().c_str());
    return 2;
  }
  ChainStore store(**kv, ChainStoreOptions{.revertible = true});
  TestChain chain(kAccountCount, kTransactionsPerBlock);
  auto tip = store.tip();
  auto state = test::stored_state(store);
  if (!tip.is_ok() || !state.is_ok()) return 3;
  if (tip->has_value()) {
    if (!check_state_matches(store, (*tip)->height).is_ok()) return 4;
    chain.resume(std::move(state).value(), **tip);
    if ((*tip)->height > kConfirmations &&
        !store.finalize((*tip)->height - kConfirmations, /*sync=*/false).is_ok()) {
      return 5;
    }
  }
  for (uint64_t count = 0; count < kWriterBlocksMax; ++count) {
    test::TestCommit c = chain.next();
    Status status = store.commit_block(c.block, c.certificate, c.result, /*sync=*/true);
    uint64_t height = c.block.height();
    if (status.is_ok() && height > kConfirmations) {
      status = store.finalize(height - kConfirmations, /*sync=*/false);
    }
    if (!status.is_ok()) {
      std::fprintf(stderr, "chain writer: %s\n", status.to_string().c_str());
      return 5;
    }
    if (!ChildWriter::acknowledge(ack_fd, height)) return 6;
  }
  return 0;
}

// Runs before main() when this binary was started as the writer, and never returns then.
[[maybe_unused]] const bool kStartedAsChainWriter = [] {
  const char* folder = std::getenv(kWriterFolderEnv);
  const char* ack_fd = std::getenv(kWriterAckFdEnv);
  if (folder == nullptr || ack_fd == nullptr) return false;
  std::_Exit(run_chain_writer(folder, std::atoi(ack_fd)));
}();

uint32_t crash_seed() {
  if (const char* text = std::getenv("SYNOD_STORAGE_CRASH_SEED"))
    return static_cast<uint32_t>(std::atoll(text));
  return std::random_device()();
}

// Reverts the tip and checks that the state is its parent's. Returns the new tip height.
Result<uint64_t> revert_tip(const std::string& folder, uint64_t height) {
  SYNOD_ASSIGN_OR_RETURN(auto kv, RocksKvStore::open(folder, rocks_options()));
  ChainStore store(*kv, ChainStoreOptions{.revertible = true});
  SYNOD_TRY(store.revert_block(height, /*sync=*/true));
  SYNOD_ASSIGN_OR_RETURN(uint64_t after, check_store(store));
  if (after != height - 1) return fail("revert left the tip at " + std::to_string(after));
  return after;
}

TEST(ChainStoreCrash, KilledWriterLeavesWholeBlocksAndMatchingState) {
  constexpr int kRuns = 6;
  uint32_t seed = crash_seed();
  SCOPED_TRACE("SYNOD_STORAGE_CRASH_SEED=" + std::to_string(seed));
  std::mt19937 random(seed);
  TempDir dir;
  const std::string folder = dir.child("db");
  uint64_t recovered = 0;  // the tip found (and perhaps reverted to) after the previous run
  for (int run = 0; run < kRuns; ++run) {
    SCOPED_TRACE("run " + std::to_string(run));
    // Every third run is killed at any moment after the start, perhaps while RocksDB is still
    // opening and recovering; the others once the writer is committing.
    bool kill_anytime = run % 3 == 2;
    std::uniform_int_distribution<int> delay_ms(0, kill_anytime ? 150 : 250);
    ChildWriter writer({{kWriterFolderEnv, folder}}, kWriterAckFdEnv);
    bool alive = true;
    if (!kill_anytime) {
      alive = writer.read_acks(ChildWriter::Clock::now() + std::chrono::seconds(20),
                               /*until_first_ack=*/true);
    }
    if (alive) {
      alive =
          writer.read_acks(ChildWriter::Clock::now() + std::chrono::milliseconds(delay_ms(random)));
    }
    int wait_status = writer.kill_and_wait();
    ASSERT_TRUE(alive && WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGKILL)
        << "the writer exited by itself with wait status " << wait_status;
    ASSERT_TRUE(kill_anytime || writer.acked_any()) << "the writer never acknowledged a block";

    uint64_t tip_height = 0;
    {
      auto kv = RocksKvStore::open(folder, rocks_options());
      ASSERT_TRUE(kv.is_ok()) << kv.status().to_string();
      ChainStore store(**kv, ChainStoreOptions{.revertible = true});
      auto checked = check_store(store);
      ASSERT_TRUE(checked.is_ok()) << checked.status().to_string();
      tip_height = *checked;
    }
    uint64_t acked = writer.acked_any() ? writer.acked_last() : recovered;
    EXPECT_GE(tip_height, acked) << "an acknowledged (synced) block was lost";
    EXPECT_LE(tip_height, acked + 1) << "more than the one block in flight appeared";
    recovered = tip_height;
    if (run % 2 == 1 && tip_height >= 2) {
      auto reverted = revert_tip(folder, tip_height);
      ASSERT_TRUE(reverted.is_ok()) << reverted.status().to_string();
      recovered = *reverted;
    }
  }
  EXPECT_GT(recovered, 0u);
}

}  // namespace
}  // namespace synod::storage

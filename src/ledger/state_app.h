// StateApp: the block machinery that the ledger and the kvstore share, behind
// chain::Application. A subclass supplies the transaction rules (check_stateless, execute,
// check_transaction); StateApp runs blocks on an Overlay, keeps the state root, caches executed
// blocks, produces writes and undo data, reverts and restores. See ledger/state.h for how a
// block's ChangeSet is staged in the tree and committed.
//
// Executed-block cache: prepare_block and validate_block keep what they computed (the ChangeSet
// and the root) for the last kExecutedBlocksMax blocks, keyed by block hash and the state they ran
// on, so apply_block of the same block commits without running it again. An entry matches only a
// block with the same header hash and the same transactions (compared, not re-hashed: a header
// with another body must not borrow an earlier verdict).
//
// Checks: validate_block checks the header (height, chain id), the body (transaction count limit,
// Block::check_body), runs every transaction and compares the state root; then, unless the caller
// says they are checked, verifies each signature in block order. apply_block of a block it has not
// executed does the same except signatures (the block was validated or is final), so a damaged
// body or a wrong root is still refused. prepare_block trusts its candidates' signatures (the
// mempool verified them) and skips candidates that fail.
//
// Validator sets: the genesis set votes from height 1. The schedule is a map from the first height
// a set votes on; a block at height h that changes the set would add an entry at h + 2
// (DESIGN.md), and reverting it removes that entry. No transaction changes the set yet.
//
// Restore: the node's store holds what blocks wrote (ApplyResult::writes), not the genesis
// state, so restore starts from genesis and applies the stored entries on top. This is exact
// because no block deletes an entry that genesis created: genesis holds only non-zero accounts
// (and no kv entries), and a non-zero account never becomes zero (a balance drains only by
// spending, which raises the nonce).
//
// Single-threaded, as chain::Application says.
#pragma once

#include <deque>
#include <map>
#include <memory>

#include "chain/application.h"
#include "chain/genesis.h"
#include "ledger/state.h"

namespace synod::ledger {

// What a transaction may read about the block it is in.
struct BlockContext {
  uint64_t height = 0;
  chain::Address proposer;  // receives the fees
};

class StateApp : public chain::Application {
 public:
  static constexpr size_t kExecutedBlocksMax = 4;

  uint64_t height() const override { return state_.height(); }
  Hash256 state_root() const override { return state_.root(); }
  uint64_t next_nonce(const chain::Address& sender) const override;
  Result<chain::Block> prepare_block(chain::BlockHeader header,
                                     std::span<const chain::Transaction> candidates,
                                     size_t transactions_max) override;
  Status validate_block(const chain::Block& block, bool signatures_checked) override;
  Result<chain::ApplyResult> apply_block(const chain::Block& block) override;
  Status revert_block(const chain::Block& block, ByteView undo) override;
  void finalize(uint64_t height) override;
  chain::ValidatorSet validator_set(uint64_t height) const override;
  Status restore(uint64_t height, const Hash256& expected_state_root,
                 const StateScan& scan) override;

  const chain::Genesis& genesis() const { return genesis_; }
  uint64_t finalized_height() const { return finalized_height_; }
  // The sum of all balances; O(accounts). Equals genesis().total_supply() after every block.
  uint64_t total_supply() const { return state_.balance_sum(); }

 protected:
  // Asserts that genesis passed Genesis::validate.
  explicit StateApp(chain::Genesis genesis);

  // The application's stateless rules for one transaction: chain id, payload type, sizes, fees.
  virtual Status check_stateless(const chain::Transaction& tx) const = 0;
  // Runs a transaction that passed check_stateless on `overlay`. On error the overlay is unchanged
  // and the Status says why.
  virtual Status execute(const chain::Transaction& tx, const BlockContext& context,
                         Overlay& overlay) const = 0;
  // Whether blocks must carry valid signatures (false for the kvstore's unsigned writes).
  virtual bool requires_signatures() const = 0;
  // Whether the state may hold kv entries (restore and undo reject them otherwise).
  virtual bool stores_kv() const = 0;

  const State& state() const { return state_; }
  State& state() { return state_; }

 private:
  struct ExecutedBlock {
    Hash256 block_hash;
    uint64_t height = 0;
    Hash256 state_root_before;
    Hash256 state_root_after;
    bool signatures_verified = false;
    std::vector<chain::Transaction> transactions;
    ChangeSet changes;
  };
  using ExecutedPtr = std::shared_ptr<ExecutedBlock>;

  Status check_header(const chain::BlockHeader& header) const;
  Status run_transaction(const chain::Transaction& tx, const BlockContext& context,
                         Overlay& overlay) const;
  // Checks the header and body, runs every transaction, stages the result and checks the root.
  Result<ExecutedPtr> execute_block(const chain::Block& block);
  // Verifies every signature in order; kUnauthenticated names the first bad one.
  Status verify_signatures(const chain::Block& block) const;
  // Stages the block's changes; the staged root must be the one it was executed to.
  void stage(const ExecutedPtr& executed);
  ExecutedPtr find_executed(const chain::Block& block) const;
  void remember(ExecutedPtr executed);

  chain::Genesis genesis_;
  State state_;
  uint64_t finalized_height_ = 0;
  std::map<uint64_t, chain::ValidatorSet> validator_sets_;  // by first height voted on
  std::deque<ExecutedPtr> executed_;  // oldest first, at most kExecutedBlocksMax
};

}  // namespace synod::ledger

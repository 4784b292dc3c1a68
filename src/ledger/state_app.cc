#include "ledger/state_app.h"

#include <algorithm>

#include "ledger/undo.h"

namespace synod::ledger {

StateApp::StateApp(chain::Genesis genesis)
    : genesis_(std::move(genesis)), state_(genesis_.accounts) {
  SYNOD_ASSERT(genesis_.validate().is_ok());
  validator_sets_.emplace(1, genesis_.validators);
}

uint64_t StateApp::next_nonce(const chain::Address& sender) const {
  return state_.account_or_zero(sender).nonce;
}

Status StateApp::check_header(const chain::BlockHeader& header) const {
  if (header.height != state_.height() + 1) {
    return error(Code::kFailedPrecondition, "block at height " + std::to_string(header.height) +
                                                " cannot follow height " +
                                                std::to_string(state_.height()));
  }
  if (header.chain_id != genesis_.chain_id) {
    return error(Code::kInvalidArgument, "block is for chain '" + header.chain_id + "', this is '" +
                                             genesis_.chain_id + "'");
  }
  return Status::ok();
}

Status StateApp::run_transaction(const chain::Transaction& tx, const BlockContext& context,
                                 Overlay& overlay) const {
  SYNOD_TRY(check_stateless(tx));
  return execute(tx, context, overlay);
}

Result<chain::Block> StateApp::prepare_block(chain::BlockHeader header,
                                             std::span<const chain::Transaction> candidates,
                                             size_t transactions_max) {
  SYNOD_TRY(check_header(header));
  size_t count_max = std::min({transactions_max, size_t{genesis_.consensus.block_transactions_max},
                               chain::kBlockTransactionsMax});
  chain::Block block;
  block.header = std::move(header);
  // The header's size does not depend on the fields filled below; 4 bytes for the list size.
  size_t block_bytes = encode(block.header).size() + 4;
  BlockContext context{block.header.height, chain::Address::from_public_key(block.header.proposer)};
  Overlay overlay(state_);
  overlay.reserve_accounts(2 * std::min(count_max, candidates.size()) + 1);
  for (const chain::Transaction& tx : candidates) {
    if (block.transactions.size() == count_max) break;
    size_t tx_bytes = encode(tx).size();
    if (block_bytes + tx_bytes > chain::kBlockBytesMax) continue;
    if (!run_transaction(tx, context, overlay).is_ok()) continue;
    block_bytes += tx_bytes;
    block.transactions.push_back(tx);
  }
  auto executed = std::make_shared<ExecutedBlock>();
  executed->changes = std::move(overlay).finish();
  executed->height = block.header.height;
  executed->state_root_before = state_.root();
  executed->state_root_after =
      state_.stage(std::shared_ptr<const ChangeSet>(executed, &executed->changes));
  block.header.transaction_count = static_cast<uint32_t>(block.transactions.size());
  block.header.transactions_root = block.compute_transactions_root();
  block.header.state_root = executed->state_root_after;
  executed->block_hash = block.hash();
  executed->transactions = block.transactions;
  remember(executed);
  return block;
}

Result<StateApp::ExecutedPtr> StateApp::execute_block(const chain::Block& block) {
  SYNOD_TRY(check_header(block.header));
  size_t count_max = genesis_.consensus.block_transactions_max;
  if (block.transactions.size() > count_max) {
    return error(Code::kInvalidArgument,
                 "block holds " + std::to_string(block.transactions.size()) +
                     " transactions, over the limit of " + std::to_string(count_max));
  }
  SYNOD_TRY(block.check_body());
  BlockContext context{block.header.height, chain::Address::from_public_key(block.header.proposer)};
  Overlay overlay(state_);
  overlay.reserve_accounts(2 * block.transactions.size() + 1);
  for (size_t i = 0; i < block.transactions.size(); ++i) {
    const chain::Transaction& tx = block.transactions[i];
    Status status = run_transaction(tx, context, overlay);
    if (!status.is_ok()) {
      return status.with_context("transaction " + std::to_string(i) + " (" + tx.id().hex() + ")");
    }
  }
  auto executed = std::make_shared<ExecutedBlock>();
  executed->block_hash = block.hash();
  executed->height = block.header.height;
  executed->changes = std::move(overlay).finish();
  executed->state_root_before = state_.root();
  executed->state_root_after =
      state_.stage(std::shared_ptr<const ChangeSet>(executed, &executed->changes));
  if (executed->state_root_after != block.header.state_root) {
    state_.unstage();
    return error(Code::kCorrupt, "state root " + block.header.state_root.hex() +
                                     " in the header, the transactions give " +
                                     executed->state_root_after.hex());
  }
  return executed;
}

Status StateApp::verify_signatures(const chain::Block& block) const {
  for (size_t i = 0; i < block.transactions.size(); ++i) {
    const chain::Transaction& tx = block.transactions[i];
    if (!tx.verify_signature()) {
      return error(Code::kUnauthenticated, "transaction " + std::to_string(i) + " (" +
                                               tx.id().hex() + "): invalid signature");
    }
  }
  return Status::ok();
}

Status StateApp::validate_block(const chain::Block& block, bool signatures_checked) {
  ExecutedPtr executed = find_executed(block);
  if (executed == nullptr) {
    SYNOD_ASSIGN_OR_RETURN(executed, execute_block(block));
    executed->transactions = block.transactions;
    remember(executed);
  }
  if (!signatures_checked && requires_signatures() && !executed->signatures_verified) {
    SYNOD_TRY(verify_signatures(block));
    executed->signatures_verified = true;
  }
  return Status::ok();
}

void StateApp::stage(const ExecutedPtr& executed) {
  Hash256 root = state_.stage(std::shared_ptr<const ChangeSet>(executed, &executed->changes));
  SYNOD_ASSERT(root == executed->state_root_after);
}

Result<chain::ApplyResult> StateApp::apply_block(const chain::Block& block) {
  ExecutedPtr executed = find_executed(block);
  if (executed == nullptr) {
    SYNOD_ASSIGN_OR_RETURN(executed, execute_block(block));
  }
  stage(executed);
  chain::ApplyResult result;
  result.state_root = executed->state_root_after;
  result.writes = writes_after(executed->changes);
  result.undo = encode_undo(block.height(), state_.root(), executed->changes);
  state_.commit_staged(block.height());
  SYNOD_ASSERT(state_.root() == result.state_root);
  // Entries that ran on an earlier state can no longer match.
  std::erase_if(executed_, [&](const ExecutedPtr& entry) { return entry->height <= height(); });
  return result;
}

Status StateApp::revert_block(const chain::Block& block, ByteView undo_bytes) {
  uint64_t block_height = block.height();
  if (state_.height() == 0 || block_height != state_.height()) {
    return error(Code::kFailedPrecondition, "cannot revert height " + std::to_string(block_height) +
                                                " at height " + std::to_string(state_.height()));
  }
  if (block_height <= finalized_height_) {
    return error(Code::kFailedPrecondition,
                 "block at height " + std::to_string(block_height) + " is final");
  }
  if (block.header.state_root != state_.root()) {
    return error(Code::kFailedPrecondition, "block is not the last applied one");
  }
  SYNOD_ASSIGN_OR_RETURN(Undo undo, decode<Undo>(undo_bytes));
  if (undo.height != block_height) {
    return error(Code::kCorrupt, "undo data is for height " + std::to_string(undo.height));
  }
  SYNOD_ASSIGN_OR_RETURN(ChangeSet changes, state_.changes_for(undo.writes, stores_kv()));
  Hash256 root = state_.stage(std::make_shared<const ChangeSet>(std::move(changes)));
  if (root != undo.state_root_before) {
    state_.unstage();
    return error(Code::kCorrupt, "undo data does not give back the previous state root");
  }
  state_.commit_staged(block_height - 1);
  validator_sets_.erase(block_height + 2);  // a set this block scheduled, if any
  return Status::ok();
}

void StateApp::finalize(uint64_t height) {
  finalized_height_ = std::max(finalized_height_, std::min(height, state_.height()));
}

chain::ValidatorSet StateApp::validator_set(uint64_t height) const {
  auto it = validator_sets_.upper_bound(height);
  if (it != validator_sets_.begin()) --it;  // height 0 gets the genesis set too
  return it->second;
}

Status StateApp::restore(uint64_t height, const Hash256& expected_state_root,
                         const StateScan& scan) {
  State restored(genesis_.accounts);
  Bytes previous_key;
  size_t count = 0;
  Status status = scan([&](ByteView key, ByteView value) -> Status {
    if (count > 0 && !bytes_less(previous_key, key)) {
      return error(Code::kCorrupt, "stored state keys out of order at " + to_hex(key));
    }
    if (!stores_kv() && !key.empty() && key[0] == static_cast<uint8_t>(StateKind::kKv)) {
      return error(Code::kCorrupt, "a kv entry in the ledger's state: " + to_hex(key));
    }
    previous_key.assign(key.begin(), key.end());
    ++count;
    return restored.restore_entry(key, value);
  });
  if (!status.is_ok()) return status.with_context("restore");
  restored.finish_restore(height);
  if (restored.root() != expected_state_root) {
    return error(Code::kCorrupt, "restored state root " + restored.root().hex() +
                                     " is not the expected " + expected_state_root.hex());
  }
  state_ = std::move(restored);
  executed_.clear();
  finalized_height_ = std::min(finalized_height_, height);
  return Status::ok();
}

StateApp::ExecutedPtr StateApp::find_executed(const chain::Block& block) const {
  Hash256 block_hash = block.hash();
  for (const ExecutedPtr& entry : executed_) {
    if (entry->block_hash == block_hash && entry->height == state_.height() + 1 &&
        entry->state_root_before == state_.root() && entry->transactions == block.transactions) {
      return entry;
    }
  }
  return nullptr;
}

void StateApp::remember(ExecutedPtr executed) {
  if (executed_.size() == kExecutedBlocksMax) executed_.pop_front();
  executed_.push_back(std::move(executed));
}

}  // namespace synod::ledger

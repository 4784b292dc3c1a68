// FakeApplication: a test double of chain::Application for the mempool's tests and benchmarks,
// so they depend only on the interface and not on the ledger. Accounts are a map of balance and
// nonce; check_transaction applies the rules the mempool relies on (nonce window, minimum fee,
// balance for amount plus fee); commit() applies transfers the way a ledger would. Block
// building, validation and restore are not part of the double and fail with kInternal.
//
// Header-only and never linked into the node. Not thread-safe (like any Application).
#pragma once

#include <map>

#include "chain/application.h"

namespace synod::mempool {

class FakeApplication final : public chain::Application {
 public:
  struct Account {
    uint64_t balance = 0;
    uint64_t nonce = 0;
  };

  std::map<chain::Address, Account> accounts;
  uint64_t fee_min = 1;

  void fund(const crypto::PublicKey& key, uint64_t balance) {
    accounts[chain::Address::from_public_key(key)].balance = balance;
  }
  Account& account(const crypto::PublicKey& key) {
    return accounts[chain::Address::from_public_key(key)];
  }

  // Applies the block's transfers in order (every one must pass check_transaction with no gap).
  void commit(const chain::Block& block) {
    for (const chain::Transaction& tx : block.transactions) {
      SYNOD_ASSERT(check_transaction(tx, 0).is_ok());
      Account& from = accounts[tx.sender_address()];
      const auto* transfer = std::get_if<chain::Transfer>(&tx.payload);
      const uint64_t amount = transfer != nullptr ? transfer->amount : 0;
      from.balance -= tx.fee + amount;
      from.nonce += 1;
      if (transfer != nullptr) accounts[transfer->to].balance += amount;
    }
    height_ += 1;
  }

  uint64_t height() const override { return height_; }
  Hash256 state_root() const override { return Hash256{}; }

  uint64_t next_nonce(const chain::Address& sender) const override {
    auto it = accounts.find(sender);
    return it == accounts.end() ? 0 : it->second.nonce;
  }

  Status check_transaction(const chain::Transaction& tx, uint64_t nonce_gap_max) const override {
    const uint64_t nonce_next = next_nonce(tx.sender_address());
    if (tx.nonce < nonce_next || tx.nonce - nonce_next > nonce_gap_max) {
      return error(Code::kFailedPrecondition, "fake: nonce out of window");
    }
    if (tx.fee < fee_min) return error(Code::kFailedPrecondition, "fake: fee below minimum");
    const auto* transfer = std::get_if<chain::Transfer>(&tx.payload);
    uint64_t cost = tx.fee;
    if (transfer != nullptr && __builtin_add_overflow(cost, transfer->amount, &cost)) {
      return error(Code::kOverflow, "fake: amount plus fee overflows");
    }
    auto it = accounts.find(tx.sender_address());
    const uint64_t balance = it == accounts.end() ? 0 : it->second.balance;
    if (balance < cost) return error(Code::kInsufficientFunds, "fake: balance too small");
    return Status::ok();
  }

  Result<chain::Block> prepare_block(chain::BlockHeader, std::span<const chain::Transaction>,
                                     size_t) override {
    return error(Code::kInternal, "fake: prepare_block");
  }
  Status validate_block(const chain::Block&, bool) override {
    return error(Code::kInternal, "fake: validate_block");
  }
  Result<chain::ApplyResult> apply_block(const chain::Block& block) override {
    commit(block);
    return chain::ApplyResult{};
  }
  Status revert_block(const chain::Block&, ByteView) override {
    return error(Code::kInternal, "fake: revert_block");
  }
  void finalize(uint64_t) override {}
  chain::ValidatorSet validator_set(uint64_t) const override { return chain::ValidatorSet{}; }
  Status restore(uint64_t, const Hash256&, const StateScan&) override {
    return error(Code::kInternal, "fake: restore");
  }

 private:
  uint64_t height_ = 0;
};

}  // namespace synod::mempool

// A toy chain for the ChainStore tests: deterministic blocks of transfers, and a toy application
// whose state is a map of balances, so a test can commit what a real driver would (block,
// certificate, ApplyResult) and check the store against the model. Test-only; nothing in the
// library includes this file.
//
// Block `height` holds transactions_per_block transfers among account_count accounts, chosen from
// the height alone, so a writer that resumes from a store rebuilds exactly the blocks it would have
// built. Rule: the recipient gains the amount, the sender loses at most its balance; a balance of
// 0 is deleted. The state root is a digest over every state entry in key order.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <variant>
#include <vector>

#include "base/codec.h"
#include "chain/application.h"
#include "chain/block.h"
#include "crypto/hash.h"
#include "storage/chain_store.h"
#include "storage/kv.h"

namespace synod::storage::test {

using State = std::map<Bytes, Bytes, BytesLess>;

inline constexpr char kTestChainId[] = "synod-test";

inline crypto::PublicKey account_key(uint32_t index) {
  crypto::PublicKey key;
  key.data[0] = 0xac;
  for (int i = 0; i < 4; ++i)
    key.data[1 + i] = static_cast<uint8_t>(index >> (8 * i));
  return key;
}

inline chain::Address account_address(uint32_t index) {
  return chain::Address::from_public_key(account_key(index));
}

inline Bytes balance_key(const chain::Address& address) {
  Bytes key = {'b', 'a', 'l', '/'};
  key.insert(key.end(), address.bytes.begin(), address.bytes.end());
  return key;
}

inline uint64_t balance_of(const State& state, const chain::Address& address) {
  auto it = state.find(balance_key(address));
  if (it == state.end()) return 0;
  Reader reader(it->second);
  return reader.u64();
}

inline Hash256 state_digest(const State& state) {
  Writer writer;
  writer.list_size(state.size());
  for (const auto& [key, value] : state) {
    writer.bytes(key);
    writer.bytes(value);
  }
  return crypto::tagged_hash("synod/test/state", writer.buffer());
}

// Reads the whole stored state.
inline Result<State> stored_state(const ChainStore& store) {
  State state;
  SYNOD_TRY(store.scan_state([&](ByteView key, ByteView value) {
    state.emplace(Bytes(key.begin(), key.end()), Bytes(value.begin(), value.end()));
    return Status::ok();
  }));
  return state;
}

// What a driver hands to ChainStore::commit_block for one block.
struct TestCommit {
  chain::Block block;
  chain::Certificate certificate;
  chain::ApplyResult result;
};

class TestChain {
 public:
  TestChain(uint32_t account_count = 8, size_t transactions_per_block = 4)
      : account_count_(account_count), transactions_per_block_(transactions_per_block) {}

  // Continues after `tip` with `state` (what a store holds after the tip).
  void resume(State state, const ChainTip& tip) {
    state_ = std::move(state);
    height_ = tip.height;
    tip_hash_ = tip.hash;
    tip_certificate_ = tip.certificate;
  }

  // Builds block height()+1, applies it to the model and makes it the tip. Every third block
  // goes without a certificate (as raft, paxos and pow commit).
  TestCommit next() {
    TestCommit commit;
    chain::Block& block = commit.block;
    block.header.chain_id = kTestChainId;
    block.header.height = height_ + 1;
    block.header.previous_hash = tip_hash_;
    block.header.time_ms = 1'700'000'000'000 + block.header.height * 500;
    block.header.proposer = account_key(0);
    block.header.last_commit = tip_certificate_;
    block.header.engine_data = {static_cast<uint8_t>(block.header.height)};
    block.transactions = transactions(block.header.height);
    block.header.transaction_count = static_cast<uint32_t>(block.transactions.size());
    block.header.transactions_root = block.compute_transactions_root();
    commit.result = apply(block);
    block.header.state_root = commit.result.state_root;
    if (block.header.height % 3 != 0) commit.certificate = certificate_for(block);
    height_ = block.header.height;
    tip_hash_ = block.hash();
    tip_certificate_ = commit.certificate;
    return commit;
  }

  const State& state() const { return state_; }
  uint64_t height() const { return height_; }

 private:
  std::vector<chain::Transaction> transactions(uint64_t height) const {
    std::vector<chain::Transaction> out;
    for (size_t i = 0; i < transactions_per_block_; ++i) {
      chain::Transaction tx;
      tx.chain_id = kTestChainId;
      tx.sender = account_key(static_cast<uint32_t>((height * 3 + i) % account_count_));
      tx.nonce = height * 100'000 + i;
      tx.fee = 1;
      auto to = static_cast<uint32_t>((height * 5 + i * 2) % account_count_);
      tx.payload = chain::Transfer{account_address(to), 1 + (height + i) % 10};
      tx.signature.data[0] = static_cast<uint8_t>(i);  // never verified by the store
      out.push_back(std::move(tx));
    }
    return out;
  }

  chain::ApplyResult apply(const chain::Block& block) {
    std::set<Bytes, BytesLess> touched;
    State before = state_;
    for (const chain::Transaction& tx : block.transactions) {
      const auto& transfer = std::get<chain::Transfer>(tx.payload);
      chain::Address sender = tx.sender_address();
      uint64_t sender_balance = balance_of(state_, sender);
      set_balance(sender, sender_balance - std::min(sender_balance, transfer.amount));
      set_balance(transfer.to, balance_of(state_, transfer.to) + transfer.amount);
      touched.insert(balance_key(sender));
      touched.insert(balance_key(transfer.to));
    }
    chain::ApplyResult result;
    for (const Bytes& key : touched) {
      auto old_value = before.find(key);
      auto new_value = state_.find(key);
      bool had = old_value != before.end();
      bool has = new_value != state_.end();
      if (had == has && (!has || old_value->second == new_value->second)) continue;
      result.writes.push_back(
          chain::StateWrite{key, has ? std::optional<Bytes>(new_value->second) : std::nullopt});
    }
    result.state_root = state_digest(state_);
    result.undo = {'u', static_cast<uint8_t>(block.header.height)};
    return result;
  }

  void set_balance(const chain::Address& address, uint64_t balance) {
    if (balance == 0) {
      state_.erase(balance_key(address));
      return;
    }
    Writer writer;
    writer.u64(balance);
    state_[balance_key(address)] = writer.take();
  }

  static chain::Certificate certificate_for(const chain::Block& block) {
    chain::Certificate certificate;
    certificate.height = block.header.height;
    certificate.round = block.header.height % 2;
    certificate.block_hash = block.hash();
    chain::CommitSignature signature;
    signature.validator_index = 0;
    signature.signature.data[0] = static_cast<uint8_t>(block.header.height);
    certificate.signatures.push_back(signature);
    signature.validator_index = 2;
    certificate.signatures.push_back(signature);
    return certificate;
  }

  uint32_t account_count_;
  size_t transactions_per_block_;
  State state_;
  uint64_t height_ = 0;
  Hash256 tip_hash_;
  chain::Certificate tip_certificate_;
};

}  // namespace synod::storage::test

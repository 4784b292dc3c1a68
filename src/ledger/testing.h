// Helpers for the ledger's tests and benchmarks: deterministic keys, a genesis, block headers and
// blocks built by hand. Not for production code.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "chain/block.h"
#include "chain/genesis.h"
#include "crypto/keys.h"
#include "ledger/state_app.h"

namespace synod::ledger::testing {

inline constexpr const char* kChainId = "synod-test";

// A deterministic key for each n < 2^24.
inline crypto::KeyPair key(uint32_t n) {
  crypto::Seed seed;
  for (size_t i = 0; i < seed.size(); ++i)
    seed.data[i] = static_cast<uint8_t>(n >> (8 * (i % 4)));
  seed.data[31] = 0x5a;
  return crypto::KeyPair::from_seed(seed);
}

inline chain::Address address(const crypto::KeyPair& key) {
  return chain::Address::from_public_key(key.public_key());
}

// A genesis for `app` with one account of `balance` for each of `keys`, and `validators` keyed by
// key(1000 + i).
inline chain::Genesis make_genesis(const std::vector<crypto::KeyPair>& keys, uint64_t balance,
                                   chain::AppKind app = chain::AppKind::kLedger,
                                   size_t validators = 1) {
  chain::Genesis genesis;
  genesis.chain_id = kChainId;
  genesis.app = app;
  genesis.consensus.block_transactions_max = 20'000;
  for (const crypto::KeyPair& k : keys)
    genesis.accounts.push_back(chain::GenesisAccount{address(k), balance});
  std::vector<chain::Validator> set;
  for (size_t i = 0; i < validators; ++i) {
    set.push_back(chain::Validator{key(static_cast<uint32_t>(1000 + i)).public_key(), 1,
                                   "v" + std::to_string(i)});
  }
  genesis.validators = chain::ValidatorSet::create(std::move(set)).value();
  return genesis;
}

inline chain::BlockHeader next_header(const chain::Application& app,
                                      const crypto::PublicKey& proposer,
                                      const std::string& chain_id = kChainId) {
  chain::BlockHeader header;
  header.chain_id = chain_id;
  header.height = app.height() + 1;
  header.time_ms = 1'700'000'000'000 + header.height * 500;
  header.proposer = proposer;
  header.validator_set_hash = app.validator_set(header.height).hash();
  return header;
}

// A block holding exactly `transactions`, with a consistent body but the given state root
// (validation then fails at the first bad transaction, or at the root).
inline chain::Block make_block(const chain::Application& app, const crypto::PublicKey& proposer,
                               std::vector<chain::Transaction> transactions,
                               const Hash256& state_root = Hash256{}) {
  chain::Block block;
  block.header = next_header(app, proposer);
  block.transactions = std::move(transactions);
  block.header.transaction_count = static_cast<uint32_t>(block.transactions.size());
  block.header.transactions_root = block.compute_transactions_root();
  block.header.state_root = state_root;
  return block;
}

inline chain::Transaction make_put(const std::string& chain_id, const crypto::KeyPair& sender,
                                   uint64_t nonce, uint64_t fee, std::string_view key,
                                   std::string_view value) {
  chain::Transaction tx;
  tx.chain_id = chain_id;
  tx.sender = sender.public_key();
  tx.nonce = nonce;
  tx.fee = fee;
  tx.payload = chain::KvPut{Bytes(as_bytes(key).begin(), as_bytes(key).end()),
                            Bytes(as_bytes(value).begin(), as_bytes(value).end())};
  tx.sign(sender);
  return tx;
}

inline Bytes bytes_of(std::string_view text) {
  return Bytes(as_bytes(text).begin(), as_bytes(text).end());
}

// A node's state store: applies each block's writes; scan() feeds restore in key order.
class StoredState {
 public:
  void apply(const std::vector<chain::StateWrite>& writes) {
    for (const chain::StateWrite& write : writes) {
      if (write.value) {
        entries_[write.key] = *write.value;
      } else {
        entries_.erase(write.key);
      }
    }
  }
  chain::Application::StateScan scan() const {
    return [this](const std::function<Status(ByteView, ByteView)>& each) -> Status {
      for (const auto& [key, value] : entries_)
        SYNOD_TRY(each(key, value));
      return Status::ok();
    };
  }
  std::map<Bytes, Bytes>& entries() { return entries_; }

 private:
  std::map<Bytes, Bytes> entries_;
};

}  // namespace synod::ledger::testing

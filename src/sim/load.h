// Load for a simulated cluster: signed transfers between genesis-funded accounts, and a small
// deterministic pool of pending transactions per node.
//
// PendingPool stands in for the mempool inside the simulator: it admits transactions the
// application's check_transaction accepted and hands them to prepare_block in nonce order. It is
// deliberately simple (no fee ordering, no eviction beyond a bound): the simulator's subject is
// consensus, ledger and storage; the mempool has its own tests. Neither class is thread-safe.
#pragma once

#include <map>
#include <utility>
#include <vector>

#include "chain/application.h"
#include "chain/transaction.h"
#include "sim/random.h"

namespace synod::sim {

class PendingPool {
 public:
  explicit PendingPool(size_t transactions_max) : transactions_max_(transactions_max) {}

  // kAlreadyExists for a second transaction with the same sender and nonce; kResourceExhausted
  // when full. The caller checked the signature and check_transaction first.
  Status add(chain::Transaction tx);
  // Up to `count_max` transactions, by nonce then sender, so each sender's run is in order.
  std::vector<chain::Transaction> candidates(size_t count_max) const;
  // Drops every transaction whose nonce the application has passed.
  void remove_stale(const chain::Application& app);
  size_t size() const { return by_nonce_.size(); }
  void clear() { by_nonce_.clear(); }

 private:
  size_t transactions_max_;
  std::map<std::pair<uint64_t, chain::Address>, chain::Transaction> by_nonce_;
};

class LoadGenerator {
 public:
  static constexpr uint64_t kInFlightPerAccountMax = 8;
  static constexpr uint64_t kStallMs = 4'000;

  // Keys for `count` accounts, derived from the prng (deterministic per seed).
  static std::vector<crypto::KeyPair> make_accounts(size_t count, Prng& prng);

  LoadGenerator(std::string chain_id, std::vector<crypto::KeyPair> accounts, Prng prng);

  // A signed transfer from a random account to another, or nullopt when every account already
  // has kInFlightPerAccountMax transactions beyond `agreed`'s nonce. An account whose
  // transactions have not committed for kStallMs (lost with a crashed node's pool) starts again
  // from the agreed nonce.
  std::optional<chain::Transaction> next(uint64_t now_ms, const chain::Application& agreed);
  uint64_t generated() const { return generated_; }
  const std::vector<crypto::KeyPair>& accounts() const { return accounts_; }

 private:
  struct AccountState {
    uint64_t next_nonce = 0;
    uint64_t agreed_nonce = 0;
    uint64_t agreed_changed_ms = 0;
  };

  std::string chain_id_;
  std::vector<crypto::KeyPair> accounts_;
  std::vector<chain::Address> addresses_;
  std::vector<AccountState> state_;
  Prng prng_;
  uint64_t generated_ = 0;
};

}  // namespace synod::sim

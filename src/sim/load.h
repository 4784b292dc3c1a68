// Load for a simulated cluster: signed transfers between genesis-funded accounts, with nonces
// tracked against the agreed chain so that transactions lost with a crashed node's mempool are
// sent again. Not thread-safe.
#pragma once

#include <optional>
#include <vector>

#include "chain/application.h"
#include "chain/transaction.h"
#include "sim/random.h"

namespace synod::sim {

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

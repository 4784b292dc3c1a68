// Genesis: the first state of a network and the rules it runs by, read from a JSON file that every
// node of the network shares. Its hash (over the canonical encoding) identifies the network; peers
// with a different genesis hash refuse to talk. Every parse error names the field and the problem.
//
// {
//   "chain_id": "synod-localnet",
//   "genesis_time_ms": 1700000000000,
//   "app": {"name": "ledger"},                      // or {"name": "kvstore", "unsigned_writes":
//   true} "consensus": {"mechanism": "pbft", "block_interval_ms": 500, "round_timeout_ms": 2000,
//                 "block_transactions_max": 5000, "confirmations": 6},
//   "accounts": [{"address": "synod1...", "balance": "1000000"}],
//   "validators": [{"name": "node0", "public_key": "<64 hex>", "power": 1}]
// }
//
// Amounts are decimal strings (JSON numbers are accepted when they are exact integers).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "chain/address.h"
#include "chain/validator_set.h"

namespace synod::chain {

enum class Mechanism : uint8_t { kPbft = 1, kDbft, kPos, kPow, kRaft, kPaxos };
std::string_view mechanism_name(Mechanism mechanism);
Result<Mechanism> parse_mechanism(std::string_view name);

enum class AppKind : uint8_t { kLedger = 1, kKvStore };

struct ConsensusParams {
  Mechanism mechanism = Mechanism::kPbft;
  uint64_t block_interval_ms = 500;   // the pace a leader proposes at when it has transactions
  uint64_t round_timeout_ms = 2'000;  // the first round/view timeout; grows on each failure
  uint32_t block_transactions_max = 5'000;
  uint32_t confirmations = 6;  // pow: depth at which a block is final
  friend bool operator==(const ConsensusParams&, const ConsensusParams&) = default;
};

struct GenesisAccount {
  Address address;
  uint64_t balance = 0;
  friend bool operator==(const GenesisAccount&, const GenesisAccount&) = default;
};

struct Genesis {
  std::string chain_id;
  uint64_t genesis_time_ms = 0;
  AppKind app = AppKind::kLedger;
  bool kv_unsigned_writes = false;
  ConsensusParams consensus;
  std::vector<GenesisAccount> accounts;  // distinct addresses
  ValidatorSet validators;

  // Checks everything the JSON parser checks; for genesis values built in code.
  Status validate() const;
  Hash256 hash() const;
  uint64_t total_supply() const;  // sum of the account balances (checked against overflow)

  static Result<Genesis> from_json(std::string_view text);
  static Result<Genesis> load(const std::string& path);
  std::string to_json() const;

  void encode(Writer& writer) const;
};

}  // namespace synod::chain

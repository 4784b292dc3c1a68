// The validators of one height: public keys with voting power, in a fixed order (validator index =
// position). Quorums are by voting power: a quorum is strictly more than two thirds of the total
// (PBFT's 2f+1 of 3f+1 when powers are equal). Values; thread-safe to read.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/codec.h"
#include "chain/limits.h"
#include "crypto/keys.h"

namespace synod::chain {

struct Validator {
  crypto::PublicKey public_key;
  uint64_t power = 0;
  std::string name;
  friend bool operator==(const Validator&, const Validator&) = default;
};

class ValidatorSet {
 public:
  ValidatorSet() = default;
  // Rejects an empty set, zero power, duplicate keys, total power over 2^62, too many validators.
  static Result<ValidatorSet> create(std::vector<Validator> validators);

  const std::vector<Validator>& validators() const { return validators_; }
  size_t size() const { return validators_.size(); }
  const Validator& at(size_t index) const { return validators_.at(index); }
  uint64_t total_power() const { return total_power_; }
  // Smallest power that is strictly more than 2/3 of the total.
  uint64_t quorum_power() const { return total_power_ * 2 / 3 + 1; }
  // Smallest power that is strictly more than 1/3: at least one honest validator among them.
  uint64_t one_third_plus_power() const { return total_power_ / 3 + 1; }
  bool has_quorum(uint64_t power) const { return power >= quorum_power(); }
  std::optional<uint32_t> index_of(const crypto::PublicKey& key) const;
  // Commits to keys and powers (not names); carried in every header.
  Hash256 hash() const;

  void encode(Writer& writer) const;
  static ValidatorSet decode_from(Reader& reader);
  friend bool operator==(const ValidatorSet&, const ValidatorSet&) = default;

 private:
  std::vector<Validator> validators_;
  uint64_t total_power_ = 0;
};

}  // namespace synod::chain

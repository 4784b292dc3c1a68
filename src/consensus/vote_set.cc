#include "consensus/vote_set.h"

#include <limits>

namespace synod::consensus {

Status verify_quorum_signatures(const chain::ValidatorSet& validators, const Hash256& digest,
                                std::span<const chain::CommitSignature> signatures) {
  uint64_t power = 0;
  for (size_t i = 0; i < signatures.size(); ++i) {
    const chain::CommitSignature& entry = signatures[i];
    if (entry.validator_index >= validators.size()) {
      return error(Code::kUnauthenticated,
                   "signer " + std::to_string(entry.validator_index) + " is outside the set");
    }
    if (i > 0 && entry.validator_index <= signatures[i - 1].validator_index) {
      return error(Code::kUnauthenticated, "signers are not strictly increasing");
    }
    const chain::Validator& validator = validators.at(entry.validator_index);
    if (!crypto::verify(validator.public_key, digest.view(), entry.signature)) {
      return error(
          Code::kUnauthenticated,
          "signature of validator " + std::to_string(entry.validator_index) + " is invalid");
    }
    power += validator.power;
  }
  if (!validators.has_quorum(power)) {
    return error(Code::kUnauthenticated, "signers hold power " + std::to_string(power) +
                                             ", a quorum needs " +
                                             std::to_string(validators.quorum_power()));
  }
  return Status::ok();
}

VoteSet::VoteSet(std::shared_ptr<const chain::ValidatorSet> validators)
    : validators_(std::move(validators)) {
  SYNOD_ASSERT(validators_ != nullptr);
}

VoteSet::AddResult VoteSet::add(uint32_t validator_index, const Hash256& block_hash,
                                const crypto::Signature& signature) {
  SYNOD_ASSERT(validator_index < validators_->size());
  auto [it, inserted] = votes_.try_emplace(validator_index, Vote{block_hash, signature});
  if (!inserted) {
    return it->second.block_hash == block_hash ? AddResult::kDuplicate : AddResult::kConflict;
  }
  power_by_hash_[block_hash] += validators_->at(validator_index).power;
  return AddResult::kAdded;
}

const VoteSet::Vote* VoteSet::vote_of(uint32_t validator_index) const {
  auto it = votes_.find(validator_index);
  return it == votes_.end() ? nullptr : &it->second;
}

uint64_t VoteSet::power_for(const Hash256& block_hash) const {
  auto it = power_by_hash_.find(block_hash);
  return it == power_by_hash_.end() ? 0 : it->second;
}

std::optional<Hash256> VoteSet::quorum_hash() const {
  for (const auto& [hash, power] : power_by_hash_) {
    if (validators_->has_quorum(power)) return hash;
  }
  return std::nullopt;
}

std::vector<chain::CommitSignature> VoteSet::signatures_for(const Hash256& block_hash) const {
  std::vector<chain::CommitSignature> out;
  for (const auto& [index, vote] : votes_) {
    if (vote.block_hash == block_hash) out.push_back({index, vote.signature});
  }
  return out;
}

RoundTracker::RoundTracker(std::shared_ptr<const chain::ValidatorSet> validators)
    : validators_(std::move(validators)) {
  SYNOD_ASSERT(validators_ != nullptr);
}

void RoundTracker::observe(uint32_t validator_index, uint64_t round) {
  SYNOD_ASSERT(validator_index < validators_->size());
  uint64_t& highest = round_by_validator_[validator_index];
  if (round > highest) highest = round;
}

std::optional<uint64_t> RoundTracker::round_to_join(uint64_t round) const {
  uint64_t power = 0;
  uint64_t smallest = std::numeric_limits<uint64_t>::max();
  for (const auto& [index, highest] : round_by_validator_) {
    if (highest <= round) continue;
    power += validators_->at(index).power;
    smallest = std::min(smallest, highest);
  }
  if (power < validators_->one_third_plus_power()) return std::nullopt;
  return smallest;
}

}  // namespace synod::consensus

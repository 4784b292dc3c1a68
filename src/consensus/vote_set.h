// Quorum tracking by voting power, shared by the BFT engines (pbft, dbft, pos). A quorum is
// strictly more than two thirds of the total power (PBFT's 2f+1 of 3f+1, Castro & Liskov 1999,
// §4.1, generalised to unequal power); "one third plus" is strictly more than a third, so it
// holds at least one honest validator (§4.5.2). Each helper holds a shared pointer to the
// immutable ValidatorSet it counts against. Values; not thread-safe.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "chain/certificate.h"
#include "chain/validator_set.h"

namespace synod::consensus {

// Ok when `signatures` are by distinct validators of `validators` (strictly increasing index),
// each a valid signature of `digest`, and together hold a quorum of power. The general form of
// Certificate::verify, for votes that are not commits (PBFT's prepared certificate).
Status verify_quorum_signatures(const chain::ValidatorSet& validators, const Hash256& digest,
                                std::span<const chain::CommitSignature> signatures);

// The signed votes of one kind (prepare, commit) for one (height, round): at most one vote per
// validator. A second vote for another block is refused and reported as a conflict, so the
// caller can keep it as evidence; the first vote stays counted.
class VoteSet {
 public:
  struct Vote {
    Hash256 block_hash;
    crypto::Signature signature;
  };
  enum class AddResult { kAdded, kDuplicate, kConflict };

  explicit VoteSet(std::shared_ptr<const chain::ValidatorSet> validators);

  // `validator_index` must be inside the set; the signature must already be checked.
  AddResult add(uint32_t validator_index, const Hash256& block_hash,
                const crypto::Signature& signature);
  const Vote* vote_of(uint32_t validator_index) const;
  uint64_t power_for(const Hash256& block_hash) const;
  // The block holding a quorum of power, if any (at most one can, when byzantine power < 1/3
  // and honest validators vote once; with more, the first found in hash order).
  std::optional<Hash256> quorum_hash() const;
  // The signatures for `block_hash` in increasing validator index, the order of a Certificate.
  std::vector<chain::CommitSignature> signatures_for(const Hash256& block_hash) const;
  size_t size() const { return votes_.size(); }
  const chain::ValidatorSet& validators() const { return *validators_; }

 private:
  std::shared_ptr<const chain::ValidatorSet> validators_;
  std::map<uint32_t, Vote> votes_;  // bounded by the set's size
  std::map<Hash256, uint64_t> power_by_hash_;
};

// The highest round each validator has asked to move to (PBFT view-change messages). Answers the
// liveness rule of §4.5.2: when validators holding more than a third of the power ask for rounds
// above ours, at least one honest validator does, so we join the smallest such round.
class RoundTracker {
 public:
  explicit RoundTracker(std::shared_ptr<const chain::ValidatorSet> validators);

  void observe(uint32_t validator_index, uint64_t round);
  // The smallest round above `round` asked for by validators who together hold more than a third
  // of the power, counting each validator at its highest round; nullopt when they hold less.
  std::optional<uint64_t> round_to_join(uint64_t round) const;

 private:
  std::shared_ptr<const chain::ValidatorSet> validators_;
  std::map<uint32_t, uint64_t> round_by_validator_;  // bounded by the set's size
};

}  // namespace synod::consensus

// Commit certificate: the signed commit votes of validators holding a quorum of voting power for
// one block (PBFT's "committed certificate", Castro & Liskov 1999, §4.2). It is stored with the
// block and carried in the next header, so anyone holding the validator set can check finality
// without trusting the node that served the block. Values; thread-safe to read.
#pragma once

#include <string_view>
#include <vector>

#include "base/codec.h"
#include "chain/validator_set.h"

namespace synod::chain {

// The bytes a validator signs to commit `block_hash` at (height, round). The BFT engines sign
// exactly these in their commit messages, so a certificate is a set of those signatures.
Hash256 commit_signing_hash(std::string_view chain_id, uint64_t height, uint64_t round,
                            const Hash256& block_hash);

struct CommitSignature {
  uint32_t validator_index = 0;
  crypto::Signature signature;
  friend bool operator==(const CommitSignature&, const CommitSignature&) = default;
};

struct Certificate {
  uint64_t height = 0;
  uint64_t round = 0;  // the view (PBFT) or round in which the block was committed
  Hash256 block_hash;
  std::vector<CommitSignature> signatures;  // strictly increasing validator_index

  bool empty() const { return signatures.empty(); }
  // Ok when the signatures are well-formed, valid, by distinct validators of `validators`, and hold
  // a quorum of voting power. Errors say which check failed.
  Status verify(std::string_view chain_id, const ValidatorSet& validators) const;
  uint64_t signed_power(const ValidatorSet& validators) const;

  void encode(Writer& writer) const;
  static Certificate decode_from(Reader& reader);
  friend bool operator==(const Certificate&, const Certificate&) = default;
};

}  // namespace synod::chain

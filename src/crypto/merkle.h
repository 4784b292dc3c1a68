// A binary Merkle tree over a list of leaves, as in RFC 6962 (Certificate Transparency) §2.1:
// leaf hash = SHA-256(0x00 || leaf), node hash = SHA-256(0x01 || left || right), and a list of n
// leaves splits at the largest power of two below n. The domain bytes keep a leaf from posing as a
// node (second-preimage attack). The root of no leaves is SHA-256 of the empty string.
// Pure functions; thread-safe.
#pragma once

#include <vector>

#include "base/bytes.h"

namespace synod::crypto {

Hash256 merkle_leaf_hash(ByteView leaf);
Hash256 merkle_node_hash(const Hash256& left, const Hash256& right);

// Root over leaf hashes (already passed through merkle_leaf_hash).
Hash256 merkle_root(const std::vector<Hash256>& leaf_hashes);

// An inclusion proof: the sibling hashes from the leaf up to the root (RFC 6962 §2.1.1).
struct MerkleProof {
  uint64_t index = 0;
  uint64_t leaf_count = 0;
  std::vector<Hash256> siblings;
};

// Assumes index < leaf_hashes.size().
MerkleProof merkle_prove(const std::vector<Hash256>& leaf_hashes, uint64_t index);
bool merkle_verify(const Hash256& root, const Hash256& leaf_hash, const MerkleProof& proof);

}  // namespace synod::crypto

#include "crypto/merkle.h"

#include "crypto/hash.h"

namespace synod::crypto {

namespace {

// The largest power of two strictly less than n (n >= 2).
uint64_t split_point(uint64_t n) {
  uint64_t k = 1;
  while (k * 2 < n)
    k *= 2;
  return k;
}

Hash256 root_of(const Hash256* leaves, uint64_t n) {
  if (n == 1) return leaves[0];
  uint64_t k = split_point(n);
  return merkle_node_hash(root_of(leaves, k), root_of(leaves + k, n - k));
}

void prove(const Hash256* leaves, uint64_t n, uint64_t index, std::vector<Hash256>& out) {
  if (n == 1) return;
  uint64_t k = split_point(n);
  if (index < k) {
    prove(leaves, k, index, out);
    out.push_back(root_of(leaves + k, n - k));
  } else {
    prove(leaves + k, n - k, index - k, out);
    out.push_back(root_of(leaves, k));
  }
}

}  // namespace

Hash256 merkle_leaf_hash(ByteView leaf) {
  static constexpr uint8_t kLeafTag[1] = {0x00};
  return Sha256().update(ByteView(kLeafTag, 1)).update(leaf).finish();
}

Hash256 merkle_node_hash(const Hash256& left, const Hash256& right) {
  static constexpr uint8_t kNodeTag[1] = {0x01};
  return Sha256().update(ByteView(kNodeTag, 1)).update(left.view()).update(right.view()).finish();
}

Hash256 merkle_root(const std::vector<Hash256>& leaf_hashes) {
  if (leaf_hashes.empty()) return sha256({});
  return root_of(leaf_hashes.data(), leaf_hashes.size());
}

MerkleProof merkle_prove(const std::vector<Hash256>& leaf_hashes, uint64_t index) {
  SYNOD_ASSERT(index < leaf_hashes.size());
  MerkleProof proof;
  proof.index = index;
  proof.leaf_count = leaf_hashes.size();
  prove(leaf_hashes.data(), leaf_hashes.size(), index, proof.siblings);
  return proof;
}

// Recomputes the root bottom-up (RFC 9162 §2.1.3.2, inclusion proof verification).
bool merkle_verify(const Hash256& root, const Hash256& leaf_hash, const MerkleProof& proof) {
  if (proof.index >= proof.leaf_count) return false;
  uint64_t fn = proof.index;
  uint64_t sn = proof.leaf_count - 1;
  Hash256 r = leaf_hash;
  for (const Hash256& p : proof.siblings) {
    if (sn == 0) return false;
    if ((fn & 1) == 1 || fn == sn) {
      r = merkle_node_hash(p, r);
      if ((fn & 1) == 0) {
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      }
    } else {
      r = merkle_node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

}  // namespace synod::crypto

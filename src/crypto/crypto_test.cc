#include <gtest/gtest.h>

#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/merkle.h"

namespace synod::crypto {
namespace {

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256({}).hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256(as_bytes("abc")).hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256().update("a").update("bc").finish(), sha256(as_bytes("abc")));
}

// RFC 8032 §7.1, test 2.
TEST(Ed25519, Rfc8032Vector) {
  auto seed = Seed::from_hex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
  ASSERT_TRUE(seed.is_ok());
  KeyPair pair = KeyPair::from_seed(*seed);
  EXPECT_EQ(pair.public_key().hex(),
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
  uint8_t message[1] = {0x72};
  Signature signature = pair.sign(ByteView(message, 1));
  EXPECT_EQ(signature.hex(),
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
            "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
  EXPECT_TRUE(verify(pair.public_key(), ByteView(message, 1), signature));
  EXPECT_EQ(pair.seed(), *seed);
}

TEST(Ed25519, RejectsTamperedMessageKeyOrSignature) {
  KeyPair pair = KeyPair::generate();
  KeyPair other = KeyPair::generate();
  Signature signature = pair.sign(as_bytes("transfer 10"));
  EXPECT_TRUE(verify(pair.public_key(), as_bytes("transfer 10"), signature));
  EXPECT_FALSE(verify(pair.public_key(), as_bytes("transfer 11"), signature));
  EXPECT_FALSE(verify(other.public_key(), as_bytes("transfer 10"), signature));
  signature.data[5] ^= 1;
  EXPECT_FALSE(verify(pair.public_key(), as_bytes("transfer 10"), signature));
}

std::vector<Hash256> leaves(size_t n) {
  std::vector<Hash256> out;
  for (size_t i = 0; i < n; ++i) {
    uint8_t byte = static_cast<uint8_t>(i);
    out.push_back(merkle_leaf_hash(ByteView(&byte, 1)));
  }
  return out;
}

TEST(Merkle, ProofsVerifyForEveryLeafAndSize) {
  for (size_t n = 1; n <= 17; ++n) {
    auto hashes = leaves(n);
    Hash256 root = merkle_root(hashes);
    for (size_t i = 0; i < n; ++i) {
      MerkleProof proof = merkle_prove(hashes, i);
      EXPECT_TRUE(merkle_verify(root, hashes[i], proof)) << n << " " << i;
      // The same proof must not verify another leaf or another position.
      if (n == 1) continue;
      EXPECT_FALSE(merkle_verify(root, hashes[(i + 1) % n], proof)) << n << " " << i;
      MerkleProof moved = proof;
      moved.index = (i + 1) % n;
      EXPECT_FALSE(merkle_verify(root, hashes[i], moved)) << n << " " << i;
    }
  }
}

TEST(Merkle, RootDependsOnOrderAndDomain) {
  auto hashes = leaves(4);
  Hash256 root = merkle_root(hashes);
  std::swap(hashes[0], hashes[1]);
  EXPECT_NE(merkle_root(hashes), root);
  EXPECT_EQ(merkle_root({}), sha256({}));
  // A single leaf's root is its leaf hash, which differs from the hash of its raw bytes.
  uint8_t byte = 0;
  EXPECT_NE(merkle_root(leaves(1)), sha256(ByteView(&byte, 1)));
}

}  // namespace
}  // namespace synod::crypto

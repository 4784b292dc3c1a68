// Ed25519 keys and signatures (libsodium). A KeyPair owns its secret key and wipes it on
// destruction; public keys and signatures are plain values. All functions are thread-safe.
#pragma once

#include "base/bytes.h"

namespace synod::crypto {

using PublicKey = FixedBytes<32>;
using Signature = FixedBytes<64>;
using Seed = FixedBytes<32>;

class KeyPair {
 public:
  // A new key from the operating system's random source.
  static KeyPair generate();
  // The key determined by a 32-byte seed (RFC 8032 private key).
  static KeyPair from_seed(const Seed& seed);

  KeyPair(const KeyPair& other) = default;
  KeyPair& operator=(const KeyPair& other) = default;
  ~KeyPair();

  const PublicKey& public_key() const { return public_key_; }
  // The 32-byte seed this key was made from; treat as secret.
  Seed seed() const;
  Signature sign(ByteView message) const;

 private:
  KeyPair() = default;
  PublicKey public_key_;
  FixedBytes<64> secret_key_;  // libsodium's seed || public key form
};

// True when `signature` is a valid Ed25519 signature of `message` by `public_key`. Rejects
// non-canonical signatures and small-order keys (libsodium's strict verification).
bool verify(const PublicKey& public_key, ByteView message, const Signature& signature);

}  // namespace synod::crypto

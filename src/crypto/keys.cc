#include "crypto/keys.h"

#include <sodium.h>

#include "crypto/hash.h"

namespace synod::crypto {

KeyPair KeyPair::generate() {
  Seed seed;
  random_bytes(seed.data);
  KeyPair pair = from_seed(seed);
  sodium_memzero(seed.data.data(), seed.size());
  return pair;
}

KeyPair KeyPair::from_seed(const Seed& seed) {
  ensure_initialised();
  KeyPair pair;
  crypto_sign_seed_keypair(pair.public_key_.data.data(), pair.secret_key_.data.data(),
                           seed.data.data());
  return pair;
}

KeyPair::~KeyPair() {
  sodium_memzero(secret_key_.data.data(), secret_key_.size());
}

Seed KeyPair::seed() const {
  Seed seed;
  crypto_sign_ed25519_sk_to_seed(seed.data.data(), secret_key_.data.data());
  return seed;
}

Signature KeyPair::sign(ByteView message) const {
  Signature signature;
  crypto_sign_detached(signature.data.data(), nullptr, message.data(), message.size(),
                       secret_key_.data.data());
  return signature;
}

bool verify(const PublicKey& public_key, ByteView message, const Signature& signature) {
  ensure_initialised();
  return crypto_sign_verify_detached(signature.data.data(), message.data(), message.size(),
                                     public_key.data.data()) == 0;
}

}  // namespace synod::crypto

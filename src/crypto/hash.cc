#include "crypto/hash.h"

#include <cstdio>
#include <cstdlib>

namespace synod::crypto {

void ensure_initialised() {
  static const bool initialised = [] {
    if (sodium_init() < 0) {
      std::fprintf(stderr, "synod: libsodium failed to initialise\n");
      std::abort();
    }
    return true;
  }();
  (void)initialised;
}

Hash256 sha256(ByteView data) {
  Hash256 out;
  crypto_hash_sha256(out.data.data(), data.data(), data.size());
  return out;
}

Sha256::Sha256() {
  crypto_hash_sha256_init(&state_);
}

Sha256& Sha256::update(ByteView data) {
  crypto_hash_sha256_update(&state_, data.data(), data.size());
  return *this;
}

Hash256 Sha256::finish() {
  Hash256 out;
  crypto_hash_sha256_final(&state_, out.data.data());
  return out;
}

Hash256 tagged_hash(std::string_view tag, ByteView data) {
  return Sha256().update(tag).update(data).finish();
}

void random_bytes(std::span<uint8_t> out) {
  ensure_initialised();
  randombytes_buf(out.data(), out.size());
}

}  // namespace synod::crypto

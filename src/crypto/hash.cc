// OpenSSL 3 marks the low-level SHA256_* calls deprecated in favour of EVP, whose per-call
// dispatch costs more than the hash itself on 64-byte inputs; the low-level calls remain supported.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "crypto/hash.h"

#include <openssl/sha.h>
#include <sodium.h>

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

namespace {
SHA256_CTX* context(unsigned char* storage) {
  return reinterpret_cast<SHA256_CTX*>(storage);
}
}  // namespace

Hash256 sha256(ByteView data) {
  SHA256_CTX state;
  SHA256_Init(&state);
  SHA256_Update(&state, data.data(), data.size());
  Hash256 out;
  SHA256_Final(out.data.data(), &state);
  return out;
}

Sha256::Sha256() {
  static_assert(sizeof(SHA256_CTX) <= sizeof(state_) && alignof(SHA256_CTX) <= 8);
  SHA256_Init(context(state_));
}

Sha256& Sha256::update(ByteView data) {
  SHA256_Update(context(state_), data.data(), data.size());
  return *this;
}

Hash256 Sha256::finish() {
  Hash256 out;
  SHA256_Final(out.data.data(), context(state_));
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

// SHA-256 (libsodium). Hashes in synod are always over the canonical codec's encoding, and each
// use prefixes a domain tag so a hash of one kind can never be read as a hash of another.
// Stateless functions are thread-safe; a Sha256 object is not.
#pragma once

#include <sodium.h>

#include "base/bytes.h"

namespace synod::crypto {

Hash256 sha256(ByteView data);

class Sha256 {
 public:
  Sha256();
  Sha256& update(ByteView data);
  Sha256& update(std::string_view text) { return update(as_bytes(text)); }
  Hash256 finish();

 private:
  crypto_hash_sha256_state state_;
};

// sha256(tag || data): the hash of a tagged domain, e.g. tagged_hash("synod/tx", bytes).
Hash256 tagged_hash(std::string_view tag, ByteView data);

// Fills `out` with cryptographically secure random bytes.
void random_bytes(std::span<uint8_t> out);

// Makes sure libsodium is initialised; safe to call from any thread, any number of times.
void ensure_initialised();

}  // namespace synod::crypto

// SHA-256. Hashes in synod are always over the canonical codec's encoding, and each
// use prefixes a domain tag so a hash of one kind can never be read as a hash of another.
// SHA-256 runs on OpenSSL's libcrypto, whose low-level SHA-256 uses the CPU's SHA extensions
// (about 3x libsodium's portable code on the short inputs of Merkle and state trees, which
// dominate block processing). Stateless functions are thread-safe; a Sha256 object is not.
#pragma once

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
  // OpenSSL's SHA256_CTX, kept opaque so this header does not pull in OpenSSL.
  alignas(8) unsigned char state_[112];
};

// sha256(tag || data): the hash of a tagged domain, e.g. tagged_hash("synod/tx", bytes).
Hash256 tagged_hash(std::string_view tag, ByteView data);

// Fills `out` with cryptographically secure random bytes.
void random_bytes(std::span<uint8_t> out);

// Makes sure libsodium is initialised; safe to call from any thread, any number of times.
void ensure_initialised();

}  // namespace synod::crypto

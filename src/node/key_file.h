// Key files: a node's p2p identity and its validator key on disk, readable by their owner only.
//
// Written as JSON, created with mode 0600 and never overwritten:
//   {"type": "ed25519", "public_key": "<64 hex>", "seed": "<64 hex>"}
// Read back in that form or as a bare hex seed (64 hex digits, surrounding whitespace allowed).
// Reading refuses a file that group or others may read or write (like ssh does), so a key that
// leaked through a lax umask or a copy is noticed. Errors name the file. Thread-safe (no state).
#pragma once

#include <string>

#include "base/status.h"
#include "crypto/keys.h"

namespace synod::node {

inline constexpr size_t kKeyFileBytesMax = 4 * 1024;

// Writes `key` to a new file at `path` with mode 0600 and syncs it. kAlreadyExists when the file
// exists; kIoError when it cannot be written.
Status write_key_file(const std::string& path, const crypto::KeyPair& key);

// Reads a key file. kNotFound when missing; kFailedPrecondition when its mode lets others read
// it; kInvalidArgument when the contents are not a key (or the public key does not match the seed).
Result<crypto::KeyPair> read_key_file(const std::string& path);

// Parses key file contents (either form); `name` prefixes errors.
Result<crypto::KeyPair> parse_key_file(std::string_view text, const std::string& name);
std::string key_file_json(const crypto::KeyPair& key);

// Writes `text` to a new file with `mode`, fsyncs it, and fails with kAlreadyExists rather than
// replace an existing file. Shared by every file `synod init` writes.
Status write_new_file(const std::string& path, std::string_view text, unsigned mode);

}  // namespace synod::node

// SLIP-0010 key derivation for Ed25519 (https://github.com/satoshilabs/slips/blob/master/
// slip-0010.md): a tree of Ed25519 keys from one BIP-39 seed. Ed25519 has only hardened
// derivation, so every path component is hardened (written 44' or 44h).
//
// synod accounts live at m/44'/7337'/<account>'/0'/0' (BIP-44 layout with the change and index
// levels hardened, as SLIP-0010 requires for Ed25519). Coin type 7337 is synod's choice; it is not
// registered in SLIP-0044 — register it (or another) before a public network relies on it, since
// changing it changes every derived address.
//
// Pure functions; thread-safe. ExtendedKey holds secrets: callers wipe copies they keep.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/status.h"
#include "crypto/keys.h"

namespace synod::wallet {

inline constexpr uint32_t kSynodCoinType = 7337;
inline constexpr uint32_t kHardenedOffset = 0x80000000u;
inline constexpr size_t kDerivationDepthMax = 16;  // path components accepted by parse_path
inline constexpr size_t kSlip10SeedBytesMin = 16;  // BIP-32's bounds on the seed
inline constexpr size_t kSlip10SeedBytesMax = 64;

struct ExtendedKey {
  crypto::Seed key;  // the Ed25519 private key (RFC 8032 seed)
  FixedBytes<32> chain_code;
  void wipe();
};

// The master key of `seed` (16 to 64 bytes; asserted).
ExtendedKey slip10_master_key(ByteView seed);
// The hardened child `index` (with or without kHardenedOffset set; it is set either way).
ExtendedKey slip10_derive_hardened(const ExtendedKey& parent, uint32_t index);
// Follows `path` (each index hardened) from the master key of `seed`.
ExtendedKey slip10_derive(ByteView seed, const std::vector<uint32_t>& path);

// Parses "m/44'/7337'/0'/0'/0'" into indices with kHardenedOffset set. kInvalidArgument for a
// component that is not hardened, out of range, or malformed, and for over kDerivationDepthMax
// components.
Result<std::vector<uint32_t>> parse_path(std::string_view text);
std::string path_to_string(const std::vector<uint32_t>& path);

// m/44'/kSynodCoinType'/account'/0'/0'.
std::vector<uint32_t> account_path(uint32_t account, uint32_t coin_type = kSynodCoinType);

// SLIP-0010's public key form for Ed25519: 0x00 followed by the 32-byte key.
Bytes slip10_public_key(const ExtendedKey& key);

}  // namespace synod::wallet

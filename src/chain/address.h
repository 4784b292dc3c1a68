// Account addresses: the first 20 bytes of tagged_hash("synod/address", Ed25519 public key),
// written for people as bech32m (BIP-350) with the human-readable prefix "synod", e.g.
// "synod1...". The checksum catches every error of up to four characters, so a mistyped address
// fails to parse and is never sent to. Values; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "crypto/keys.h"

namespace synod::chain {

inline constexpr std::string_view kAddressPrefix = "synod";

struct Address {
  FixedBytes<20> bytes;

  static Address from_public_key(const crypto::PublicKey& public_key);
  // Parses "synod1..." text: rejects a wrong prefix, a bad checksum, mixed case, bad length.
  static Result<Address> parse(std::string_view text);
  std::string to_string() const;

  friend bool operator==(const Address&, const Address&) = default;
  friend auto operator<=>(const Address&, const Address&) = default;
};

struct AddressHasher {
  size_t operator()(const Address& address) const {
    size_t out;
    std::memcpy(&out, address.bytes.data.data(), sizeof(out));
    return out;
  }
};

// Bech32m (BIP-350) over 8-bit data, exposed for tests and other prefixes.
std::string bech32m_encode(std::string_view prefix, ByteView data);
struct Bech32mDecoded {
  std::string prefix;
  Bytes data;
};
Result<Bech32mDecoded> bech32m_decode(std::string_view text);

}  // namespace synod::chain

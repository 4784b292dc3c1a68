#include "wallet/slip10.h"

#include <sodium.h>

#include <charconv>

#include "crypto/hash.h"

namespace synod::wallet {
namespace {

// HMAC-SHA512(key, data) split into the child key (left half) and chain code (right half).
ExtendedKey hmac_split(ByteView key, ByteView data) {
  crypto::ensure_initialised();
  std::array<uint8_t, crypto_auth_hmacsha512_BYTES> mac;
  crypto_auth_hmacsha512_state state;
  crypto_auth_hmacsha512_init(&state, key.data(), key.size());
  crypto_auth_hmacsha512_update(&state, data.data(), data.size());
  crypto_auth_hmacsha512_final(&state, mac.data());
  ExtendedKey out;
  out.key = crypto::Seed::from_view(ByteView(mac.data(), 32));
  out.chain_code = FixedBytes<32>::from_view(ByteView(mac.data() + 32, 32));
  sodium_memzero(mac.data(), mac.size());
  sodium_memzero(&state, sizeof(state));
  return out;
}

Result<uint32_t> parse_component(std::string_view text) {
  bool hardened =
      !text.empty() && (text.back() == '\'' || text.back() == 'h' || text.back() == 'H');
  if (!hardened) {
    return error(Code::kInvalidArgument,
                 "path component '" + std::string(text) +
                     "' is not hardened (Ed25519 keys derive only hardened children: write " +
                     std::string(text) + "')");
  }
  std::string_view digits = text.substr(0, text.size() - 1);
  uint32_t index = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
      index >= kHardenedOffset) {
    return error(Code::kInvalidArgument,
                 "path component '" + std::string(text) + "' is not a number below 2^31");
  }
  return index | kHardenedOffset;
}

}  // namespace

void ExtendedKey::wipe() {
  sodium_memzero(key.data.data(), key.size());
  sodium_memzero(chain_code.data.data(), chain_code.size());
}

ExtendedKey slip10_master_key(ByteView seed) {
  SYNOD_ASSERT(seed.size() >= kSlip10SeedBytesMin && seed.size() <= kSlip10SeedBytesMax);
  return hmac_split(as_bytes("ed25519 seed"), seed);
}

ExtendedKey slip10_derive_hardened(const ExtendedKey& parent, uint32_t index) {
  index |= kHardenedOffset;
  std::array<uint8_t, 1 + 32 + 4> data;
  data[0] = 0;
  std::copy(parent.key.begin(), parent.key.end(), data.begin() + 1);
  for (int i = 0; i < 4; ++i)
    data[33 + i] = static_cast<uint8_t>(index >> (24 - 8 * i));
  ExtendedKey child = hmac_split(parent.chain_code.view(), data);
  sodium_memzero(data.data(), data.size());
  return child;
}

ExtendedKey slip10_derive(ByteView seed, const std::vector<uint32_t>& path) {
  ExtendedKey key = slip10_master_key(seed);
  for (uint32_t index : path) {
    ExtendedKey child = slip10_derive_hardened(key, index);
    key.wipe();
    key = child;
    child.wipe();
  }
  return key;
}

Result<std::vector<uint32_t>> parse_path(std::string_view text) {
  if (text != "m" && !text.starts_with("m/")) {
    return error(Code::kInvalidArgument, "a derivation path starts with \"m/\"");
  }
  std::vector<uint32_t> path;
  size_t start = 2;
  while (start <= text.size() && text.size() > 1) {
    size_t slash = text.find('/', start);
    std::string_view component = text.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (path.size() == kDerivationDepthMax) {
      return error(Code::kInvalidArgument, "a derivation path has at most " +
                                               std::to_string(kDerivationDepthMax) + " components");
    }
    SYNOD_ASSIGN_OR_RETURN(uint32_t index, parse_component(component));
    path.push_back(index);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return path;
}

std::string path_to_string(const std::vector<uint32_t>& path) {
  std::string out = "m";
  for (uint32_t index : path) {
    out += "/" + std::to_string(index & ~kHardenedOffset);
    if (index & kHardenedOffset) out += "'";
  }
  return out;
}

std::vector<uint32_t> account_path(uint32_t account, uint32_t coin_type) {
  return {44 | kHardenedOffset, coin_type | kHardenedOffset, account | kHardenedOffset,
          0 | kHardenedOffset, 0 | kHardenedOffset};
}

Bytes slip10_public_key(const ExtendedKey& key) {
  crypto::KeyPair pair = crypto::KeyPair::from_seed(key.key);
  Bytes out{0};
  out.insert(out.end(), pair.public_key().begin(), pair.public_key().end());
  return out;
}

}  // namespace synod::wallet

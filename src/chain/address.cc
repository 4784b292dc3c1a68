#include "chain/address.h"

#include <cctype>

#include "crypto/hash.h"

namespace synod::chain {

namespace {

constexpr char kCharset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr uint32_t kBech32mConstant = 0x2bc830a3;
constexpr size_t kBech32MaxLength = 90;

// BIP-173 §Checksum: the BCH code's polynomial modulus.
uint32_t polymod(const std::vector<uint8_t>& values) {
  static constexpr uint32_t kGenerator[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
                                             0x2a1462b3};
  uint32_t checksum = 1;
  for (uint8_t value : values) {
    uint8_t top = static_cast<uint8_t>(checksum >> 25);
    checksum = (checksum & 0x1ffffff) << 5 ^ value;
    for (int i = 0; i < 5; ++i) {
      if ((top >> i) & 1) checksum ^= kGenerator[i];
    }
  }
  return checksum;
}

std::vector<uint8_t> expand_prefix(std::string_view prefix) {
  std::vector<uint8_t> out;
  for (char c : prefix)
    out.push_back(static_cast<uint8_t>(c) >> 5);
  out.push_back(0);
  for (char c : prefix)
    out.push_back(static_cast<uint8_t>(c) & 31);
  return out;
}

// Regroups bits (BIP-173 convertbits). Returns false on invalid padding when decoding.
bool convert_bits(ByteView in, int from_bits, int to_bits, bool pad, std::vector<uint8_t>& out) {
  uint32_t accumulator = 0;
  int bits = 0;
  const uint32_t max_value = (1u << to_bits) - 1;
  for (uint8_t value : in) {
    if ((value >> from_bits) != 0) return false;
    accumulator = accumulator << from_bits | value;
    bits += from_bits;
    while (bits >= to_bits) {
      bits -= to_bits;
      out.push_back(static_cast<uint8_t>((accumulator >> bits) & max_value));
    }
  }
  if (pad) {
    if (bits > 0)
      out.push_back(static_cast<uint8_t>((accumulator << (to_bits - bits)) & max_value));
  } else if (bits >= from_bits || ((accumulator << (to_bits - bits)) & max_value) != 0) {
    return false;
  }
  return true;
}

}  // namespace

std::string bech32m_encode(std::string_view prefix, ByteView data) {
  std::vector<uint8_t> values;
  SYNOD_ASSERT(convert_bits(data, 8, 5, true, values));
  std::vector<uint8_t> checked = expand_prefix(prefix);
  checked.insert(checked.end(), values.begin(), values.end());
  checked.insert(checked.end(), 6, 0);
  uint32_t mod = polymod(checked) ^ kBech32mConstant;
  std::string out(prefix);
  out += '1';
  for (uint8_t value : values)
    out += kCharset[value];
  for (int i = 0; i < 6; ++i)
    out += kCharset[(mod >> (5 * (5 - i))) & 31];
  return out;
}

Result<Bech32mDecoded> bech32m_decode(std::string_view text) {
  if (text.size() > kBech32MaxLength) return error(Code::kInvalidArgument, "address too long");
  bool has_lower = false, has_upper = false;
  for (char c : text) {
    if (c < 33 || c > 126) return error(Code::kInvalidArgument, "address has an invalid character");
    has_lower |= (c >= 'a' && c <= 'z');
    has_upper |= (c >= 'A' && c <= 'Z');
  }
  if (has_lower && has_upper)
    return error(Code::kInvalidArgument, "address mixes upper and lower case");
  std::string lower(text);
  for (char& c : lower)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t separator = lower.rfind('1');
  if (separator == std::string::npos || separator == 0 || separator + 7 > lower.size()) {
    return error(Code::kInvalidArgument, "address lacks the '1' separator or its checksum");
  }
  Bech32mDecoded out;
  out.prefix = lower.substr(0, separator);
  std::vector<uint8_t> values;
  for (size_t i = separator + 1; i < lower.size(); ++i) {
    const char* found = std::strchr(kCharset, lower[i]);
    if (found == nullptr || *found == '\0') {
      return error(Code::kInvalidArgument, "address has a character outside bech32's alphabet");
    }
    values.push_back(static_cast<uint8_t>(found - kCharset));
  }
  std::vector<uint8_t> checked = expand_prefix(out.prefix);
  checked.insert(checked.end(), values.begin(), values.end());
  if (polymod(checked) != kBech32mConstant) {
    return error(Code::kInvalidArgument, "address checksum does not match (mistyped?)");
  }
  values.resize(values.size() - 6);
  std::vector<uint8_t> data;
  if (!convert_bits(values, 5, 8, false, data)) {
    return error(Code::kInvalidArgument, "address has invalid padding");
  }
  out.data.assign(data.begin(), data.end());
  return out;
}

Address Address::from_public_key(const crypto::PublicKey& public_key) {
  Hash256 digest = crypto::tagged_hash("synod/address", public_key.view());
  Address address;
  std::memcpy(address.bytes.data.data(), digest.data.data(), 20);
  return address;
}

Result<Address> Address::parse(std::string_view text) {
  SYNOD_ASSIGN_OR_RETURN(Bech32mDecoded decoded, bech32m_decode(text));
  if (decoded.prefix != kAddressPrefix) {
    return error(Code::kInvalidArgument, "address prefix is '" + decoded.prefix + "', expected '" +
                                             std::string(kAddressPrefix) + "'");
  }
  if (decoded.data.size() != 20) {
    return error(Code::kInvalidArgument,
                 "address holds " + std::to_string(decoded.data.size()) + " bytes, expected 20");
  }
  Address address;
  address.bytes = FixedBytes<20>::from_view(decoded.data);
  return address;
}

std::string Address::to_string() const {
  return bech32m_encode(kAddressPrefix, bytes.view());
}

}  // namespace synod::chain

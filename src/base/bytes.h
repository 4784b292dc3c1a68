// Byte containers and hex text. `Bytes` owns, `ByteView` borrows (the caller keeps the storage
// alive), `FixedBytes<N>` is a value type for hashes, keys and signatures.
#pragma once

#include <algorithm>
#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace synod {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline ByteView as_bytes(std::string_view text) {
  return ByteView(reinterpret_cast<const uint8_t*>(text.data()), text.size());
}
inline std::string_view as_string_view(ByteView bytes) {
  return std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::string to_hex(ByteView bytes);
// Accepts lower or upper case, with an optional "0x" prefix; rejects odd length and non-hex.
Result<Bytes> from_hex(std::string_view text);

template <size_t N>
struct FixedBytes {
  static constexpr size_t kSize = N;
  std::array<uint8_t, N> data{};

  uint8_t* begin() { return data.data(); }
  uint8_t* end() { return data.data() + N; }
  const uint8_t* begin() const { return data.data(); }
  const uint8_t* end() const { return data.data() + N; }
  static constexpr size_t size() { return N; }
  ByteView view() const { return ByteView(data.data(), N); }
  bool is_zero() const {
    return std::all_of(data.begin(), data.end(), [](uint8_t b) { return b == 0; });
  }
  std::string hex() const { return to_hex(view()); }

  static FixedBytes from_view(ByteView bytes) {
    SYNOD_ASSERT(bytes.size() == N);
    FixedBytes out;
    std::memcpy(out.data.data(), bytes.data(), N);
    return out;
  }
  static Result<FixedBytes> from_hex(std::string_view text) {
    auto bytes = ::synod::from_hex(text);
    if (!bytes.is_ok()) return bytes.status();
    if (bytes->size() != N) {
      return error(Code::kInvalidArgument, "expected " + std::to_string(N) + " bytes of hex, got " +
                                               std::to_string(bytes->size()));
    }
    return from_view(*bytes);
  }

  friend bool operator==(const FixedBytes&, const FixedBytes&) = default;
  friend auto operator<=>(const FixedBytes& a, const FixedBytes& b) { return a.data <=> b.data; }
};

using Hash256 = FixedBytes<32>;

// For unordered containers keyed by hashes or keys (already uniformly distributed).
struct FixedBytesHasher {
  template <size_t N>
  size_t operator()(const FixedBytes<N>& value) const {
    static_assert(N >= sizeof(size_t));
    size_t out;
    std::memcpy(&out, value.data.data(), sizeof(out));
    return out;
  }
};

}  // namespace synod

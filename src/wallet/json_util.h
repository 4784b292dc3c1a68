// Strict reading of untrusted JSON (keystore files, node answers, transaction files): bounded
// nesting before parsing, and field accessors whose errors name the field. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"

namespace synod::wallet {

using Json = nlohmann::json;

inline constexpr size_t kJsonDepthMax = 32;

// Parses `text`; kCorrupt when it is not JSON or nests deeper than kJsonDepthMax. `what` names the
// source in the error ("keystore", "node answer").
Result<Json> parse_json(std::string_view text, std::string_view what);

// Reads object[key] from a JSON object; errors (`code`) say "<context>.<key>: ...".
struct JsonFields {
  const Json& object;
  std::string context;
  Code code = Code::kCorrupt;

  Status require_object() const;
  // kCorrupt (or `code`) when the object has a key outside `allowed`.
  Status only(std::initializer_list<std::string_view> allowed) const;
  bool has(std::string_view key) const;
  Result<std::string> string(std::string_view key, size_t bytes_max) const;
  Result<uint64_t> number(std::string_view key) const;  // a non-negative JSON integer
  Result<bool> boolean(std::string_view key) const;
  // A decimal string of a u64 ("amounts are decimal strings" in docs/rpc.md).
  Result<uint64_t> decimal(std::string_view key) const;
  Result<Bytes> hex(std::string_view key, size_t bytes_max) const;
  template <size_t N>
  Result<FixedBytes<N>> fixed_hex(std::string_view key) const {
    SYNOD_ASSIGN_OR_RETURN(Bytes bytes, hex(key, N));
    if (bytes.size() != N) {
      return fail(key,
                  "expected " + std::to_string(N) + " bytes, got " + std::to_string(bytes.size()));
    }
    return FixedBytes<N>::from_view(bytes);
  }
  Status fail(std::string_view key, const std::string& problem) const;
};

// A u64 from decimal text: digits only, no sign, no leading zeros (except "0"), no overflow.
Result<uint64_t> parse_u64(std::string_view text);

}  // namespace synod::wallet

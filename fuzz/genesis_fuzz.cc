// Fuzzes the genesis JSON parser and bech32m address parser: errors, never crashes.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "chain/genesis.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto genesis = synod::chain::Genesis::from_json(text);
  if (genesis.is_ok()) {
    auto again = synod::chain::Genesis::from_json(genesis->to_json());
    if (!again.is_ok() || again->hash() != genesis->hash()) std::abort();
  }
  auto address = synod::chain::Address::parse(text);
  if (address.is_ok() && synod::chain::Address::parse(address->to_string()).value() != *address) {
    std::abort();
  }
  return 0;
}

// Fuzzes the transaction decoder: never crashes, and every accepted input re-encodes to itself.
#include <cstdint>
#include <cstdlib>

#include "chain/transaction.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto decoded = synod::chain::decode_transaction(synod::ByteView(data, size));
  if (decoded.is_ok()) {
    synod::Bytes again = synod::encode(*decoded);
    if (again.size() != size || !std::equal(again.begin(), again.end(), data)) std::abort();
    (void)decoded->id();
  }
  return 0;
}

// Fuzzes the block decoder (header, certificate, transactions): no crash, canonical round trip.
#include <cstdint>
#include <cstdlib>

#include "chain/block.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto decoded = synod::chain::decode_block(synod::ByteView(data, size));
  if (decoded.is_ok()) {
    synod::Bytes again = synod::encode(*decoded);
    if (again.size() != size || !std::equal(again.begin(), again.end(), data)) std::abort();
    (void)decoded->check_body();
  }
  return 0;
}

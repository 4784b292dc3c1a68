// Fuzzes the validator-set and certificate decoders: no crash, canonical round trip.
#include <cstdint>
#include <cstdlib>

#include "chain/certificate.h"
#include "chain/validator_set.h"

namespace {
template <typename T>
void round_trip(const uint8_t* data, size_t size) {
  auto decoded = synod::decode<T>(synod::ByteView(data, size));
  if (!decoded.is_ok()) return;
  synod::Bytes again = synod::encode(*decoded);
  if (again.size() != size || !std::equal(again.begin(), again.end(), data)) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  if (data[0] % 2 == 0) {
    round_trip<synod::chain::ValidatorSet>(data + 1, size - 1);
  } else {
    round_trip<synod::chain::Certificate>(data + 1, size - 1);
  }
  return 0;
}

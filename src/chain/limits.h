// Named upper bounds on every consensus-critical size. Decoders check them before allocating.
#pragma once

#include <cstddef>
#include <cstdint>

namespace synod::chain {

inline constexpr size_t kChainIdBytesMax = 64;
inline constexpr size_t kTransactionBytesMax = 16 * 1024;
inline constexpr size_t kKvKeyBytesMax = 256;
inline constexpr size_t kKvValueBytesMax = 8 * 1024;
inline constexpr size_t kBlockTransactionsMax = 20'000;
inline constexpr size_t kBlockBytesMax = 16 * 1024 * 1024;
inline constexpr size_t kEngineDataBytesMax = 4 * 1024;
inline constexpr size_t kValidatorsMax = 1'024;
inline constexpr size_t kValidatorNameBytesMax = 64;

}  // namespace synod::chain

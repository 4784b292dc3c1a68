// Workload: the transactions a benchmark submits, all signed before the clock starts.
//
// The accounts' keys come from the caller (cluster::account_key derives them from a seed, so the
// genesis writer and the load generator agree without sharing files). Transaction i belongs to
// account i % K and carries that account's nonce start_nonce + i / K: submitting in index order
// keeps every sender's nonces consecutive and spreads the in-flight transactions evenly over the
// senders (the mempool bounds how many one sender may have pending).
//
// Memory: one PreparedTransaction per transaction, about 250 bytes for a transfer (the encoding,
// its id and the vector's overhead): 1,000,000 pre-signed transfers take about 250 MB. Signing
// runs on `threads` threads. Thread-safe: the functions keep no state.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/bytes.h"
#include "crypto/keys.h"

namespace synod::loadgen {

// Upper bounds on what a command line may ask for.
inline constexpr uint32_t kAccountsMax = 1'000'000;
inline constexpr uint64_t kTransactionsMax = 20'000'000;

enum class WorkloadKind { kTransfer, kKvPut };

struct WorkloadOptions {
  std::string chain_id;
  uint32_t accounts = 1'000;
  std::vector<uint64_t> start_nonces;  // per account; empty: all 0
  uint64_t transactions = 10'000;
  WorkloadKind kind = WorkloadKind::kTransfer;
  // kv puts: the value size; unsigned (the genesis says "unsigned_writes") puts carry a zero
  // signature, fee 0, nonce 0 and a sender key of their own (hash of account key and index).
  size_t value_bytes = 32;
  bool kv_unsigned = false;
  uint64_t fee = 1;
  uint32_t threads = 2;
};

struct PreparedTransaction {
  Bytes encoded;
  Hash256 id;
};

// Account i's key pair, for i < accounts; called from several threads.
using AccountKeys = std::function<crypto::KeyPair(uint32_t index)>;

// kInvalidArgument for options out of range.
Result<std::vector<PreparedTransaction>> prepare_workload(const WorkloadOptions& options,
                                                          const AccountKeys& keys);

// id → index into the prepared vector.
std::unordered_map<Hash256, uint32_t, FixedBytesHasher> index_by_id(
    const std::vector<PreparedTransaction>& transactions);

}  // namespace synod::loadgen

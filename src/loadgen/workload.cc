#include "loadgen/workload.h"

#include <cstring>
#include <thread>

#include "base/codec.h"
#include "chain/limits.h"
#include "chain/transaction.h"
#include "crypto/hash.h"

namespace synod::loadgen {
namespace {

chain::Transaction make_transaction(const WorkloadOptions& options,
                                    const std::vector<crypto::KeyPair>& keys,
                                    const std::vector<chain::Address>& addresses, uint64_t index) {
  const uint32_t count = options.accounts;
  const uint32_t account = static_cast<uint32_t>(index % count);
  const uint64_t nonce =
      (options.start_nonces.empty() ? 0 : options.start_nonces[account]) + index / count;
  if (options.kind == WorkloadKind::kTransfer) {
    return chain::make_transfer(options.chain_id, keys[account], nonce, options.fee,
                                addresses[(account + 1) % count], 1);
  }
  chain::Transaction tx;
  tx.chain_id = options.chain_id;
  tx.sender = keys[account].public_key();
  tx.nonce = nonce;
  if (options.kv_unsigned) {
    // Unsigned puts move no account and take nonce 0: each gets a sender of its own (any 32
    // bytes), which also makes equal puts distinct.
    Writer writer;
    writer.fixed(keys[account].public_key());
    writer.u64(index);
    tx.sender = crypto::PublicKey::from_view(crypto::sha256(writer.take()).view());
    tx.nonce = 0;
  }
  tx.fee = options.kv_unsigned ? 0 : options.fee;
  chain::KvPut put;
  // Keys repeat over a window of 65,536 so the state stays bounded on long runs.
  const uint64_t slot = index % 65'536;
  put.key.resize(8);
  std::memcpy(put.key.data(), &slot, sizeof slot);
  put.value.assign(options.value_bytes, static_cast<uint8_t>('a' + index % 26));
  tx.payload = std::move(put);
  if (!options.kv_unsigned) tx.sign(keys[account]);
  return tx;
}

}  // namespace

Result<std::vector<PreparedTransaction>> prepare_workload(const WorkloadOptions& options,
                                                          const AccountKeys& account_keys) {
  if (options.accounts == 0 || options.accounts > kAccountsMax) {
    return error(Code::kInvalidArgument, "accounts must be 1.." + std::to_string(kAccountsMax));
  }
  if (options.transactions == 0 || options.transactions > kTransactionsMax) {
    return error(Code::kInvalidArgument,
                 "transactions must be 1.." + std::to_string(kTransactionsMax));
  }
  if (!options.start_nonces.empty() && options.start_nonces.size() != options.accounts) {
    return error(Code::kInvalidArgument, "one start nonce per account");
  }
  if (options.kind == WorkloadKind::kKvPut &&
      (options.value_bytes == 0 || options.value_bytes > chain::kKvValueBytesMax)) {
    return error(Code::kInvalidArgument,
                 "value bytes must be 1.." + std::to_string(chain::kKvValueBytesMax));
  }
  crypto::ensure_initialised();
  std::vector<crypto::KeyPair> keys;
  std::vector<chain::Address> addresses;
  keys.reserve(options.accounts);
  for (uint32_t i = 0; i < options.accounts; ++i) {
    keys.push_back(account_keys(i));
    addresses.push_back(chain::Address::from_public_key(keys.back().public_key()));
  }
  std::vector<PreparedTransaction> out(options.transactions);
  const uint32_t threads = std::max<uint32_t>(1, std::min<uint32_t>(options.threads, 64));
  std::vector<std::thread> workers;
  for (uint32_t t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (uint64_t i = t; i < options.transactions; i += threads) {
        const chain::Transaction tx = make_transaction(options, keys, addresses, i);
        out[i].encoded = encode(tx);
        out[i].id = tx.id();
      }
    });
  }
  for (std::thread& worker : workers)
    worker.join();
  return out;
}

std::unordered_map<Hash256, uint32_t, FixedBytesHasher> index_by_id(
    const std::vector<PreparedTransaction>& transactions) {
  std::unordered_map<Hash256, uint32_t, FixedBytesHasher> out;
  out.reserve(transactions.size());
  for (size_t i = 0; i < transactions.size(); ++i)
    out.emplace(transactions[i].id, static_cast<uint32_t>(i));
  return out;
}

}  // namespace synod::loadgen

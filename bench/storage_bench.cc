// Storage micro-benchmarks.
//
// BM_BlockStoreCommit5000: ChainStore::commit_block of one 5,000-transfer block to RocksDB with
// sync=true, in wall-clock time per block (the fsync of the write-ahead log is most of it). The
// block, its certificate and its ApplyResult are built beforehand: 5,000 transfers among 10,000
// distinct accounts, so 10,000 state writes shaped like the ledger's (21-byte key, 16-byte value).
// Only the height and previous hash change between iterations. What one commit writes: the block
// (~850 KB), its certificate, 5,000 transaction index entries, 10,000 history entries, 10,000
// state writes and the tip. Argument `revertible`: 1 also keeps undo (one read per state write,
// plus the application's undo bytes), as a proof-of-work node does.
//
// The database lives in a fresh folder under $TMPDIR (or /tmp); point TMPDIR at the disk to
// measure.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <variant>

#include "base/codec.h"
#include "storage/chain_store.h"
#include "storage/rocks_kv.h"

namespace synod::storage {
namespace {

constexpr char kChainId[] = "synod-bench";
constexpr uint32_t kTransactions = 5'000;

crypto::PublicKey bench_key(uint32_t n) {
  crypto::PublicKey key;
  for (size_t i = 0; i < 4; ++i)
    key.data[i] = static_cast<uint8_t>(n >> (8 * i));
  key.data[31] = 0xbe;
  return key;
}

// 0x01 | address, as the ledger names accounts.
Bytes account_key(const chain::Address& address) {
  Bytes key = {0x01};
  key.insert(key.end(), address.bytes.begin(), address.bytes.end());
  return key;
}

struct Workload {
  chain::Block block;
  chain::Certificate certificate;
  chain::ApplyResult result;
};

Workload make_workload() {
  Workload out;
  out.block.header.chain_id = kChainId;
  out.block.header.proposer = bench_key(0xffff'ffff);
  for (uint32_t i = 0; i < kTransactions; ++i) {
    chain::Transaction tx;
    tx.chain_id = kChainId;
    tx.sender = bench_key(2 * i);
    tx.nonce = 7;
    tx.fee = 10;
    tx.payload = chain::Transfer{chain::Address::from_public_key(bench_key(2 * i + 1)), 1'000 + i};
    tx.signature.data[0] = 1;  // the store never verifies signatures
    out.block.transactions.push_back(std::move(tx));
  }
  out.block.header.transaction_count = kTransactions;
  out.block.header.transactions_root = out.block.compute_transactions_root();
  std::map<Bytes, Bytes, BytesLess> writes;
  for (const chain::Transaction& tx : out.block.transactions) {
    Writer value;
    value.u64(1'000'000);
    value.u64(8);
    writes[account_key(tx.sender_address())] = value.take();
    writes[account_key(std::get<chain::Transfer>(tx.payload).to)] = Bytes(16, 0x11);
  }
  for (auto& [key, value] : writes)
    out.result.writes.push_back(chain::StateWrite{key, std::move(value)});
  out.result.state_root.data[0] = 0x5a;
  out.result.undo = Bytes(writes.size() * (21 + 16), 0x22);
  out.block.header.state_root = out.result.state_root;
  out.certificate.round = 0;
  for (uint32_t v = 0; v < 4; ++v) {
    chain::CommitSignature signature;
    signature.validator_index = v;
    signature.signature.data[0] = static_cast<uint8_t>(v);
    out.certificate.signatures.push_back(signature);
  }
  return out;
}

std::string make_temp_folder() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "synod-storage-bench-XXXXXX").string();
  SYNOD_ASSERT(mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

void BM_BlockStoreCommit5000(benchmark::State& state) {
  static const Workload workload = make_workload();
  std::string folder = make_temp_folder();
  {
    auto kv = RocksKvStore::open(folder + "/db");
    SYNOD_ASSERT(kv.is_ok());
    ChainStore store(**kv, ChainStoreOptions{state.range(0) != 0});
    Workload next = workload;
    uint64_t height = 0;
    Hash256 tip_hash;
    for (auto _ : state) {
      state.PauseTiming();
      next.block.header.height = ++height;
      // New transactions every block (as on a live chain), so the index keys are new keys.
      for (chain::Transaction& tx : next.block.transactions)
        tx.nonce = height;
      next.block.header.previous_hash = tip_hash;
      next.certificate.height = height;
      next.certificate.block_hash = next.block.hash();
      tip_hash = next.certificate.block_hash;
      state.ResumeTiming();
      Status status = store.commit_block(next.block, next.certificate, next.result, /*sync=*/true);
      if (!status.is_ok()) {
        state.SkipWithError(status.to_string().c_str());
        break;
      }
    }
    state.SetItemsProcessed(state.iterations() * kTransactions);
  }
  std::error_code ignored;
  std::filesystem::remove_all(folder, ignored);
}
BENCHMARK(BM_BlockStoreCommit5000)
    ->ArgName("revertible")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace synod::storage

// Mempool micro-benchmarks.
//
// BM_MempoolAdmission: pre-signed transfers from many senders through the whole admission path
// (decode, chain id, Ed25519 on the worker pool, then nonce/fee/balance and insertion in poll()),
// in wall-clock time because the work is spread over threads. Arguments: verify threads (0 =
// verified inside poll() on the benchmark thread) and batch size (1 = one submit() per
// transaction).
//
// BM_MempoolAdmissionCached: the same with every signature already cached, i.e. the cost of the
// rest of the path.
//
// BM_TxDecodeVerify vs BM_Ed25519VerifyOnly: what one thread spends per transaction beyond the raw
// signature check. BM_TxDecodeVerifyId adds the id hash, which is what a mempool worker does.
#include <benchmark/benchmark.h>
#include <sodium.h>

#include "mempool/fake_application.h"
#include "mempool/mempool.h"

namespace synod::mempool {
namespace {

const std::string kChain = "synod-bench";
constexpr uint32_t kSenders = 1'024;
constexpr uint64_t kNoncesPerSender = 2;

crypto::KeyPair bench_key(uint32_t n) {
  crypto::Seed seed;
  for (size_t i = 0; i < 4; ++i)
    seed.data[i] = static_cast<uint8_t>(n >> (8 * i));
  seed.data[31] = 0xbe;
  return crypto::KeyPair::from_seed(seed);
}

struct Workload {
  FakeApplication app;
  std::vector<Bytes> encoded;  // nonce-major, so each sender's transactions are far apart
};

Workload make_workload() {
  Workload out;
  std::vector<crypto::KeyPair> keys;
  for (uint32_t n = 0; n < kSenders; ++n) {
    keys.push_back(bench_key(n));
    out.app.fund(keys.back().public_key(), 1'000'000'000);
  }
  const chain::Address to = chain::Address::from_public_key(bench_key(kSenders).public_key());
  for (uint64_t nonce = 0; nonce < kNoncesPerSender; ++nonce) {
    for (uint32_t n = 0; n < kSenders; ++n) {
      out.encoded.push_back(
          encode(chain::make_transfer(kChain, keys[n], nonce, 1 + (n * 7 + nonce) % 100, to, 10)));
    }
  }
  return out;
}

const Workload& workload() {
  static const Workload instance = make_workload();
  return instance;
}

void admit_all(Mempool& pool, const std::vector<Bytes>& encoded, size_t batch_size) {
  size_t delivered = 0;
  size_t admitted = 0;
  auto count = [&](const Admission& admission) {
    ++delivered;
    if (admission.status.is_ok()) ++admitted;
  };
  for (size_t begin = 0; begin < encoded.size(); begin += batch_size) {
    const size_t end = std::min(encoded.size(), begin + batch_size);
    Status door;
    if (batch_size == 1) {
      door = pool.submit_encoded(encoded[begin], count);
    } else {
      door = pool.submit_batch(std::vector<Bytes>(encoded.begin() + static_cast<long>(begin),
                                                  encoded.begin() + static_cast<long>(end)),
                               [&](std::vector<Admission> results) {
                                 for (const Admission& admission : results)
                                   count(admission);
                               });
    }
    SYNOD_ASSERT(door.is_ok());
  }
  while (delivered < encoded.size())
    pool.poll_wait(std::chrono::milliseconds(10));
  SYNOD_ASSERT(admitted == encoded.size());
}

void BM_MempoolAdmission(benchmark::State& state) {
  const Workload& work = workload();
  Config config;
  config.chain_id = kChain;
  config.verify_threads = static_cast<size_t>(state.range(0));
  config.submissions_in_flight_max = work.encoded.size();
  config.transactions_max = work.encoded.size();
  const auto batch_size = static_cast<size_t>(state.range(1));
  for (auto _ : state) {
    state.PauseTiming();
    auto pool = std::make_unique<Mempool>(config, work.app);
    state.ResumeTiming();
    admit_all(*pool, work.encoded, batch_size);
    state.PauseTiming();
    pool.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(work.encoded.size()));
}
BENCHMARK(BM_MempoolAdmission)
    ->ArgNames({"verify_threads", "batch"})
    ->Args({0, 256})
    ->Args({1, 1})
    ->Args({1, 256})
    ->Args({2, 1})
    ->Args({2, 256})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// The same admissions when every signature is already in the cache (a transaction seen before,
// e.g. re-gossiped or returned by a reorg): decode, id and the driver-side checks only.
void BM_MempoolAdmissionCached(benchmark::State& state) {
  const Workload& work = workload();
  FakeApplication app = work.app;
  Config config;
  config.chain_id = kChain;
  config.verify_threads = static_cast<size_t>(state.range(0));
  config.submissions_in_flight_max = work.encoded.size();
  config.transactions_max = work.encoded.size();
  Mempool pool(config, app);
  admit_all(pool, work.encoded, 256);  // fills the signature cache
  for (auto _ : state) {
    state.PauseTiming();
    for (auto& [address, account] : app.accounts)
      account.nonce = kNoncesPerSender;
    pool.update_after_commit(chain::Block{});  // every pending nonce is now used: all dropped
    for (auto& [address, account] : app.accounts)
      account.nonce = 0;
    state.ResumeTiming();
    admit_all(pool, work.encoded, 256);
  }
  SYNOD_ASSERT(pool.metrics().signature_cache_hits >= state.iterations() * work.encoded.size());
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(work.encoded.size()));
}
BENCHMARK(BM_MempoolAdmissionCached)
    ->ArgNames({"verify_threads"})
    ->Arg(0)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

const chain::Transaction& sample() {
  static const chain::Transaction tx = chain::make_transfer(
      kChain, bench_key(1), 3, 10, chain::Address::from_public_key(bench_key(2).public_key()), 5);
  return tx;
}

void BM_Ed25519VerifyOnly(benchmark::State& state) {
  const chain::Transaction& tx = sample();
  const Hash256 message = tx.signing_hash();
  for (auto _ : state) {
    int result = crypto_sign_verify_detached(tx.signature.data.data(), message.data.data(),
                                             message.size(), tx.sender.data.data());
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519VerifyOnly);

void BM_TxDecodeVerify(benchmark::State& state) {
  const Bytes encoded = encode(sample());
  for (auto _ : state) {
    auto decoded = chain::decode_transaction(encoded);
    bool valid = decoded.is_ok() && decoded->verify_signature();
    benchmark::DoNotOptimize(valid);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TxDecodeVerify);

void BM_TxDecodeVerifyId(benchmark::State& state) {
  const Bytes encoded = encode(sample());
  for (auto _ : state) {
    auto decoded = chain::decode_transaction(encoded);
    bool valid = decoded.is_ok() && decoded->verify_signature();
    Hash256 id = decoded->id();
    benchmark::DoNotOptimize(valid);
    benchmark::DoNotOptimize(id);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TxDecodeVerifyId);

}  // namespace
}  // namespace synod::mempool

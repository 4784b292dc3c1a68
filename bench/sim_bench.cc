// The simulator's own speed and PBFT's message cost, on virtual time (issue 3):
//   BM_SimPbftSpeed/7/<faults>  committed heights per wall-second for a 7-node cluster running the
//                               production engine, ledger, mempool and storage in one process.
//   BM_SimPbftMessages/<n>      messages (and bytes) per committed block for n = 4, 7, 10, 16, 31
//                               with no faults: every message sent counts, by channel.
// Each run is deterministic (fixed seed), so one iteration is exact for the message counts; the
// wall-clock rate varies with the machine and its load.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>

#include "sim/simulator.h"

namespace synod::sim {
namespace {

Summary run_or_abort(const Options& options) {
  auto summary = run(options);
  if (!summary.is_ok() || !summary->passed) {
    std::fprintf(stderr, "simulation failed: %s\n",
                 summary.is_ok() ? summary->failure.c_str() : summary.status().to_string().c_str());
    std::abort();
  }
  return std::move(*summary);
}

void BM_SimPbftSpeed(benchmark::State& state) {
  Options options;
  options.nodes = static_cast<uint32_t>(state.range(0));
  const bool faults = state.range(1) != 0;
  options.faults = faults ? FaultMix::all() : FaultMix::none();
  options.byzantine = faults ? (options.nodes - 1) / 3 : 0;
  options.seed = 42;
  options.heights = 200;
  uint64_t heights = 0;
  uint64_t virtual_ms = 0;
  for (auto _ : state) {
    Summary summary = run_or_abort(options);
    heights += summary.agreed_height;
    virtual_ms += summary.virtual_time_ms;
  }
  state.counters["heights"] =
      benchmark::Counter(static_cast<double>(heights), benchmark::Counter::kIsRate);
  state.counters["virtual_x"] =
      benchmark::Counter(static_cast<double>(virtual_ms) / 1000.0, benchmark::Counter::kIsRate);
  state.SetLabel(faults ? "faults=all byzantine=f" : "faults=none");
}
BENCHMARK(BM_SimPbftSpeed)
    ->Args({7, 0})
    ->Args({7, 1})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2)
    ->UseRealTime();

void BM_SimPbftMessages(benchmark::State& state) {
  Options options;
  options.nodes = static_cast<uint32_t>(state.range(0));
  options.faults = FaultMix::none();
  options.seed = 7;
  options.heights = 50;
  Summary summary;
  for (auto _ : state)
    summary = run_or_abort(options);
  const double blocks = static_cast<double>(summary.agreed_height);
  const NetworkStats& net = summary.network;
  state.counters["msgs_per_block"] = static_cast<double>(net.sent) / blocks;
  state.counters["consensus_msgs_per_block"] = static_cast<double>(net.sent_consensus) / blocks;
  state.counters["consensus_kb_per_block"] =
      static_cast<double>(net.bytes_sent_consensus) / 1024.0 / blocks;
  state.counters["per_node_per_block"] =
      static_cast<double>(net.sent_consensus) / blocks / options.nodes;
}
BENCHMARK(BM_SimPbftMessages)
    ->Arg(4)
    ->Arg(7)
    ->Arg(10)
    ->Arg(16)
    ->Arg(31)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->UseRealTime();

}  // namespace
}  // namespace synod::sim

// The deterministic simulator, in the shape of TigerBeetle's VOPR: a whole cluster of production
// engines and ledgers in one process, on a simulated network, clock and disk, all driven by one
// seed. Same seed + same build → the same run, event for event; the trace digest shows it.
//
// A run alternates chaos and calm phases. In chaos, the fault mix is active: messages are lost,
// delayed, duplicated and reordered, the network partitions, nodes crash (losing unsynced
// writes, sometimes in the middle of executing a Ready) and restart from their own disk. In calm,
// the network heals and every crashed node restarts; only the byzantine nodes stay faulty, and
// the liveness checker requires every honest node to commit a new height within a bound. Load
// (signed transfers) flows throughout. The run ends when every honest node has committed
// `heights` heights, when a checker fails, or at a bound (events, virtual time, wall time).
//
// Everything is bounded by Options; nothing reads the wall clock except the wall-time bound,
// which only ends a run (and says so) and never changes its course. Not thread-safe; runs are
// independent, so separate runs may go on separate threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "chain/genesis.h"
#include "sim/checkers.h"
#include "sim/faults.h"
#include "sim/network.h"
#include "sim/replica.h"

namespace synod::sim {

struct Options {
  chain::Mechanism mechanism = chain::Mechanism::kPbft;
  uint32_t nodes = 4;
  uint32_t byzantine = 0;  // at most f = (nodes - 1) / 3
  FaultMix faults;
  uint64_t seed = 1;
  uint64_t heights = 100;  // done when every honest node has committed this many

  // The genesis the cluster runs.
  uint64_t block_interval_ms = 100;
  uint64_t round_timeout_ms = 500;
  uint32_t block_transactions_max = 500;

  // Load: one transfer every load_interval_ms from one of load_accounts accounts.
  uint32_t load_accounts = 32;
  uint64_t load_interval_ms = 25;

  // Phases and bounds.
  uint64_t chaos_ms_min = 2'000;
  uint64_t chaos_ms_max = 12'000;
  uint64_t liveness_bound_ms = 0;  // 0: 128 round timeouts (the longest backed-off view) + 10 s
  uint64_t sync_interval_ms = 250;
  uint64_t virtual_time_ms_max = 0;  // 0: 10 s per height plus 5 minutes
  uint64_t events_max = 50'000'000;
  uint64_t events_pending_max = 2'000'000;
  uint64_t wall_time_ms_max = 30 * 60 * 1000;

  bool echo_trace = false;  // print every trace line as it happens
  // Test-only: honest nodes run a driver that never persists engine records (replica.h), to
  // show that the checkers catch the double votes that follow.
  bool bug_skip_records = false;

  // Production defaults (consensus::make_engine, ledger::Ledger, its total supply) when empty;
  // tests inject doubles.
  EngineFactory engine_factory;
  ApplicationFactory application_factory;
  SupplyFunction supply;

  // kInvalidArgument naming the first bad field.
  Status check() const;
  uint64_t virtual_time_limit_ms() const;
  uint64_t liveness_limit_ms() const;
  // The `synod sim` command line that replays this run.
  std::string replay_command() const;
};

struct Summary {
  Options options;
  std::string byzantine_description;  // "n2[equivocate,forge] n5[replay]"
  std::string rates_description;
  uint64_t agreed_height = 0;
  uint64_t honest_height_min = 0;
  uint64_t honest_height_max = 0;
  uint64_t virtual_time_ms = 0;
  uint64_t events = 0;
  uint64_t wall_time_ms = 0;  // not part of the run: varies between machines
  NetworkStats network;
  FaultCounts faults;  // injected, by kind (network, crash, partition, byzantine)
  uint64_t transactions_generated = 0;
  uint64_t transactions_committed = 0;
  uint64_t evidence = 0;
  std::vector<CheckerVerdict> verdicts;  // the checkers, then "bounds"
  Hash256 digest;
  bool passed = true;
  std::string failure;             // "checker: detail" of the first failure
  std::vector<std::string> trace;  // the last trace lines, kept on failure

  std::string to_text() const;
};

// Runs one simulation. Errors only for bad options or an unbuildable cluster; checker failures
// are in the Summary.
Result<Summary> run(const Options& options);

// Short runs over seeds [first, first + count): returns the failing summaries. `progress`, when
// set, is called after each run.
std::vector<Summary> sweep(const Options& base, uint64_t first_seed, uint64_t count,
                           const std::function<void(const Summary&)>& progress = {});

}  // namespace synod::sim

// The load run: submits prepared transactions over keep-alive JSON-RPC batches from several
// connections, follows the chain to see them commit, and measures submit → commit latency.
//
// Submission: `connections` threads, thread c talking to node c % nodes (failing over to the next
// node when its node stops answering). Each takes the next `batch` transactions in index order
// (so every sender's nonces go out in order), waits for the rate (when set) and for the in-flight
// bound (sent and neither committed nor rejected), and sends them as one JSON-RPC batch of
// submit_transaction calls. The submit time of a transaction is when its batch was sent.
// Refusals that are backpressure (resource_exhausted: mempool or sender full; unavailable; the
// request timed out) are resubmitted after a pause, since a dropped nonce would strand every
// later transaction of its sender; every other refusal is final ("rejected").
//
// Commits: one thread follows the chain from the height at start through get_block, block after
// block, woken by a new_blocks subscription (and looking every kStreamPollMs besides, every kPollMs
// without a subscription, so a lost stream only costs latency), and stamps each known id with the
// time it saw the block. Lost = accepted by a node and not committed by the end of the drain: with
// a correct network that is zero.
//
// Bounds: per transaction three 8-byte stamps and a state byte; one id → index map. Nothing grows
// with time beyond the prepared set. Not thread-safe: one run at a time per object.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "loadgen/workload.h"
#include "rpc/http_client.h"

namespace synod::loadgen {

inline constexpr uint32_t kBatchCallsMax = 256;  // the node's JSON-RPC batch limit
inline constexpr uint32_t kConnectionsMax = 64;
inline constexpr uint64_t kPollMs = 5;
inline constexpr uint64_t kStreamPollMs = 50;
inline constexpr uint64_t kTimelineSecondsMax = 24 * 3600;

struct RunOptions {
  std::vector<rpc::Endpoint> nodes;
  uint32_t connections = 4;
  uint32_t batch = 200;
  uint64_t rate = 0;  // transactions per second; 0: as fast as the network takes them
  uint64_t inflight_max = 8'000;
  uint64_t duration_ms = 60'000;
  uint64_t warmup_ms = 5'000;
  uint64_t drain_ms = 20'000;
  uint64_t request_timeout_ms = 10'000;
  // Called from the run's own thread about every 100 ms with the milliseconds since the clock
  // started (e.g. to kill a node on schedule or print progress).
  std::function<void(uint64_t elapsed_ms)> on_tick;
};

struct Percentiles {
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
  uint64_t samples = 0;
};

struct RunReport {
  uint64_t prepared = 0;
  uint64_t submitted = 0;    // sent at least once
  uint64_t accepted = 0;     // some node admitted it (or already had it)
  uint64_t committed = 0;    // seen in a committed block
  uint64_t rejected = 0;     // refused for good
  uint64_t lost = 0;         // accepted, never committed: a bug
  uint64_t unanswered = 0;   // sent, no node answered, never committed
  uint64_t resubmitted = 0;  // backpressure retries
  std::map<std::string, uint64_t> rejected_by_reason;
  uint64_t batches = 0;                 // submission batches answered
  uint64_t block_events = 0;            // new_block events that woke the follower
  double batch_round_trip_ms_mean = 0;  // send → answer of one batch
  double batch_round_trip_ms_max = 0;
  double committed_tps = 0;  // over the measuring window
  double window_s = 0;       // warm-up end → load end
  double run_s = 0;          // the load phase
  Percentiles latency_ms;
  uint64_t height_start = 0;
  uint64_t height_end = 0;
  bool ran_out = false;  // the prepared transactions ran out before the duration
  // Commits seen in each second since the clock started (load and drain), at most
  // kTimelineSecondsMax entries: shows a dip and the recovery around a killed node.
  std::vector<uint64_t> committed_per_second;
};

// Runs the load. kInvalidArgument for bad options; kUnavailable when no node answers at start.
Result<RunReport> run_load(const RunOptions& options,
                           const std::vector<PreparedTransaction>& transactions);

// Nearest-rank percentiles of `values` (sorted in place).
Percentiles percentiles(std::vector<double>& values);

}  // namespace synod::loadgen

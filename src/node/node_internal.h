// Pieces of Node's implementation shared by its .cc files. Not part of the node's interface.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "consensus/engine.h"
#include "node/node.h"

namespace synod::node {

// The engine gets a Tick at least this often, besides the wake times it asks for.
inline constexpr uint64_t kHeartbeatTickMs = 1'000;
// A one-line summary (height, round, peers, mempool) goes to the log this often.
inline constexpr uint64_t kStatusLogIntervalMs = 10'000;
// An engine that keeps producing Ready without new input is a bug; this bounds one iteration.
inline constexpr int kReadiesPerIterationMax = 10'000;
// Fetched blocks applied in one iteration (one fsync serves them all).
inline constexpr size_t kSyncBlocksPerIterationMax = 64;

// Transaction gossip (node_network.cc): how long an announced id that the mempool lacks waits
// for the push that is usually on its way (or being admitted) before it is asked of its
// announcer, and the most ids waiting at once (announces beyond it are ignored: blocks carry
// every transaction anyway).
inline constexpr uint64_t kGossipAnnounceWaitMs = 200;
inline constexpr size_t kGossipAnnouncedMax = 65'536;
// Transactions served to one peer's Requests, per second (a token bucket holding at most one
// second's worth). An honest peer asks only for what it lacks; without a bound, a peer could ask
// for the same ids again and again and turn 32 bytes in into a whole transaction out.
inline constexpr uint64_t kGossipServedPerPeerPerSecond = 20'000;

// Penalty points (net/transport.h: 100 bans a peer for a while).
inline constexpr uint32_t kMalformedPenaltyPoints = 20;
inline constexpr uint32_t kInvalidTransactionPenaltyPoints = 10;  // per invalid tx in a batch
inline constexpr uint32_t kInvalidBatchPenaltyPointsMax = 100;    // one batch: at most a ban
inline constexpr uint32_t kUnaskedBlocksPenaltyPoints = 10;
inline constexpr uint32_t kInvalidBlockPenaltyPoints = 50;
inline constexpr uint32_t kInvalidSignaturePenaltyPoints = 25;

// What one loop iteration has done but not yet made durable or sent.
struct Node::Iteration {
  bool unsynced = false;                      // records or commits were written without sync
  bool records = false;                       // some Ready carried records
  uint64_t ready_sequence = 0;                // the last Ready whose records were written
  std::vector<consensus::OutMessage> outbox;  // sent after the sync
  std::vector<consensus::Commit> committed;   // told to listeners after the sync
};

struct Node::Atomics {
  std::atomic<uint64_t> loop_iterations{0};
  std::atomic<uint64_t> readies{0};
  std::atomic<uint64_t> fsyncs{0};
  std::atomic<uint64_t> records_written{0};
  std::atomic<uint64_t> blocks_committed{0};
  std::atomic<uint64_t> transactions_committed{0};
  std::atomic<uint64_t> proposals{0};
  std::atomic<uint64_t> proposals_failed{0};
  std::atomic<uint64_t> validations{0};
  std::atomic<uint64_t> validations_rejected{0};
  std::atomic<uint64_t> consensus_messages_in{0};
  std::atomic<uint64_t> consensus_messages_out{0};
  std::atomic<uint64_t> gossip_batches_in{0};
  std::atomic<uint64_t> gossip_batches_out{0};
  std::atomic<uint64_t> gossip_transactions_in{0};
  std::atomic<uint64_t> gossip_ids_announced_in{0};
  std::atomic<uint64_t> gossip_ids_requested{0};
  std::atomic<uint64_t> gossip_requests_refused{0};
  std::atomic<uint64_t> sync_requests_sent{0};
  std::atomic<uint64_t> sync_requests_served{0};
  std::atomic<uint64_t> sync_blocks_applied{0};
  std::atomic<uint64_t> sync_blocks_rejected{0};
  std::atomic<uint64_t> peer_penalties{0};
  std::atomic<uint64_t> evidence{0};

  NodeMetrics snapshot() const {
    NodeMetrics out;
    out.loop_iterations = loop_iterations.load();
    out.readies = readies.load();
    out.fsyncs = fsyncs.load();
    out.records_written = records_written.load();
    out.blocks_committed = blocks_committed.load();
    out.transactions_committed = transactions_committed.load();
    out.proposals = proposals.load();
    out.proposals_failed = proposals_failed.load();
    out.validations = validations.load();
    out.validations_rejected = validations_rejected.load();
    out.consensus_messages_in = consensus_messages_in.load();
    out.consensus_messages_out = consensus_messages_out.load();
    out.gossip_batches_in = gossip_batches_in.load();
    out.gossip_batches_out = gossip_batches_out.load();
    out.gossip_transactions_in = gossip_transactions_in.load();
    out.gossip_ids_announced_in = gossip_ids_announced_in.load();
    out.gossip_ids_requested = gossip_ids_requested.load();
    out.gossip_requests_refused = gossip_requests_refused.load();
    out.sync_requests_sent = sync_requests_sent.load();
    out.sync_requests_served = sync_requests_served.load();
    out.sync_blocks_applied = sync_blocks_applied.load();
    out.sync_blocks_rejected = sync_blocks_rejected.load();
    out.peer_penalties = peer_penalties.load();
    out.evidence = evidence.load();
    return out;
  }
};

inline std::string short_hex(const Hash256& hash) {
  return hash.hex().substr(0, 12);
}

}  // namespace synod::node

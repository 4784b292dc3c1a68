// BlockSync: the bookkeeping of block sync, with no I/O and no clock (time arrives as now_ms), so
// it is tested on its own. A node that is behind — new, restarted, back from a partition — learns
// its peers' heights from their Status messages, asks several peers at once for consecutive
// batches of the blocks it lacks (GetBlocks), and holds what comes back until the driver is ready
// to apply it in height order. The driver verifies each block (certificate against the validator
// set, then the ledger) before handing it to the engine as a SyncedBlock event; a peer whose block
// fails is reported back with discard_from().
//
// Policy:
// - Fetch when a peer reports a height at least lag_blocks_min above ours, or any height above
//   ours for stall_ms without our own progress (a one-block lag is usually consensus running
//   ahead by a message, which the engine settles by itself).
// - Ask only for heights in (applied, applied + window_blocks], at most batch_blocks per request,
//   one request in flight per peer, each to a peer that says it has them, spreading batches over
//   the idle peers (least recently asked first). A request unanswered after request_timeout_ms
//   is forgotten, its heights go to another peer, and the slow peer rests for that long.
// - An answer must be to the request in flight from that peer, starting where it asked and no
//   longer than asked; anything else is an error the driver penalises. An empty answer means the
//   peer lacks those blocks: its height is lowered so it is not asked again at once.
// - Serving: each peer may have serve_requests_per_second GetBlocks answered (burst twice that).
//
// Bounds: peers as many as the transport connects; fetched blocks at most window_blocks.
// Not thread-safe: the driver thread owns it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "net/messages.h"
#include "net/wire.h"
#include "node/protocol.h"

namespace synod::node {

struct BlockSyncConfig {
  uint32_t batch_blocks = 16;
  uint64_t window_blocks = 64;
  uint64_t request_timeout_ms = 5'000;
  uint64_t lag_blocks_min = 2;
  uint64_t stall_ms = 2'000;
  uint32_t serve_requests_per_second = 20;
};

struct SyncRequest {
  net::NodeId peer;
  GetBlocks request;
};

struct FetchedBlock {
  CertifiedBlock entry;
  net::NodeId from;
};

class BlockSync {
 public:
  explicit BlockSync(BlockSyncConfig config);

  void add_peer(const net::NodeId& peer);
  // Forgets the peer; heights it was asked for go to others. Fetched blocks stay.
  void remove_peer(const net::NodeId& peer);
  void on_status(const net::NodeId& peer, uint64_t height);
  // Takes a Blocks answer. kFailedPrecondition for one that was not asked for or does not match
  // the request (the driver penalises the peer).
  Status on_blocks(const net::NodeId& peer, BlocksMessage message, uint64_t now_ms);

  // The requests to send now, given the applied height. Also expires timed-out requests.
  std::vector<SyncRequest> next_requests(uint64_t applied_height, uint64_t now_ms);
  // Removes and returns the fetched block at `height`, if there is one.
  std::optional<FetchedBlock> take(uint64_t height);
  // Drops every fetched block that `peer` sent (one of them failed verification).
  void discard_from(const net::NodeId& peer);
  // Whether a GetBlocks from `peer` may be answered now (token bucket per peer).
  bool allow_serve(const net::NodeId& peer, uint64_t now_ms);

  // The highest height a connected peer reported.
  uint64_t target_height() const;
  // Each connected peer's reported height (0 until it reports).
  std::map<net::NodeId, uint64_t> peer_heights() const;
  // True while fetching: a peer is ahead by the policy above.
  bool syncing() const { return syncing_; }
  // The earliest time after now_ms at which next_requests has something new to do (a request
  // deadline, a peer's rest ending, the stall threshold), or UINT64_MAX.
  uint64_t wake_at_ms(uint64_t now_ms) const;
  size_t fetched_count() const { return fetched_.size(); }
  size_t in_flight_count() const;

 private:
  struct InFlight {
    uint64_t height_from = 0;
    uint32_t count = 0;
    uint64_t deadline_ms = 0;
  };
  struct Peer {
    uint64_t height = 0;
    std::optional<InFlight> in_flight;
    uint64_t resting_until_ms = 0;
    uint64_t last_asked_ms = 0;
    double serve_tokens = 0;
    uint64_t serve_refilled_ms = 0;
  };

  void expire(uint64_t now_ms);
  bool wants_blocks(uint64_t applied_height, uint64_t now_ms) const;
  bool covered(uint64_t height) const;
  // The idle peer, having `height`, asked least recently; nullptr when none.
  Peer* pick_peer(uint64_t height, uint64_t now_ms, net::NodeId& id);

  const BlockSyncConfig config_;
  std::map<net::NodeId, Peer> peers_;
  std::map<uint64_t, FetchedBlock> fetched_;  // heights in (applied, applied + window_blocks]
  uint64_t applied_height_ = 0;
  uint64_t applied_since_ms_ = 0;  // when applied_height_ was first seen
  bool syncing_ = false;
};

}  // namespace synod::node

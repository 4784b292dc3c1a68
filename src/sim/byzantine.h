// Byzantine behaviour for up to f simulated nodes, chosen per node from the seed. A byzantine
// node runs the production engine and ledger like any other node; the simulator then lies on
// its behalf:
//   equivocate       the node runs as two instances ("twins", Bano et al., "Twins: BFT Systems
//                    Made Robust", 2020) sharing one validator key, each seeing a different half
//                    of the network: both propose and vote, so peers receive conflicting signed
//                    pre-prepares and double votes, signed with the node's real key and in the
//                    engine's real message format, whatever the engine.
//   invalid-proposal as primary, corrupts the block it proposes (state root, a forged or
//                    overspending transaction) after the engine asked for it;
//   approve-all      answers every validation request "valid": votes for invalid blocks;
//   withhold         drops some of its outgoing messages, chosen per peer;
//   forge            flips bytes of outgoing messages (signatures stop verifying);
//   replay           re-sends messages it sent or received earlier;
//   malformed        truncates messages or appends garbage;
//   oversize         sends messages padded past what the decoder accepts, and now and then past
//                    the transport's frame limit.
// Byzantine nodes are excluded from every honest-node check. Not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "chain/block.h"
#include "sim/faults.h"
#include "sim/random.h"

namespace synod::sim {

enum class Behavior : uint8_t {
  kEquivocate,
  kInvalidProposal,
  kApproveAll,
  kWithhold,
  kForge,
  kReplay,
  kMalformed,
  kOversize,
};
inline constexpr Behavior kAllBehaviors[] = {
    Behavior::kEquivocate, Behavior::kInvalidProposal, Behavior::kApproveAll, Behavior::kWithhold,
    Behavior::kForge,      Behavior::kReplay,          Behavior::kMalformed,  Behavior::kOversize};

std::string_view behavior_name(Behavior behavior);

class ByzantineProfile {
 public:
  // A random non-empty set of behaviours.
  static ByzantineProfile from_seed(Prng& prng);
  static ByzantineProfile honest() { return ByzantineProfile(); }
  ByzantineProfile& add(Behavior behavior) {
    bits_ |= 1u << static_cast<unsigned>(behavior);
    return *this;
  }
  bool has(Behavior behavior) const { return (bits_ >> static_cast<unsigned>(behavior)) & 1u; }
  bool byzantine() const { return bits_ != 0; }
  std::string to_string() const;

 private:
  uint32_t bits_ = 0;
};

// Rewrites one byzantine node's outgoing consensus messages.
class MessageMutator {
 public:
  static constexpr size_t kRememberedMax = 64;
  static constexpr size_t kGarbageBytesMax = 256 * 1024;

  MessageMutator(ByzantineProfile profile, size_t frame_bytes_max, Prng prng)
      : profile_(profile), frame_bytes_max_(frame_bytes_max), prng_(prng) {}

  // The payloads to send to one peer instead of `payload`: none (withheld), a mutated copy, or
  // the original, possibly followed by a replayed older message. Counts what it did in `counts`.
  std::vector<Bytes> mutate(const Bytes& payload, FaultCounts& counts);
  // Remembers a message for later replay.
  void remember(const Bytes& payload);

  // The block a byzantine primary proposes instead of `block` (invalid-proposal).
  chain::Block corrupt_proposal(chain::Block block, FaultCounts& counts);

 private:
  ByzantineProfile profile_;
  size_t frame_bytes_max_;
  Prng prng_;
  std::deque<Bytes> remembered_;
};

}  // namespace synod::sim

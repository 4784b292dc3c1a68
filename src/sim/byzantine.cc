#include "sim/byzantine.h"

namespace synod::sim {

std::string_view behavior_name(Behavior behavior) {
  switch (behavior) {
    case Behavior::kEquivocate:
      return "equivocate";
    case Behavior::kInvalidProposal:
      return "invalid-proposal";
    case Behavior::kApproveAll:
      return "approve-all";
    case Behavior::kWithhold:
      return "withhold";
    case Behavior::kForge:
      return "forge";
    case Behavior::kReplay:
      return "replay";
    case Behavior::kMalformed:
      return "malformed";
    case Behavior::kOversize:
      return "oversize";
  }
  return "unknown";
}

ByzantineProfile ByzantineProfile::from_seed(Prng& prng) {
  ByzantineProfile profile;
  for (Behavior behavior : kAllBehaviors) {
    if (prng.chance(400'000)) profile.add(behavior);
  }
  if (!profile.byzantine()) profile.add(kAllBehaviors[prng.below(std::size(kAllBehaviors))]);
  return profile;
}

std::string ByzantineProfile::to_string() const {
  std::string out;
  for (Behavior behavior : kAllBehaviors) {
    if (!has(behavior)) continue;
    if (!out.empty()) out += ',';
    out += behavior_name(behavior);
  }
  return out.empty() ? "honest" : out;
}

void MessageMutator::remember(const Bytes& payload) {
  if (!profile_.has(Behavior::kReplay)) return;
  remembered_.push_back(payload);
  while (remembered_.size() > kRememberedMax)
    remembered_.pop_front();
}

std::vector<Bytes> MessageMutator::mutate(const Bytes& payload, FaultCounts& counts) {
  std::vector<Bytes> out;
  if (profile_.has(Behavior::kWithhold) && prng_.chance(250'000)) {
    ++counts["byzantine-withhold"];
    return out;
  }
  Bytes copy = payload;
  if (profile_.has(Behavior::kForge) && !copy.empty() && prng_.chance(150'000)) {
    // Flip bytes near the end, where the signature sits in every synod message, or anywhere.
    size_t flips = prng_.between(1, 4);
    for (size_t i = 0; i < flips; ++i) {
      size_t tail = std::min<size_t>(copy.size(), 64);
      size_t index =
          prng_.chance(700'000) ? copy.size() - 1 - prng_.below(tail) : prng_.below(copy.size());
      copy[index] ^= static_cast<uint8_t>(prng_.between(1, 255));
    }
    ++counts["byzantine-forge"];
  }
  if (profile_.has(Behavior::kMalformed) && prng_.chance(80'000)) {
    if (prng_.chance(500'000) && !copy.empty()) {
      copy.resize(prng_.below(copy.size()));
    } else {
      size_t garbage = prng_.between(1, 64);
      for (size_t i = 0; i < garbage; ++i)
        copy.push_back(static_cast<uint8_t>(prng_.next()));
    }
    ++counts["byzantine-malformed"];
  }
  if (profile_.has(Behavior::kOversize) && prng_.chance(20'000)) {
    // Rarely past the frame limit (the transport refuses it), usually just large.
    size_t padding = prng_.chance(50'000)
                         ? frame_bytes_max_ + 1 - std::min(frame_bytes_max_, copy.size())
                         : prng_.between(1, kGarbageBytesMax);
    copy.resize(copy.size() + padding, static_cast<uint8_t>(prng_.next()));
    ++counts["byzantine-oversize"];
  }
  out.push_back(std::move(copy));
  if (profile_.has(Behavior::kReplay) && !remembered_.empty() && prng_.chance(100'000)) {
    out.push_back(remembered_[prng_.below(remembered_.size())]);
    ++counts["byzantine-replay"];
  }
  return out;
}

chain::Block MessageMutator::corrupt_proposal(chain::Block block, FaultCounts& counts) {
  ++counts["byzantine-invalid-proposal"];
  switch (prng_.below(3)) {
    case 0:  // a state root no honest ledger reaches
      block.header.state_root.data[prng_.below(32)] ^= 0x5a;
      break;
    case 1:  // a transaction whose signature does not verify (root kept consistent)
      if (!block.transactions.empty()) {
        chain::Transaction& tx = block.transactions[prng_.below(block.transactions.size())];
        tx.signature.data[prng_.below(64)] ^= 0x01;
        block.header.transactions_root = block.compute_transactions_root();
        break;
      }
      [[fallthrough]];
    default:  // a body that does not match the header
      block.header.transaction_count += 1;
      break;
  }
  return block;
}

}  // namespace synod::sim

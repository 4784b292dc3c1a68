// The PBFT view change (Castro & Liskov 1999, §4.4; liveness rules of §4.5.2), for one slot per
// height: VIEW-CHANGE carries the replica's highest prepared certificate, NEW-VIEW the quorum of
// signed claims and the proof of the highest, and the new primary re-proposes that block.
#include <algorithm>

#include "consensus/pbft/pbft_engine.h"

namespace synod::consensus::pbft {

// §4.5.2: "if the timer of a backup expires after view-change ... it starts the view change for
// view v+2 but this time it will wait 4T": the timeout doubles with each view, up to a cap.
uint64_t PbftEngine::view_timeout_ms(uint64_t view) const {
  uint64_t doublings = std::min<uint64_t>(view, kViewTimeoutDoublingsMax);
  return genesis_.consensus.round_timeout_ms << doublings;
}

// §4.4: "if the timer of backup i expires in view v, the backup starts a view change to move the
// system to view v+1". A peer that showed it is ahead is asked for the blocks we missed first:
// the timeout may be ours alone.
void PbftEngine::on_view_timeout() {
  if (peer_ahead_ && sync_target_height_ >= height_) send_sync_request(*peer_ahead_);
  start_view_change(view_ + 1);
}

// §4.4: stop accepting messages of the old view (other than checkpoints, view changes and new
// views), record the new view, multicast VIEW-CHANGE with the prepared certificate.
void PbftEngine::start_view_change(uint64_t new_view) {
  SYNOD_ASSERT(new_view > view_);
  view_ = new_view;
  view_active_ = false;
  mandate_.reset();
  ++view_changes_;
  view_deadline_ms_ = now_ms_ + view_timeout_ms(view_);
  state_.new_view.reset();
  persist_view();
  if (my_index_) {
    Message message = signed_message(make_view_change());
    remember_view_change(*my_index_, std::get<ViewChange>(message));
    broadcast(message);
  }
  check_new_view();
}

ViewChange PbftEngine::make_view_change() const {
  ViewChange message;
  message.height = height_;
  message.new_view = view_;
  if (state_.prepared) {
    message.prepared = state_.prepared->claim;
    message.prepares = state_.prepared->prepares;
    message.block = state_.blocks.at(state_.prepared->claim.block_hash).block;
  }
  return message;
}

// Keeps a validator's latest VIEW-CHANGE (its claim and signature; the block goes to the block
// store). Returns false when it is older than one we hold.
bool PbftEngine::remember_view_change(uint32_t signer, const ViewChange& message) {
  auto it = state_.view_changes.find(signer);
  if (it != state_.view_changes.end() && it->second.new_view > message.new_view) return false;
  if (it != state_.view_changes.end() && it->second.new_view == message.new_view) {
    if (it->second.prepared != message.prepared) {
      ViewChange first = it->second;  // kept without its block: put it back to encode it whole
      if (first.prepared) {
        auto block = state_.blocks.find(first.prepared->block_hash);
        if (block != state_.blocks.end()) first.block = block->second.block;
      }
      report_evidence(signer, MessageType::kViewChange, message.new_view, first, message);
    }
    return false;
  }
  ViewChange kept = message;
  if (kept.block) {
    store_block(*kept.block, Validity::kUnknown);
    kept.block.reset();
  }
  state_.view_changes[signer] = std::move(kept);
  state_.view_change_rounds.observe(signer, message.new_view);
  return true;
}

void PbftEngine::on_view_change(const PeerId& from, const ViewChange& message, uint32_t signer) {
  if (message.new_view == 0) {
    ++drops_.malformed;
    return;
  }
  // §4.4: the prepared certificate must be a quorum of matching PREPAREs for a block we can see.
  if (message.prepared) {
    Hash256 digest = prepare_signing_hash(chain_id(), height_, message.prepared->view,
                                          message.prepared->block_hash);
    if (!verify_quorum_signatures(*validators_, digest, message.prepares).is_ok() ||
        message.block->height() != height_ || !message.block->check_body().is_ok()) {
      ++drops_.malformed;
      return;
    }
  }
  if (!remember_view_change(signer, message)) return;
  // A replica asking for the view we already work in, later than the burst of view changes
  // that opened it, missed the NEW-VIEW: send it again.
  if (message.new_view == view_ && view_active_ && now_ms_ > view_entered_ms_) {
    forward_new_view(from);
  }
  // §4.5.2: validators holding more than a third of the power want a higher view; at least one
  // is honest, so join the smallest such view rather than wait for our own timer.
  if (auto join = state_.view_change_rounds.round_to_join(view_)) {
    start_view_change(*join);
    return;
  }
  check_new_view();
}

void PbftEngine::forward_new_view(const PeerId& to) {
  if (!state_.new_view) return;
  send_to(to, *state_.new_view);
  auto pre_prepare = state_.pre_prepares.find(view_);
  if (pre_prepare == state_.pre_prepares.end()) return;
  const Hash256& hash = pre_prepare->second.block_hash;
  send_to(to, PrePrepare{height_,
                         view_,
                         state_.blocks.at(hash).block,
                         {validators_->at(primary_index(view_)).public_key,
                          pre_prepare->second.signature}});
}

// §4.4: the primary of view v+1, holding VIEW-CHANGEs for v+1 from a quorum of power (its own
// included), multicasts NEW-VIEW and re-proposes the block of the highest prepared certificate
// among them; with none, the view is free and the primary asks for a new block.
void PbftEngine::check_new_view() {
  if (holding_ || view_active_ || !my_index_ || !is_primary(view_)) return;
  NewView message;
  message.height = height_;
  message.new_view = view_;
  uint64_t power = 0;
  const ViewChange* highest = nullptr;
  for (const auto& [index, view_change] : state_.view_changes) {
    if (view_change.new_view != view_) continue;
    power += validators_->at(index).power;
    message.view_changes.push_back({index, view_change.prepared, view_change.sig.signature});
    if (view_change.prepared &&
        (!highest || view_change.prepared->view > highest->prepared->view)) {
      highest = &view_change;
    }
  }
  if (!validators_->has_quorum(power)) return;
  std::optional<Hash256> mandate;
  if (highest) {
    message.proof = PreparedProof{*highest->prepared, highest->prepares};
    mandate = highest->prepared->block_hash;
  }
  Message signed_new_view = signed_message(message);
  state_.new_view = std::get<NewView>(signed_new_view);
  broadcast(signed_new_view);
  enter_view(view_, mandate);
  if (!mandate) {
    maybe_request_proposal();
    return;
  }
  auto block = state_.blocks.find(*mandate);
  bool proposed = state_.my_pre_prepare && state_.my_pre_prepare->view == view_;
  if (block != state_.blocks.end() && !proposed) send_pre_prepare(block->second.block);
}

void PbftEngine::on_new_view(const NewView& message) {
  if (message.new_view < view_ || (message.new_view == view_ && view_active_)) return;
  if (message.new_view == 0 ||
      message.sig.signer != validators_->at(primary_index(message.new_view)).public_key ||
      !verify_new_view(message).is_ok()) {
    ++drops_.malformed;
    return;
  }
  if (message.new_view > view_) ++view_changes_;
  state_.new_view = message;
  std::optional<Hash256> mandate;
  if (message.proof) mandate = message.proof->claim.block_hash;
  enter_view(message.new_view, mandate);
}

// §4.4: a backup accepts NEW-VIEW when the view-change claims are correctly signed by a quorum of
// power and the block it obliges is the one of the highest claim, backed by a quorum of PREPAREs.
// Two different blocks cannot both hold a prepared certificate in one view (quorums intersect in
// an honest validator), so the highest claim names one block.
Status PbftEngine::verify_new_view(const NewView& message) const {
  uint64_t power = 0;
  std::optional<PreparedClaim> highest;
  for (const ViewChangeSummary& summary : message.view_changes) {
    if (summary.validator_index >= validators_->size()) {
      return error(Code::kUnauthenticated, "view change from outside the validator set");
    }
    if (summary.prepared && summary.prepared->view >= message.new_view) {
      return error(Code::kCorrupt, "view change claims a view not below the new view");
    }
    ViewChange claim{message.height, message.new_view, summary.prepared, {}, {}, {}};
    const chain::Validator& validator = validators_->at(summary.validator_index);
    if (!crypto::verify(validator.public_key, claim.signing_hash(chain_id()).view(),
                        summary.signature)) {
      return error(Code::kUnauthenticated, "view change signature is invalid");
    }
    power += validator.power;
    if (summary.prepared && (!highest || summary.prepared->view > highest->view)) {
      highest = summary.prepared;
    }
  }
  if (!validators_->has_quorum(power)) {
    return error(Code::kUnauthenticated, "view changes hold no quorum");
  }
  if (!highest) {
    if (message.proof) return error(Code::kCorrupt, "proof without a prepared claim");
    return Status::ok();
  }
  if (!message.proof || message.proof->claim.view != highest->view) {
    return error(Code::kCorrupt, "no proof for the highest prepared claim");
  }
  bool claimed = std::any_of(
      message.view_changes.begin(), message.view_changes.end(),
      [&](const ViewChangeSummary& summary) { return summary.prepared == message.proof->claim; });
  if (!claimed) return error(Code::kCorrupt, "the proof matches no claim");
  Hash256 digest = prepare_signing_hash(chain_id(), message.height, message.proof->claim.view,
                                        message.proof->claim.block_hash);
  return verify_quorum_signatures(*validators_, digest, message.proof->prepares);
}

// §4.4: enter the view (the primary on sending NEW-VIEW, a backup on accepting it), record it,
// and take the pre-prepare of this view if it arrived first.
void PbftEngine::enter_view(uint64_t view, std::optional<Hash256> mandate) {
  SYNOD_ASSERT(view >= view_);
  view_ = view;
  view_active_ = true;
  mandate_ = mandate;
  view_entered_ms_ = now_ms_;
  view_deadline_ms_ = now_ms_ + view_timeout_ms(view_);
  persist_view();
  auto& pending = state_.pending_pre_prepares;
  auto it = pending.find(view_);
  std::optional<PrePrepare> early;
  if (it != pending.end()) early = std::move(it->second);
  pending.erase(pending.begin(), pending.upper_bound(view_));
  if (early) accept_pre_prepare(*early);
}

}  // namespace synod::consensus::pbft

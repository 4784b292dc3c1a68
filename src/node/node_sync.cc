// Block sync on the driver: send BlockSync's requests, then verify and apply the fetched blocks
// that come next in height order, each through the engine (SyncedBlock) so the engine stays the
// one source of commits.
#include <fmt/format.h>

#include "node/node.h"
#include "node/node_internal.h"

namespace synod::node {

bool Node::run_block_sync(Iteration& iteration, uint64_t now_ms) {
  for (const SyncRequest& request : block_sync_.next_requests(application_->height(), now_ms)) {
    counters_->sync_requests_sent++;
    log_->debug("sync: asking {} for {} blocks from {}", short_hex(request.peer),
                request.request.count, request.request.height_from);
    Status sent = transport_->send(request.peer, net::Channel::kBlockSync,
                                   encode_sync_message(request.request));
    if (!sent.is_ok())
      log_->debug("sync: request to {}: {}", short_hex(request.peer), sent.to_string());
  }
  for (size_t applied = 0; applied < kSyncBlocksPerIterationMax; ++applied) {
    const uint64_t next = application_->height() + 1;
    std::optional<FetchedBlock> fetched = block_sync_.take(next);
    if (!fetched) break;
    Status verified = verify_fetched(*fetched);
    if (!verified.is_ok()) {
      counters_->sync_blocks_rejected++;
      log_->warn("sync: block {} from peer {} rejected: {}", next, short_hex(fetched->from),
                 verified.to_string());
      penalize(fetched->from, "sync: invalid block", kInvalidBlockPenaltyPoints);
      block_sync_.discard_from(fetched->from);
      break;
    }
    engine_->step(consensus::SyncedBlock{std::move(fetched->entry.block),
                                         std::move(fetched->entry.certificate)});
    if (!execute_readies(iteration)) return false;
    if (application_->height() < next) {
      log_->debug("sync: the engine did not commit block {} yet", next);
      break;
    }
    counters_->sync_blocks_applied++;
  }
  return true;
}

// A fetched block is applied only when its certificate shows that validators holding a quorum of
// the voting power committed it, and it is valid on top of our state. Transaction signatures are
// not verified again: every honest validator in that quorum (there is at least one) verified them
// before voting. Engines without certificates (raft, paxos, pow) need their own rule here.
Status Node::verify_fetched(const FetchedBlock& fetched) {
  const chain::Block& block = fetched.entry.block;
  const chain::Certificate& certificate = fetched.entry.certificate;
  if (certificate.empty()) {
    return error(Code::kFailedPrecondition, "block sync needs a commit certificate");
  }
  if (certificate.height != block.height() || certificate.block_hash != block.hash()) {
    return error(Code::kUnauthenticated, "the certificate is not for this block");
  }
  if (block.header.previous_hash != tip_.hash) {
    return error(Code::kFailedPrecondition, "the block does not extend our tip");
  }
  SYNOD_TRY(certificate.verify(genesis().chain_id, application_->validator_set(block.height()))
                .with_context("certificate"));
  SYNOD_TRY(block.check_body());
  return application_->validate_block(block, /*signatures_checked=*/true);
}

void Node::log_sync_progress(uint64_t now_ms) {
  const bool syncing = block_sync_.syncing();
  const uint64_t height = application_->height();
  if (syncing && !was_syncing_) {
    log_->info("sync: behind peers at height {}, target {}", height, block_sync_.target_height());
    progress_height_ = height;
    progress_at_ms_ = now_ms;
    progress_log_at_ms_ = now_ms + config().sync.progress_log_interval_ms;
  } else if (syncing && now_ms >= progress_log_at_ms_) {
    const double seconds = static_cast<double>(now_ms - progress_at_ms_) / 1000.0;
    const double rate = seconds > 0 ? static_cast<double>(height - progress_height_) / seconds : 0;
    log_->info("sync: height {} / target {}, {:.1f} blocks/s", height, block_sync_.target_height(),
               rate);
    progress_height_ = height;
    progress_at_ms_ = now_ms;
    progress_log_at_ms_ = now_ms + config().sync.progress_log_interval_ms;
  } else if (!syncing && was_syncing_) {
    log_->info("sync: caught up at height {}", height);
  }
  update_sync_rate(syncing, height, now_ms);
  was_syncing_ = syncing;
}

// Blocks per second while syncing, for status: measured over windows of 250 ms to 2 s.
void Node::update_sync_rate(bool syncing, uint64_t height, uint64_t now_ms) {
  if (!syncing) {
    sync_blocks_per_second_ = 0;
    return;
  }
  if (!was_syncing_ || height < sync_rate_height_) {
    sync_rate_height_ = height;
    sync_rate_at_ms_ = now_ms;
    sync_blocks_per_second_ = 0;
    return;
  }
  const uint64_t elapsed_ms = now_ms - sync_rate_at_ms_;
  if (elapsed_ms < 250) return;
  sync_blocks_per_second_ =
      static_cast<double>(height - sync_rate_height_) * 1000.0 / static_cast<double>(elapsed_ms);
  if (elapsed_ms >= 2'000) {
    sync_rate_height_ = height;
    sync_rate_at_ms_ = now_ms;
  }
}

}  // namespace synod::node

// Catch-up: a replica that sees signed messages for heights above its own asks that peer for the
// committed blocks it missed (SYNC-REQUEST), and commits what comes back (SYNC-RESPONSE, or the
// driver's SyncedBlock events) in height order once each certificate checks out against the
// validator set. Answers come from a bounded cache of recent commits; older history is the
// driver's block sync. In the paper this is the state transfer of §4.3 / TOCS §6.2.
#include <algorithm>

#include "consensus/pbft/pbft_engine.h"

namespace synod::consensus::pbft {

// A signed message for height H shows its sender committed H-1. Two or more heights ahead we ask
// at once; one ahead may just be a faster peer, so we wait for our view timer (on_view_timeout).
void PbftEngine::note_peer_ahead(const PeerId& from, uint64_t message_height) {
  if (message_height <= height_) return;
  sync_target_height_ = std::max(sync_target_height_, message_height - 1);
  peer_ahead_ = from;
  if (message_height >= height_ + 2) send_sync_request(from);
}

void PbftEngine::send_sync_request(const PeerId& to) {
  if (!my_index_ || now_ms_ < sync_next_ms_) return;
  sync_next_ms_ = now_ms_ + std::max<uint64_t>(1, genesis_.consensus.round_timeout_ms / 2);
  send_to(to, signed_message(SyncRequest{height_, kSyncBlocksMax, {}}));
}

void PbftEngine::on_sync_request(const PeerId& from, const SyncRequest& message, uint32_t signer) {
  send_sync_response(from, signer, message.height_from, message.count);
}

// Answers with consecutive committed blocks from `height_from`, at most `count` and within
// kMessageBytesMax. The same blocks go to one requester at most once per quarter round timeout,
// so a faulty validator cannot turn small requests into a flood of blocks.
void PbftEngine::send_sync_response(const PeerId& to, uint32_t requester, uint64_t height_from,
                                    uint32_t count) {
  if (!signing_key_) return;
  // A request for blocks past what we last sent this requester is progress; a repeat waits.
  auto served = sync_served_.find(requester);
  uint64_t spacing_ms = genesis_.consensus.round_timeout_ms / 4;
  if (served != sync_served_.end() && height_from < served->second.next_height &&
      now_ms_ < served->second.at_ms + spacing_ms) {
    return;
  }
  SyncResponse response;
  size_t bytes = 1024;  // type, list size, signer, signature, with room to spare
  for (const Commit& commit : recent_commits_) {
    if (commit.block.height() < height_from + response.entries.size()) continue;
    if (commit.block.height() != height_from + response.entries.size()) break;
    if (response.entries.size() >= count) break;
    Writer writer;
    commit.block.encode(writer);
    commit.certificate.encode(writer);
    if (bytes + writer.size() > kMessageBytesMax) break;
    bytes += writer.size();
    response.entries.push_back({commit.block, commit.certificate});
  }
  if (response.entries.empty()) return;
  sync_served_[requester] = {now_ms_, response.entries.back().block.height() + 1};
  send_to(to, signed_message(std::move(response)));
}

void PbftEngine::on_sync_response(const SyncResponse& message) {
  bool useful = false;
  for (const SyncEntry& entry : message.entries) {
    uint64_t height = entry.block.height();
    if (height < height_ || height >= height_ + kSyncedBlocksMax) continue;
    useful |= synced_.try_emplace(height, entry).second;
  }
  if (!useful) return;
  sync_continue_ = true;
  sync_next_ms_ = 0;  // answered: the next batch may be asked for at once
}

void PbftEngine::on_synced_block(const chain::Block& block, const chain::Certificate& certificate) {
  uint64_t height = block.height();
  if (height < height_) return;
  if (height >= height_ + kSyncedBlocksMax) {
    ++drops_.out_of_window;
    return;
  }
  synced_.try_emplace(height, SyncEntry{block, certificate});
}

// Commits the buffered certified block for the current height, if any. An entry that fails its
// checks is dropped so a correct copy can take its place. Returns whether an entry was consumed.
bool PbftEngine::commit_next_synced() {
  auto it = synced_.find(height_);
  if (it == synced_.end()) return false;
  SyncEntry entry = std::move(it->second);
  synced_.erase(it);
  const chain::Certificate& certificate = entry.certificate;
  if (certificate.height != height_ || certificate.block_hash != entry.block.hash() ||
      entry.block.header.previous_hash != tip_.block_hash || !entry.block.check_body().is_ok() ||
      !certificate.verify(chain_id(), *validators_).is_ok()) {
    ++drops_.malformed;
    return true;
  }
  decide(std::move(entry.block), std::move(entry.certificate));
  return true;
}

// While a peer has shown it is ahead and the last batch is used up, ask for the next one.
void PbftEngine::continue_sync() {
  if (!sync_continue_ || !synced_.empty()) return;
  sync_continue_ = false;
  if (peer_ahead_ && sync_target_height_ >= height_) send_sync_request(*peer_ahead_);
}

// A message for a height we have committed. A VIEW-CHANGE there means its sender is stuck on a
// height the others decided: send it the blocks it lacks. Anything else is late and harmless.
void PbftEngine::on_stale_message(const PeerId& from, const Message& message, uint32_t signer) {
  if (const auto* view_change = std::get_if<ViewChange>(&message)) {
    send_sync_response(from, signer, view_change->height, kSyncBlocksMax);
  }
}

}  // namespace synod::consensus::pbft

// Network input and the node's own protocols: the consensus channel feeds the engine, the
// transactions channel the mempool (and gossip), the block sync channel BlockSync.
#include <fmt/format.h>

#include "node/node.h"
#include "node/node_internal.h"

namespace synod::node {

// Moves transport events into the DriverQueue, so the driver waits in one place. When the queue
// is full push_event waits, the transport's inbox fills, and the transport stops reading.
void Node::pump() {
  constexpr uint64_t kWaitMs = 100;  // how soon a stop is noticed
  while (!stop_requested_.load()) {
    std::optional<net::Event> event = transport_->wait(kWaitMs);
    if (!event) continue;
    if (!queue_.push_event(std::move(*event))) break;
  }
}

void Node::on_network_event(net::Event& event) {
  if (auto* connected = std::get_if<net::PeerConnected>(&event)) {
    log_->info("peer {} connected ({}, {})", short_hex(connected->node_id),
               connected->remote.to_string(),
               connected->direction == net::Direction::kInbound ? "inbound" : "outbound");
    block_sync_.add_peer(connected->node_id);
    const Bytes status = encode_sync_message(status_message());
    (void)transport_->send(connected->node_id, net::Channel::kBlockSync, status);
    return;
  }
  if (auto* disconnected = std::get_if<net::PeerDisconnected>(&event)) {
    log_->info("peer {} disconnected: {}", short_hex(disconnected->node_id), disconnected->reason);
    block_sync_.remove_peer(disconnected->node_id);
    peer_reports_.erase(disconnected->node_id);
    serve_budgets_.erase(disconnected->node_id);
    return;
  }
  net::Message& message = std::get<net::Message>(event);
  switch (message.channel) {
    case net::Channel::kConsensus:
      on_consensus_message(message);
      return;
    case net::Channel::kTransactions:
      on_gossip_message(message);
      return;
    case net::Channel::kBlockSync:
      on_sync_message(message);
      return;
    default:
      return;  // the transport delivers application channels only
  }
}

// The engine checks the message; what it drops as malformed or badly signed costs the peer that
// sent it (links are authenticated and consensus messages are never relayed, so the peer is the
// author or chose to pass it on). Messages out of the engine's window or signed by keys outside
// the current set cost nothing: an honest peer at another height sends those.
void Node::on_consensus_message(net::Message& message) {
  counters_->consensus_messages_in++;
  const consensus::DropCounters before = engine_->drop_counters();
  engine_->step(consensus::PeerMessage{message.from, std::move(message.payload)});
  const consensus::DropCounters after = engine_->drop_counters();
  if (after.bad_signature > before.bad_signature) {
    penalize(message.from, "consensus message with an invalid signature",
             kInvalidSignaturePenaltyPoints);
  } else if (after.malformed > before.malformed || after.oversized > before.oversized) {
    penalize(message.from, "malformed consensus message", kMalformedPenaltyPoints);
  }
}

void Node::penalize(const net::NodeId& peer, std::string_view reason, uint32_t points) {
  counters_->peer_penalties++;
  log_->debug("penalising peer {} ({} points): {}", short_hex(peer), points, reason);
  transport_->penalize(peer, reason, points);
}

// ---- Transaction gossip ----
//
// Transactions submitted to this node are pushed in full to every peer (queue_gossip). What a
// peer sends is admitted like any submission, and what is new here is announced by id to every
// other peer, not back to the one it came from; a peer asks (Request) for the announced ids it
// still lacks after kGossipAnnounceWaitMs. Among validators that all know each other the push
// reaches everyone and the announces cost 32 bytes an id; along a line of peers a transaction
// still travels hop by hop. Each node announces each transaction at most once, because the
// mempool refuses the copies that come back.

void Node::on_gossip_message(net::Message& message) {
  auto decoded = decode_gossip_message(message.payload);
  if (!decoded.is_ok()) {
    penalize(message.from, "malformed transactions-channel message", kMalformedPenaltyPoints);
    return;
  }
  if (auto* batch = std::get_if<TransactionsMessage>(&*decoded)) {
    on_transaction_batch(message.from, std::move(batch->transactions));
  } else if (auto* announce = std::get_if<AnnounceMessage>(&*decoded)) {
    on_announce(message.from, announce->ids, now_ms());
  } else {
    on_request(message.from, std::get<RequestMessage>(*decoded).ids, now_ms());
  }
}

void Node::on_transaction_batch(const net::NodeId& from, std::vector<Bytes> transactions) {
  counters_->gossip_batches_in++;
  counters_->gossip_transactions_in += transactions.size();
  Status submitted = mempool_->submit_batch(
      std::move(transactions), [this, from](std::vector<mempool::Admission> results) {
        // Each invalid transaction costs the peer, so a batch full of forged signatures (each
        // one a verification this node paid for) gets it banned at once, not after ten batches.
        uint64_t invalid = 0;
        std::vector<Hash256> admitted;
        for (const mempool::Admission& result : results) {
          const Code code = result.status.code();
          if (code == Code::kOk) admitted.push_back(result.id);
          if (code == Code::kCorrupt || code == Code::kUnauthenticated ||
              code == Code::kInvalidArgument)
            ++invalid;
        }
        if (!admitted.empty()) {
          // A batch holds at most kGossipBatchTransactionsMax <= kGossipIdsMax transactions.
          transport_->broadcast(net::Channel::kTransactions,
                                encode_gossip_message(AnnounceMessage{std::move(admitted)}), from);
          counters_->gossip_batches_out++;
        }
        if (invalid > 0) {
          const uint64_t points = std::min<uint64_t>(invalid * kInvalidTransactionPenaltyPoints,
                                                     kInvalidBatchPenaltyPointsMax);
          penalize(from, std::to_string(invalid) + " invalid transactions in a batch",
                   static_cast<uint32_t>(points));
        }
      });
  if (!submitted.is_ok()) log_->debug("transaction batch dropped: {}", submitted.to_string());
}

void Node::on_announce(const net::NodeId& from, const std::vector<Hash256>& ids, uint64_t now_ms) {
  counters_->gossip_ids_announced_in += ids.size();
  for (const Hash256& id : mempool_->lacking(ids)) {
    if (announced_.size() >= kGossipAnnouncedMax) return;
    announced_.push_back(AnnouncedId{now_ms + kGossipAnnounceWaitMs, from, id});
  }
}

void Node::request_announced(uint64_t now_ms) {
  // The due ids of each announcer, then one mempool look-up for each announcer's list.
  std::map<net::NodeId, std::vector<Hash256>> due;
  while (!announced_.empty() && announced_.front().due_ms <= now_ms) {
    due[announced_.front().from].push_back(announced_.front().id);
    announced_.pop_front();
  }
  for (const auto& [peer, ids] : due) {
    const std::vector<Hash256> wanted = mempool_->lacking(ids);
    counters_->gossip_ids_requested += wanted.size();
    for (size_t first = 0; first < wanted.size(); first += kGossipIdsMax) {
      const size_t last = std::min(wanted.size(), first + kGossipIdsMax);
      RequestMessage request{std::vector<Hash256>(wanted.begin() + first, wanted.begin() + last)};
      (void)transport_->send(peer, net::Channel::kTransactions, encode_gossip_message(request));
    }
  }
}

void Node::on_request(const net::NodeId& from, const std::vector<Hash256>& ids, uint64_t now_ms) {
  constexpr double kRate = static_cast<double>(kGossipServedPerPeerPerSecond);
  ServeBudget& bucket = serve_budgets_.try_emplace(from, ServeBudget{kRate, now_ms}).first->second;
  bucket.tokens = std::min(
      kRate, bucket.tokens + kRate * static_cast<double>(now_ms - bucket.refilled_ms) / 1'000.0);
  bucket.refilled_ms = now_ms;
  const size_t allowed =
      static_cast<size_t>(std::min(bucket.tokens, static_cast<double>(ids.size())));
  bucket.tokens -= static_cast<double>(allowed);
  if (allowed < ids.size()) counters_->gossip_requests_refused += ids.size() - allowed;
  std::vector<Bytes> found;
  size_t found_bytes = 0;
  for (size_t i = 0; i < allowed; ++i) {
    const Hash256& id = ids[i];
    std::optional<chain::Transaction> tx = mempool_->get(id);
    if (!tx) continue;  // committed or dropped since it was announced
    found.push_back(encode(*tx));
    found_bytes += found.back().size();
    if (found.size() == kGossipBatchTransactionsMax || found_bytes >= kGossipBatchBytesMax) {
      (void)transport_->send(from, net::Channel::kTransactions, encode_transaction_batch(found));
      found.clear();
      found_bytes = 0;
    }
  }
  if (!found.empty()) {
    (void)transport_->send(from, net::Channel::kTransactions, encode_transaction_batch(found));
  }
}

void Node::queue_gossip(Bytes encoded) {
  gossip_batch_bytes_ += encoded.size();
  gossip_batch_.push_back(std::move(encoded));
  if (gossip_batch_.size() >= kGossipBatchTransactionsMax ||
      gossip_batch_bytes_ >= kGossipBatchBytesMax) {
    flush_gossip();
  }
}

void Node::flush_gossip() {
  if (gossip_batch_.empty()) return;
  const Bytes payload = encode_transaction_batch(gossip_batch_);
  transport_->broadcast(net::Channel::kTransactions, payload);
  counters_->gossip_batches_out++;
  gossip_batch_.clear();
  gossip_batch_bytes_ = 0;
}

// ---- Block sync messages ----

void Node::on_sync_message(net::Message& message) {
  auto decoded = decode_sync_message(message.payload);
  if (!decoded.is_ok()) {
    penalize(message.from, "malformed sync message: " + decoded.status().message(),
             kMalformedPenaltyPoints);
    return;
  }
  if (auto* status = std::get_if<StatusMessage>(&*decoded)) {
    PeerReport report{0, status->view, std::nullopt};
    if (status->validator) {
      if (!verify_validator_attestation(*status->validator, genesis_hash_, message.from)) {
        penalize(message.from, "status with a false validator attestation",
                 kMalformedPenaltyPoints);
        return;
      }
      report.validator_key = status->validator->key;
    }
    peer_reports_[message.from] = report;
    block_sync_.on_status(message.from, status->height);
  } else if (auto* request = std::get_if<GetBlocks>(&*decoded)) {
    serve_blocks(message.from, *request);
  } else {
    auto& blocks = std::get<BlocksMessage>(*decoded);
    Status taken = block_sync_.on_blocks(message.from, std::move(blocks), now_ms());
    if (!taken.is_ok()) penalize(message.from, taken.message(), kUnaskedBlocksPenaltyPoints);
  }
}

// Answers from the ChainStore: consecutive blocks with certificates, at most what was asked and
// about kSyncResponseBytesMax, always at least one block when we have it. Blocks committed in
// this iteration are readable already; they are final (certified), so serving them before the
// iteration's sync is harmless.
void Node::serve_blocks(const net::NodeId& peer, const GetBlocks& request) {
  if (!block_sync_.allow_serve(peer, now_ms())) {
    log_->debug("sync: peer {} asks too often", short_hex(peer));
    return;
  }
  counters_->sync_requests_served++;
  std::vector<Bytes> entries;
  size_t bytes = 0;
  const uint64_t tip = tip_.height;
  for (uint64_t height = request.height_from;
       height >= 1 && height <= tip && entries.size() < request.count; ++height) {
    auto block = chain_->block(height);
    auto certificate = chain_->certificate(height);
    if (!block.is_ok() || !certificate.is_ok() || !*block || !*certificate) {
      log_->error("sync: cannot read block {} to serve: {} {}", height, block.status().to_string(),
                  certificate.status().to_string());
      break;
    }
    Bytes entry =
        encode_certified_block(CertifiedBlock{std::move(**block), std::move(**certificate)});
    if (!entries.empty() && bytes + entry.size() > kSyncResponseBytesMax) break;
    bytes += entry.size();
    entries.push_back(std::move(entry));
  }
  const Bytes payload = encode_blocks_message(request.height_from, entries);
  Status sent = transport_->send(peer, net::Channel::kBlockSync, payload);
  if (!sent.is_ok()) log_->debug("sync: answer to {}: {}", short_hex(peer), sent.to_string());
}

StatusMessage Node::status_message() {
  if (!attestation_ && options_.validator_key) {
    attestation_ = make_validator_attestation(*options_.validator_key, genesis_hash_, node_id());
  }
  return StatusMessage{tip_.height, tip_.hash, engine_->status().round, attestation_};
}

void Node::broadcast_status() {
  const Bytes status = encode_sync_message(status_message());
  transport_->broadcast(net::Channel::kBlockSync, status);
}

}  // namespace synod::node

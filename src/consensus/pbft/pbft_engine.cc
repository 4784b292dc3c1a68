// The PBFT engine: creation and restart, event intake, the normal case (§4.2) and output.
// The view change lives in view_change.cc, catch-up in catch_up.cc.
#include "consensus/pbft/pbft_engine.h"

#include <algorithm>

namespace synod::consensus::pbft {

namespace {

template <typename... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <typename... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

Bytes encode_view(uint64_t view) {
  Writer writer(8);
  writer.u64(view);
  return writer.take();
}

std::optional<uint64_t> decode_view(ByteView engine_data) {
  Reader reader(engine_data);
  uint64_t view = reader.u64();
  if (!reader.finish().is_ok()) return std::nullopt;
  return view;
}

std::string_view evidence_kind(MessageType type) {
  switch (type) {
    case MessageType::kPrePrepare:
      return "equivocating-pre-prepare";
    case MessageType::kPrepare:
      return "double-prepare";
    case MessageType::kCommit:
      return "double-commit";
    case MessageType::kViewChange:
      return "double-view-change";
    default:
      return "conflicting-messages";
  }
}

}  // namespace

// ---- Creation and restart ----

Result<std::unique_ptr<PbftEngine>> PbftEngine::create(EngineConfig config, PbftOptions options) {
  if (config.validators.size() == 0) {
    return error(Code::kInvalidArgument, "pbft needs a non-empty validator set");
  }
  if (config.genesis.chain_id.empty()) {
    return error(Code::kInvalidArgument, "pbft needs a chain id");
  }
  if (config.genesis.consensus.round_timeout_ms == 0) {
    return error(Code::kInvalidArgument, "pbft needs a round timeout above zero");
  }
  RecordKeys keys(options.record_prefix);
  SYNOD_ASSIGN_OR_RETURN(RestoredRecords restored, restore_records(keys, config.records));
  std::unique_ptr<PbftEngine> engine(new PbftEngine(std::move(config), std::move(options)));
  SYNOD_TRY(engine->restore(restored));
  engine->rebroadcast_restored_votes();
  engine->update_wake();
  return Result<std::unique_ptr<PbftEngine>>(std::move(engine));
}

PbftEngine::PbftEngine(EngineConfig config, PbftOptions options)
    : options_(std::move(options)),
      keys_(options_.record_prefix),
      genesis_(std::move(config.genesis)),
      signing_key_(std::move(config.signing_key)),
      validators_(std::make_shared<const chain::ValidatorSet>(std::move(config.validators))),
      tip_(std::move(config.tip)),
      state_(validators_) {
  height_ = tip_.height + 1;
  // The set of the previous height is not in the config; until a ValidatorSetChange says
  // otherwise, the set we were given governs every height up to ours.
  validator_sets_[0] = validators_;
  if (signing_key_) my_index_ = validators_->index_of(signing_key_->public_key());
  if (tip_.height == 0) tip_.time_ms = genesis_.genesis_time_ms;
  for (const chain::BlockHeader& header : config.recent_headers) {
    if (header.height <= tip_.height) note_header(header);
  }
  compute_primary_order();
  now_ms_ = config.now_ms;
  height_start_ms_ = now_ms_;
  view_deadline_ms_ = now_ms_ + genesis_.consensus.block_interval_ms + view_timeout_ms(0);
}

Status PbftEngine::restore(const RestoredRecords& records) {
  auto ahead = [&](const auto& record) { return record && record->height > height_; };
  if (ahead(records.view) || ahead(records.pre_prepare) || ahead(records.prepare) ||
      ahead(records.commit) || ahead(records.prepared)) {
    return error(Code::kFailedPrecondition, "engine records are ahead of the chain tip at height " +
                                                std::to_string(tip_.height) +
                                                ": a committed block was lost");
  }
  auto here = [&](const auto& record) { return record && record->height == height_; };
  if (here(records.view)) {
    if (records.view->view == 0 && !records.view->active) {
      return error(Code::kCorrupt, "view record waits for a NEW-VIEW of view 0");
    }
    view_ = records.view->view;
    view_active_ = records.view->active;
    mandate_ = records.view->mandate;
    if (view_ > 0) view_deadline_ms_ = now_ms_ + view_timeout_ms(view_);
  }
  for (const auto* vote : {&records.pre_prepare, &records.prepare, &records.commit}) {
    if (!here(*vote)) continue;
    if ((*vote)->view > view_) {
      return error(Code::kCorrupt, "a vote record is in a view above the view record");
    }
  }
  if (here(records.pre_prepare)) state_.my_pre_prepare = records.pre_prepare;
  if (here(records.prepare)) state_.my_prepare = records.prepare;
  if (here(records.commit)) state_.my_commit = records.commit;
  if (here(records.prepared)) {
    const PreparedRecord& prepared = *records.prepared;
    if (prepared.proof.claim.view > view_ || prepared.block.height() != height_) {
      return error(Code::kCorrupt, "the prepared record does not fit the view record");
    }
    state_.prepared = prepared.proof;
    store_block(prepared.block, Validity::kValid);
  }
  if (!my_index_) return Status::ok();
  // Count our recorded votes again. Ed25519 signatures are deterministic, so these are the very
  // signatures we sent before the crash.
  for (const auto& [vote, type] : {std::pair{&state_.my_prepare, MessageType::kPrepare},
                                   std::pair{&state_.my_commit, MessageType::kCommit}}) {
    if (!*vote) continue;
    Message message = signed_message(Vote{type, height_, (*vote)->view, (*vote)->block_hash, {}});
    add_own_vote(type == MessageType::kPrepare ? state_.prepares : state_.commits,
                 std::get<Vote>(message));
  }
  return Status::ok();
}

// After a crash the driver may have persisted our records without sending the messages; sending
// them again is harmless (the same signatures) and saves a view change.
void PbftEngine::rebroadcast_restored_votes() {
  if (!my_index_) return;
  if (!view_active_) {
    Message message = signed_message(make_view_change());
    remember_view_change(*my_index_, std::get<ViewChange>(message));
    broadcast(message);
    return;
  }
  for (const auto& [vote, type] : {std::pair{&state_.my_prepare, MessageType::kPrepare},
                                   std::pair{&state_.my_commit, MessageType::kCommit}}) {
    if (!*vote || (*vote)->view != view_) continue;
    broadcast(signed_message(Vote{type, height_, view_, (*vote)->block_hash, {}}));
  }
}

// ---- Events ----

void PbftEngine::step(const Event& event) {
  std::visit(Overloaded{
                 [&](const Tick& e) { on_tick(e.now_ms); },
                 [&](const PeerMessage& e) { on_peer_message(e); },
                 [&](const Proposal& e) { on_proposal(e.block); },
                 [&](const Verdict& e) { on_verdict(e); },
                 [&](const SyncedBlock& e) { on_synced_block(e.block, e.certificate); },
                 [&](const Mined&) {},    // pow only
                 [&](const Durable&) {},  // records always precede their messages in one Ready
                 [&](const ValidatorSetChange& e) { on_validator_set_change(e); },
             },
             event);
  drain();
  update_wake();
}

void PbftEngine::on_tick(uint64_t now_ms) {
  now_ms_ = std::max(now_ms_, now_ms);
  run_timers();
}

// Whatever is due at now_ms_: a retry for a decided block we lack, the view timeout, the
// primary's proposal. Also run when a hold ends, since ticks during the hold did nothing.
void PbftEngine::run_timers() {
  if (holding_) return;
  if (state_.block_source) send_sync_request(*state_.block_source);
  if (now_ms_ >= view_deadline_ms_) {
    on_view_timeout();
    return;
  }
  maybe_request_proposal();
}

void PbftEngine::on_verdict(const Verdict& verdict) {
  if (verdict.height != height_) return;
  auto it = state_.blocks.find(verdict.block_hash);
  if (it == state_.blocks.end() || it->second.validity == Validity::kValid ||
      it->second.validity == Validity::kInvalid) {
    return;
  }
  it->second.validity = verdict.valid ? Validity::kValid : Validity::kInvalid;
  if (verdict.valid) try_prepare();
}

void PbftEngine::on_validator_set_change(const ValidatorSetChange& change) {
  // Changes take effect two heights after the block that causes them, so a change for a height
  // we already entered means the driver broke the contract; keep the set we vote with.
  if (change.validators.size() == 0 || change.effective_height <= height_) return;
  validator_sets_[change.effective_height] =
      std::make_shared<const chain::ValidatorSet>(change.validators);
}

// ---- Message intake ----

void PbftEngine::on_peer_message(const PeerMessage& in) {
  if (in.payload.size() > kMessageBytesMax) {
    ++drops_.oversized;
    return;
  }
  auto decoded = decode_message(in.payload);
  if (!decoded.is_ok()) {
    ++drops_.malformed;
    return;
  }
  Message& message = decoded.value();
  MessageType type = message_type(message);
  if (type == MessageType::kSyncRequest || type == MessageType::kSyncResponse) {
    if (auto signer = authenticate(message, height_)) dispatch(in.from, message, *signer);
    return;
  }
  uint64_t height = message_height(message);
  auto signer = authenticate(message, height);
  if (!signer) return;
  if (height < height_) {
    on_stale_message(in.from, message, *signer);
  } else if (height > height_ + kFutureHeightsMax) {
    note_peer_ahead(in.from, height);
    ++drops_.out_of_window;
  } else if (height > height_ || holding_) {
    note_peer_ahead(in.from, height);
    buffer_future(in.from, std::move(message), height, in.payload.size());
  } else {
    dispatch(in.from, message, *signer);
  }
}

// The signer must be a validator of the height the message is about, and the signature good.
std::optional<uint32_t> PbftEngine::authenticate(const Message& message, uint64_t height) {
  const Signed& sig = message_signed(message);
  std::optional<uint32_t> index = validators_for(height)->index_of(sig.signer);
  if (!index) {
    ++drops_.not_validator;
    return std::nullopt;
  }
  if (!verify_message_signature(message, chain_id())) {
    ++drops_.bad_signature;
    return std::nullopt;
  }
  return index;
}

void PbftEngine::buffer_future(const PeerId& from, Message message, uint64_t height, size_t bytes) {
  if (future_.size() >= kFutureMessagesMax || future_bytes_ + bytes > kFutureBytesMax) {
    ++drops_.out_of_window;
    return;
  }
  future_bytes_ += bytes;
  future_.push_back({height, from, std::move(message), bytes});
}

void PbftEngine::dispatch(const PeerId& from, const Message& message, uint32_t signer) {
  std::visit(Overloaded{
                 [&](const PrePrepare& m) { on_pre_prepare(m); },
                 [&](const Vote& m) { on_vote(m, signer); },
                 [&](const ViewChange& m) { on_view_change(from, m, signer); },
                 [&](const NewView& m) { on_new_view(m); },
                 [&](const SyncRequest& m) { on_sync_request(from, m, signer); },
                 [&](const SyncResponse& m) { on_sync_response(m); },
             },
             message);
}

// Work the buffers hold for the current height: certified blocks from sync first, then messages
// that arrived early. Each pass consumes one entry, so this ends; a commit stops it (holding_).
void PbftEngine::drain() {
  while (!holding_) {
    if (commit_next_synced()) continue;
    auto it = std::find_if(future_.begin(), future_.end(),
                           [&](const BufferedMessage& m) { return m.height <= height_; });
    if (it == future_.end()) break;
    BufferedMessage buffered = std::move(*it);
    future_.erase(it);
    future_bytes_ -= buffered.bytes;
    if (buffered.height < height_) continue;
    auto signer = validators_->index_of(message_signed(buffered.message).signer);
    if (!signer) {
      ++drops_.not_validator;
      continue;
    }
    dispatch(buffered.from, buffered.message, *signer);
  }
  if (!holding_) continue_sync();
}

// ---- Normal case (§4.2) ----

// §4.2: the primary assigns the next block to its view. Here the block comes from the driver:
// once block_interval_ms has passed since the last commit (view 0), or at once after a NEW-VIEW
// that does not oblige a prepared block (§4.4).
void PbftEngine::maybe_request_proposal() {
  if (!awaiting_proposal() || now_ms_ < proposal_due_ms()) return;
  state_.proposal_requested_view = view_;
  pending_.proposal_request = header_template();
}

// True while we are the primary of an open view that still needs a block from the driver.
bool PbftEngine::awaiting_proposal() const {
  if (holding_ || !view_active_ || !is_primary(view_) || mandate_) return false;
  if (state_.proposal_requested_view == view_ || state_.pre_prepares.contains(view_)) return false;
  return !state_.my_pre_prepare || state_.my_pre_prepare->view != view_;
}

uint64_t PbftEngine::proposal_due_ms() const {
  return view_ == 0 ? height_start_ms_ + genesis_.consensus.block_interval_ms : 0;
}

chain::BlockHeader PbftEngine::header_template() const {
  SYNOD_ASSERT(signing_key_ != nullptr);
  chain::BlockHeader header;
  header.chain_id = chain_id();
  header.height = height_;
  header.previous_hash = tip_.block_hash;
  header.time_ms = std::max(now_ms_, tip_.time_ms + 1);
  header.proposer = signing_key_->public_key();
  header.validator_set_hash = validators_->hash();
  header.engine_data = encode_view(view_);
  header.last_commit = tip_.certificate;
  return header;
}

// The header rules a replica checks before it asks the application about the body.
Status PbftEngine::check_header(const chain::BlockHeader& header, uint64_t view) const {
  if (header.chain_id != chain_id()) return error(Code::kInvalidArgument, "wrong chain id");
  if (header.height != height_) return error(Code::kInvalidArgument, "wrong height");
  if (header.previous_hash != tip_.block_hash) {
    return error(Code::kInvalidArgument, "does not extend the last committed block");
  }
  if (header.time_ms <= tip_.time_ms) {
    return error(Code::kInvalidArgument, "time does not advance past the parent's");
  }
  if (header.validator_set_hash != validators_->hash()) {
    return error(Code::kInvalidArgument, "wrong validator set hash");
  }
  if (decode_view(header.engine_data) != view) {
    return error(Code::kInvalidArgument, "engine data does not name the view");
  }
  if (header.proposer != validators_->at(primary_index(view)).public_key) {
    return error(Code::kInvalidArgument, "proposer is not the primary of the view");
  }
  if (height_ == 1) {
    if (!header.last_commit.empty()) {
      return error(Code::kInvalidArgument, "the first block carries a certificate");
    }
    return Status::ok();
  }
  if (header.last_commit.height != tip_.height ||
      header.last_commit.block_hash != tip_.block_hash) {
    return error(Code::kInvalidArgument, "last commit is not for the parent block");
  }
  return header.last_commit.verify(chain_id(), *validators_for(tip_.height));
}

void PbftEngine::on_proposal(const chain::Block& block) {
  if (holding_ || !view_active_ || !is_primary(view_) || mandate_) return;
  if (state_.proposal_requested_view != view_ || state_.pre_prepares.contains(view_)) return;
  if (state_.my_pre_prepare && state_.my_pre_prepare->view == view_) return;
  // The driver built this from our template; a block that breaks it is not signed.
  if (!check_header(block.header, view_).is_ok() || !block.check_body().is_ok()) return;
  if (!store_block(block, Validity::kValid)) return;
  send_pre_prepare(block);
}

// The primary signs PRE-PREPARE(h, v, block) — a fresh proposal or the block a NEW-VIEW obliges
// — after recording it, so that it never assigns two blocks to one (h, v) across a crash.
void PbftEngine::send_pre_prepare(const chain::Block& block) {
  Message message = signed_message(PrePrepare{height_, view_, block, {}});
  const PrePrepare& pre_prepare = std::get<PrePrepare>(message);
  Hash256 hash = block.hash();
  state_.my_pre_prepare = VoteRecord{height_, view_, hash};
  persist_vote(keys_.pre_prepare, *state_.my_pre_prepare);
  state_.pre_prepares[view_] = {hash, pre_prepare.sig.signature, true};
  broadcast(message);
  request_validation(hash);
  try_prepare();
}

void PbftEngine::on_pre_prepare(const PrePrepare& message) {
  if (message.sig.signer != validators_->at(primary_index(message.view)).public_key ||
      message.block.height() != height_ || !message.block.check_body().is_ok()) {
    ++drops_.malformed;
    return;
  }
  if (message.view < view_) {
    // A view we left takes no pre-prepare, but its block may still gather a commit certificate.
    (void)store_block(message.block, Validity::kUnknown);
    check_committed();
    return;
  }
  if (message.view == view_ && view_active_) {
    accept_pre_prepare(message);
    return;
  }
  // §4.4: a replica changing views takes no pre-prepare until the NEW-VIEW; keep it until then.
  if (message.view > view_ + kViewsAheadMax) {
    ++drops_.out_of_window;
    return;
  }
  auto [it, inserted] = state_.pending_pre_prepares.try_emplace(message.view, message);
  if (!inserted && it->second.block.hash() != message.block.hash()) {
    report_evidence(primary_index(message.view), MessageType::kPrePrepare, message.view, it->second,
                    message);
  }
}

// §4.2: a backup accepts a pre-prepare for its view from the view's primary, for at most one
// block per (h, v); in a view opened by a NEW-VIEW carrying a prepared certificate, only the
// block that certificate names (§4.4).
void PbftEngine::accept_pre_prepare(const PrePrepare& message) {
  Hash256 hash = message.block.hash();
  auto existing = state_.pre_prepares.find(message.view);
  if (existing != state_.pre_prepares.end()) {
    if (existing->second.block_hash != hash) {
      PrePrepare first{height_,
                       message.view,
                       state_.blocks.at(existing->second.block_hash).block,
                       {message.sig.signer, existing->second.signature}};
      report_evidence(primary_index(message.view), MessageType::kPrePrepare, message.view, first,
                      message);
    }
    return;
  }
  if (!store_block(message.block, Validity::kUnknown)) {
    ++drops_.out_of_window;
    return;
  }
  bool acceptable =
      mandate_ ? hash == *mandate_ : check_header(message.block.header, message.view).is_ok();
  state_.pre_prepares[message.view] = {hash, message.sig.signature, acceptable};
  if (!acceptable) return;
  request_validation(hash);
  try_prepare();
}

bool PbftEngine::store_block(const chain::Block& block, Validity validity) {
  Hash256 hash = block.hash();
  auto it = state_.blocks.find(hash);
  if (it != state_.blocks.end()) {
    if (it->second.validity == Validity::kUnknown) it->second.validity = validity;
    return true;
  }
  if (state_.blocks.size() >= kBlocksPerHeightMax) return false;
  state_.blocks.emplace(hash, KnownBlock{block, validity});
  return true;
}

void PbftEngine::request_validation(const Hash256& block_hash) {
  KnownBlock& known = state_.blocks.at(block_hash);
  if (known.validity != Validity::kUnknown) return;
  known.validity = Validity::kPending;
  pending_.validation_requests.push_back(known.block);
}

void PbftEngine::on_vote(const Vote& vote, uint32_t signer) {
  if (vote.view > view_ + kViewsAheadMax) {
    ++drops_.out_of_window;
    return;
  }
  auto& sets = vote.type == MessageType::kPrepare ? state_.prepares : state_.commits;
  VoteSet* set = votes_for(sets, vote.view);
  if (set == nullptr) return;  // a view too old to matter
  VoteSet::AddResult result = set->add(signer, vote.block_hash, vote.sig.signature);
  if (result == VoteSet::AddResult::kConflict) {
    const VoteSet::Vote* first_vote = set->vote_of(signer);
    Vote first{vote.type,
               vote.height,
               vote.view,
               first_vote->block_hash,
               {vote.sig.signer, first_vote->signature}};
    report_evidence(signer, vote.type, vote.view, first, vote);
    return;
  }
  if (result == VoteSet::AddResult::kDuplicate) return;
  if (vote.type == MessageType::kPrepare) {
    check_prepared();
  } else {
    check_committed();
  }
}

// §4.2: a backup that accepted the pre-prepare (and, here, whose application found the block
// valid) multicasts PREPARE, once per view, after recording it.
void PbftEngine::try_prepare() {
  if (holding_ || !view_active_) return;
  auto pre_prepare = state_.pre_prepares.find(view_);
  if (pre_prepare == state_.pre_prepares.end() || !pre_prepare->second.acceptable) return;
  const Hash256 hash = pre_prepare->second.block_hash;
  if (state_.blocks.at(hash).validity != Validity::kValid) return;
  bool voted = state_.my_prepare && state_.my_prepare->view >= view_;
  if (my_index_ && !voted) {
    state_.my_prepare = VoteRecord{height_, view_, hash};
    persist_vote(keys_.prepare, *state_.my_prepare);
    Message message = signed_message(Vote{MessageType::kPrepare, height_, view_, hash, {}});
    add_own_vote(state_.prepares, std::get<Vote>(message));
    broadcast(message);
  }
  check_prepared();
}

// §4.2: prepared(m, v, n, i) holds once the pre-prepare is accepted and PREPAREs for the same
// block hold a quorum of power. The replica records the prepared certificate (it travels in
// VIEW-CHANGE messages, §4.4) and multicasts COMMIT, whose signature joins a commit certificate.
void PbftEngine::check_prepared() {
  if (holding_ || !view_active_) return;
  auto pre_prepare = state_.pre_prepares.find(view_);
  auto prepares = state_.prepares.find(view_);
  if (pre_prepare == state_.pre_prepares.end() || !pre_prepare->second.acceptable ||
      prepares == state_.prepares.end()) {
    return;
  }
  const Hash256 hash = pre_prepare->second.block_hash;
  if (state_.blocks.at(hash).validity != Validity::kValid ||
      !validators_->has_quorum(prepares->second.power_for(hash))) {
    return;
  }
  if (!state_.prepared || state_.prepared->claim.view < view_) {
    state_.prepared = PreparedProof{{view_, hash}, prepares->second.signatures_for(hash)};
    persist_prepared();
  }
  bool voted = state_.my_commit && state_.my_commit->view >= view_;
  if (my_index_ && !voted) {
    state_.my_commit = VoteRecord{height_, view_, hash};
    persist_vote(keys_.commit, *state_.my_commit);
    Message message = signed_message(Vote{MessageType::kCommit, height_, view_, hash, {}});
    add_own_vote(state_.commits, std::get<Vote>(message));
    broadcast(message);
  }
  check_committed();
}

// §4.2: committed once COMMITs for one block hold a quorum of power, in any view: they are a
// commit certificate, so the block is decided whether or not this replica prepared it.
void PbftEngine::check_committed() {
  if (holding_) return;
  for (const auto& [view, set] : state_.commits) {
    std::optional<Hash256> hash = set.quorum_hash();
    if (!hash) continue;
    auto block = state_.blocks.find(*hash);
    if (block == state_.blocks.end()) {
      // Decided, but the pre-prepare never reached us: fetch the block from a committer.
      uint32_t committer = set.signatures_for(*hash).front().validator_index;
      state_.block_source = validators_->at(committer).public_key;
      send_sync_request(*state_.block_source);
      return;
    }
    decide(block->second.block,
           chain::Certificate{height_, view, *hash, set.signatures_for(*hash)});
    return;
  }
}

// Hands the block and its certificate to the driver and moves to the next height. Nothing for
// the next height is recorded or sent until the driver has stored this commit (advance()), so a
// crash never leaves records of height h+1 on a disk whose chain stops before h.
void PbftEngine::decide(chain::Block block, chain::Certificate certificate) {
  SYNOD_ASSERT(block.height() == height_ && certificate.height == height_);
  SYNOD_ASSERT(certificate.block_hash == block.hash());
  if (block.header.previous_hash != tip_.block_hash) {
    ++drops_.malformed;  // a certified block off our chain: impossible below 1/3 faulty power
    return;
  }
  tip_ = ChainTip{height_, certificate.block_hash, block.header.time_ms, certificate};
  note_header(block.header);
  recent_commits_.push_back(Commit{block, certificate});
  if (recent_commits_.size() > kRecentCommitsMax) recent_commits_.pop_front();
  pending_.commits.push_back(Commit{std::move(block), std::move(certificate)});
  holding_ = true;
  enter_height(height_ + 1);
}

void PbftEngine::enter_height(uint64_t height) {
  height_ = height;
  view_ = 0;
  view_active_ = true;
  mandate_.reset();
  validators_ = validators_for(height_);
  my_index_.reset();
  if (signing_key_) my_index_ = validators_->index_of(signing_key_->public_key());
  state_ = HeightState(validators_);
  compute_primary_order();
  height_start_ms_ = now_ms_;
  view_deadline_ms_ = now_ms_ + genesis_.consensus.block_interval_ms + view_timeout_ms(0);
  // Keep the set in force at the previous height (for last_commit) and every later one.
  while (validator_sets_.size() > 1 && std::next(validator_sets_.begin())->first < height_) {
    validator_sets_.erase(validator_sets_.begin());
  }
  synced_.erase(synced_.begin(), synced_.lower_bound(height_));
  if (sync_target_height_ < height_) peer_ahead_.reset();
}

// ---- Output ----

void PbftEngine::broadcast(const Message& message) {
  pending_.messages.push_back({std::nullopt, encode_message(message)});
}

void PbftEngine::send_to(const PeerId& to, const Message& message) {
  pending_.messages.push_back({to, encode_message(message)});
}

Message PbftEngine::signed_message(Message message) const {
  SYNOD_ASSERT(signing_key_ != nullptr);
  sign_message(message, chain_id(), *signing_key_);
  return message;
}

void PbftEngine::persist(const std::string& key, Bytes value) {
  for (Record& record : pending_.records) {
    if (record.key == key) {
      record.value = std::move(value);
      return;
    }
  }
  pending_.records.push_back({key, std::move(value)});
}

void PbftEngine::persist_view() {
  persist(keys_.view, encode(ViewRecord{height_, view_, view_active_, mandate_}));
}

void PbftEngine::persist_vote(const std::string& key, const VoteRecord& record) {
  persist(key, encode(record));
}

void PbftEngine::persist_prepared() {
  SYNOD_ASSERT(state_.prepared.has_value());
  const chain::Block& block = state_.blocks.at(state_.prepared->claim.block_hash).block;
  persist(keys_.prepared, encode(PreparedRecord{height_, *state_.prepared, block}));
}

void PbftEngine::report_evidence(uint32_t offender, MessageType type, uint64_t view,
                                 const Message& first, const Message& second) {
  if (state_.evidence_count >= kEvidencePerHeightMax) return;
  if (!state_.evidence_reported.emplace(offender, type, view).second) return;
  ++state_.evidence_count;
  pending_.evidence.push_back(Evidence{validators_->at(offender).public_key, height_, view,
                                       std::string(evidence_kind(type)), encode_message(first),
                                       encode_message(second)});
}

void PbftEngine::update_wake() {
  uint64_t wake_ms = view_deadline_ms_;
  if (awaiting_proposal()) wake_ms = std::min(wake_ms, proposal_due_ms());
  if (state_.block_source && sync_next_ms_ > now_ms_) wake_ms = std::min(wake_ms, sync_next_ms_);
  if (wake_emitted_ms_ == wake_ms) return;
  wake_emitted_ms_ = wake_ms;
  pending_.wake_at_ms = wake_ms;
}

Ready PbftEngine::ready() {
  SYNOD_ASSERT(!awaiting_advance_);
  Ready out = std::move(pending_);
  pending_ = Ready{};
  out.sequence = ++ready_sequence_;
  if (holding_ && !out.commits.empty()) hold_handed_ = true;
  awaiting_advance_ = true;
  return out;
}

void PbftEngine::advance() {
  SYNOD_ASSERT(awaiting_advance_);
  awaiting_advance_ = false;
  if (!holding_ || !hold_handed_) return;
  // The driver has stored the commit: the next height may record and send.
  holding_ = false;
  hold_handed_ = false;
  drain();
  run_timers();
  update_wake();
}

EngineStatus PbftEngine::status() const {
  EngineStatus status;
  status.mechanism = options_.mechanism;
  status.height = height_;
  status.round = view_;
  status.role = is_primary(view_) ? "primary" : "replica";
  status.leader = validators_->at(primary_index(view_)).public_key;
  status.view_changes = view_changes_;
  status.messages_dropped = drops_.malformed + drops_.bad_signature + drops_.not_validator +
                            drops_.out_of_window + drops_.oversized;
  return status;
}

// ---- Small queries ----

void PbftEngine::note_header(const chain::BlockHeader& header) {
  HeaderNote note;
  note.proposer = header.proposer;
  note.view = decode_view(header.engine_data).value_or(0);
  note.validator_set_hash = header.validator_set_hash;
  for (const chain::CommitSignature& signature : header.last_commit.signatures)
    note.last_commit_signers.push_back(signature.validator_index);
  header_notes_[header.height] = std::move(note);
  // Only the last recent_headers_wanted heights are read (n + 2, n at most kValidatorsMax).
  const uint64_t keep = recent_headers_wanted(*validators_);
  while (!header_notes_.empty() && header_notes_.begin()->first + keep <= header.height)
    header_notes_.erase(header_notes_.begin());
}

void PbftEngine::compute_primary_order() {
  const uint32_t n = static_cast<uint32_t>(validators_->size());
  std::vector<bool> suspect(n, false);
  const Hash256 set_hash = validators_->hash();
  auto same_set = [&](uint64_t height) {
    auto it = header_notes_.find(height);
    return it != header_notes_.end() && it->second.validator_set_hash == set_hash ? &it->second
                                                                                  : nullptr;
  };
  // last_commit of block h-1 is signed by the set of h-2: both must be this set.
  const HeaderNote* parent = height_ > 2 ? same_set(height_ - 1) : nullptr;
  if (parent != nullptr && same_set(height_ - 2) != nullptr) {
    std::vector<bool> signed_parent(n, false);
    for (uint32_t index : parent->last_commit_signers) {
      if (index < n) signed_parent[index] = true;
    }
    for (uint32_t index = 0; index < n; ++index) {
      if (signed_parent[index]) continue;
      uint64_t back = (height_ % n + n - index) % n;
      if (back == 0) back = n;
      if (back >= height_) continue;  // no turn yet
      const HeaderNote* turn = same_set(height_ - back);
      if (turn == nullptr) continue;
      suspect[index] = turn->view > 0 || turn->proposer != validators_->at(index).public_key;
    }
  }
  primary_order_.clear();
  const uint32_t first = static_cast<uint32_t>(height_ % n);
  for (bool suspects : {false, true}) {
    for (uint32_t k = 0; k < n; ++k) {
      const uint32_t index = (first + k) % n;
      if (suspect[index] == suspects) primary_order_.push_back(index);
    }
  }
}

uint32_t PbftEngine::primary_index(uint64_t view) const {
  return primary_order_[view % primary_order_.size()];
}

bool PbftEngine::is_primary(uint64_t view) const {
  return my_index_ && *my_index_ == primary_index(view);
}

std::shared_ptr<const chain::ValidatorSet> PbftEngine::validators_for(uint64_t height) const {
  auto it = validator_sets_.upper_bound(height);
  if (it == validator_sets_.begin()) return it->second;
  return std::prev(it)->second;
}

void PbftEngine::add_own_vote(std::map<uint64_t, VoteSet>& sets, const Vote& vote) {
  SYNOD_ASSERT(my_index_.has_value());
  VoteSet* set = votes_for(sets, vote.view);
  if (set == nullptr) return;  // a view too old to track; the vote stays recorded and sent
  // A conflict here means another process signs with our key (a misconfigured twin): the set
  // keeps the vote it saw first, as for any validator.
  (void)set->add(*my_index_, vote.block_hash, vote.sig.signature);
}

// The vote set of `view`, made on first use; nullptr for a view below every tracked one once
// kViewsTrackedMax sets exist (the lowest is forgotten to make room for a higher one).
VoteSet* PbftEngine::votes_for(std::map<uint64_t, VoteSet>& sets, uint64_t view) {
  auto it = sets.find(view);
  if (it != sets.end()) return &it->second;
  if (sets.size() >= kViewsTrackedMax) {
    if (view < sets.begin()->first) return nullptr;
    sets.erase(sets.begin());
  }
  return &sets.try_emplace(view, validators_).first->second;
}

}  // namespace synod::consensus::pbft

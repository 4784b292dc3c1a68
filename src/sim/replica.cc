#include "sim/replica.h"

#include <fmt/format.h>

namespace synod::sim {
namespace {

std::string short_hash(const Hash256& hash) {
  return hash.hex().substr(0, 12);
}

}  // namespace

std::string_view crash_point_name(CrashPoint point) {
  switch (point) {
    case CrashPoint::kAfterRecords:
      return "after-records";
    case CrashPoint::kDuringSend:
      return "during-send";
    case CrashPoint::kAfterCommitWrite:
      return "after-commit-write";
  }
  return "unknown";
}

Replica::Replica(ReplicaConfig config, Prng prng)
    : config_(std::move(config)),
      prng_(prng),
      store_(disk_),
      mutator_(config_.profile, config_.frame_bytes_max, prng_.fork()) {
  SYNOD_ASSERT(config_.genesis != nullptr);
  SYNOD_ASSERT(config_.engine_factory && config_.application_factory);
}

uint64_t Replica::local_time_ms(uint64_t virtual_ms) const {
  const int64_t local =
      static_cast<int64_t>(config_.genesis->genesis_time_ms + virtual_ms) + config_.clock_skew_ms;
  SYNOD_ASSERT(local >= 0);
  return static_cast<uint64_t>(local);
}

Status Replica::start(uint64_t virtual_ms, ReplicaHost& host) {
  SYNOD_ASSERT(!running());
  now_virtual_ms_ = virtual_ms;
  stalled_ = false;
  application_ = config_.application_factory(*config_.genesis);
  SYNOD_ASSERT(application_ != nullptr);
  SYNOD_ASSIGN_OR_RETURN(consensus::ChainTip tip, store_.tip());
  if (tip.height > 0) {
    SYNOD_ASSIGN_OR_RETURN(std::optional<chain::Block> block, store_.block(tip.height));
    SYNOD_ASSERT(block.has_value());  // tip() found it
    SYNOD_TRY(application_->restore(tip.height, block->header.state_root, store_.state_scan())
                  .with_context("restoring the application"));
  }
  SYNOD_ASSIGN_OR_RETURN(std::vector<consensus::Record> records, store_.records());
  const size_t record_count = records.size();
  consensus::EngineConfig engine_config;
  engine_config.genesis = *config_.genesis;
  engine_config.validators = application_->validator_set(tip.height + 1);
  engine_config.signing_key = config_.key;
  engine_config.tip = tip;
  SYNOD_ASSIGN_OR_RETURN(engine_config.recent_headers,
                         store_.recent_headers(tip.height, consensus::recent_headers_wanted(
                                                               engine_config.validators)));
  engine_config.records = std::move(records);
  engine_config.seed = prng_.next();
  engine_config.now_ms = local_time_ms(virtual_ms);
  auto engine = config_.engine_factory(std::move(engine_config));
  if (!engine.is_ok()) {
    application_.reset();
    return engine.status().with_context("making the engine");
  }
  engine_ = std::move(engine).value();
  mempool::Config pool_config;
  pool_config.chain_id = config_.genesis->chain_id;
  pool_config.transactions_max = config_.pending_transactions_max;
  pool_config.nonce_gap_max = config_.nonce_gap_max;
  pool_config.verify_threads = 0;  // inline verification: deterministic
  SYNOD_TRY(pool_config.check());
  pool_ = std::make_unique<mempool::Mempool>(std::move(pool_config), *application_);
  ++restarts_;
  host.trace(*this, fmt::format("start tip={} records={}", tip.height, record_count));
  tick(virtual_ms, host);
  return Status::ok();
}

void Replica::crash(size_t unsynced_writes_kept) {
  engine_.reset();
  pool_.reset();
  application_.reset();
  disk_.simulate_crash_keeping(std::min(unsynced_writes_kept, disk_.unsynced_write_count()));
}

void Replica::tick(uint64_t virtual_ms, ReplicaHost& host) {
  now_virtual_ms_ = virtual_ms;
  step(consensus::Tick{local_time_ms(virtual_ms)}, host);
}

void Replica::receive(const consensus::PeerMessage& message, ReplicaHost& host) {
  if (config_.profile.has(Behavior::kReplay)) mutator_.remember(message.payload);
  step(message, host);
}

void Replica::step(const consensus::Event& event, ReplicaHost& host) {
  if (!running() || stalled_) return;
  engine_->step(event);
  drain(host);
}

void Replica::drain(ReplicaHost& host) {
  // Bounded: an engine that keeps producing Ready without input is a bug.
  constexpr int kReadyPerEventMax = 10'000;
  for (int round = 0; running() && !stalled_ && engine_->has_ready(); ++round) {
    SYNOD_ASSERT(round < kReadyPerEventMax);
    consensus::Ready ready = engine_->ready();
    std::optional<std::vector<consensus::Event>> answers = execute(ready, host);
    if (!answers) return;  // crashed or stalled mid-Ready: the engine is gone or stopped
    engine_->advance();
    for (const consensus::Event& answer : *answers) {
      if (!running()) return;
      engine_->step(answer);
    }
  }
}

std::optional<std::vector<consensus::Event>> Replica::execute(consensus::Ready& ready,
                                                              ReplicaHost& host) {
  std::vector<consensus::Event> answers;
  // 1. Records, durably, before anything that depends on them leaves the node.
  if (!ready.records.empty()) {
    Status persisted = config_.bug_skip_records ? Status::ok() : store_.put_records(ready.records);
    SYNOD_ASSERT(persisted.is_ok());  // the in-memory disk does not fail
    if (host.crash_here(*this, CrashPoint::kAfterRecords)) return std::nullopt;
    answers.push_back(consensus::Durable{ready.sequence});
  }
  // 2. Messages.
  if (!send_all(ready, host)) return std::nullopt;
  // 3. Commits, then the proposal and validation requests.
  if (!ready.reverts.empty()) {
    host.apply_failed(*this, 0, error(Code::kInternal, "sim: reverts are not simulated yet"));
    stalled_ = true;
    return std::nullopt;
  }
  if (!commit_all(ready, host)) return std::nullopt;
  for (const consensus::Evidence& evidence : ready.evidence)
    host.evidence(*this, evidence);
  if (ready.proposal_request) {
    std::optional<consensus::Event> proposal = answer_proposal(*ready.proposal_request, host);
    if (proposal) answers.push_back(std::move(*proposal));
  }
  for (const chain::Block& block : ready.validation_requests)
    answers.push_back(answer_validation(block, host));
  // 4. The timer.
  if (ready.wake_at_ms) host.arm_timer(*this, *ready.wake_at_ms);
  return answers;
}

bool Replica::send_all(const consensus::Ready& ready, ReplicaHost& host) {
  for (size_t i = 0; i < ready.messages.size(); ++i) {
    if (i > 0 && host.crash_here(*this, CrashPoint::kDuringSend)) return false;
    host.send(*this, ready.messages[i]);
  }
  return true;
}

bool Replica::commit_all(const consensus::Ready& ready, ReplicaHost& host) {
  for (const consensus::Commit& commit : ready.commits) {
    const chain::Block& block = commit.block;
    auto applied = application_->apply_block(block);
    if (!applied.is_ok()) {
      host.trace(*this,
                 fmt::format("apply failed h={} {}", block.height(), applied.status().to_string()));
      host.apply_failed(*this, block.height(), applied.status());
      stalled_ = true;
      return false;
    }
    Status written = store_.put_commit(block, commit.certificate, *applied, /*sync=*/false);
    SYNOD_ASSERT(written.is_ok());
    if (host.crash_here(*this, CrashPoint::kAfterCommitWrite)) return false;
    Status synced = store_.sync();
    SYNOD_ASSERT(synced.is_ok());
    host.trace(*this, fmt::format("commit h={} {} txs={} root={}", block.height(),
                                  short_hash(block.hash()), block.transactions.size(),
                                  short_hash(applied->state_root)));
    host.committed(*this, block, applied->state_root);
    pool_->update_after_commit(block);
  }
  return true;
}

std::optional<consensus::Event> Replica::answer_proposal(const chain::BlockHeader& header,
                                                         ReplicaHost& host) {
  std::vector<chain::Transaction> candidates =
      pool_->reap(config_.genesis->consensus.block_transactions_max, chain::kBlockBytesMax / 2);
  if (config_.instance == 1 && !candidates.empty()) {
    candidates.erase(candidates.begin());  // the second twin proposes a different block
  }
  auto block = application_->prepare_block(header, candidates,
                                           config_.genesis->consensus.block_transactions_max);
  if (!block.is_ok()) {
    host.trace(*this,
               fmt::format("prepare failed h={} {}", header.height, block.status().to_string()));
    return std::nullopt;
  }
  if (config_.profile.has(Behavior::kInvalidProposal) && prng_.chance(500'000)) {
    *block = mutator_.corrupt_proposal(std::move(*block), byzantine_counts_);
  }
  host.trace(*this, fmt::format("propose h={} {} txs={}", header.height, short_hash(block->hash()),
                                block->transactions.size()));
  return consensus::Proposal{std::move(*block)};
}

consensus::Event Replica::answer_validation(const chain::Block& block, ReplicaHost& host) {
  consensus::Verdict verdict{block.hash(), block.height(), true, ""};
  if (config_.profile.has(Behavior::kApproveAll)) {
    ++byzantine_counts_["byzantine-approve-all"];
  } else {
    // As the node does (node_ready.cc): each signature is verified once per replica.
    const bool signatures_checked = pool_->verify_block_signatures(block.transactions);
    Status valid = application_->validate_block(block, signatures_checked);
    verdict.valid = valid.is_ok();
    verdict.reason = valid.is_ok() ? "" : valid.to_string();
  }
  host.trace(*this,
             fmt::format("verdict h={} {} {}", block.height(), short_hash(verdict.block_hash),
                         verdict.valid ? "valid" : verdict.reason));
  return verdict;
}

Status Replica::submit(const chain::Transaction& tx) {
  if (!running()) return error(Code::kUnavailable, "node is down");
  return pool_->add(tx);
}

Status Replica::submit_encoded(ByteView encoded) {
  if (!running()) return error(Code::kUnavailable, "node is down");
  return pool_->add_encoded(encoded);
}

Bytes Replica::sync_request() const {
  Writer writer;
  writer.u64(height() + 1);
  return writer.take();
}

Result<Bytes> Replica::sync_response(ByteView request) const {
  Reader reader(request);
  const uint64_t from_height = reader.u64();
  SYNOD_TRY(reader.finish());
  SYNOD_ASSIGN_OR_RETURN(uint64_t tip, store_.tip_height());
  if (from_height == 0 || from_height > tip) return Bytes();
  const uint64_t last = std::min(tip, from_height + kSyncBlocksMax - 1);
  Writer entries;
  size_t count = 0;
  for (uint64_t height = from_height; height <= last; ++height) {
    SYNOD_ASSIGN_OR_RETURN(std::optional<chain::Block> block, store_.block(height));
    SYNOD_ASSIGN_OR_RETURN(std::optional<chain::Certificate> certificate,
                           store_.certificate(height));
    if (!block || !certificate) return error(Code::kCorrupt, "sync: stored block missing");
    block->encode(entries);
    certificate->encode(entries);
    ++count;
    if (entries.size() > kSyncResponseBytesMax) break;
  }
  Writer writer(entries.size() + 4);
  writer.list_size(count);
  writer.raw(entries.buffer());
  return writer.take();
}

void Replica::on_sync_response(ByteView payload, ReplicaHost& host) {
  if (!running() || stalled_ || payload.empty()) return;
  Reader reader(payload);
  const size_t count = reader.list_size(kSyncBlocksMax, 64);
  for (size_t i = 0; i < count && reader.ok() && running() && !stalled_; ++i) {
    chain::Block block = chain::Block::decode_from(reader);
    chain::Certificate certificate = chain::Certificate::decode_from(reader);
    if (!reader.ok() || block.height() <= height()) continue;
    if (block.height() != height() + 1) return;  // a gap: ask again later
    const chain::ValidatorSet validators = application_->validator_set(block.height());
    if (certificate.height != block.height() || certificate.block_hash != block.hash() ||
        !certificate.verify(config_.genesis->chain_id, validators).is_ok()) {
      host.trace(*this, fmt::format("sync rejected h={}", block.height()));
      return;
    }
    host.trace(*this, fmt::format("synced h={} {}", block.height(), short_hash(block.hash())));
    const uint64_t before = height();
    step(consensus::SyncedBlock{std::move(block), std::move(certificate)}, host);
    if (height() == before) return;  // the engine did not take it (yet)
  }
}

}  // namespace synod::sim

// Executing the engine's Ready, in the order consensus/engine.h prescribes, with group commit: the
// records and commits of a whole iteration are written unsynced and made durable by one sync in
// finish_iteration(), before any message of that iteration is sent.
#include <fmt/format.h>

#include "node/node.h"
#include "node/node_internal.h"

namespace synod::node {

bool Node::execute_readies(Iteration& iteration) {
  for (int round = 0; engine_->has_ready(); ++round) {
    SYNOD_ASSERT(round < kReadiesPerIterationMax);
    consensus::Ready ready = engine_->ready();
    counters_->readies++;
    std::vector<consensus::Event> answers;
    if (!execute_ready(ready, iteration, answers)) return false;
    engine_->advance();
    for (const consensus::Event& answer : answers)
      engine_->step(answer);
  }
  return true;
}

// One Ready. On an error the node stops: nothing of this Ready (or of the iteration) is sent, so
// no peer ever sees a vote whose record may not be durable.
bool Node::execute_ready(consensus::Ready& ready, Iteration& iteration,
                         std::vector<consensus::Event>& answers) {
  // 1. Records, written now and synced with everything else of this iteration.
  if (!ready.records.empty()) {
    std::vector<storage::EngineRecord> records;
    records.reserve(ready.records.size());
    for (consensus::Record& record : ready.records) {
      records.push_back(storage::EngineRecord{std::move(record.key), std::move(record.value)});
    }
    Status written = chain_->put_records(records, /*sync=*/false);
    if (!written.is_ok()) {
      fail(written.with_context("writing engine records"));
      return false;
    }
    counters_->records_written += records.size();
    iteration.unsynced = true;
    iteration.records = true;
    iteration.ready_sequence = ready.sequence;
  }
  // 2. Messages: queued, sent once the iteration's writes are durable.
  for (consensus::OutMessage& message : ready.messages)
    iteration.outbox.push_back(std::move(message));
  // 3. Reverts, commits, then the requests.
  if (!ready.reverts.empty()) {
    fail(error(Code::kFailedPrecondition,
               "the engine asked for reverts, which this node does "
               "not do yet (pow)"));
    return false;
  }
  for (consensus::Commit& commit : ready.commits) {
    Status committed = this->commit(commit, iteration, answers);
    if (!committed.is_ok()) {
      fail(committed.with_context(fmt::format("committing height {}", commit.block.height())));
      return false;
    }
  }
  for (const consensus::Evidence& evidence : ready.evidence) {
    counters_->evidence++;
    log_->warn("evidence: {} by {} at height {} round {}", evidence.kind, evidence.offender.hex(),
               evidence.height, evidence.round);
  }
  if (ready.proposal_request) {
    if (auto proposal = answer_proposal(*ready.proposal_request)) {
      answers.push_back(std::move(*proposal));
    }
  }
  for (const chain::Block& block : ready.validation_requests)
    answers.push_back(answer_validation(block));
  // 4. The timer.
  if (ready.wake_at_ms) engine_wake_ms_ = *ready.wake_at_ms;
  return true;
}

Status Node::commit(consensus::Commit& commit, Iteration& iteration,
                    std::vector<consensus::Event>& answers) {
  const chain::Block& block = commit.block;
  const uint64_t height = block.height();
  // The engine commits in height order on top of what it was given at open: ours to keep.
  SYNOD_ASSERT(height == application_->height() + 1);
  SYNOD_ASSIGN_OR_RETURN(chain::ApplyResult applied, application_->apply_block(block));
  SYNOD_TRY(chain_->commit_block(block, commit.certificate, applied, /*sync=*/false));
  iteration.unsynced = true;
  if (genesis().consensus.mechanism != chain::Mechanism::kPow) application_->finalize(height);
  mempool_->update_after_commit(block);
  // A set change caused by this block takes effect at height + 2 (DESIGN.md).
  const chain::ValidatorSet next = application_->validator_set(height + 2);
  if (next.hash() != application_->validator_set(height + 1).hash()) {
    answers.push_back(consensus::ValidatorSetChange{height + 2, next});
  }
  tip_ = storage::ChainTip{height, block.hash(), block.header.time_ms, commit.certificate};
  counters_->blocks_committed++;
  counters_->transactions_committed += block.transactions.size();
  const auto level = block.transactions.empty() ? spdlog::level::debug : spdlog::level::info;
  log_->log(level, "committed height {} block {} txs {} state root {}", height,
            short_hex(tip_.hash), block.transactions.size(), short_hex(applied.state_root));
  iteration.committed.push_back(std::move(commit));
  return Status::ok();
}

std::optional<consensus::Event> Node::answer_proposal(const chain::BlockHeader& header) {
  const size_t transactions_max = genesis().consensus.block_transactions_max;
  std::vector<chain::Transaction> candidates =
      mempool_->reap(transactions_max, chain::kBlockBytesMax / 2);
  auto block = application_->prepare_block(header, candidates, transactions_max);
  if (!block.is_ok()) {
    counters_->proposals_failed++;
    log_->warn("cannot prepare a block for height {}: {}", header.height,
               block.status().to_string());
    return std::nullopt;
  }
  counters_->proposals++;
  log_->debug("proposing height {} block {} txs {}", header.height, short_hex(block->hash()),
              block->transactions.size());
  return consensus::Proposal{std::move(block).value()};
}

consensus::Event Node::answer_validation(const chain::Block& block) {
  counters_->validations++;
  // The same Ready may have committed this height already (a synced block overtook the
  // proposal): the verdict no longer matters, and the application cannot judge it any more.
  if (block.height() != application_->height() + 1) {
    log_->debug("not validating block {} at height {}: at height {} now", short_hex(block.hash()),
                block.height(), application_->height());
    return consensus::Verdict{block.hash(), block.height(), false, "height already decided"};
  }
  // Each signature is verified once per node: the mempool skips those it already verified and
  // caches the ones it checks now. At a bad one, the application verifies and names it.
  const bool signatures_checked = mempool_->verify_block_signatures(block.transactions);
  Status valid = application_->validate_block(block, signatures_checked);
  consensus::Verdict verdict{block.hash(), block.height(), valid.is_ok(), ""};
  if (!valid.is_ok()) {
    counters_->validations_rejected++;
    verdict.reason = valid.to_string();
    log_->warn("rejected block {} at height {}: {}", short_hex(verdict.block_hash), block.height(),
               verdict.reason);
  }
  return verdict;
}

// Group commit: one sync for every record and commit of the iteration, then the messages that
// depend on them, then the news.
bool Node::finish_iteration(Iteration& iteration) {
  if (iteration.unsynced) {
    Status synced = chain_->sync();
    if (!synced.is_ok()) {
      fail(synced.with_context("syncing the store"));
      return false;
    }
    counters_->fsyncs++;
    if (iteration.records) engine_->step(consensus::Durable{iteration.ready_sequence});
  }
  send_messages(iteration.outbox);
  height_ = tip_.height;
  for (const consensus::Commit& commit : iteration.committed) {
    for (const CommitListener& listener : commit_listeners_)
      listener(commit.block, commit.certificate);
  }
  flush_gossip();
  return true;
}

void Node::send_messages(std::vector<consensus::OutMessage>& messages) {
  for (const consensus::OutMessage& message : messages) {
    counters_->consensus_messages_out++;
    if (!message.to) {
      transport_->broadcast(net::Channel::kConsensus, message.payload);
      continue;
    }
    Status sent = transport_->send(*message.to, net::Channel::kConsensus, message.payload);
    if (!sent.is_ok())
      log_->debug("consensus message to {}: {}", short_hex(*message.to), sent.to_string());
  }
  messages.clear();
}

}  // namespace synod::node

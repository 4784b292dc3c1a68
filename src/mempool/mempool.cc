#include "mempool/mempool.h"

#include <algorithm>
#include <numeric>
#include <thread>
#include <unordered_set>

namespace synod::mempool {
namespace {

Status oversize(size_t bytes, size_t bytes_max) {
  return error(Code::kInvalidArgument, "transaction of " + std::to_string(bytes) +
                                           " bytes is over the limit of " +
                                           std::to_string(bytes_max));
}

}  // namespace

size_t Config::default_verify_threads() {
  return std::max(1u, std::thread::hardware_concurrency());
}

Status Config::check() const {
  auto bad = [](const std::string& what) {
    return error(Code::kInvalidArgument, "mempool config: " + what);
  };
  if (chain_id.empty()) return bad("chain_id is empty");
  if (transaction_bytes_max == 0 || transaction_bytes_max > chain::kTransactionBytesMax) {
    return bad("transaction_bytes_max must be in 1.." +
               std::to_string(chain::kTransactionBytesMax));
  }
  if (transactions_max == 0) return bad("transactions_max must be positive");
  if (bytes_max < transaction_bytes_max) return bad("bytes_max is below transaction_bytes_max");
  if (transactions_per_sender_max == 0) return bad("transactions_per_sender_max must be positive");
  if (replacement_fee_bump_percent > 1'000) return bad("replacement_fee_bump_percent over 1000");
  if (verify_threads > 1'024) return bad("verify_threads over 1024");
  if (submissions_in_flight_max == 0) return bad("submissions_in_flight_max must be positive");
  if (full_recheck_interval_blocks == 0)
    return bad("full_recheck_interval_blocks must be positive");
  return Status::ok();
}

uint64_t Metrics::rejected_total() const {
  return std::accumulate(rejected_by_code.begin(), rejected_by_code.end(), uint64_t{0});
}

Mempool::Mempool(Config config, const chain::Application& application,
                 std::function<void()> results_ready)
    : config_(std::move(config)),
      application_(application),
      results_ready_(std::move(results_ready)),
      pending_(PendingLimits{config_.transactions_max, config_.bytes_max,
                             config_.transactions_per_sender_max,
                             config_.replacement_fee_bump_percent}),
      signature_cache_(config_.signature_cache_entries_max),
      workers_(config_.verify_threads, config_.submissions_in_flight_max) {
  SYNOD_ASSERT(config_.check().is_ok());
}

Mempool::~Mempool() = default;

// ---- Submission (any thread) ----

Status Mempool::submit_encoded(Bytes encoded, Done done) {
  SYNOD_ASSERT(done != nullptr);
  if (encoded.size() > config_.transaction_bytes_max) {
    count_rejection(Code::kInvalidArgument);
    return oversize(encoded.size(), config_.transaction_bytes_max);
  }
  auto submission = std::make_shared<Submission>();
  submission->items.resize(1);
  submission->items[0].encoded = std::move(encoded);
  submission->done = [done = std::move(done)](std::vector<Admission> results) {
    done(results.front());
  };
  return enqueue(std::move(submission));
}

Status Mempool::submit(chain::Transaction tx, Done done) {
  SYNOD_ASSERT(done != nullptr);
  auto submission = std::make_shared<Submission>();
  submission->items.resize(1);
  submission->items[0].tx = std::move(tx);
  submission->done = [done = std::move(done)](std::vector<Admission> results) {
    done(results.front());
  };
  return enqueue(std::move(submission));
}

Status Mempool::submit_batch(std::vector<Bytes> encoded, BatchDone done) {
  SYNOD_ASSERT(done != nullptr);
  if (encoded.empty()) return error(Code::kInvalidArgument, "empty batch");
  auto submission = std::make_shared<Submission>();
  submission->items.resize(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    Item& item = submission->items[i];
    if (encoded[i].size() > config_.transaction_bytes_max) {
      item.result.status = oversize(encoded[i].size(), config_.transaction_bytes_max);
    } else {
      item.encoded = std::move(encoded[i]);
    }
  }
  submission->done = std::move(done);
  return enqueue(std::move(submission));
}

Status Mempool::enqueue(std::shared_ptr<Submission> submission) {
  const size_t count = submission->items.size();
  const size_t before = in_flight_.fetch_add(count);
  const size_t limit = config_.submissions_in_flight_max;
  if (count > limit || before > limit - count) {
    in_flight_.fetch_sub(count);
    rejected_by_code_[static_cast<size_t>(Code::kResourceExhausted)].fetch_add(count);
    return error(Code::kResourceExhausted, "too many transactions waiting for admission (limit " +
                                               std::to_string(limit) + ")");
  }

  std::vector<WorkerPool::Job> jobs;
  for (size_t i = 0; i < count; ++i) {
    if (!submission->items[i].result.status.is_ok()) continue;  // refused at the door
    jobs.push_back([this, submission, i] {
      verify(submission->items[i]);
      // The last item verified hands the whole submission to poll(); acq_rel makes every
      // worker's writes to its item visible to it.
      if (submission->unverified.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        complete(submission);
      }
    });
  }
  submission->unverified.store(jobs.size(), std::memory_order_relaxed);
  if (jobs.empty()) {
    complete(std::move(submission));
    return Status::ok();
  }
  // The queue holds at most what is in flight, and its bound is the in-flight bound.
  const bool posted = workers_.try_post(jobs);
  SYNOD_ASSERT(posted);
  return Status::ok();
}

// Stage 1, on a worker: everything that needs no account state.
void Mempool::verify(Item& item) {
  if (!item.tx.has_value()) {
    item.bytes = item.encoded.size();
    auto decoded = chain::decode_transaction(item.encoded);
    if (!decoded.is_ok()) {
      Bytes().swap(item.encoded);
      item.result.status = decoded.status();
      return;
    }
    item.result.id = chain::transaction_id(item.encoded);  // the bytes decoded, so are canonical
    Bytes().swap(item.encoded);
    item.tx = std::move(decoded).value();
  } else {
    const Bytes encoded = encode(*item.tx);
    item.bytes = encoded.size();
    if (item.bytes > config_.transaction_bytes_max) {
      item.result.status = oversize(item.bytes, config_.transaction_bytes_max);
      return;
    }
    item.result.id = chain::transaction_id(encoded);
  }
  const chain::Transaction& tx = *item.tx;
  if (tx.chain_id != config_.chain_id) {
    item.result.status =
        error(Code::kInvalidArgument,
              "transaction is for another chain (this is " + config_.chain_id + ")");
    return;
  }
  if (!config_.signatures_required) return;
  if (signature_cache_.contains(item.result.id)) {
    signature_cache_hits_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (!tx.verify_signature()) {
    item.result.status = error(Code::kUnauthenticated, "transaction signature does not verify");
    return;
  }
  signature_cache_.insert(item.result.id);
}

void Mempool::complete(std::shared_ptr<Submission> submission) {
  {
    std::lock_guard lock(results_mutex_);
    verified_.push_back(std::move(submission));
  }
  results_available_.notify_all();
  if (results_ready_) results_ready_();
}

// ---- Driver thread ----

size_t Mempool::poll() {
  if (workers_.thread_count() == 0) workers_.run_pending();
  std::deque<std::shared_ptr<Submission>> ready;
  {
    std::lock_guard lock(results_mutex_);
    ready.swap(verified_);
  }
  if (ready.empty()) return 0;

  size_t delivered = 0;
  {
    std::lock_guard lock(mutex_);
    for (const auto& submission : ready) {
      for (Item& item : submission->items) {
        if (item.result.status.is_ok()) item.result.status = admit(item);
        if (!item.result.status.is_ok()) count_rejection(item.result.status.code());
        ++delivered;
      }
    }
  }
  in_flight_.fetch_sub(delivered);

  for (const auto& submission : ready) {
    std::vector<Admission> results;
    results.reserve(submission->items.size());
    for (Item& item : submission->items)
      results.push_back(std::move(item.result));
    submission->done(std::move(results));
  }
  return delivered;
}

size_t Mempool::poll_wait(std::chrono::milliseconds timeout) {
  if (workers_.thread_count() > 0) {
    std::unique_lock lock(results_mutex_);
    results_available_.wait_for(lock, timeout, [this] { return !verified_.empty(); });
  }
  return poll();
}

Status Mempool::add(chain::Transaction tx) {
  std::optional<Admission> outcome;
  SYNOD_TRY(submit(std::move(tx), [&outcome](const Admission& admission) { outcome = admission; }));
  while (!outcome.has_value())
    poll_wait(std::chrono::milliseconds(100));
  return outcome->status;
}

Status Mempool::add_encoded(ByteView encoded) {
  if (encoded.size() > config_.transaction_bytes_max) {
    count_rejection(Code::kInvalidArgument);
    return oversize(encoded.size(), config_.transaction_bytes_max);
  }
  std::optional<Admission> outcome;
  SYNOD_TRY(submit_encoded(Bytes(encoded.begin(), encoded.end()),
                           [&outcome](const Admission& admission) { outcome = admission; }));
  while (!outcome.has_value())
    poll_wait(std::chrono::milliseconds(100));
  return outcome->status;
}

// Stage 2, under mutex_: everything that needs account state or the pool.
Status Mempool::admit(Item& item) {
  chain::Transaction& tx = *item.tx;
  const Hash256& id = item.result.id;
  if (pending_.contains(id)) {
    return error(Code::kAlreadyExists, "transaction " + id.hex() + " is already pending");
  }
  const chain::Address sender = tx.sender_address();
  const uint64_t nonce_next = application_.next_nonce(sender);
  if (tx.nonce < nonce_next) {
    return error(Code::kFailedPrecondition, "nonce " + std::to_string(tx.nonce) +
                                                " is already used (the account is at nonce " +
                                                std::to_string(nonce_next) + ")");
  }
  if (!config_.signatures_required && tx.nonce != nonce_next) {
    // Unsigned transactions move no account, so no later block fills a nonce gap: one that
    // waited for it would wait forever.
    return error(Code::kFailedPrecondition,
                 "unsigned transactions carry their sender's next nonce (" +
                     std::to_string(nonce_next) + "); make puts distinct by their sender key");
  }
  if (tx.nonce - nonce_next > config_.nonce_gap_max) {
    return error(Code::kFailedPrecondition, "nonce " + std::to_string(tx.nonce) + " is more than " +
                                                std::to_string(config_.nonce_gap_max) +
                                                " ahead of the account's nonce " +
                                                std::to_string(nonce_next));
  }
  SYNOD_TRY(application_.check_transaction(tx, config_.nonce_gap_max));
  SYNOD_ASSIGN_OR_RETURN(InsertOutcome outcome,
                         pending_.insert(std::move(tx), id, sender, item.bytes));
  admitted_.fetch_add(1, std::memory_order_relaxed);
  if (outcome.replaced.has_value()) replaced_.fetch_add(1, std::memory_order_relaxed);
  evicted_.fetch_add(outcome.evicted.size(), std::memory_order_relaxed);
  return Status::ok();
}

std::vector<chain::Transaction> Mempool::reap(size_t count_max, size_t bytes_max) const {
  std::lock_guard lock(mutex_);
  return pending_.reap(count_max, bytes_max, [this](const chain::Address& sender) {
    return application_.next_nonce(sender);
  });
}

void Mempool::update_after_commit(const chain::Block& block) {
  std::lock_guard lock(mutex_);
  std::unordered_set<chain::Address, chain::AddressHasher> senders;
  senders.reserve(block.transactions.size());
  for (const chain::Transaction& tx : block.transactions) {
    const chain::Address sender = tx.sender_address();
    senders.insert(sender);
    std::optional<Hash256> id = pending_.find_id(sender, tx.nonce);
    if (id.has_value() && *pending_.find(*id) == tx) {
      pending_.remove(*id);
      committed_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (++commits_since_full_recheck_ >= config_.full_recheck_interval_blocks) {
    commits_since_full_recheck_ = 0;
    for (const chain::Address& sender : pending_.senders())
      recheck_sender(sender);
    return;
  }
  for (const chain::Address& sender : senders)
    recheck_sender(sender);
}

// Drops `sender`'s transactions whose nonce the state has passed or that no longer pass the
// application's check; the ones after a dropped nonce stay and wait for a replacement.
void Mempool::recheck_sender(const chain::Address& sender) {
  const uint64_t nonce_next = application_.next_nonce(sender);
  for (const Hash256& id : pending_.ids_of(sender)) {
    const chain::Transaction& tx = *pending_.find(id);
    const bool keep =
        tx.nonce >= nonce_next && application_.check_transaction(tx, config_.nonce_gap_max).is_ok();
    if (keep) continue;
    pending_.remove(id);
    dropped_on_recheck_.fetch_add(1, std::memory_order_relaxed);
  }
}

// ---- Readers (any thread) ----

size_t Mempool::size() const {
  std::lock_guard lock(mutex_);
  return pending_.size();
}

size_t Mempool::bytes() const {
  std::lock_guard lock(mutex_);
  return pending_.bytes();
}

bool Mempool::contains(const Hash256& id) const {
  std::lock_guard lock(mutex_);
  return pending_.contains(id);
}

std::vector<Hash256> Mempool::lacking(std::span<const Hash256> ids) const {
  std::vector<Hash256> out;
  std::lock_guard lock(mutex_);
  for (const Hash256& id : ids) {
    if (!pending_.contains(id)) out.push_back(id);
  }
  return out;
}

std::optional<chain::Transaction> Mempool::get(const Hash256& id) const {
  std::lock_guard lock(mutex_);
  const chain::Transaction* tx = pending_.find(id);
  if (tx == nullptr) return std::nullopt;
  return *tx;
}

bool Mempool::verify_block_signatures(const std::vector<chain::Transaction>& transactions) {
  if (!config_.signatures_required) return true;  // the application takes unsigned ones
  for (const chain::Transaction& tx : transactions) {
    const Hash256 id = tx.id();
    if (signature_cache_.contains(id)) {
      signature_cache_hits_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (!tx.verify_signature()) return false;
    signature_cache_.insert(id);
  }
  return true;
}

Metrics Mempool::metrics() const {
  Metrics out;
  out.admitted = admitted_.load(std::memory_order_relaxed);
  out.replaced = replaced_.load(std::memory_order_relaxed);
  out.evicted = evicted_.load(std::memory_order_relaxed);
  out.committed = committed_.load(std::memory_order_relaxed);
  out.dropped_on_recheck = dropped_on_recheck_.load(std::memory_order_relaxed);
  out.signature_cache_hits = signature_cache_hits_.load(std::memory_order_relaxed);
  for (size_t i = 0; i < kCodeCount; ++i)
    out.rejected_by_code[i] = rejected_by_code_[i].load(std::memory_order_relaxed);
  return out;
}

void Mempool::count_rejection(Code code) {
  const auto index = static_cast<size_t>(code);
  SYNOD_ASSERT(code != Code::kOk && index < kCodeCount);
  rejected_by_code_[index].fetch_add(1, std::memory_order_relaxed);
}

}  // namespace synod::mempool

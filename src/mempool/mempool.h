// Mempool: the transactions waiting for a block. It admits them (size, decoding, chain id,
// signature, then nonce, fee and balance against the application's last applied state), orders
// them for the next block, replaces and evicts under named bounds, and rechecks after each commit.
//
// Admission runs in two stages:
//   1. On the worker pool (any thread may submit): decode, size, chain id, and the Ed25519
//      signature, skipped when the signature cache already knows the id.
//   2. On the driver thread, inside poll(): duplicates, nonce window, Application::
//      check_transaction (fee, balance), replacement, limits and eviction; then `done` runs.
// Stage 2 is on the driver because chain::Application is single-threaded: the driver is the one
// thread that calls it, and it applies blocks between polls, so stage 2 always sees whole blocks.
//
// Rejection reasons (Status codes):
//   kInvalidArgument    encoded size over the limit; transaction for another chain
//   kCorrupt            the bytes do not decode strictly
//   kUnauthenticated    the signature does not verify
//   kAlreadyExists      the same transaction (same id) is already pending
//   kFailedPrecondition nonce already used, or more than nonce_gap_max ahead; replacement fee
//                       too low; or whatever the application says (e.g. fee under its minimum)
//   kInsufficientFunds  the application says the balance cannot pay amount plus fee
//   kResourceExhausted  too many submissions in flight; sender at its limit; mempool full and
//                       nothing cheaper to evict
//
// Ordering (reap): highest fee first, each sender's transactions in consecutive nonce order from
// Application::next_nonce(sender). A transaction whose nonce leaves a gap waits (up to
// nonce_gap_max ahead) and becomes a candidate once the gap fills. Replacement: same sender and
// nonce, paying at least replacement_fee_bump_percent (and at least 1) more. Eviction when full:
// see pending_set.h — the cheapest sender tails go, only for a transaction paying strictly more.
//
// Threading:
//   - Any thread: submit*, size, bytes, contains, get, signature_verified, metrics.
//   - Driver thread only (they call the Application): poll, poll_wait, add, add_encoded, reap,
//     update_after_commit.
//   - `done` callbacks run on the driver thread inside poll(), after the mempool's lock is
//     released, so they may call any method; they must not block for long.
//   - All pool state is behind one mutex; the signature cache has its own.
// Accepted submissions that poll() has not yet delivered when the mempool is destroyed are
// dropped without calling `done`.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "chain/application.h"
#include "mempool/pending_set.h"
#include "mempool/signature_cache.h"
#include "mempool/worker_pool.h"

namespace synod::mempool {

struct Config {
  // Transactions for any other chain are rejected.
  std::string chain_id;
  size_t transaction_bytes_max = chain::kTransactionBytesMax;
  size_t transactions_max = 10'000;
  size_t bytes_max = 32 * 1024 * 1024;
  size_t transactions_per_sender_max = 32;
  // How far past the account's next nonce a transaction may wait for the gap to fill.
  uint64_t nonce_gap_max = 64;
  uint64_t replacement_fee_bump_percent = 10;
  // Signature-verifying threads; 0 verifies inside poll() on the driver thread (deterministic,
  // for the simulator and tests).
  size_t verify_threads = default_verify_threads();
  // False when the application takes unsigned transactions (the kvstore with unsigned writes):
  // stage 1 then skips the signature, which nobody made, and stage 2 takes only the sender's
  // next nonce (kFailedPrecondition otherwise): the application never advances an unsigned
  // sender's nonce, so a later one could never be included.
  bool signatures_required = true;
  // Submitted transactions accepted but not yet delivered by poll(); bounds both queues.
  size_t submissions_in_flight_max = 8'192;
  size_t signature_cache_entries_max = 65'536;
  // After a commit only the block's senders are rechecked: in both applications a transaction
  // can stop passing check_transaction only through its own sender's transactions (nonce used,
  // balance spent); receiving never hurts. Every `full_recheck_interval_blocks`-th commit rechecks
  // every pending sender anyway, so a rule outside that pattern (a later application's) cannot
  // keep a stale transaction for long. 1 rechecks everything after every block.
  uint64_t full_recheck_interval_blocks = 16;

  // std::thread::hardware_concurrency(), at least 1.
  static size_t default_verify_threads();
  // kInvalidArgument naming the first field out of range.
  Status check() const;
};

// The outcome of one submitted transaction. `id` is zero when the bytes did not decode or were
// over the size limit.
struct Admission {
  Hash256 id;
  Status status;
};

inline constexpr size_t kCodeCount = static_cast<size_t>(Code::kInternal) + 1;

// Counters since construction.
struct Metrics {
  uint64_t admitted = 0;            // entered the pool (replacements included)
  uint64_t replaced = 0;            // left the pool for a same-nonce transaction paying more
  uint64_t evicted = 0;             // left the pool to make room
  uint64_t committed = 0;           // left the pool in a committed block
  uint64_t dropped_on_recheck = 0;  // left the pool as stale or invalid after a commit
  uint64_t signature_cache_hits = 0;
  std::array<uint64_t, kCodeCount> rejected_by_code{};

  uint64_t rejected(Code code) const { return rejected_by_code[static_cast<size_t>(code)]; }
  uint64_t rejected_total() const;
};

class Mempool {
 public:
  using Done = std::function<void(const Admission&)>;
  // Results in the order of the submitted batch.
  using BatchDone = std::function<void(std::vector<Admission>)>;

  // `application` must outlive the mempool. `results_ready`, when set, is called from a worker
  // thread each time verified submissions wait for poll(): a cheap, thread-safe wake-up for the
  // driver's loop (it must not call poll itself).
  Mempool(Config config, const chain::Application& application,
          std::function<void()> results_ready = {});
  ~Mempool();
  Mempool(const Mempool&) = delete;
  Mempool& operator=(const Mempool&) = delete;

  // Queues one transaction for admission. Ok: `done` (not empty) will run exactly once, from
  // poll(). An error refuses it at the door (size over the limit, too many in flight) and `done`
  // never runs.
  Status submit_encoded(Bytes encoded, Done done);
  Status submit(chain::Transaction tx, Done done);
  // Queues a batch whose signatures are verified in parallel over the pool; stage 2 then takes
  // them in batch order, in one poll(). Refused whole (kResourceExhausted) only when it does not
  // fit in flight; an item over the size limit gets its rejection in the results.
  Status submit_batch(std::vector<Bytes> encoded, BatchDone done);

  // Driver thread: runs stage 2 for every verified submission and calls their `done`. Returns
  // how many transactions it delivered.
  size_t poll();
  // Driver thread: waits up to `timeout` for verified submissions, then polls.
  size_t poll_wait(std::chrono::milliseconds timeout);
  // Driver thread: submit and poll until this transaction's outcome is known (tests, tools).
  Status add(chain::Transaction tx);
  Status add_encoded(ByteView encoded);

  // Driver thread: block candidates (see the header comment), without removing them.
  std::vector<chain::Transaction> reap(size_t count_max, size_t bytes_max) const;
  // Driver thread, after the application applied `block`: removes its transactions, drops those
  // of the block's senders (of every sender, each full_recheck_interval_blocks-th call) whose
  // nonce is now used or that no longer pass check_transaction; waiting ones whose gap the block
  // filled become candidates.
  void update_after_commit(const chain::Block& block);

  size_t size() const;
  size_t bytes() const;
  bool contains(const Hash256& id) const;
  // The ids this mempool does not hold, in their order (one lock for the whole list).
  std::vector<Hash256> lacking(std::span<const Hash256> ids) const;
  std::optional<chain::Transaction> get(const Hash256& id) const;
  // True when this mempool verified the signature of transaction `id` (bounded memory).
  bool signature_verified(const Hash256& id) const { return signature_cache_.contains(id); }
  // Block validation: true when every transaction's signature verified, checking now (on the
  // calling thread) only those this mempool has not verified before and caching the successes,
  // so each signature is verified once per node. False at the first bad signature; the caller
  // then lets the application verify the block and name the culprit.
  bool verify_block_signatures(const std::vector<chain::Transaction>& transactions);
  Metrics metrics() const;
  const Config& config() const { return config_; }

 private:
  struct Item {
    Bytes encoded;  // input (stage 1 frees it once decoded)
    std::optional<chain::Transaction> tx;
    size_t bytes = 0;  // encoded size
    Admission result;
  };
  struct Submission {
    std::vector<Item> items;
    std::atomic<size_t> unverified{0};
    BatchDone done;
  };

  Status enqueue(std::shared_ptr<Submission> submission);
  void verify(Item& item);
  void complete(std::shared_ptr<Submission> submission);
  Status admit(Item& item);
  void recheck_sender(const chain::Address& sender);
  void count_rejection(Code code);

  const Config config_;
  const chain::Application& application_;
  const std::function<void()> results_ready_;

  mutable std::mutex mutex_;
  PendingSet pending_;  // guarded by mutex_

  std::mutex results_mutex_;
  std::condition_variable results_available_;
  std::deque<std::shared_ptr<Submission>> verified_;  // guarded by results_mutex_

  std::atomic<size_t> in_flight_{0};  // transactions submitted and not yet delivered by poll()
  SignatureCache signature_cache_;

  std::atomic<uint64_t> admitted_{0};
  std::atomic<uint64_t> replaced_{0};
  std::atomic<uint64_t> evicted_{0};
  std::atomic<uint64_t> committed_{0};
  std::atomic<uint64_t> dropped_on_recheck_{0};
  uint64_t commits_since_full_recheck_ = 0;  // driver thread
  std::atomic<uint64_t> signature_cache_hits_{0};
  std::array<std::atomic<uint64_t>, kCodeCount> rejected_by_code_{};

  // Last member: destroyed first, so no worker outlives the state it writes.
  WorkerPool workers_;
};

}  // namespace synod::mempool

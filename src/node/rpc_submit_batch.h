// SubmitBatch: admission, all at once, of the submit_transaction calls of one JSON-RPC batch.
//
// The RPC server runs handlers one after another on its one io thread, and submit_transaction
// waits for the mempool's answer, which comes from the node's driver thread. A batch of 200
// submissions would therefore wait for the driver 200 times in turn (each wait as long as the
// driver's current loop iteration: a block applied, an fsync). Instead, before the dispatcher
// runs a batch, RpcService hands every well-formed submit_transaction of it to the mempool as one
// batch (signatures verified in parallel on the mempool's workers, stage 2 in one poll); each
// call's handler then only picks up its own result. The answers are exactly those the calls would
// have had one by one, in order; a transaction given twice is admitted once, and its second call
// answers already_exists as it would have.
//
// Bounds: only batches (at most the dispatcher's batch limit of calls, the body bounded by the
// HTTP server) are pre-admitted; a batch the mempool refuses at the door (too many in flight)
// simply falls back to the one-by-one path.
//
// Thread-safety: start() and take() on the RPC thread; the mempool's callback may run on the
// driver at any time, also after a take() timed out, so the results live in shared state.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "mempool/mempool.h"

namespace synod::node {

class Node;

class SubmitBatch {
 public:
  // Finds the submit_transaction calls in `body` (nothing unless it is a JSON-RPC batch with at
  // least two of them) and queues them all for admission. Never fails: whatever it cannot take
  // is left to the one-by-one path.
  static SubmitBatch start(Node& node, std::string_view body);

  // The admission of `transaction_hex` if this batch started it (once per hex), waiting up to
  // `timeout_ms`; kTimeout when the mempool did not answer in time. nullopt: not started here.
  std::optional<Result<mempool::Admission>> take(const std::string& transaction_hex,
                                                 uint64_t timeout_ms);

  // The batch of the request being dispatched on this thread, if any (set by Scope).
  static SubmitBatch* current();
  class Scope {
   public:
    explicit Scope(SubmitBatch* batch);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    SubmitBatch* previous_;
  };

 private:
  struct Shared {
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    std::vector<mempool::Admission> results;  // guarded by mutex, set once with done
  };

  std::shared_ptr<Shared> shared_;
  std::unordered_map<std::string, size_t> index_by_hex_;  // position in the mempool batch
};

}  // namespace synod::node

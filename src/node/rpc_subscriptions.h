// Subscriptions of the node's RPC (docs/rpc.md, "subscribe / unsubscribe"): `new_blocks` (one event
// per committed block, in height order, from the block after the one committed at subscribe time)
// and `transaction` (one event when that transaction commits, at once if it already has; then the
// stream ends). Events wait in the subscription's rpc::EventStream until the subscriber opens
// `GET /events/<id>`, which the HTTP server then streams.
//
// A follower thread of its own reads committed blocks from the ChainStore (thread-safe reads,
// consistent once Node::height() has moved past them), so nothing here runs on the node's driver
// thread and subscribers cannot slow consensus. It wakes every `poll_ms`, and reads blocks only
// while somebody is subscribed.
//
// Bounds: at most `subscriptions_max` subscriptions (kResourceExhausted beyond); one not opened
// within `open_timeout_ms` expires; a subscriber more than `events_max` events behind is
// disconnected (its stream closes and the subscription is gone). A subscription also ends when its
// subscriber disconnects, on unsubscribe, and when the service stops.
//
// Thread-safety: every public method is thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "node/node.h"
#include "rpc/http_server.h"
#include "rpc/json_rpc.h"

namespace synod::node {

struct SubscriptionOptions {
  size_t subscriptions_max = 128;  // open and waiting; each open one holds an HTTP connection
  uint64_t open_timeout_ms = 30'000;
  size_t events_max = 1'024;  // queued events per subscriber
  uint64_t poll_ms = 20;      // how often the follower looks at the node's height
};

class Subscriptions {
 public:
  Subscriptions(const Node& node, SubscriptionOptions options);
  ~Subscriptions();  // stops the follower and ends every stream
  Subscriptions(const Subscriptions&) = delete;
  Subscriptions& operator=(const Subscriptions&) = delete;

  // The `subscribe` method: params {"topic": "new_blocks"} or {"topic": "transaction", "id"}.
  // Result {"subscription", "events_url"}.
  Result<rpc::Json> subscribe(const rpc::Json& params);
  // The `unsubscribe` method: params {"subscription"}; true, or kNotFound.
  Result<rpc::Json> unsubscribe(const rpc::Json& params);
  // GET /events/<id>: the stream to serve, once; kNotFound when unknown, expired, ended or
  // already opened.
  Result<std::shared_ptr<rpc::EventStream>> open(std::string_view id);

  // Subscriptions now (for tests and metrics).
  size_t size() const;
  void stop();

 private:
  enum class Topic { kNewBlocks, kTransaction };
  struct Subscription {
    Topic topic = Topic::kNewBlocks;
    Hash256 transaction;       // kTransaction
    uint64_t from_height = 0;  // kNewBlocks: the first block it gets
    uint64_t created_ms = 0;
    bool opened = false;
    bool finished = false;  // kTransaction: its event is queued and the stream ends after it
    std::shared_ptr<rpc::EventStream> stream;
  };

  void run();
  void sweep(uint64_t now_ms);                    // mutex_ held
  void publish(const chain::BlockHeader& header,  // mutex_ held
               const std::optional<chain::Block>& block);
  void remove(std::map<std::string, Subscription>::iterator it);   // mutex_ held
  void unindex(std::map<std::string, Subscription>::iterator it);  // mutex_ held
  // Queues `event` for transaction subscription `id` and ends its stream after it; false when it
  // is gone or already has its event.
  bool deliver_final(const std::string& id, const std::string& event);  // mutex_ held
  bool wants_transactions() const;                                      // mutex_ held

  const Node& node_;
  const SubscriptionOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::string, Subscription> subscriptions_;
  std::multimap<Hash256, std::string> by_transaction_;
  uint64_t next_height_ = 0;  // the follower's next block
  bool stopping_ = false;
  std::thread follower_;
};

// The JSON of a committed transaction, as get_transaction answers it.
rpc::Json committed_transaction_json(const chain::Transaction& tx, uint64_t height,
                                     uint32_t position);
// The data of a `new_block` event.
rpc::Json new_block_event_json(const chain::BlockHeader& header);

}  // namespace synod::node

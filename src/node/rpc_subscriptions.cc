#include "node/rpc_subscriptions.h"

#include <chrono>

#include "node/home.h"
#include "node/rpc_service.h"

namespace synod::node {
namespace {

using rpc::Json;

uint64_t steady_ms() {
  using namespace std::chrono;
  return static_cast<uint64_t>(
      duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

std::string sse_event(std::string_view name, const Json& data) {
  return "event: " + std::string(name) + "\ndata: " + data.dump() + "\n\n";
}

constexpr size_t kSubscriptionIdChars = 32;

}  // namespace

Json committed_transaction_json(const chain::Transaction& tx, uint64_t height, uint32_t position) {
  return Json{{"id", tx.id().hex()},  {"status", "committed"},
              {"height", height},     {"position", position},
              {"outcome", "success"}, {"transaction", transaction_json(tx)}};
}

Json new_block_event_json(const chain::BlockHeader& header) {
  return Json{{"height", header.height},
              {"hash", header.hash().hex()},
              {"time_ms", header.time_ms},
              {"transaction_count", header.transaction_count},
              {"proposer", header.proposer.hex()}};
}

Subscriptions::Subscriptions(const Node& node, SubscriptionOptions options)
    : node_(node), options_(options), next_height_(node.height() + 1) {
  follower_ = std::thread([this] { run(); });
}

Subscriptions::~Subscriptions() {
  stop();
}

void Subscriptions::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& [id, subscription] : subscriptions_)
      subscription.stream->close();
    subscriptions_.clear();
    by_transaction_.clear();
  }
  wake_.notify_all();
  if (follower_.joinable()) follower_.join();
}

size_t Subscriptions::size() const {
  std::lock_guard lock(mutex_);
  return subscriptions_.size();
}

Result<Json> Subscriptions::subscribe(const Json& params) {
  SYNOD_ASSIGN_OR_RETURN(std::string topic, rpc::string_param(params, "topic", 0));
  Subscription subscription;
  if (topic == "new_blocks") {
    subscription.topic = Topic::kNewBlocks;
  } else if (topic == "transaction") {
    subscription.topic = Topic::kTransaction;
    SYNOD_ASSIGN_OR_RETURN(std::string hex, rpc::string_param(params, "id", 1));
    auto id = Hash256::from_hex(hex);
    if (!id.is_ok()) {
      return error(Code::kInvalidArgument, "parameter 'id' must be 64 lower-case hex characters");
    }
    subscription.transaction = *id;
  } else {
    return error(Code::kInvalidArgument,
                 "parameter 'topic' must be \"new_blocks\" or \"transaction\"");
  }
  subscription.created_ms = steady_ms();
  subscription.from_height = node_.height() + 1;
  subscription.stream = std::make_shared<rpc::EventStream>(options_.events_max);
  const std::string id = random_token().substr(0, kSubscriptionIdChars);
  const Hash256 transaction = subscription.transaction;
  const Topic kind = subscription.topic;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return error(Code::kUnavailable, "the RPC service is stopping");
    sweep(subscription.created_ms);
    if (subscriptions_.size() >= options_.subscriptions_max) {
      return error(Code::kResourceExhausted,
                   "the node has " + std::to_string(subscriptions_.size()) +
                       " subscriptions, its maximum; unsubscribe or retry later");
    }
    if (kind == Topic::kTransaction) by_transaction_.emplace(transaction, id);
    subscriptions_.emplace(id, std::move(subscription));
  }
  if (kind == Topic::kTransaction) {
    // Registered first, then looked up: a commit in between is caught by one or the other, and
    // deliver_final makes sure only one of them delivers.
    auto located = node_.chain().transaction(transaction);
    if (located.is_ok() && located->has_value()) {
      const storage::LocatedTransaction& found = **located;
      std::string event = sse_event(
          "transaction", committed_transaction_json(found.transaction, found.location.height,
                                                    found.location.position));
      std::lock_guard lock(mutex_);
      deliver_final(id, event);
    }
  }
  return Json{{"subscription", id}, {"events_url", "/events/" + id}};
}

Result<Json> Subscriptions::unsubscribe(const Json& params) {
  SYNOD_ASSIGN_OR_RETURN(std::string id, rpc::string_param(params, "subscription", 0));
  std::lock_guard lock(mutex_);
  auto it = subscriptions_.find(id);
  if (it == subscriptions_.end()) {
    return error(Code::kNotFound, "no subscription '" + id.substr(0, 64) + "'");
  }
  it->second.stream->close();
  remove(it);
  return Json(true);
}

Result<std::shared_ptr<rpc::EventStream>> Subscriptions::open(std::string_view id) {
  std::lock_guard lock(mutex_);
  sweep(steady_ms());
  auto it = subscriptions_.find(std::string(id));
  if (it == subscriptions_.end() || it->second.opened) {
    return error(Code::kNotFound,
                 "no such subscription (unknown, expired, ended or already opened)");
  }
  it->second.opened = true;
  return it->second.stream;
}

void Subscriptions::unindex(std::map<std::string, Subscription>::iterator it) {
  if (it->second.topic != Topic::kTransaction) return;
  auto [first, last] = by_transaction_.equal_range(it->second.transaction);
  for (auto entry = first; entry != last; ++entry) {
    if (entry->second == it->first) {
      by_transaction_.erase(entry);
      return;
    }
  }
}

void Subscriptions::remove(std::map<std::string, Subscription>::iterator it) {
  unindex(it);
  subscriptions_.erase(it);
}

void Subscriptions::sweep(uint64_t now_ms) {
  for (auto it = subscriptions_.begin(); it != subscriptions_.end();) {
    auto current = it++;
    Subscription& subscription = current->second;
    // Closed: the subscriber left, fell too far behind, or was unsubscribed; or the transaction
    // event is queued and the stream ended after it, which the server still delivers (it drains
    // a closed stream before closing), so that one waits to be opened.
    if (subscription.stream->closed() && (subscription.opened || !subscription.finished)) {
      remove(current);
    } else if (!subscription.opened &&
               now_ms - subscription.created_ms > options_.open_timeout_ms) {
      subscription.stream->close();
      remove(current);
    }
  }
}

bool Subscriptions::deliver_final(const std::string& id, const std::string& event) {
  auto it = subscriptions_.find(id);
  if (it == subscriptions_.end() || it->second.finished) return false;
  it->second.stream->push(event);
  it->second.stream->close();
  it->second.finished = true;
  unindex(it);
  if (it->second.opened) remove(it);  // the server has the stream; nothing more to keep
  return true;
}

bool Subscriptions::wants_transactions() const {
  return !by_transaction_.empty();
}

void Subscriptions::publish(const chain::BlockHeader& header,
                            const std::optional<chain::Block>& block) {
  const std::string new_block = sse_event("new_block", new_block_event_json(header));
  for (auto it = subscriptions_.begin(); it != subscriptions_.end();) {
    auto current = it++;
    Subscription& subscription = current->second;
    if (subscription.topic != Topic::kNewBlocks || header.height < subscription.from_height) {
      continue;
    }
    // false: closed, or over events_max (the stream has closed itself): the subscriber is gone.
    if (!subscription.stream->push(new_block)) remove(current);
  }
  if (!block || by_transaction_.empty()) return;
  for (uint32_t position = 0; position < block->transactions.size(); ++position) {
    const chain::Transaction& tx = block->transactions[position];
    auto [first, last] = by_transaction_.equal_range(tx.id());
    if (first == last) continue;
    std::vector<std::string> ids;
    for (auto entry = first; entry != last; ++entry)
      ids.push_back(entry->second);
    const std::string event =
        sse_event("transaction", committed_transaction_json(tx, header.height, position));
    for (const std::string& id : ids)
      deliver_final(id, event);
  }
}

void Subscriptions::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::milliseconds(options_.poll_ms));
    if (stopping_) break;
    sweep(steady_ms());
    const uint64_t tip = node_.height();
    while (!stopping_ && next_height_ <= tip) {
      if (subscriptions_.empty()) {
        next_height_ = tip + 1;
        break;
      }
      const uint64_t height = next_height_;
      const bool need_block = wants_transactions();
      lock.unlock();
      // Read outside the lock: subscribe and open stay quick while a big block loads.
      std::optional<chain::BlockHeader> header;
      std::optional<chain::Block> block;
      bool read = false;
      if (need_block) {
        auto loaded = node_.chain().block(height);
        if (loaded.is_ok() && loaded->has_value()) {
          block = std::move(**loaded);
          header = block->header;
          read = true;
        }
      } else {
        auto loaded = node_.chain().header(height);
        if (loaded.is_ok() && loaded->has_value()) {
          header = std::move(**loaded);
          read = true;
        }
      }
      lock.lock();
      if (!read) break;  // not readable yet; the next wake-up tries again
      publish(*header, block);
      next_height_ = height + 1;
    }
  }
}

}  // namespace synod::node

// RpcService: a node's JSON-RPC server (docs/rpc.md) on rpc::HttpServer. `POST /` takes JSON-RPC
// calls (single or batch); `GET /metrics` answers Prometheus text; `GET /events/<id>` streams a
// subscription's server-sent events (node/rpc_subscriptions.h). Reads come from the node's
// thread-safe views (status, chain store, mempool); get_account runs on the driver through
// Node::query so the proof, the header and the certificate belong to one height.
//
// Methods: get_status, submit_transaction, get_transaction, get_block, get_account,
// get_validators, get_history, subscribe, unsubscribe; with the config's token, add_peer and
// disconnect_peer. Malformed input gets a JSON-RPC error,
// never a crash.
//
// Thread-safety: start/stop from the owner's thread; handlers run on the server's io threads
// (config rpc.threads), concurrently for different connections. The node must outlive the service
// (stop the service first).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "node/node.h"
#include "node/rpc_subscriptions.h"
#include "rpc/http_server.h"
#include "rpc/json_rpc.h"

namespace synod::node {

struct RpcServiceOptions {
  uint64_t submit_timeout_ms = 10'000;  // waiting for mempool admission
  uint64_t query_timeout_ms = 5'000;    // waiting for the driver (get_account)
  SubscriptionOptions subscriptions;
};

class RpcService {
 public:
  explicit RpcService(Node& node, RpcServiceOptions options = {});
  ~RpcService();
  RpcService(const RpcService&) = delete;
  RpcService& operator=(const RpcService&) = delete;

  // Binds the node's configured rpc.listen_address / rpc.listen_port.
  Result<uint16_t> start();
  // Binds `host`:`port` (port 0: the OS chooses). Returns the bound port.
  Result<uint16_t> start(const std::string& host, uint16_t port);
  void stop();
  uint16_t port() const { return port_; }

  // One HTTP request, as the server calls it (public for tests).
  rpc::HttpReply handle(const rpc::HttpRequest& request) const;
  // The Prometheus text of GET /metrics.
  std::string metrics_text() const;
  // Subscriptions now (waiting to be opened, or streaming).
  size_t subscriptions() const { return subscriptions_->size(); }

 private:
  void add_methods();
  Result<rpc::Json> get_status(const rpc::Json& params) const;
  Result<rpc::Json> submit_transaction(const rpc::Json& params) const;
  Result<rpc::Json> get_transaction(const rpc::Json& params) const;
  Result<rpc::Json> get_block(const rpc::Json& params) const;
  Result<rpc::Json> get_account(const rpc::Json& params) const;
  Result<rpc::Json> get_validators(const rpc::Json& params) const;
  Result<rpc::Json> get_history(const rpc::Json& params) const;
  Result<rpc::Json> add_peer(const rpc::Json& params) const;
  Result<rpc::Json> disconnect_peer(const rpc::Json& params) const;

  Node& node_;
  const RpcServiceOptions options_;
  rpc::JsonRpcDispatcher dispatcher_;
  std::unique_ptr<Subscriptions> subscriptions_;
  std::unique_ptr<rpc::HttpServer> server_;
  uint16_t port_ = 0;
};

// JSON forms shared with other tools (docs/rpc.md).
rpc::Json transaction_json(const chain::Transaction& tx);
// How get_block lists a block's transactions: in full ("transactions", each as get_transaction
// answers) or by id only ("transaction_ids"), for followers that only match ids.
enum class BlockTransactions { kFull, kIds };
rpc::Json block_json(const chain::Block& block, const std::optional<chain::Certificate>& cert,
                     BlockTransactions detail = BlockTransactions::kFull);

}  // namespace synod::node

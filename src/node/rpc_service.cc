#include "node/rpc_service.h"

#include <climits>
#include <cstdint>
#include <future>
#include <sstream>
#include <variant>

#include "base/codec.h"
#include "explorer/explorer.h"
#include "ledger/ledger.h"
#include "node/rpc_submit_batch.h"

namespace synod::node {
namespace {

using rpc::Json;

constexpr size_t kHexParamMax = 2 * 1024 * 1024;  // hex chars of one transaction (bounded body)

Result<Hash256> hash_param(const Json& params, std::string_view name) {
  SYNOD_ASSIGN_OR_RETURN(std::string hex, rpc::string_param(params, name, 0));
  auto hash = Hash256::from_hex(hex);
  if (!hash.is_ok()) {
    return error(Code::kInvalidArgument,
                 "parameter '" + std::string(name) + "' must be 64 lower-case hex characters");
  }
  return *hash;
}

// What get_transaction (for a transaction it cannot find) and get_history answer on a node that
// keeps no transaction index: not knowing is not "unknown".
Status no_index_error() {
  return error(Code::kFailedPrecondition,
               "this node keeps no transaction index (index_transactions = false in its "
               "config.toml); ask a node that does");
}

bool params_empty(const Json& params) {
  return params.is_null() || (params.is_object() && params.empty()) ||
         (params.is_array() && params.empty());
}

Json certificate_json(const chain::Certificate& certificate, const chain::Genesis& genesis) {
  Json signatures = Json::array();
  for (const chain::CommitSignature& signature : certificate.signatures) {
    Json entry{{"validator_index", signature.validator_index},
               {"signature", signature.signature.hex()}};
    if (signature.validator_index < genesis.validators.size()) {
      entry["validator"] = genesis.validators.at(signature.validator_index).public_key.hex();
    }
    signatures.push_back(std::move(entry));
  }
  return Json{{"height", certificate.height},
              {"round", certificate.round},
              {"block_hash", certificate.block_hash.hex()},
              {"signatures", std::move(signatures)}};
}

// A history cursor: "<height>-<position>" of the last entry returned.
Result<storage::HistoryEntry> parse_cursor(const std::string& text) {
  storage::HistoryEntry entry;
  const size_t dash = text.find('-');
  auto digits = [](std::string_view part) {
    return !part.empty() && part.size() <= 19 &&
           part.find_first_not_of("0123456789") == std::string_view::npos;
  };
  if (dash == std::string::npos || !digits(std::string_view(text).substr(0, dash)) ||
      !digits(std::string_view(text).substr(dash + 1))) {
    return error(Code::kInvalidArgument, "parameter 'before' is not a cursor from get_history");
  }
  entry.height = std::stoull(text.substr(0, dash));
  const uint64_t position = std::stoull(text.substr(dash + 1));
  if (position > UINT32_MAX) {
    return error(Code::kInvalidArgument, "parameter 'before' is not a cursor from get_history");
  }
  entry.position = static_cast<uint32_t>(position);
  return entry;
}

}  // namespace

Json transaction_json(const chain::Transaction& tx) {
  Json out{{"sender", tx.sender_address().to_string()},
           {"sender_public_key", tx.sender.hex()},
           {"nonce", std::to_string(tx.nonce)},
           {"fee", std::to_string(tx.fee)},
           {"chain_id", tx.chain_id}};
  if (const auto* transfer = std::get_if<chain::Transfer>(&tx.payload)) {
    out["type"] = "transfer";
    out["to"] = transfer->to.to_string();
    out["amount"] = std::to_string(transfer->amount);
  } else if (const auto* put = std::get_if<chain::KvPut>(&tx.payload)) {
    out["type"] = "kv_put";
    out["key"] = to_hex(put->key);
    out["value"] = to_hex(put->value);
  }
  return out;
}

Json block_json(const chain::Block& block, const std::optional<chain::Certificate>& cert,
                BlockTransactions detail) {
  const chain::BlockHeader& header = block.header;
  Json transactions = Json::array();
  for (uint32_t i = 0; i < block.transactions.size(); ++i) {
    const chain::Transaction& tx = block.transactions[i];
    if (detail == BlockTransactions::kIds) {
      transactions.push_back(tx.id().hex());
    } else {
      transactions.push_back(committed_transaction_json(tx, header.height, i));
    }
  }
  Json out{{"hash", block.hash().hex()},
           {"height", header.height},
           {"header",
            Json{{"chain_id", header.chain_id},
                 {"height", header.height},
                 {"previous_hash", header.previous_hash.hex()},
                 {"time_ms", header.time_ms},
                 {"proposer", header.proposer.hex()},
                 {"proposer_address", chain::Address::from_public_key(header.proposer).to_string()},
                 {"transaction_count", header.transaction_count},
                 {"transactions_root", header.transactions_root.hex()},
                 {"state_root", header.state_root.hex()},
                 {"validator_set_hash", header.validator_set_hash.hex()},
                 {"engine_data", to_hex(header.engine_data)}}},
           {detail == BlockTransactions::kIds ? "transaction_ids" : "transactions",
            std::move(transactions)},
           {"header_hex", to_hex(encode(header))}};
  if (cert) {
    out["certificate_hex"] = to_hex(encode(*cert));
  } else {
    out["certificate_hex"] = "";
  }
  return out;
}

RpcService::RpcService(Node& node, RpcServiceOptions options)
    : node_(node),
      options_(options),
      subscriptions_(std::make_unique<Subscriptions>(node, options.subscriptions)) {
  dispatcher_.set_token(node_.config().rpc.token);
  add_methods();
}

RpcService::~RpcService() {
  stop();
}

Result<uint16_t> RpcService::start() {
  return start(node_.config().rpc.listen_address, node_.config().rpc.listen_port);
}

Result<uint16_t> RpcService::start(const std::string& host, uint16_t port) {
  if (server_) return error(Code::kFailedPrecondition, "the RPC service is already started");
  rpc::HttpServerLimits limits;
  limits.io_threads = node_.config().rpc.threads;
  server_ = std::make_unique<rpc::HttpServer>(
      limits, [this](const rpc::HttpRequest& request) { return handle(request); });
  auto bound = server_->start(host, port);
  if (!bound.is_ok()) {
    server_.reset();
    return bound.status();
  }
  port_ = *bound;
  return port_;
}

void RpcService::stop() {
  subscriptions_->stop();  // ends every stream
  if (server_) server_->stop();
  server_.reset();
}

rpc::HttpReply RpcService::handle(const rpc::HttpRequest& request) const {
  rpc::HttpReply reply;
  const std::string_view path = request.path();
  if (request.method == "POST" && path == "/") {
    const bool authorised = dispatcher_.check_token(request.header("authorization"));
    // A batch's submissions are admitted together, not one driver round trip each.
    SubmitBatch submissions = SubmitBatch::start(node_, request.body);
    SubmitBatch::Scope scope(&submissions);
    std::optional<std::string> body = dispatcher_.handle(request.body, authorised);
    if (body) {
      reply.response.body = std::move(*body);
    } else {
      reply.response.status = 204;
    }
    return reply;
  }
  if (explorer::owns(request)) {
    reply.response = explorer::serve(request);
    return reply;
  }
  if (request.method == "GET" && path.starts_with("/events/")) {
    auto stream = subscriptions_->open(path.substr(std::string_view("/events/").size()));
    if (stream.is_ok()) {
      reply.stream = std::move(stream).value();
    } else {
      reply.response = rpc::HttpResponse{404, "text/plain", stream.status().message() + "\n", {}};
    }
    return reply;
  }
  if (request.method == "GET" && path == "/metrics") {
    reply.response.content_type = "text/plain; version=0.0.4";
    reply.response.body = metrics_text();
    return reply;
  }
  reply.response.status = (path == "/" || path == "/metrics") ? 405 : 404;
  reply.response.content_type = "text/plain";
  reply.response.body = std::string(rpc::status_text(reply.response.status)) + "\n";
  return reply;
}

std::string RpcService::metrics_text() const {
  const NodeStatus status = node_.status();
  const NodeMetrics metrics = node_.metrics();
  const net::TransportStats transport = node_.transport_stats();
  std::ostringstream out;
  auto metric = [&out](const char* name, const char* type, const char* help, uint64_t value) {
    out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n'
        << name << ' ' << value << '\n';
  };
  metric("synod_height", "gauge", "The last committed block height.", status.height);
  metric("synod_blocks_committed_total", "counter", "Blocks committed since start.",
         metrics.blocks_committed);
  metric("synod_transactions_committed_total", "counter", "Transactions committed since start.",
         metrics.transactions_committed);
  metric("synod_mempool_transactions", "gauge", "Transactions waiting in the mempool.",
         node_.mempool().size());
  metric("synod_mempool_bytes", "gauge", "Bytes of transactions in the mempool.",
         node_.mempool().bytes());
  metric("synod_peers", "gauge", "Connected peers.", status.peers);
  metric("synod_view_changes_total", "counter", "Consensus view changes.",
         status.engine.view_changes);
  metric("synod_consensus_round", "gauge", "The consensus round (view) now.", status.engine.round);
  metric("synod_syncing", "gauge", "1 while fetching blocks from peers.", status.syncing ? 1 : 0);
  metric("synod_p2p_bytes_in_total", "counter", "Bytes read from peers.", transport.bytes_in);
  metric("synod_p2p_bytes_out_total", "counter", "Bytes written to peers.", transport.bytes_out);
  metric("synod_consensus_messages_in_total", "counter", "Consensus messages received.",
         metrics.consensus_messages_in);
  metric("synod_consensus_messages_out_total", "counter", "Consensus messages sent.",
         metrics.consensus_messages_out);
  metric("synod_gossip_transactions_in_total", "counter",
         "Transactions peers sent in full (pushed, or asked for by id).",
         metrics.gossip_transactions_in);
  metric("synod_gossip_ids_announced_in_total", "counter", "Transaction ids peers announced.",
         metrics.gossip_ids_announced_in);
  metric("synod_gossip_ids_requested_total", "counter",
         "Announced ids this node asked for (it did not have them).", metrics.gossip_ids_requested);
  metric("synod_gossip_requests_refused_total", "counter",
         "Transaction ids peers asked for beyond their serving budget (not answered).",
         metrics.gossip_requests_refused);
  metric("synod_rpc_subscriptions", "gauge", "RPC subscriptions (waiting or streaming).",
         subscriptions_->size());
  return out.str();
}

void RpcService::add_methods() {
  dispatcher_.add_method("get_status", [this](const Json& p) { return get_status(p); });
  dispatcher_.add_method("submit_transaction",
                         [this](const Json& p) { return submit_transaction(p); });
  dispatcher_.add_method("get_transaction", [this](const Json& p) { return get_transaction(p); });
  dispatcher_.add_method("get_block", [this](const Json& p) { return get_block(p); });
  dispatcher_.add_method("get_account", [this](const Json& p) { return get_account(p); });
  dispatcher_.add_method("get_validators", [this](const Json& p) { return get_validators(p); });
  dispatcher_.add_method("get_history", [this](const Json& p) { return get_history(p); });
  dispatcher_.add_method("subscribe",
                         [this](const Json& p) { return subscriptions_->subscribe(p); });
  dispatcher_.add_method("unsubscribe",
                         [this](const Json& p) { return subscriptions_->unsubscribe(p); });
  // They change the node: only with the config's token.
  dispatcher_.add_method(
      "add_peer", [this](const Json& p) { return add_peer(p); }, /*needs_token=*/true);
  dispatcher_.add_method(
      "disconnect_peer", [this](const Json& p) { return disconnect_peer(p); },
      /*needs_token=*/true);
}

Result<Json> RpcService::add_peer(const Json& params) const {
  SYNOD_ASSIGN_OR_RETURN(std::string address, rpc::string_param(params, "address", 0));
  if (address.size() > 300) return error(Code::kInvalidArgument, "parameter 'address' is too long");
  auto endpoint = net::parse_endpoint(address);
  if (!endpoint.is_ok()) {
    return error(Code::kInvalidArgument, "parameter 'address': " + endpoint.status().message());
  }
  SYNOD_TRY(node_.connect_peer(*endpoint));
  return Json{{"connecting", endpoint->to_string()}};
}

Result<Json> RpcService::disconnect_peer(const Json& params) const {
  SYNOD_ASSIGN_OR_RETURN(std::string hex, rpc::string_param(params, "node_key", 0));
  auto key = net::NodeId::from_hex(hex);
  if (!key.is_ok()) {
    return error(Code::kInvalidArgument, "parameter 'node_key' must be 64 hex digits");
  }
  const net::NodeId node_id = *key;
  bool ban = false;
  if (params.is_object() && params.contains("ban")) {
    if (!params["ban"].is_boolean()) {
      return error(Code::kInvalidArgument, "parameter 'ban' must be true or false");
    }
    ban = params["ban"].get<bool>();
  }
  for (const net::PeerInfo& peer : node_.peers()) {
    if (peer.node_id == node_id) {
      node_.disconnect_peer(node_id, ban);
      return Json(true);
    }
  }
  return error(Code::kNotFound, "no connected peer " + hex);
}

Result<Json> RpcService::get_status(const Json&) const {
  const NodeStatus status = node_.status();
  Json peers = Json::array();
  for (const net::PeerInfo& peer : node_.peers()) {
    auto report = status.peer_reports.find(peer.node_id);
    Json entry{{"node_key", peer.node_id.hex()},
               {"address", peer.remote.to_string()},
               {"inbound", peer.direction == net::Direction::kInbound},
               {"height", report == status.peer_reports.end() ? 0 : report->second.height}};
    if (report != status.peer_reports.end()) {
      if (report->second.view) entry["view"] = *report->second.view;
      if (report->second.validator_key) {
        entry["validator_key"] = report->second.validator_key->hex();
      }
    }
    peers.push_back(std::move(entry));
  }
  Json out{
      {"chain_id", node_.genesis().chain_id},
      {"genesis_hash", node_.genesis_hash().hex()},
      {"mechanism", status.engine.mechanism},
      {"node_key", node_.node_id().hex()},
      {"height", status.height},
      {"latest_block_hash", status.tip_hash.hex()},
      {"latest_block_time_ms", status.tip_time_ms},
      {"round", status.engine.round},
      {"view", status.engine.round},
      {"deciding_height", status.engine.height},
      {"role", status.engine.role},
      {"view_changes", status.engine.view_changes},
      {"sync", Json{{"syncing", status.syncing},
                    {"target_height", status.sync_target_height},
                    {"blocks_per_second", status.syncing ? status.sync_blocks_per_second : 0.0}}},
      {"peers", std::move(peers)},
      {"mempool", Json{{"size", node_.mempool().size()}, {"bytes", node_.mempool().bytes()}}},
      {"validators", node_.genesis().validators.size()}};
  if (auto key = node_.validator_key()) out["validator_key"] = key->hex();
  if (status.engine.leader) out["leader"] = status.engine.leader->hex();
  if (!status.running) out["failure"] = status.failure;
  return out;
}

Result<Json> RpcService::submit_transaction(const Json& params) const {
  SYNOD_ASSIGN_OR_RETURN(std::string hex, rpc::string_param(params, "transaction", 0));
  if (hex.size() > kHexParamMax) {
    return error(Code::kInvalidArgument, "parameter 'transaction' is too long");
  }
  if (SubmitBatch* batch = SubmitBatch::current()) {
    if (auto admitted = batch->take(hex, options_.submit_timeout_ms)) {
      SYNOD_ASSIGN_OR_RETURN(mempool::Admission admission, std::move(*admitted));
      if (!admission.status.is_ok()) return admission.status;
      return Json{{"id", admission.id.hex()}, {"status", "pending"}};
    }
  }
  auto bytes = from_hex(hex);
  if (!bytes.is_ok()) {
    return error(Code::kInvalidArgument, "parameter 'transaction' must be hex");
  }
  auto promise = std::make_shared<std::promise<mempool::Admission>>();
  std::future<mempool::Admission> future = promise->get_future();
  SYNOD_TRY(node_.submit_transaction(
      std::move(bytes).value(),
      [promise](const mempool::Admission& admission) { promise->set_value(admission); }));
  if (future.wait_for(std::chrono::milliseconds(options_.submit_timeout_ms)) !=
      std::future_status::ready) {
    return error(Code::kTimeout, "the mempool did not answer in time");
  }
  mempool::Admission admission = future.get();
  if (!admission.status.is_ok()) return admission.status;
  return Json{{"id", admission.id.hex()}, {"status", "pending"}};
}

Result<Json> RpcService::get_transaction(const Json& params) const {
  SYNOD_ASSIGN_OR_RETURN(Hash256 id, hash_param(params, "id"));
  SYNOD_ASSIGN_OR_RETURN(std::optional<storage::LocatedTransaction> located,
                         node_.chain().transaction(id));
  if (located) {
    return committed_transaction_json(located->transaction, located->location.height,
                                      located->location.position);
  }
  if (std::optional<chain::Transaction> pending = node_.mempool().get(id)) {
    return Json{
        {"id", id.hex()}, {"status", "pending"}, {"transaction", transaction_json(*pending)}};
  }
  if (!node_.chain().indexes_transactions()) return no_index_error();
  return Json{{"id", id.hex()}, {"status", "unknown"}};
}

Result<Json> RpcService::get_block(const Json& params) const {
  // Named only: {"transactions": "full" (the default) | "ids"}.
  BlockTransactions detail = BlockTransactions::kFull;
  if (params.is_object() && params.contains("transactions")) {
    SYNOD_ASSIGN_OR_RETURN(std::string text, rpc::string_param(params, "transactions", 0));
    if (text == "ids") {
      detail = BlockTransactions::kIds;
    } else if (text != "full") {
      return error(Code::kInvalidArgument, "parameter 'transactions' must be \"full\" or \"ids\"");
    }
  }
  const bool latest = params_empty(params) ||
                      (params.is_object() && params.size() == 1 && params.contains("transactions"));
  std::optional<chain::Block> block;
  if (latest) {
    SYNOD_ASSIGN_OR_RETURN(std::optional<storage::ChainTip> tip, node_.chain().tip());
    if (!tip) return error(Code::kNotFound, "no block is committed yet");
    SYNOD_ASSIGN_OR_RETURN(block, node_.chain().block(tip->height));
  } else if (rpc::find_param(params, "hash", 1) != nullptr && params.is_object()) {
    SYNOD_ASSIGN_OR_RETURN(Hash256 hash, hash_param(params, "hash"));
    SYNOD_ASSIGN_OR_RETURN(block, node_.chain().block_by_hash(hash));
  } else {
    SYNOD_ASSIGN_OR_RETURN(uint64_t height, rpc::u64_param(params, "height", 0));
    SYNOD_ASSIGN_OR_RETURN(block, node_.chain().block(height));
  }
  if (!block) return error(Code::kNotFound, "no such block");
  SYNOD_ASSIGN_OR_RETURN(std::optional<chain::Certificate> certificate,
                         node_.chain().certificate(block->height()));
  Json out = block_json(*block, certificate, detail);
  if (certificate) out["certificate"] = certificate_json(*certificate, node_.genesis());
  return out;
}

Result<Json> RpcService::get_account(const Json& params) const {
  SYNOD_ASSIGN_OR_RETURN(std::string text, rpc::string_param(params, "address", 0));
  auto parsed = chain::Address::parse(text);
  if (!parsed.is_ok()) {
    return error(Code::kInvalidArgument, "parameter 'address': " + parsed.status().message());
  }
  const chain::Address address = *parsed;
  return node_.query<Json>(
      [address](DriverAccess& access) -> Result<Json> {
        auto* ledger = dynamic_cast<ledger::Ledger*>(&access.application);
        if (ledger == nullptr) {
          return error(Code::kFailedPrecondition, "this node does not run the ledger application");
        }
        SYNOD_ASSIGN_OR_RETURN(std::optional<storage::ChainTip> tip, access.chain.tip());
        if (!tip) return error(Code::kUnavailable, "no block is committed yet");
        SYNOD_ASSIGN_OR_RETURN(std::optional<chain::BlockHeader> header,
                               access.chain.header(tip->height));
        SYNOD_ASSIGN_OR_RETURN(std::optional<chain::Certificate> certificate,
                               access.chain.certificate(tip->height));
        if (!header) return error(Code::kCorrupt, "the tip's header is missing");
        std::optional<ledger::Account> account = ledger->account(address);
        ledger::StateProof proof = ledger->prove_account(address);
        return Json{{"address", address.to_string()},
                    {"exists", account.has_value()},
                    {"balance", std::to_string(account ? account->balance : 0)},
                    {"nonce", std::to_string(account ? account->nonce : 0)},
                    {"height", tip->height},
                    {"state_root", header->state_root.hex()},
                    {"proof", to_hex(encode(proof))},
                    {"header_hex", to_hex(encode(*header))},
                    {"certificate_hex", certificate ? to_hex(encode(*certificate)) : ""}};
      },
      options_.query_timeout_ms);
}

Result<Json> RpcService::get_validators(const Json& params) const {
  const uint64_t tip = node_.height();
  uint64_t height = tip;
  if (!params_empty(params)) {
    SYNOD_ASSIGN_OR_RETURN(height, rpc::u64_param(params, "height", 0));
    if (height > tip) {
      return error(Code::kNotFound,
                   "height " + std::to_string(height) + " is above the tip " + std::to_string(tip));
    }
  }
  SYNOD_ASSIGN_OR_RETURN(chain::ValidatorSet set,
                         node_.query<chain::ValidatorSet>(
                             [height](DriverAccess& access) -> Result<chain::ValidatorSet> {
                               return access.application.validator_set(height);
                             },
                             options_.query_timeout_ms));
  Json validators = Json::array();
  for (size_t i = 0; i < set.size(); ++i) {
    const chain::Validator& validator = set.at(i);
    validators.push_back(
        Json{{"index", i},
             {"name", validator.name},
             {"public_key", validator.public_key.hex()},
             {"address", chain::Address::from_public_key(validator.public_key).to_string()},
             {"power", validator.power}});
  }
  return Json{{"height", height},
              {"validator_set_hash", set.hash().hex()},
              {"total_power", set.total_power()},
              {"quorum_power", set.quorum_power()},
              {"validators", std::move(validators)}};
}

Result<Json> RpcService::get_history(const Json& params) const {
  if (!node_.chain().indexes_transactions()) return no_index_error();
  SYNOD_ASSIGN_OR_RETURN(std::string text, rpc::string_param(params, "address", 0));
  auto address = chain::Address::parse(text);
  if (!address.is_ok()) {
    return error(Code::kInvalidArgument, "parameter 'address': " + address.status().message());
  }
  storage::HistoryQuery query;
  query.order = storage::ScanOrder::kDescending;
  query.limit = 50;
  if (rpc::find_param(params, "limit", 1) != nullptr) {
    SYNOD_ASSIGN_OR_RETURN(uint64_t limit, rpc::u64_param(params, "limit", 1));
    if (limit < 1 || limit > storage::kHistoryEntriesMax) {
      return error(Code::kInvalidArgument, "parameter 'limit' must be 1..1000");
    }
    query.limit = limit;
  }
  if (rpc::find_param(params, "before", 2) != nullptr) {
    SYNOD_ASSIGN_OR_RETURN(std::string cursor, rpc::string_param(params, "before", 2));
    SYNOD_ASSIGN_OR_RETURN(storage::HistoryEntry after, parse_cursor(cursor));
    query.after = after;
  }
  SYNOD_ASSIGN_OR_RETURN(storage::HistoryPage page, node_.chain().history(*address, query));
  Json entries = Json::array();
  std::optional<chain::Block> block;
  for (const storage::HistoryEntry& entry : page.entries) {
    if (!block || block->height() != entry.height) {
      SYNOD_ASSIGN_OR_RETURN(block, node_.chain().block(entry.height));
      if (!block || entry.position >= block->transactions.size()) {
        return error(Code::kCorrupt, "the history names a transaction that is not stored");
      }
    }
    if (entry.position >= block->transactions.size()) {
      return error(Code::kCorrupt, "the history names a transaction that is not stored");
    }
    entries.push_back(Json{{"height", entry.height},
                           {"position", entry.position},
                           {"id", block->transactions[entry.position].id().hex()},
                           {"role", entry.sender && entry.recipient ? "both"
                                    : entry.sender                  ? "sender"
                                                                    : "recipient"}});
  }
  Json out{{"entries", std::move(entries)}, {"more", page.more}};
  if (page.more && !page.entries.empty()) {
    out["cursor"] = std::to_string(page.entries.back().height) + "-" +
                    std::to_string(page.entries.back().position);
  }
  return out;
}

}  // namespace synod::node

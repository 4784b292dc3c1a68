// For the wallet's tests: a node that answers docs/rpc.md's methods from a real ledger::Ledger,
// with real commit certificates signed by the genesis validators' (test) keys, served over HTTP by
// rpc::HttpServer on 127.0.0.1. Each transaction submitted is committed in a block of its own
// (after `polls_before_commit` get_transaction calls). Faults make it lie in the ways a wallet
// must catch. Thread-safe: the server's io thread and the test share it under a mutex.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "chain/block.h"
#include "ledger/ledger.h"
#include "ledger/testing.h"
#include "rpc/http_server.h"
#include "rpc/json_rpc.h"
#include "wallet/json_util.h"

namespace synod::wallet::testing {

inline constexpr size_t kValidators = 4;

struct NodeFaults {
  bool forge_balance = false;       // get_account adds 1,000 to the balance (real proof)
  bool forge_certificate = false;   // certificates signed by keys outside the genesis set
  bool claim_false_commit = false;  // get_transaction says committed at height 1, position 0
  bool hide_commits = false;        // get_transaction says "pending" for committed transactions
  size_t polls_before_commit = 0;   // get_transaction calls before a submitted transaction commits
};

class FakeNode {
 public:
  // A ledger whose genesis funds each of `funded` with `balance`, with kValidators validators.
  FakeNode(const std::vector<crypto::KeyPair>& funded, uint64_t balance)
      : genesis_(
            ledger::testing::make_genesis(funded, balance, chain::AppKind::kLedger, kValidators)),
        ledger_(ledger::Ledger::create(genesis_).value()) {
    commit_locked({});  // height 1, so that there is always a certified header to prove against
    add_methods();
  }
  ~FakeNode() { stop(); }

  const chain::Genesis& genesis() const { return genesis_; }

  uint16_t start() {
    server_ = std::make_unique<rpc::HttpServer>(rpc::HttpServerLimits{},
                                                [this](const auto& r) { return handle(r); });
    auto port = server_->start("127.0.0.1", 0);
    SYNOD_ASSERT(port.is_ok());
    port_ = *port;
    return port_;
  }
  void stop() {
    if (server_) server_->stop();
    server_.reset();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void set_faults(const NodeFaults& faults) {
    std::lock_guard lock(mutex_);
    faults_ = faults;
  }
  size_t submissions() const {
    std::lock_guard lock(mutex_);
    return submissions_;
  }
  uint64_t balance(const chain::Address& address) const {
    std::lock_guard lock(mutex_);
    auto account = ledger_->account(address);
    return account ? account->balance : 0;
  }
  void commit(std::vector<chain::Transaction> transactions) {
    std::lock_guard lock(mutex_);
    commit_locked(std::move(transactions));
  }
  // A get_account result as the honest node would answer it now.
  Json account_answer(const chain::Address& address) {
    std::lock_guard lock(mutex_);
    return get_account_locked(address);
  }

 private:
  struct Placement {
    uint64_t height = 0;
    uint32_t position = 0;
  };

  static crypto::KeyPair validator_key(size_t index, bool forged) {
    return ledger::testing::key(static_cast<uint32_t>((forged ? 5000 : 1000) + index));
  }

  chain::Certificate certify(const chain::Block& block, bool forged) const {
    chain::Certificate certificate;
    certificate.height = block.height();
    certificate.round = 0;
    certificate.block_hash = block.hash();
    Hash256 digest = chain::commit_signing_hash(genesis_.chain_id, block.height(), 0, block.hash());
    for (uint32_t i = 0; i < 3; ++i) {  // 3 of 4: a quorum
      certificate.signatures.push_back(
          chain::CommitSignature{i, validator_key(i, forged).sign(digest.view())});
    }
    return certificate;
  }

  void commit_locked(std::vector<chain::Transaction> transactions) {
    chain::BlockHeader header =
        ledger::testing::next_header(*ledger_, validator_key(0, false).public_key());
    if (!blocks_.empty()) {
      header.previous_hash = blocks_.back().hash();
      header.last_commit = certificates_.back();
    }
    auto block = ledger_->prepare_block(header, transactions, 100);
    SYNOD_ASSERT(block.is_ok());
    SYNOD_ASSERT(block->transactions.size() == transactions.size());
    SYNOD_ASSERT(ledger_->apply_block(*block).is_ok());
    for (uint32_t i = 0; i < block->transactions.size(); ++i)
      placements_[block->transactions[i].id()] = Placement{block->height(), i};
    certificates_.push_back(certify(*block, false));
    blocks_.push_back(std::move(block).value());
  }

  const chain::Certificate& certificate_at(size_t index) {
    if (!faults_.forge_certificate) return certificates_[index];
    forged_ = certify(blocks_[index], true);
    return forged_;
  }

  Json get_account_locked(const chain::Address& address) {
    auto account = ledger_->account(address);
    ledger::StateProof proof = ledger_->prove_account(address);
    uint64_t balance = account ? account->balance : 0;
    if (faults_.forge_balance) balance += 1'000;
    return Json{{"address", address.to_string()},
                {"exists", account.has_value() || faults_.forge_balance},
                {"balance", std::to_string(balance)},
                {"nonce", std::to_string(account ? account->nonce : 0)},
                {"height", blocks_.back().height()},
                {"state_root", blocks_.back().header.state_root.hex()},
                {"proof", to_hex(encode(proof))},
                {"header_hex", to_hex(encode(blocks_.back().header))},
                {"certificate_hex", to_hex(encode(certificate_at(blocks_.size() - 1)))}};
  }

  Result<Json> submit(const Json& params) {
    SYNOD_ASSIGN_OR_RETURN(std::string hex, rpc::string_param(params, "transaction", 0));
    SYNOD_ASSIGN_OR_RETURN(Bytes bytes, from_hex(hex));
    SYNOD_ASSIGN_OR_RETURN(chain::Transaction tx, chain::decode_transaction(bytes));
    std::lock_guard lock(mutex_);
    ++submissions_;
    if (placements_.count(tx.id()) || pending_.count(tx.id())) {
      return error(Code::kAlreadyExists, "transaction already known");
    }
    if (!tx.verify_signature()) return error(Code::kUnauthenticated, "bad signature");
    SYNOD_TRY(ledger_->check_transaction(tx, 0));
    pending_.emplace(tx.id(), PendingTransaction{tx, faults_.polls_before_commit});
    if (faults_.polls_before_commit == 0) commit_pending(tx.id());
    return Json{{"id", tx.id().hex()}, {"status", "pending"}};
  }

  struct PendingTransaction {
    chain::Transaction transaction;
    size_t polls_left = 0;
  };

  void commit_pending(const Hash256& id) {
    chain::Transaction tx = pending_.at(id).transaction;
    pending_.erase(id);
    commit_locked({tx});
  }

  Result<Json> get_transaction(const Json& params) {
    SYNOD_ASSIGN_OR_RETURN(std::string hex, rpc::string_param(params, "id", 0));
    SYNOD_ASSIGN_OR_RETURN(Hash256 id, Hash256::from_hex(hex));
    std::lock_guard lock(mutex_);
    if (faults_.claim_false_commit) {
      return Json{{"id", id.hex()},
                  {"status", "committed"},
                  {"height", 1},
                  {"position", 0},
                  {"outcome", "success"}};
    }
    if (auto pending = pending_.find(id); pending != pending_.end()) {
      if (pending->second.polls_left > 0) {
        --pending->second.polls_left;
        return Json{{"id", id.hex()}, {"status", "pending"}};
      }
      commit_pending(id);
    }
    auto placed = placements_.find(id);
    if (placed == placements_.end()) return Json{{"id", id.hex()}, {"status", "unknown"}};
    if (faults_.hide_commits) return Json{{"id", id.hex()}, {"status", "pending"}};
    return Json{{"id", id.hex()},
                {"status", "committed"},
                {"height", placed->second.height},
                {"position", placed->second.position},
                {"outcome", "success"}};
  }

  Result<Json> get_block(const Json& params) {
    SYNOD_ASSIGN_OR_RETURN(uint64_t height, rpc::u64_param(params, "height", 0));
    std::lock_guard lock(mutex_);
    if (height == 0 || height > blocks_.size()) return error(Code::kNotFound, "no such block");
    const chain::Block& block = blocks_[height - 1];
    Json transactions = Json::array();
    for (const chain::Transaction& tx : block.transactions)
      transactions.push_back(Json{{"id", tx.id().hex()}});
    return Json{{"hash", block.hash().hex()},
                {"height", height},
                {"transactions", transactions},
                {"header_hex", to_hex(encode(block.header))},
                {"certificate_hex", to_hex(encode(certificate_at(height - 1)))}};
  }

  Result<Json> get_history(const Json& params) {
    SYNOD_ASSIGN_OR_RETURN(std::string text, rpc::string_param(params, "address", 0));
    SYNOD_ASSIGN_OR_RETURN(chain::Address address, chain::Address::parse(text));
    std::lock_guard lock(mutex_);
    Json entries = Json::array();
    for (size_t b = blocks_.size(); b-- > 0;) {
      for (size_t i = blocks_[b].transactions.size(); i-- > 0;) {
        const chain::Transaction& tx = blocks_[b].transactions[i];
        bool sender = tx.sender_address() == address;
        bool recipient = std::get<chain::Transfer>(tx.payload).to == address;
        if (!sender && !recipient) continue;
        entries.push_back(Json{{"height", blocks_[b].height()},
                               {"position", i},
                               {"id", tx.id().hex()},
                               {"role", sender && recipient ? "both"
                                        : sender            ? "sender"
                                                            : "recipient"}});
      }
    }
    return Json{{"entries", entries}, {"more", false}};
  }

  void add_methods() {
    dispatcher_.add_method("get_account", [this](const Json& params) -> Result<Json> {
      SYNOD_ASSIGN_OR_RETURN(std::string text, rpc::string_param(params, "address", 0));
      SYNOD_ASSIGN_OR_RETURN(chain::Address address, chain::Address::parse(text));
      std::lock_guard lock(mutex_);
      return get_account_locked(address);
    });
    dispatcher_.add_method("submit_transaction", [this](const Json& p) { return submit(p); });
    dispatcher_.add_method("get_transaction", [this](const Json& p) { return get_transaction(p); });
    dispatcher_.add_method("get_block", [this](const Json& p) { return get_block(p); });
    dispatcher_.add_method("get_history", [this](const Json& p) { return get_history(p); });
  }

  rpc::HttpReply handle(const rpc::HttpRequest& request) {
    auto body = dispatcher_.handle(request.body, false);
    return rpc::HttpReply{rpc::HttpResponse{200, "application/json", body.value_or(""), {}},
                          nullptr};
  }

  chain::Genesis genesis_;
  mutable std::mutex mutex_;
  std::unique_ptr<ledger::Ledger> ledger_;
  std::vector<chain::Block> blocks_;
  std::vector<chain::Certificate> certificates_;
  chain::Certificate forged_;
  std::map<Hash256, Placement> placements_;
  std::map<Hash256, PendingTransaction> pending_;
  NodeFaults faults_;
  size_t submissions_ = 0;
  rpc::JsonRpcDispatcher dispatcher_;
  std::unique_ptr<rpc::HttpServer> server_;
  uint16_t port_ = 0;
};

// A 127.0.0.1 port with nothing listening on it (bound, then closed).
inline uint16_t closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  SYNOD_ASSERT(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  socklen_t length = sizeof(address);
  SYNOD_ASSERT(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

// A node that accepts connections (the kernel completes them) but never answers.
class SilentNode {
 public:
  SilentNode() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    SYNOD_ASSERT(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    SYNOD_ASSERT(::listen(fd_, 16) == 0);
    socklen_t length = sizeof(address);
    SYNOD_ASSERT(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port_ = ntohs(address.sin_port);
  }
  ~SilentNode() { ::close(fd_); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

}  // namespace synod::wallet::testing

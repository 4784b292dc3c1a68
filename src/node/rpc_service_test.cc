// One validator in-process with its RPC service on 127.0.0.1 (an OS-chosen port): JSON-RPC over
// real HTTP through rpc/http_client.h, a signed transfer submitted, committed and proven, and
// malformed requests answered with JSON-RPC errors. Every wait is bounded.
#include "node/rpc_service.h"

#include <gtest/gtest.h>

#include "base/codec.h"
#include "ledger/ledger.h"
#include "node/test_support.h"
#include "rpc/http_client.h"

namespace synod::node {
namespace {

using rpc::Json;

constexpr uint64_t kWaitMs = 20'000;

// The whole JSON-RPC answer ({"result"} or {"error"}) through the project's client; null when
// the node could not be reached or did not answer JSON-RPC.
Json call(uint16_t port, const std::string& method, const Json& params) {
  rpc::JsonRpcClient client(rpc::loopback_endpoint(port), {{10'000, 1 << 26, {}}, ""});
  auto reply = client.call(method, params);  // null params: no params at all
  if (!reply.is_ok()) return Json();
  if (reply->ok()) return Json{{"result", std::move(*reply->result)}};
  return Json{{"error", std::move(*reply->error)}};
}

class RpcServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InitOptions options;
    options.home = dir_.sub("home");
    options.genesis = testing::fast_genesis_options();
    ASSERT_TRUE(init_home(options).is_ok());
    auto files = read_home(options.home);
    ASSERT_TRUE(files.is_ok()) << files.status().to_string();
    files_.emplace(std::move(files).value());
    files_->config.p2p.listen_port = 0;
    files_->config.rpc.listen_port = 0;
    files_->config.log_level = "warn";
    files_->config.mempool.verify_threads = 1;
    auto opened = Node::open(*files_);
    ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
    node_ = std::move(opened).value();
    ASSERT_TRUE(node_->start().is_ok());
    service_ = std::make_unique<RpcService>(*node_);
    auto port = service_->start();
    ASSERT_TRUE(port.is_ok()) << port.status().to_string();
    port_ = *port;
    ASSERT_NE(port_, 0);
    ASSERT_TRUE(testing::eventually([&] { return node_->height() >= 1; }, kWaitMs));
  }
  void TearDown() override {
    if (service_) service_->stop();
    if (node_) node_->stop();
  }

  testing::TempDir dir_;
  std::optional<HomeFiles> files_;
  std::unique_ptr<Node> node_;
  std::unique_ptr<RpcService> service_;
  uint16_t port_ = 0;
};

TEST_F(RpcServiceTest, TransferIsCommittedAndProven) {
  Json status = call(port_, "get_status", Json::object());
  ASSERT_TRUE(status.contains("result")) << status.dump();
  EXPECT_EQ(status["result"]["chain_id"], files_->genesis.chain_id);
  EXPECT_EQ(status["result"]["mechanism"], "pbft");
  EXPECT_GE(status["result"]["height"].get<uint64_t>(), 1u);

  const crypto::KeyPair sender = *files_->validator_key;
  const chain::Address recipient =
      chain::Address::from_public_key(crypto::KeyPair::generate().public_key());
  chain::Transaction tx =
      chain::make_transfer(files_->genesis.chain_id, sender, 0, 1, recipient, 4'321);
  Json submitted = call(port_, "submit_transaction", Json{{"transaction", to_hex(encode(tx))}});
  ASSERT_TRUE(submitted.contains("result")) << submitted.dump();
  EXPECT_EQ(submitted["result"]["id"], tx.id().hex());
  EXPECT_EQ(submitted["result"]["status"], "pending");

  // The same transaction again is refused with the node's reason.
  Json again = call(port_, "submit_transaction", Json{{"transaction", to_hex(encode(tx))}});
  ASSERT_TRUE(again.contains("error")) << again.dump();
  EXPECT_EQ(again["error"]["code"], rpc::kServerError);

  Json committed;
  ASSERT_TRUE(testing::eventually(
      [&] {
        committed = call(port_, "get_transaction", Json{{"id", tx.id().hex()}});
        return committed.contains("result") && committed["result"]["status"] == "committed";
      },
      kWaitMs))
      << committed.dump();
  const uint64_t height = committed["result"]["height"];
  EXPECT_EQ(committed["result"]["transaction"]["amount"], "4321");

  Json block = call(port_, "get_block", Json{{"height", height}});
  ASSERT_TRUE(block.contains("result")) << block.dump();
  EXPECT_EQ(block["result"]["transactions"][0]["id"], tx.id().hex());
  Json by_hash = call(port_, "get_block", Json{{"hash", block["result"]["hash"]}});
  ASSERT_TRUE(by_hash.contains("result")) << by_hash.dump();
  EXPECT_EQ(by_hash["result"]["height"], height);
  Json latest = call(port_, "get_block", nullptr);
  ASSERT_TRUE(latest.contains("result")) << latest.dump();
  EXPECT_GE(latest["result"]["height"].get<uint64_t>(), height);

  Json account = call(port_, "get_account", Json{{"address", recipient.to_string()}});
  ASSERT_TRUE(account.contains("result")) << account.dump();
  const Json& result = account["result"];
  EXPECT_EQ(result["balance"], "4321");
  EXPECT_TRUE(result["exists"].get<bool>());
  auto header_bytes = from_hex(result["header_hex"].get<std::string>());
  ASSERT_TRUE(header_bytes.is_ok());
  auto header = decode<chain::BlockHeader>(*header_bytes);
  ASSERT_TRUE(header.is_ok());
  EXPECT_EQ(header->height, result["height"].get<uint64_t>());
  auto certificate_bytes = from_hex(result["certificate_hex"].get<std::string>());
  ASSERT_TRUE(certificate_bytes.is_ok());
  auto certificate = decode<chain::Certificate>(*certificate_bytes);
  ASSERT_TRUE(certificate.is_ok());
  EXPECT_EQ(certificate->block_hash, header->hash());
  EXPECT_TRUE(certificate->verify(files_->genesis.chain_id, files_->genesis.validators).is_ok());
  auto proof_bytes = from_hex(result["proof"].get<std::string>());
  ASSERT_TRUE(proof_bytes.is_ok());
  auto proof = decode<ledger::StateProof>(*proof_bytes);
  ASSERT_TRUE(proof.is_ok());
  EXPECT_TRUE(ledger::verify_account_proof(header->state_root, recipient, ledger::Account{4'321, 0},
                                           *proof));
  EXPECT_FALSE(ledger::verify_account_proof(header->state_root, recipient,
                                            ledger::Account{4'322, 0}, *proof));

  Json history = call(port_, "get_history", Json{{"address", recipient.to_string()}});
  ASSERT_TRUE(history.contains("result")) << history.dump();
  ASSERT_EQ(history["result"]["entries"].size(), 1u) << history.dump();
  EXPECT_EQ(history["result"]["entries"][0]["id"], tx.id().hex());
  EXPECT_EQ(history["result"]["entries"][0]["role"], "recipient");
  EXPECT_FALSE(history["result"]["more"].get<bool>());
  Json paged =
      call(port_, "get_history", Json{{"address", tx.sender_address().to_string()}, {"limit", 1}});
  ASSERT_TRUE(paged.contains("result")) << paged.dump();
  EXPECT_EQ(paged["result"]["entries"][0]["role"], "sender");
  EXPECT_EQ(call(port_, "get_history",
                 Json{{"address", recipient.to_string()}, {"limit", 0}})["error"]["code"],
            rpc::kInvalidParams);
  EXPECT_EQ(call(port_, "get_history",
                 Json{{"address", recipient.to_string()}, {"before", "x"}})["error"]["code"],
            rpc::kInvalidParams);

  Json validators = call(port_, "get_validators", Json::object());
  ASSERT_TRUE(validators.contains("result")) << validators.dump();
  EXPECT_EQ(validators["result"]["validators"].size(), 1u);

  std::string metrics = rpc::http_get(rpc::loopback_endpoint(port_), "/metrics").value().body;
  EXPECT_NE(metrics.find("synod_height "), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("synod_transactions_committed_total 1"), std::string::npos) << metrics;
}

TEST_F(RpcServiceTest, BadRequestsGetErrors) {
  auto code_of = [](const Json& answer) {
    return answer.contains("error") ? answer["error"]["code"].get<int>() : 0;
  };
  Json parse = Json::parse(rpc::http_post(rpc::loopback_endpoint(port_), "{not json").value().body,
                           nullptr, false);
  EXPECT_EQ(code_of(parse), rpc::kParseError) << parse.dump();
  EXPECT_EQ(code_of(call(port_, "no_such_method", Json::object())), rpc::kMethodNotFound);
  EXPECT_EQ(code_of(call(port_, "submit_transaction", Json::object())), rpc::kInvalidParams);
  EXPECT_EQ(code_of(call(port_, "submit_transaction", Json{{"transaction", "zz"}})),
            rpc::kInvalidParams);
  Json garbage = call(port_, "submit_transaction", Json{{"transaction", "00ff00"}});
  EXPECT_NE(code_of(garbage), 0) << garbage.dump();
  EXPECT_EQ(code_of(call(port_, "get_transaction", Json{{"id", "1234"}})), rpc::kInvalidParams);
  EXPECT_EQ(code_of(call(port_, "get_transaction", Json{{"id", 5}})), rpc::kInvalidParams);
  EXPECT_EQ(code_of(call(port_, "get_account", Json{{"address", "synod1nope"}})),
            rpc::kInvalidParams);
  EXPECT_EQ(code_of(call(port_, "get_block", Json{{"height", -1}})), rpc::kInvalidParams);
  Json missing = call(port_, "get_block", Json{{"height", 1'000'000}});
  EXPECT_EQ(code_of(missing), rpc::kServerError);
  EXPECT_EQ(missing["error"]["data"]["reason"], "not_found");
  Json unknown = call(port_, "get_transaction", Json{{"id", Hash256{}.hex()}});
  EXPECT_EQ(unknown["result"]["status"], "unknown");

  // A transfer the sender cannot pay is refused with the node's reason.
  chain::Transaction broke = chain::make_transfer(
      files_->genesis.chain_id, crypto::KeyPair::generate(), 0, 1,
      chain::Address::from_public_key(files_->validator_key->public_key()), 10);
  Json refused = call(port_, "submit_transaction", Json{{"transaction", to_hex(encode(broke))}});
  EXPECT_EQ(code_of(refused), rpc::kServerError) << refused.dump();
  EXPECT_EQ(refused["error"]["data"]["reason"], "insufficient_funds") << refused.dump();

  EXPECT_EQ(rpc::http_get(rpc::loopback_endpoint(port_), "/nowhere").value().status, 404);
  // The node still answers.
  EXPECT_TRUE(call(port_, "get_status", nullptr).contains("result"));
}

}  // namespace
}  // namespace synod::node

// One validator in-process with its RPC service on 127.0.0.1 (an OS-chosen port): JSON-RPC over
// real HTTP through rpc/http_client.h, a signed transfer submitted, committed and proven, and
// malformed requests answered with JSON-RPC errors. Every wait is bounded.
#include "node/rpc_service.h"

#include <gtest/gtest.h>

#include "base/codec.h"
#include "ledger/ledger.h"
#include "node/rpc_test_fixture.h"
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

class RpcServiceTest : public testing::SingleNodeTest {
 protected:
  void SetUp() override {
    start_node(/*verify_threads=*/1);
    start_rpc();
  }
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
  Json ids = call(port_, "get_block", Json{{"height", height}, {"transactions", "ids"}});
  ASSERT_TRUE(ids.contains("result")) << ids.dump();
  EXPECT_FALSE(ids["result"].contains("transactions"));
  EXPECT_EQ(ids["result"]["transaction_ids"], Json::array({tx.id().hex()}));
  EXPECT_EQ(ids["result"]["header_hex"], block["result"]["header_hex"]);
  Json latest_ids = call(port_, "get_block", Json{{"transactions", "ids"}});
  ASSERT_TRUE(latest_ids.contains("result")) << latest_ids.dump();
  EXPECT_GE(latest_ids["result"]["height"].get<uint64_t>(), height);
  Json bad = call(port_, "get_block", Json{{"height", height}, {"transactions", "some"}});
  ASSERT_TRUE(bad.contains("error")) << bad.dump();
  EXPECT_EQ(bad["error"]["code"], rpc::kInvalidParams);

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
  EXPECT_NE(metrics.find("synod_gossip_ids_requested_total 0"), std::string::npos) << metrics;
}

// Opens the events stream of a subscription result.
std::unique_ptr<rpc::EventStreamReader> open_events(uint16_t port, const Json& subscribed) {
  auto reader = rpc::EventStreamReader::open(rpc::loopback_endpoint(port),
                                             subscribed["result"]["events_url"].get<std::string>());
  EXPECT_TRUE(reader.is_ok()) << reader.status().to_string();
  return reader.is_ok() ? std::move(reader).value() : nullptr;
}

// The next event's (name, JSON data); fails the test after kWaitMs.
std::pair<std::string, Json> next_event(rpc::EventStreamReader& reader) {
  auto event = reader.next(kWaitMs);
  EXPECT_TRUE(event.is_ok()) << event.status().to_string();
  if (!event.is_ok() || !event->has_value()) return {"", Json()};
  return {(*event)->event, Json::parse((*event)->data, nullptr, false)};
}

// True when the stream ends (possibly after other events) within kWaitMs.
bool stream_ends(rpc::EventStreamReader& reader) {
  for (int i = 0; i < 10'000; ++i) {
    auto event = reader.next(kWaitMs);
    if (!event.is_ok()) return false;
    if (!event->has_value()) return true;
  }
  return false;
}

TEST_F(RpcServiceTest, NewBlocksArriveInOrder) {
  const uint64_t before = node_->height();
  Json subscribed = call(port_, "subscribe", Json{{"topic", "new_blocks"}});
  ASSERT_TRUE(subscribed.contains("result")) << subscribed.dump();
  const std::string id = subscribed["result"]["subscription"];
  EXPECT_EQ(subscribed["result"]["events_url"], "/events/" + id);
  auto reader = open_events(port_, subscribed);
  ASSERT_TRUE(reader);
  uint64_t previous = 0;
  for (int i = 0; i < 5; ++i) {
    auto [name, data] = next_event(*reader);
    ASSERT_EQ(name, "new_block");
    const uint64_t height = data["height"].get<uint64_t>();
    EXPECT_GT(height, before);
    if (previous != 0) {
      EXPECT_EQ(height, previous + 1);
    }
    previous = height;
    Json block = call(port_, "get_block", Json{{"height", height}});
    ASSERT_TRUE(block.contains("result")) << block.dump();
    EXPECT_EQ(data["hash"], block["result"]["hash"]);
    EXPECT_EQ(data["time_ms"], block["result"]["header"]["time_ms"]);
    EXPECT_EQ(data["transaction_count"], block["result"]["header"]["transaction_count"]);
    EXPECT_EQ(data["proposer"], block["result"]["header"]["proposer"]);
  }
  // A stream is opened once.
  auto twice = rpc::EventStreamReader::open(rpc::loopback_endpoint(port_), "/events/" + id);
  EXPECT_EQ(twice.status().code(), Code::kNotFound);
  // Unsubscribe ends the stream; the subscription is gone.
  EXPECT_EQ(call(port_, "unsubscribe", Json{{"subscription", id}})["result"], true);
  EXPECT_TRUE(stream_ends(*reader));
  EXPECT_EQ(call(port_, "unsubscribe", Json{{"subscription", id}})["error"]["data"]["reason"],
            "not_found");
  EXPECT_EQ(service_->subscriptions(), 0u);
}

TEST_F(RpcServiceTest, TransactionSubscriptionGetsOneEventAtCommit) {
  const crypto::KeyPair sender = *files_->validator_key;
  const chain::Address recipient =
      chain::Address::from_public_key(crypto::KeyPair::generate().public_key());
  chain::Transaction tx =
      chain::make_transfer(files_->genesis.chain_id, sender, 0, 1, recipient, 77);
  // Subscribed before the node has even seen it.
  Json subscribed = call(port_, "subscribe", Json{{"topic", "transaction"}, {"id", tx.id().hex()}});
  ASSERT_TRUE(subscribed.contains("result")) << subscribed.dump();
  auto reader = open_events(port_, subscribed);
  ASSERT_TRUE(reader);
  auto none = reader->next(200);
  EXPECT_EQ(none.status().code(), Code::kTimeout);
  ASSERT_TRUE(call(port_, "submit_transaction", Json{{"transaction", to_hex(encode(tx))}})
                  .contains("result"));
  auto [name, data] = next_event(*reader);
  EXPECT_EQ(name, "transaction");
  EXPECT_EQ(data["id"], tx.id().hex());
  EXPECT_EQ(data["status"], "committed");
  EXPECT_EQ(data["transaction"]["amount"], "77");
  EXPECT_EQ(data, call(port_, "get_transaction", Json{{"id", tx.id().hex()}})["result"]);
  // One event, then the stream ends.
  auto end = reader->next(kWaitMs);
  ASSERT_TRUE(end.is_ok()) << end.status().to_string();
  EXPECT_FALSE(end->has_value());

  // Already committed: the event comes at once.
  Json late = call(port_, "subscribe", Json{{"topic", "transaction"}, {"id", tx.id().hex()}});
  auto late_reader = open_events(port_, late);
  ASSERT_TRUE(late_reader);
  auto [late_name, late_data] = next_event(*late_reader);
  EXPECT_EQ(late_name, "transaction");
  EXPECT_EQ(late_data, data);
  EXPECT_TRUE(stream_ends(*late_reader));
  EXPECT_TRUE(testing::eventually([&] { return service_->subscriptions() == 0; }, kWaitMs));

  // Bad params.
  auto code_of = [](const Json& answer) {
    return answer.contains("error") ? answer["error"]["code"].get<int>() : 0;
  };
  EXPECT_EQ(code_of(call(port_, "subscribe", Json{{"topic", "everything"}})), rpc::kInvalidParams);
  EXPECT_EQ(code_of(call(port_, "subscribe", Json{{"topic", "transaction"}})), rpc::kInvalidParams);
  EXPECT_EQ(code_of(call(port_, "subscribe", Json{{"topic", "transaction"}, {"id", "ab"}})),
            rpc::kInvalidParams);
  EXPECT_EQ(code_of(call(port_, "unsubscribe", Json::object())), rpc::kInvalidParams);
  EXPECT_EQ(rpc::http_get(rpc::loopback_endpoint(port_), "/events/nope").value().status, 404);
}

TEST_F(RpcServiceTest, SubscriptionBoundsHold) {
  RpcServiceOptions options;
  options.subscriptions.subscriptions_max = 2;
  options.subscriptions.open_timeout_ms = 300;
  RpcService limited(*node_, options);
  const uint16_t port = limited.start("127.0.0.1", 0).value();
  // At most subscriptions_max.
  Json first = call(port, "subscribe", Json{{"topic", "new_blocks"}});
  Json second = call(port, "subscribe", Json{{"topic", "transaction"}, {"id", Hash256{}.hex()}});
  ASSERT_TRUE(first.contains("result") && second.contains("result"));
  Json third = call(port, "subscribe", Json{{"topic", "new_blocks"}});
  EXPECT_EQ(third["error"]["data"]["reason"], "resource_exhausted") << third.dump();
  // Not opened in time: both expire, and room is made.
  ASSERT_TRUE(testing::eventually([&] { return limited.subscriptions() == 0; }, kWaitMs));
  auto expired = rpc::EventStreamReader::open(rpc::loopback_endpoint(port),
                                              first["result"]["events_url"].get<std::string>());
  EXPECT_EQ(expired.status().code(), Code::kNotFound);
  EXPECT_TRUE(call(port, "subscribe", Json{{"topic", "new_blocks"}}).contains("result"));
  limited.stop();

  // More than events_max events waiting: the subscriber is dropped.
  options.subscriptions.subscriptions_max = 8;
  options.subscriptions.open_timeout_ms = 60'000;
  options.subscriptions.events_max = 3;
  RpcService small_queue(*node_, options);
  const uint16_t small_port = small_queue.start("127.0.0.1", 0).value();
  Json slow = call(small_port, "subscribe", Json{{"topic", "new_blocks"}});
  ASSERT_TRUE(slow.contains("result"));
  const uint64_t from = node_->height();
  ASSERT_TRUE(testing::eventually([&] { return node_->height() >= from + 5; }, kWaitMs));
  ASSERT_TRUE(testing::eventually([&] { return small_queue.subscriptions() == 0; }, kWaitMs));
  auto dropped = rpc::EventStreamReader::open(rpc::loopback_endpoint(small_port),
                                              slow["result"]["events_url"].get<std::string>());
  EXPECT_EQ(dropped.status().code(), Code::kNotFound);
  small_queue.stop();
}

TEST_F(RpcServiceTest, StoppingTheServiceEndsStreams) {
  Json subscribed = call(port_, "subscribe", Json{{"topic", "new_blocks"}});
  auto reader = open_events(port_, subscribed);
  ASSERT_TRUE(reader);
  service_->stop();
  EXPECT_TRUE(stream_ends(*reader));
}

TEST_F(RpcServiceTest, ValidatorsAtAHeight) {
  ASSERT_TRUE(testing::eventually([&] { return node_->height() >= 3; }, kWaitMs));
  Json latest = call(port_, "get_validators", nullptr);
  ASSERT_TRUE(latest.contains("result")) << latest.dump();
  EXPECT_GE(latest["result"]["height"].get<uint64_t>(), 3u);
  for (uint64_t height : {uint64_t{1}, uint64_t{2}}) {
    Json at = call(port_, "get_validators", Json{{"height", height}});
    ASSERT_TRUE(at.contains("result")) << at.dump();
    EXPECT_EQ(at["result"]["height"], height);
    // The set that voted on that height is the one its block header names.
    Json block = call(port_, "get_block", Json{{"height", height}});
    EXPECT_EQ(at["result"]["validator_set_hash"], block["result"]["header"]["validator_set_hash"]);
    ASSERT_EQ(at["result"]["validators"].size(), 1u);
    EXPECT_EQ(at["result"]["validators"][0]["public_key"],
              files_->genesis.validators.at(0).public_key.hex());
    EXPECT_EQ(at["result"]["total_power"].get<uint64_t>(),
              files_->genesis.validators.total_power());
  }
  EXPECT_EQ(call(port_, "get_validators", Json{{"height", 0}})["result"]["validators"].size(), 1u);
  Json above = call(port_, "get_validators", Json{{"height", node_->height() + 1000}});
  EXPECT_EQ(above["error"]["code"], rpc::kServerError) << above.dump();
  EXPECT_EQ(above["error"]["data"]["reason"], "not_found");
  EXPECT_EQ(call(port_, "get_validators", Json{{"height", "one"}})["error"]["code"],
            rpc::kInvalidParams);
  EXPECT_EQ(call(port_, "get_validators", Json{{"height", -1}})["error"]["code"],
            rpc::kInvalidParams);

  // get_status: the view (PBFT's round) and no peers on a lone validator.
  Json status = call(port_, "get_status", nullptr)["result"];
  EXPECT_EQ(status["view"], status["round"]);
  EXPECT_GT(status["deciding_height"].get<uint64_t>(), 0u);
  EXPECT_TRUE(status["peers"].empty());
  EXPECT_FALSE(status["sync"]["syncing"].get<bool>());
  EXPECT_EQ(status["sync"]["blocks_per_second"], 0.0);
}

// add_peer / disconnect_peer change the node: only with the config's token. The peer that
// add_peer dials proves its validator key, which get_status then shows.
TEST(RpcServiceSyncTest, OperatorPeerControlsNeedTheToken) {
  testing::TempDir root;
  std::vector<HomeFiles> homes = testing::make_network(root, 1, 1);
  auto validator = Node::open(homes[0]);
  ASSERT_TRUE(validator.is_ok()) << validator.status().to_string();
  ASSERT_TRUE((*validator)->start().is_ok());
  homes[1].config.rpc.token = "0123456789abcdef";
  auto follower = Node::open(homes[1]);
  ASSERT_TRUE(follower.is_ok()) << follower.status().to_string();
  ASSERT_TRUE((*follower)->start().is_ok());
  RpcService follower_rpc(**follower);
  const uint16_t port = follower_rpc.start("127.0.0.1", 0).value();
  const std::string address = "127.0.0.1:" + std::to_string((*validator)->p2p_port());

  rpc::JsonRpcClient anonymous(rpc::loopback_endpoint(port));
  auto refused = anonymous.call("add_peer", Json{{"address", address}});
  ASSERT_TRUE(refused.is_ok()) << refused.status().to_string();
  ASSERT_FALSE(refused->ok());
  EXPECT_EQ((*refused->error)["code"], -32001);
  rpc::JsonRpcClient wrong(rpc::loopback_endpoint(port), {{}, "not-the-token"});
  EXPECT_EQ((*wrong.call("add_peer", Json{{"address", address}})->error)["code"], -32001);
  EXPECT_TRUE((*follower)->peers().empty());

  rpc::JsonRpcClient operator_client(rpc::loopback_endpoint(port), {{}, "0123456789abcdef"});
  EXPECT_FALSE(operator_client.result("add_peer", Json{{"address", "nowhere"}}).is_ok());
  ASSERT_TRUE(operator_client.result("add_peer", Json{{"address", address}}).is_ok());
  const std::string validator_key = homes[0].validator_key->public_key().hex();
  Json seen;
  ASSERT_TRUE(testing::eventually(
      [&] {
        auto status = operator_client.result("get_status");
        if (!status.is_ok() || (*status)["peers"].size() != 1) return false;
        seen = *status;
        return seen["peers"][0].value("validator_key", "") == validator_key &&
               seen["peers"][0].contains("view");
      },
      kWaitMs))
      << seen.dump();

  const std::string node_key = (*validator)->node_id().hex();
  EXPECT_EQ((*anonymous.call("disconnect_peer", Json{{"node_key", node_key}})->error)["code"],
            -32001);
  // Without a ban the validator may dial back (it learned our address); with one it cannot.
  auto dropped =
      operator_client.result("disconnect_peer", Json{{"node_key", node_key}, {"ban", true}});
  ASSERT_TRUE(dropped.is_ok()) << dropped.status().to_string();
  EXPECT_EQ(*dropped, Json(true));
  EXPECT_TRUE(testing::eventually([&] { return (*follower)->peers().empty(); }, kWaitMs));
  EXPECT_TRUE((*follower)->transport_stats().bans > 0);
  EXPECT_FALSE(
      operator_client.result("disconnect_peer", Json{{"node_key", std::string(64, 'a')}}).is_ok());
  follower_rpc.stop();
  (*follower)->stop();
  (*validator)->stop();
}

// A follower started 60 blocks behind a validator, fetching one block per request: its status
// shows the sync (target, blocks per second) and the validator as a peer with its height; the
// validator's status shows the follower's height.
TEST(RpcServiceSyncTest, StatusShowsPeersHeightsAndSyncProgress) {
  testing::TempDir root;
  std::vector<HomeFiles> homes = testing::make_network(root, 1, 1);
  auto validator = Node::open(homes[0]);
  ASSERT_TRUE(validator.is_ok()) << validator.status().to_string();
  ASSERT_TRUE((*validator)->start().is_ok());
  RpcService validator_rpc(**validator);
  const uint16_t validator_port = validator_rpc.start("127.0.0.1", 0).value();
  ASSERT_TRUE(testing::eventually([&] { return (*validator)->height() >= 60; }, 3 * kWaitMs));

  homes[1].config.sync.batch_blocks = 1;
  homes[1].config.sync.window_blocks = 1;
  homes[1].config.sync.request_timeout_ms = 500;
  homes[1].config.sync.status_interval_ms = 200;
  auto follower = Node::open(homes[1]);
  ASSERT_TRUE(follower.is_ok()) << follower.status().to_string();
  ASSERT_TRUE((*follower)->start().is_ok());
  RpcService follower_rpc(**follower);
  const uint16_t follower_port = follower_rpc.start("127.0.0.1", 0).value();
  ASSERT_TRUE((*follower)
                  ->add_persistent_peer(net::Endpoint{"127.0.0.1", (*validator)->p2p_port()})
                  .is_ok());

  const std::string validator_key = (*validator)->node_id().hex();
  rpc::JsonRpcClient client(rpc::loopback_endpoint(follower_port));
  Json seen;
  ASSERT_TRUE(testing::eventually(
      [&] {
        auto status = client.result("get_status");
        if (!status.is_ok()) return false;
        seen = *status;
        const Json& sync = seen["sync"];
        return sync["syncing"].get<bool>() &&
               sync["target_height"].get<uint64_t>() > seen["height"].get<uint64_t>() &&
               sync["blocks_per_second"].get<double>() > 0 && seen["peers"].size() == 1 &&
               seen["peers"][0]["node_key"] == validator_key &&
               seen["peers"][0]["height"].get<uint64_t>() >= 60;
      },
      kWaitMs))
      << seen.dump();
  EXPECT_EQ(seen["peers"][0]["height"], seen["sync"]["target_height"]);
  EXPECT_FALSE(seen["peers"][0]["inbound"].get<bool>());

  // The validator sees the follower (inbound) at the height it reports.
  rpc::JsonRpcClient validator_client(rpc::loopback_endpoint(validator_port));
  ASSERT_TRUE(testing::eventually(
      [&] {
        auto status = validator_client.result("get_status");
        if (!status.is_ok() || (*status)["peers"].size() != 1) return false;
        seen = *status;
        return seen["peers"][0]["inbound"].get<bool>() &&
               seen["peers"][0]["node_key"] == (*follower)->node_id().hex() &&
               seen["peers"][0]["height"].get<uint64_t>() > 0;
      },
      kWaitMs))
      << seen.dump();
  follower_rpc.stop();
  (*follower)->stop();
  validator_rpc.stop();
  (*validator)->stop();
}

class RpcIndexOffTest : public testing::SingleNodeTest {
 protected:
  void SetUp() override {
    index_transactions_ = false;
    start_node(/*verify_threads=*/1);
    start_rpc();
  }
};

// Finds the block holding `id` through get_block's ids, reading each height once across calls
// from `next` on; the height, or 0 when not (yet) found.
uint64_t height_holding(uint16_t port, const Hash256& id, uint64_t& next) {
  Json latest = call(port, "get_block", Json{{"transactions", "ids"}});
  if (!latest.contains("result")) return 0;
  const uint64_t tip = latest["result"]["height"];
  for (; next <= tip; ++next) {
    Json block = call(port, "get_block", Json{{"height", next}, {"transactions", "ids"}});
    if (!block.contains("result")) return 0;
    for (const Json& listed : block["result"]["transaction_ids"])
      if (listed == id.hex()) return next;
  }
  return 0;
}

TEST_F(RpcIndexOffTest, CommittedLookupsSayThereIsNoIndexUntilItIsTurnedOn) {
  const crypto::KeyPair sender = *files_->validator_key;
  const chain::Address recipient =
      chain::Address::from_public_key(crypto::KeyPair::generate().public_key());
  chain::Transaction tx =
      chain::make_transfer(files_->genesis.chain_id, sender, 0, 1, recipient, 77);
  Json submitted = call(port_, "submit_transaction", Json{{"transaction", to_hex(encode(tx))}});
  ASSERT_TRUE(submitted.contains("result")) << submitted.dump();
  uint64_t height = 0;
  uint64_t next = 1;
  ASSERT_TRUE(testing::eventually(
      [&] { return (height = height_holding(port_, tx.id(), next)) != 0; }, kWaitMs));

  // Committed, so no longer pending, and this node cannot say where: an error, not "unknown".
  Json lookup = call(port_, "get_transaction", Json{{"id", tx.id().hex()}});
  ASSERT_TRUE(lookup.contains("error")) << lookup.dump();
  EXPECT_EQ(lookup["error"]["code"], rpc::kServerError);
  EXPECT_NE(lookup["error"]["message"].get<std::string>().find("index_transactions"),
            std::string::npos)
      << lookup.dump();
  Json history = call(port_, "get_history", Json{{"address", recipient.to_string()}});
  ASSERT_TRUE(history.contains("error")) << history.dump();
  // The ledger itself is whole: the recipient's balance is proven as usual.
  Json account = call(port_, "get_account", Json{{"address", recipient.to_string()}});
  ASSERT_TRUE(account.contains("result")) << account.dump();
  EXPECT_EQ(account["result"]["balance"], "77");

  // Restarted with the index on, the node indexes the blocks it left out before it serves.
  service_->stop();
  node_->stop();
  node_.reset();
  files_->config.index_transactions = true;
  reopen_node();
  start_rpc();
  Json found = call(port_, "get_transaction", Json{{"id", tx.id().hex()}});
  ASSERT_TRUE(found.contains("result")) << found.dump();
  EXPECT_EQ(found["result"]["status"], "committed");
  EXPECT_EQ(found["result"]["height"], height);
  Json listed = call(port_, "get_history", Json{{"address", recipient.to_string()}});
  ASSERT_TRUE(listed.contains("result")) << listed.dump();
  ASSERT_EQ(listed["result"]["entries"].size(), 1u) << listed.dump();
  EXPECT_EQ(listed["result"]["entries"][0]["id"], tx.id().hex());
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

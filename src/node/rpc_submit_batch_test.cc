// SubmitBatch against one in-process validator: a JSON-RPC batch's submissions are admitted
// together, each call then takes its own outcome once; and through the RPC service a mixed batch
// answers exactly what the calls answer one by one (duplicates, bad signatures, bad hex, other
// methods), in order. Every wait is bounded.
#include "node/rpc_submit_batch.h"

#include <gtest/gtest.h>

#include "base/codec.h"
#include "chain/transaction.h"
#include "node/rpc_service.h"
#include "node/rpc_test_fixture.h"
#include "node/test_support.h"
#include "rpc/http_client.h"

namespace synod::node {
namespace {

using rpc::Json;

class SubmitBatchTest : public testing::SingleNodeTest {
 protected:
  void SetUp() override { start_node(/*verify_threads=*/2); }

  chain::Transaction transfer(uint64_t nonce, const std::string& chain_id = "") const {
    const crypto::KeyPair& key = *files_->validator_key;
    return chain::make_transfer(chain_id.empty() ? files_->genesis.chain_id : chain_id, key, nonce,
                                1, chain::Address::from_public_key(key.public_key()), 5);
  }

  static Json submit_call(int id, const std::string& hex) {
    return Json{{"jsonrpc", "2.0"},
                {"id", id},
                {"method", "submit_transaction"},
                {"params", {{"transaction", hex}}}};
  }
};

TEST_F(SubmitBatchTest, EachCallTakesItsOwnAdmissionOnce) {
  const std::string first = to_hex(encode(transfer(0)));
  const std::string second = to_hex(encode(transfer(1)));
  const Json body = Json::array(
      {submit_call(1, first), submit_call(2, second), submit_call(3, first), submit_call(4, "zz")});
  SubmitBatch batch = SubmitBatch::start(*node_, body.dump());
  auto taken_second = batch.take(second, kWaitMs);
  ASSERT_TRUE(taken_second.has_value());
  ASSERT_TRUE(taken_second->is_ok()) << taken_second->status().to_string();
  EXPECT_TRUE((*taken_second)->status.is_ok()) << (*taken_second)->status.to_string();
  EXPECT_EQ((*taken_second)->id, transfer(1).id());
  auto taken_first = batch.take(first, kWaitMs);
  ASSERT_TRUE(taken_first.has_value());
  EXPECT_TRUE((*taken_first)->status.is_ok());
  // Taken once: the duplicate call goes the one-by-one way (and finds it pending).
  EXPECT_FALSE(batch.take(first, kWaitMs).has_value());
  EXPECT_FALSE(batch.take("zz", kWaitMs).has_value());
  EXPECT_TRUE(node_->mempool().contains(transfer(0).id()));
  EXPECT_TRUE(node_->mempool().contains(transfer(1).id()));
}

TEST_F(SubmitBatchTest, SingleCallsAndNonBatchesAreLeftAlone) {
  const std::string hex = to_hex(encode(transfer(0)));
  SubmitBatch single = SubmitBatch::start(*node_, submit_call(1, hex).dump());
  EXPECT_FALSE(single.take(hex, kWaitMs).has_value());
  SubmitBatch one_in_batch = SubmitBatch::start(*node_, Json::array({submit_call(1, hex)}).dump());
  EXPECT_FALSE(one_in_batch.take(hex, kWaitMs).has_value());
  SubmitBatch garbage = SubmitBatch::start(*node_, "[submit_transaction submit_transaction");
  EXPECT_FALSE(garbage.take(hex, kWaitMs).has_value());
  EXPECT_FALSE(node_->mempool().contains(transfer(0).id()));
}

TEST_F(SubmitBatchTest, MixedBatchOverRpcAnswersAsOneByOne) {
  start_rpc();
  chain::Transaction forged = transfer(2);
  forged.signature.data[0] ^= 1;
  std::vector<rpc::JsonRpcCall> calls = {
      {"submit_transaction", Json{{"transaction", to_hex(encode(transfer(0)))}}},
      {"submit_transaction", Json{{"transaction", to_hex(encode(transfer(0)))}}},
      {"get_status", nullptr},
      {"submit_transaction", Json{{"transaction", to_hex(encode(transfer(1)))}}},
      {"submit_transaction", Json{{"transaction", to_hex(encode(forged))}}},
      {"submit_transaction", Json{{"transaction", "zz"}}},
      {"submit_transaction", Json{{"transaction", to_hex(encode(transfer(3, "other-chain")))}}},
  };
  rpc::JsonRpcClient client(rpc::loopback_endpoint(port_), {{10'000, 1 << 26, {}}, ""});
  auto replies = client.batch(calls);
  ASSERT_TRUE(replies.is_ok()) << replies.status().to_string();
  ASSERT_EQ(replies->size(), calls.size());
  const auto& r = *replies;
  ASSERT_TRUE(r[0].ok());
  EXPECT_EQ((*r[0].result)["id"], transfer(0).id().hex());
  EXPECT_EQ(r[1].error_reason(), "already_exists");
  ASSERT_TRUE(r[2].ok());
  EXPECT_TRUE((*r[2].result).contains("height"));
  ASSERT_TRUE(r[3].ok());
  EXPECT_EQ((*r[3].result)["id"], transfer(1).id().hex());
  EXPECT_EQ(r[4].error_reason(), "unauthenticated");
  EXPECT_EQ(r[5].error_code(), rpc::kInvalidParams);
  EXPECT_EQ(r[6].error_reason(), "invalid_argument");
  // The admitted ones commit.
  EXPECT_TRUE(testing::eventually(
      [&] {
        auto located = node_->chain().transaction(transfer(1).id());
        return located.is_ok() && located->has_value();
      },
      kWaitMs));
}

}  // namespace
}  // namespace synod::node

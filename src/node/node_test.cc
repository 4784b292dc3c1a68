// One node in-process on RocksDB in a temp folder: it commits blocks alone, takes transactions,
// answers queries on its driver, and restarts from its own disk at the same height and state.
// Every wait is bounded; the node stops and its folder is removed when the test ends.
#include "node/node.h"

#include <gtest/gtest.h>

#include <atomic>

#include "ledger/account.h"
#include "node/test_support.h"

namespace synod::node {
namespace {

constexpr uint64_t kWaitMs = 20'000;

HomeFiles init_test_home(const testing::TempDir& dir) {
  InitOptions options;
  options.home = dir.sub("home");
  options.genesis = testing::fast_genesis_options();
  options.p2p_port = 26656;
  options.rpc_port = 26657;
  EXPECT_TRUE(init_home(options).is_ok());
  auto files = read_home(options.home);
  EXPECT_TRUE(files.is_ok()) << files.status().to_string();
  HomeFiles out = std::move(files).value();
  out.config.p2p.listen_port = 0;  // the OS chooses: tests never collide on ports
  out.config.log_level = "warn";
  out.config.mempool.verify_threads = 1;
  return out;
}

std::optional<ledger::Account> stored_account(const Node& node, const chain::Address& address) {
  auto value = node.chain().state_value(ledger::account_state_key(address));
  if (!value.is_ok() || !*value) return std::nullopt;
  auto account = ledger::decode_account(**value);
  if (!account.is_ok()) return std::nullopt;
  return *account;
}

TEST(NodeTest, SingleValidatorCommitsAndRestartsFromItsDisk) {
  testing::TempDir dir;
  HomeFiles files = init_test_home(dir);
  const crypto::KeyPair sender = *files.validator_key;
  const chain::Address recipient =
      chain::Address::from_public_key(crypto::KeyPair::generate().public_key());

  auto opened = Node::open(files);
  ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
  std::unique_ptr<Node> node = std::move(opened).value();
  std::atomic<int> committed_listened{0};
  node->add_commit_listener(
      [&](const chain::Block&, const chain::Certificate&) { committed_listened++; });
  ASSERT_TRUE(node->start().is_ok());
  EXPECT_NE(node->p2p_port(), 0);

  chain::Transaction tx =
      chain::make_transfer(files.genesis.chain_id, sender, 0, 1, recipient, 12'345);
  std::atomic<int> admitted{-1};
  ASSERT_TRUE(node->submit_transaction(encode(tx),
                                       [&](const mempool::Admission& admission) {
                                         admitted = admission.status.is_ok() ? 1 : 0;
                                       })
                  .is_ok());
  ASSERT_TRUE(testing::eventually(
      [&] {
        auto location = node->chain().transaction_location(tx.id());
        return node->height() >= 5 && location.is_ok() && location->has_value();
      },
      kWaitMs))
      << "height " << node->height();
  EXPECT_EQ(admitted.load(), 1);
  EXPECT_GE(committed_listened.load(), 5);
  ASSERT_TRUE(stored_account(*node, recipient).has_value());
  EXPECT_EQ(stored_account(*node, recipient)->balance, 12'345u);

  // A query on the driver sees the application itself.
  auto nonce = node->query<uint64_t>(
      [address = tx.sender_address()](DriverAccess& access) -> Result<uint64_t> {
        return access.application.next_nonce(address);
      },
      kWaitMs);
  ASSERT_TRUE(nonce.is_ok()) << nonce.status().to_string();
  EXPECT_EQ(*nonce, 1u);

  node->stop();
  const NodeStatus stopped = node->status();
  EXPECT_FALSE(stopped.running);
  EXPECT_TRUE(stopped.failure.empty()) << stopped.failure;
  const NodeMetrics metrics = node->metrics();
  EXPECT_GE(metrics.blocks_committed, stopped.height);
  EXPECT_GE(metrics.fsyncs, 1u);
  EXPECT_LE(metrics.fsyncs, metrics.loop_iterations);
  node.reset();

  // Restart from the same folder: same height, block and state root before anything runs.
  auto reopened = Node::open(files);
  ASSERT_TRUE(reopened.is_ok()) << reopened.status().to_string();
  node = std::move(reopened).value();
  const NodeStatus restored = node->status();
  EXPECT_EQ(restored.height, stopped.height);
  EXPECT_EQ(restored.tip_hash, stopped.tip_hash);
  EXPECT_EQ(restored.state_root, stopped.state_root);
  ASSERT_TRUE(node->start().is_ok());
  ASSERT_TRUE(testing::eventually([&] { return node->height() >= stopped.height + 3; }, kWaitMs));
  EXPECT_EQ(stored_account(*node, recipient)->balance, 12'345u);
  node->stop();
}

TEST(NodeTest, RefusesADataFolderOfAnotherGenesis) {
  testing::TempDir dir;
  HomeFiles files = init_test_home(dir);
  {
    auto node = Node::open(files);
    ASSERT_TRUE(node.is_ok()) << node.status().to_string();
  }
  files.genesis.chain_id = "synod-other";
  auto other = Node::open(files);
  ASSERT_FALSE(other.is_ok());
  EXPECT_EQ(other.status().code(), Code::kFailedPrecondition);
}

TEST(NodeTest, StopWithoutStartAndQueriesAfterStop) {
  testing::TempDir dir;
  auto node = Node::open(init_test_home(dir));
  ASSERT_TRUE(node.is_ok()) << node.status().to_string();
  (*node)->stop();
  EXPECT_FALSE((*node)->start().is_ok());
  auto answer = (*node)->query<int>([](DriverAccess&) -> Result<int> { return 1; }, 1'000);
  EXPECT_EQ(answer.status().code(), Code::kUnavailable);
  EXPECT_EQ((*node)->submit_transaction(Bytes(10, 0), [](const mempool::Admission&) {}).code(),
            Code::kUnavailable);
}

}  // namespace
}  // namespace synod::node

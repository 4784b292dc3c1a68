// The node's RPC tests share one fixture: a single validator in-process, from a fresh home with
// the fast test genesis, on OS-chosen loopback ports, committing blocks before the test body runs;
// start_rpc() adds the JSON-RPC service in front of it. Not for production code.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "node/node.h"
#include "node/rpc_service.h"
#include "node/test_support.h"

namespace synod::node::testing {

class SingleNodeTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kWaitMs = 20'000;

  // Opens and starts the node with `verify_threads` signature workers; waits for height 1.
  void start_node(size_t verify_threads) {
    InitOptions options;
    options.home = dir_.sub("home");
    options.genesis = fast_genesis_options();
    ASSERT_TRUE(init_home(options).is_ok());
    auto files = read_home(options.home);
    ASSERT_TRUE(files.is_ok()) << files.status().to_string();
    files_.emplace(std::move(files).value());
    files_->config.p2p.listen_port = 0;
    files_->config.rpc.listen_port = 0;
    files_->config.log_level = "warn";
    files_->config.mempool.verify_threads = verify_threads;
    files_->config.index_transactions = index_transactions_;
    reopen_node();
  }

  // Opens and starts the node again on its home (after node_->stop() and node_.reset(), or on a
  // fresh home from start_node); waits for height 1.
  void reopen_node() {
    auto opened = Node::open(*files_);
    ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
    node_ = std::move(opened).value();
    ASSERT_TRUE(node_->start().is_ok());
    ASSERT_TRUE(eventually([&] { return node_->height() >= 1; }, kWaitMs));
  }

  // Starts the RPC service on 127.0.0.1 and an OS-chosen port, kept in port_.
  void start_rpc() {
    service_ = std::make_unique<RpcService>(*node_);
    auto port = service_->start("127.0.0.1", 0);
    ASSERT_TRUE(port.is_ok()) << port.status().to_string();
    port_ = *port;
    ASSERT_NE(port_, 0);
  }

  void TearDown() override {
    if (service_) service_->stop();
    if (node_) node_->stop();
  }

  bool index_transactions_ = true;  // config.index_transactions for start_node
  TempDir dir_;
  std::optional<HomeFiles> files_;
  std::unique_ptr<Node> node_;
  std::unique_ptr<RpcService> service_;
  uint16_t port_ = 0;
};

}  // namespace synod::node::testing

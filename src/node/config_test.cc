#include "node/config.h"

#include <gtest/gtest.h>

#include "node/test_support.h"

namespace synod::node {
namespace {

std::string parse_error(std::string_view text) {
  auto config = Config::parse(text, "/home/x");
  EXPECT_FALSE(config.is_ok()) << text;
  return config.is_ok() ? "" : config.status().message();
}

TEST(ConfigTest, EmptyFileGivesTheDefaults) {
  auto config = Config::parse("", "/home/x");
  ASSERT_TRUE(config.is_ok()) << config.status().to_string();
  Config expected;
  expected.home = "/home/x";
  EXPECT_EQ(*config, expected);
  EXPECT_EQ(config->rpc.listen_address, "127.0.0.1");
  EXPECT_EQ(config->data_path(), "/home/x/data");
  EXPECT_TRUE(config->index_transactions);
  EXPECT_EQ(config->resolve("/abs/key.json"), "/abs/key.json");
}

TEST(ConfigTest, ToTomlReadsBackEqual) {
  Config config;
  config.home = "/h";
  config.log_level = "debug";
  config.validator_key_file = "";
  config.index_transactions = false;
  config.p2p.listen_port = 7001;
  config.p2p.persistent_peers = {{"127.0.0.1", 7002}, {"::1", 7003}};
  config.p2p.seeds = {{"10.0.0.1", 26656}};
  config.p2p.peers_inbound_max = 5;
  config.rpc.listen_port = 8001;
  config.rpc.token = "t\"ok\\en";
  config.rpc.threads = 7;
  config.mempool.transactions_max = 77;
  config.mempool.verify_threads = 3;
  config.sync.batch_blocks = 8;
  config.sync.status_interval_ms = 250;
  auto parsed = Config::parse(config.to_toml(), "/h");
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string() << "\n" << config.to_toml();
  EXPECT_EQ(*parsed, config);
}

TEST(ConfigTest, ErrorsNameTheKey) {
  EXPECT_EQ(parse_error("[p2p]\nlisten_port = 0\n"),
            "config.toml: p2p.listen_port: must be 1..65535");
  EXPECT_EQ(parse_error("p2p.listen_port = 70000\n"),
            "config.toml: p2p.listen_port: must be 1..65535");
  EXPECT_EQ(parse_error("[rpc]\nlisten_port = \"80\"\n"),
            "config.toml: rpc.listen_port: must be an integer");
  EXPECT_EQ(parse_error("[rpc]\nthreads = 0\n"), "config.toml: rpc.threads: must be 1..64");
  EXPECT_EQ(parse_error("log_level = 3\n"), "config.toml: log_level: must be a string");
  EXPECT_EQ(parse_error("index_transactions = 1\n"),
            "config.toml: index_transactions: must be true or false");
  EXPECT_EQ(parse_error("log_level = \"loud\"\n"),
            "config.toml: log_level: must be one of trace, debug, info, warn, error, off");
  EXPECT_EQ(parse_error("[mempool]\ntransactions_max = -1\n"),
            "config.toml: mempool.transactions_max: must be 1..10000000");
  EXPECT_EQ(parse_error("[p2p]\npersistent_peers = [\"127.0.0.1:7000\", \"localhost:7001\"]\n")
                .rfind("config.toml: p2p.persistent_peers[1]: ", 0),
            0u);
  EXPECT_EQ(parse_error("[p2p]\nseeds = \"127.0.0.1:1\"\n"),
            "config.toml: p2p.seeds: must be an array of \"ip:port\" strings");
  EXPECT_EQ(parse_error("p2p = 5\n"), "config.toml: p2p: must be a table ([p2p])");
  EXPECT_EQ(parse_error("[rpc]\nlisten_address = \"example.com\"\n"),
            "config.toml: rpc.listen_address: 'example.com' is not an IP address");
  EXPECT_EQ(parse_error("[sync]\nbatch_blocks = 100\nwindow_blocks = 10\n"),
            "config.toml: sync.batch_blocks: must not exceed sync.window_blocks");
}

TEST(ConfigTest, UnknownKeysAreErrors) {
  EXPECT_EQ(parse_error("colour = \"blue\"\n"), "config.toml: colour: is not a known key");
  EXPECT_EQ(parse_error("[p2p]\nlisten_prot = 7000\n"),
            "config.toml: p2p.listen_prot: is not a known key");
  EXPECT_EQ(parse_error("[consensus]\n"), "config.toml: consensus: is not a known key");
}

TEST(ConfigTest, SyntaxErrorsGiveTheLine) {
  const std::string message = parse_error("log_level = \"info\"\n[p2p\n");
  EXPECT_EQ(message.rfind("config.toml:2:", 0), 0u) << message;
}

TEST(ConfigTest, LoadReadsTheHomeAndReportsAMissingFile) {
  testing::TempDir dir;
  auto missing = Config::load(dir.path());
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  testing::write_file(dir.path() + "/config.toml", "[rpc]\nlisten_port = 9000\n");
  auto loaded = Config::load(dir.path());
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().to_string();
  EXPECT_EQ(loaded->rpc.listen_port, 9000);
  EXPECT_EQ(loaded->home, dir.path());
}

}  // namespace
}  // namespace synod::node

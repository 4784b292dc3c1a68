#include "node/home.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "node/key_file.h"
#include "node/test_support.h"

namespace synod::node {
namespace {

unsigned file_mode(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 0777;
}

TEST(KeyFileTest, WritesPrivateJsonAndReadsItBack) {
  testing::TempDir dir;
  const std::string path = dir.sub("key.json");
  crypto::KeyPair key = crypto::KeyPair::generate();
  ASSERT_TRUE(write_key_file(path, key).is_ok());
  EXPECT_EQ(file_mode(path), 0600u);
  auto read = read_key_file(path);
  ASSERT_TRUE(read.is_ok()) << read.status().to_string();
  EXPECT_EQ(read->public_key(), key.public_key());

  Status again = write_key_file(path, crypto::KeyPair::generate());
  EXPECT_EQ(again.code(), Code::kAlreadyExists);
  EXPECT_EQ(read_key_file(path)->public_key(), key.public_key());
}

TEST(KeyFileTest, AcceptsABareHexSeed) {
  crypto::KeyPair key = crypto::KeyPair::generate();
  auto parsed = parse_key_file("  " + key.seed().hex() + "\n", "k");
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  EXPECT_EQ(parsed->public_key(), key.public_key());
}

TEST(KeyFileTest, RejectsBadContentsAndLaxModes) {
  crypto::KeyPair key = crypto::KeyPair::generate();
  std::string mismatched = "{\"type\": \"ed25519\", \"public_key\": \"" +
                           crypto::KeyPair::generate().public_key().hex() + "\", \"seed\": \"" +
                           key.seed().hex() + "\"}";
  EXPECT_EQ(parse_key_file(mismatched, "k").status().message(),
            "k: public_key: does not match the seed");
  EXPECT_EQ(parse_key_file("{\"seed\": \"00\", \"colour\": 1}", "k").status().message(),
            "k: colour: is not a known field");
  EXPECT_FALSE(parse_key_file("not a key", "k").is_ok());

  testing::TempDir dir;
  const std::string path = dir.sub("lax.json");
  testing::write_file(path, key_file_json(key));
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  EXPECT_EQ(read_key_file(path).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(read_key_file(dir.sub("missing.json")).status().code(), Code::kNotFound);
}

TEST(InitTest, WritesAUsableHome) {
  testing::TempDir dir;
  InitOptions options;
  options.home = dir.sub("home");
  options.genesis.chain_id = "synod-init-test";
  options.p2p_port = 27000;
  options.rpc_port = 27001;
  auto report = init_home(options);
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();

  auto home = read_home(options.home);
  ASSERT_TRUE(home.is_ok()) << home.status().to_string();
  EXPECT_EQ(home->config.p2p.listen_port, 27000);
  EXPECT_EQ(home->config.rpc.listen_port, 27001);
  EXPECT_EQ(home->config.rpc.listen_address, "127.0.0.1");
  EXPECT_EQ(home->config.rpc.token.size(), 64u);
  EXPECT_EQ(home->node_key.public_key(), report->node_id);
  ASSERT_TRUE(home->validator_key.has_value());
  EXPECT_EQ(home->validator_key->public_key(), report->validator_key);
  EXPECT_EQ(home->genesis.chain_id, "synod-init-test");
  EXPECT_EQ(home->genesis.hash(), report->genesis_hash);
  ASSERT_EQ(home->genesis.validators.size(), 1u);
  EXPECT_EQ(home->genesis.validators.at(0).public_key, report->validator_key);
  ASSERT_EQ(home->genesis.accounts.size(), 1u);
  EXPECT_EQ(home->genesis.accounts[0].address,
            chain::Address::from_public_key(report->validator_key));
  EXPECT_EQ(file_mode(options.home + "/node_key.json"), 0600u);
  EXPECT_EQ(file_mode(options.home + "/validator_key.json"), 0600u);
  EXPECT_EQ(file_mode(options.home + "/config.toml"), 0600u);
  EXPECT_EQ(file_mode(options.home), 0700u);
}

TEST(InitTest, RefusesToOverwriteAHome) {
  testing::TempDir dir;
  InitOptions options;
  options.home = dir.sub("home");
  ASSERT_TRUE(init_home(options).is_ok());
  auto before = read_home(options.home);
  ASSERT_TRUE(before.is_ok());

  auto again = init_home(options);
  ASSERT_FALSE(again.is_ok());
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists);
  auto after = read_home(options.home);
  ASSERT_TRUE(after.is_ok());
  EXPECT_EQ(after->node_key.public_key(), before->node_key.public_key());
  EXPECT_EQ(after->genesis.hash(), before->genesis.hash());

  // A folder with anything in it is not a place for a new home either.
  testing::write_file(dir.sub("other.txt"), "x");
  options.home = dir.path();
  EXPECT_EQ(init_home(options).status().code(), Code::kAlreadyExists);
}

TEST(InitTest, SeveralValidatorsWriteTheOtherKeys) {
  testing::TempDir dir;
  InitOptions options;
  options.home = dir.sub("home");
  options.validators = 3;
  auto report = init_home(options);
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  ASSERT_EQ(report->other_validator_key_files.size(), 2u);
  auto home = read_home(options.home);
  ASSERT_TRUE(home.is_ok());
  ASSERT_EQ(home->genesis.validators.size(), 3u);
  for (size_t i = 0; i < 2; ++i) {
    auto key = read_key_file(report->other_validator_key_files[i]);
    ASSERT_TRUE(key.is_ok());
    EXPECT_EQ(home->genesis.validators.at(i + 1).public_key, key->public_key());
  }
  EXPECT_EQ(init_home(InitOptions{dir.sub("bad"), {}, 0}).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace synod::node

// synod-wallet's commands run in-process against FakeNode (fake_node_test_util.h): what people
// and scripts see, and the exit codes.
#include "wallet/cli.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "wallet/fake_node_test_util.h"

namespace synod::wallet {
namespace {

constexpr const char* kMnemonic =
    "legal winner thank year wave sausage worth useful legal winner thank yellow";

crypto::KeyPair wallet_key() {
  Keystore keystore = Keystore::from_mnemonic(kMnemonic, "", 1).value();
  return keystore.key(keystore.accounts()[0]);
}
chain::Address wallet_address() {
  return chain::Address::from_public_key(wallet_key().public_key());
}
chain::Address friend_address() {
  return chain::Address::from_public_key(ledger::testing::key(2).public_key());
}

class CliTest : public ::testing::Test {
 protected:
  CliTest() : node_({wallet_key(), ledger::testing::key(2)}, 1'000) {}

  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 ("synod-wallet-cli-" + std::to_string(::getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(directory_);
    std::filesystem::create_directories(directory_);
    home_ = (directory_ / "home").string();
    write("password", "correct horse battery\n");
    write("wrong-password", "not my password\n");
    write("mnemonic", std::string(kMnemonic) + "\n");
    write("genesis.json", node_.genesis().to_json());
    node_.start();
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  std::string path(const std::string& name) const { return (directory_ / name).string(); }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(path(name)) << text;
  }

  // Runs synod-wallet with --home and the password file, plus `args`.
  int run(std::vector<std::string> args, const std::string& password_file = "password") {
    std::vector<std::string> full = {"synod-wallet", "--home", home_};
    if (!password_file.empty()) {
      full.push_back("--password-file");
      full.push_back(path(password_file));
    }
    full.insert(full.end(), args.begin(), args.end());
    std::vector<const char*> argv;
    for (const std::string& arg : full)
      argv.push_back(arg.c_str());
    out_.str("");
    err_.str("");
    CliEnvironment environment;
    environment.out = &out_;
    environment.err = &err_;
    environment.prompt = [](const std::string&, bool) -> Result<std::string> {
      return error(Code::kFailedPrecondition, "no terminal in tests");
    };
    environment.kdf = KdfParams::minimum();
    return run_cli(static_cast<int>(argv.size()), argv.data(), environment);
  }
  void restore(const std::vector<std::string>& endpoints) {
    std::vector<std::string> args;
    for (const std::string& url : endpoints) {
      args.push_back("--endpoint");
      args.push_back(url);
    }
    args.insert(args.end(), {"--genesis", path("genesis.json"), "restore", "--mnemonic-file",
                             path("mnemonic")});
    ASSERT_EQ(run(args), kExitOk) << err_.str();
  }
  Json json_out() const { return Json::parse(out_.str()); }

  testing::FakeNode node_;
  std::filesystem::path directory_;
  std::string home_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(CliTest, RestoreListAndVerifiedBalance) {
  restore({node_.url()});
  EXPECT_NE(out_.str().find(wallet_address().to_string()), std::string::npos);
  ASSERT_EQ(run({"list"}), kExitOk);
  EXPECT_NE(out_.str().find("account-0  " + wallet_address().to_string()), std::string::npos);
  ASSERT_EQ(run({"balance"}), kExitOk) << err_.str();
  EXPECT_NE(out_.str().find("balance   1000"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("node      " + node_.url()), std::string::npos);
  ASSERT_EQ(run({"--json", "balance", friend_address().to_string()}, ""), kExitOk);
  Json result = json_out();
  EXPECT_EQ(result["balance"], "1000");
  EXPECT_EQ(result["verified"], true);
  EXPECT_EQ(result["height"], 1);
}

TEST_F(CliTest, SendWaitsForAVerifiedCommit) {
  restore({node_.url()});
  node_.set_faults(testing::NodeFaults{.polls_before_commit = 1});
  ASSERT_EQ(run({"--json", "send", "--to", friend_address().to_string(), "--amount", "300", "--fee",
                 "2"}),
            kExitOk)
      << out_.str() << err_.str();
  Json result = json_out();
  EXPECT_EQ(result["status"], "committed");
  EXPECT_EQ(result["verified"], true);
  EXPECT_EQ(result["height"], 2);
  EXPECT_EQ(result["nonce"], "0");
  EXPECT_EQ(node_.balance(friend_address()), 1'300u);
  EXPECT_EQ(node_.balance(wallet_address()), 698u);
  std::string id = result["id"];
  ASSERT_EQ(run({"status", id}, ""), kExitOk);
  EXPECT_NE(out_.str().find("committed " + id), std::string::npos) << out_.str();
  ASSERT_EQ(run({"history", wallet_address().to_string()}, ""), kExitOk);
  EXPECT_NE(out_.str().find("height 2  position 0  sender  " + id), std::string::npos);
  // The next send reads the new nonce from the node.
  ASSERT_EQ(run({"--json", "send", "--to", friend_address().to_string(), "--amount", "1"}),
            kExitOk);
  EXPECT_EQ(json_out()["nonce"], "1");
}

TEST_F(CliTest, AMistypedAddressIsRejectedBeforeAnythingIsSent) {
  restore({node_.url()});
  std::string address = friend_address().to_string();
  address[10] = address[10] == 'q' ? 'p' : 'q';
  EXPECT_EQ(run({"send", "--to", address, "--amount", "5"}), kExitUsage);
  EXPECT_NE(err_.str().find("not a valid synod address"), std::string::npos) << err_.str();
  EXPECT_NE(err_.str().find("nothing was sent"), std::string::npos);
  EXPECT_EQ(node_.submissions(), 0u);
}

TEST_F(CliTest, InsufficientFundsAreReportedAndNothingIsSent) {
  restore({node_.url()});
  EXPECT_EQ(run({"send", "--to", friend_address().to_string(), "--amount", "1000"}), kExitRejected);
  EXPECT_NE(err_.str().find("insufficient funds: balance 1000 cannot pay 1000 + fee 1"),
            std::string::npos)
      << err_.str();
  EXPECT_EQ(node_.submissions(), 0u);
}

TEST_F(CliTest, ANodesRejectionCarriesItsReason) {
  restore({node_.url()});
  // Nonce 5 skips ahead: the node refuses it (failed_precondition).
  EXPECT_EQ(run({"--json", "send", "--to", friend_address().to_string(), "--amount", "1", "--nonce",
                 "5"}),
            kExitRejected);
  Json result = json_out();
  EXPECT_EQ(result["error"]["exit_code"], kExitRejected);
  EXPECT_EQ(result["error"]["reason"], "failed_precondition");
}

TEST_F(CliTest, WrongPasswordExitsFive) {
  restore({node_.url()});
  EXPECT_EQ(run({"list"}, "wrong-password"), kExitWrongPassword);
  EXPECT_NE(err_.str().find("wrong password"), std::string::npos);
}

TEST_F(CliTest, ALyingNodeIsSkippedAndNamed) {
  testing::FakeNode liar({wallet_key(), ledger::testing::key(2)}, 1'000);
  liar.set_faults(testing::NodeFaults{.forge_balance = true});
  liar.start();
  restore({liar.url(), node_.url()});
  ASSERT_EQ(run({"balance"}), kExitOk);
  EXPECT_NE(out_.str().find("balance   1000"), std::string::npos);
  EXPECT_NE(err_.str().find("a node gave a wrong answer and was skipped"), std::string::npos);
  EXPECT_NE(err_.str().find(liar.url()), std::string::npos);
  ASSERT_EQ(run({"--json", "balance"}), kExitOk);
  Json result = json_out();
  EXPECT_EQ(result["node"], node_.url());
  ASSERT_EQ(result["failures"].size(), 1u);
  EXPECT_EQ(result["failures"][0]["node"], liar.url());
  EXPECT_EQ(result["failures"][0]["reason"], "corrupt");
  // With only the liar, nothing verifies.
  EXPECT_EQ(run({"--endpoint", liar.url(), "balance"}), kExitUnverified);
  EXPECT_NE(err_.str().find("forged"), std::string::npos) << err_.str();
}

TEST_F(CliTest, UnreachableNodesExitThree) {
  restore({node_.url()});
  std::string closed = "http://127.0.0.1:" + std::to_string(testing::closed_port());
  EXPECT_EQ(run({"--endpoint", closed, "balance", wallet_address().to_string()}), kExitUnreachable);
  EXPECT_NE(err_.str().find("no node could be reached"), std::string::npos);
  // Failover: the closed endpoint first, the node second.
  EXPECT_EQ(run({"--endpoint", closed, "--endpoint", node_.url(), "balance",
                 wallet_address().to_string()}),
            kExitOk);
  EXPECT_NE(err_.str().find("a node was skipped"), std::string::npos);
}

TEST_F(CliTest, SignOfflineThenBroadcast) {
  restore({node_.url()});
  node_.stop();  // signing needs no node
  ASSERT_EQ(run({"sign", "--to", friend_address().to_string(), "--amount", "70", "--nonce", "0",
                 "--out", path("tx.json")}),
            kExitOk)
      << err_.str();
  EXPECT_EQ(run({"sign", "--to", friend_address().to_string(), "--amount", "70", "--nonce", "0",
                 "--out", path("tx.json")}),
            kExitUsage);  // never overwrites
  node_.start();
  ASSERT_EQ(run({"--endpoint", node_.url(), "broadcast", path("tx.json")}, ""), kExitOk)
      << err_.str();
  EXPECT_NE(out_.str().find("committed"), std::string::npos);
  EXPECT_EQ(node_.balance(friend_address()), 1'070u);
}

TEST_F(CliTest, KeystoreIsNeverOverwrittenAndTamperingIsCaught) {
  restore({node_.url()});
  EXPECT_EQ(run({"create"}), kExitKeystore);
  EXPECT_NE(err_.str().find("never overwritten"), std::string::npos);
  std::string keystore = home_ + "/keystore.json";
  std::string text;
  {
    std::ifstream in(keystore);
    std::stringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  }
  text.replace(text.find("account-0"), 9, "account-9");
  {
    std::ofstream out(keystore, std::ios::trunc);
    out << text;
  }
  EXPECT_EQ(run({"list"}), kExitKeystore);
  EXPECT_NE(err_.str().find("modified or damaged"), std::string::npos) << err_.str();
}

TEST_F(CliTest, CreateImportAndUsage) {
  ASSERT_EQ(run({"--json", "create", "--accounts", "2"}), kExitOk) << err_.str();
  Json created = json_out();
  EXPECT_EQ(created["accounts"].size(), 2u);
  std::string mnemonic = created["mnemonic"];
  EXPECT_EQ(std::count(mnemonic.begin(), mnemonic.end(), ' '), 23);
  write("key", ledger::testing::key(2).seed().hex() + "\n");
  ASSERT_EQ(run({"import-key", "--key-file", path("key"), "--name", "friend"}), kExitOk)
      << err_.str();
  ASSERT_EQ(run({"--json", "list"}), kExitOk);
  Json listed = json_out();
  ASSERT_EQ(listed["accounts"].size(), 3u);
  EXPECT_EQ(listed["accounts"][2]["address"], friend_address().to_string());
  EXPECT_EQ(listed["accounts"][2]["source"], "imported");
  EXPECT_EQ(run({"import-key", "--key-file", path("key")}), kExitUsage);  // already there
  EXPECT_EQ(run({"frobnicate"}), kExitUsage);
  EXPECT_EQ(run({"send", "--amount", "5"}), kExitUsage);  // --to is required
  EXPECT_EQ(run({"balance"}, ""), kExitUsage);            // no password source: no terminal
}

}  // namespace
}  // namespace synod::wallet

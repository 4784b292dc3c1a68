// The wallet against nodes that tell the truth, lie, or are down: verification of get_account and
// get_block answers, failover across endpoints, submission and waiting for commitment. The nodes
// are FakeNode (fake_node_test_util.h): a real Ledger, real certificates, real HTTP on 127.0.0.1.
#include <gtest/gtest.h>

#include "wallet/fake_node_test_util.h"
#include "wallet/operations.h"

namespace synod::wallet {
namespace {

using testing::FakeNode;
using testing::NodeFaults;

crypto::KeyPair alice() {
  return ledger::testing::key(1);
}
crypto::KeyPair bob() {
  return ledger::testing::key(2);
}
chain::Address address_of(const crypto::KeyPair& key) {
  return chain::Address::from_public_key(key.public_key());
}

class NodeTest : public ::testing::Test {
 protected:
  NodeTest()
      : node_({alice(), bob()}, 1'000), anchor_(TrustAnchor::from_genesis(node_.genesis())) {}

  rpc::Endpoint endpoint(const std::string& url) { return rpc::parse_endpoint(url).value(); }
  RpcClient client(std::vector<std::string> urls, uint64_t timeout_ms = 5'000) {
    RpcClientOptions options;
    for (const std::string& url : urls)
      options.endpoints.push_back(endpoint(url));
    options.timeout_ms = timeout_ms;
    return RpcClient(options);
  }
  std::string closed_url() { return "http://127.0.0.1:" + std::to_string(testing::closed_port()); }

  FakeNode node_;
  TrustAnchor anchor_;
};

TEST_F(NodeTest, HonestAnswersVerify) {
  node_.commit(
      {chain::make_transfer(ledger::testing::kChainId, alice(), 0, 1, address_of(bob()), 100)});
  auto verified =
      verify_account_answer(anchor_, address_of(bob()), node_.account_answer(address_of(bob())));
  ASSERT_TRUE(verified.is_ok()) << verified.status().to_string();
  EXPECT_TRUE(verified->exists);
  EXPECT_EQ(verified->account.balance, 1'100u);
  EXPECT_EQ(verified->height, 2u);
  auto sender = verify_account_answer(anchor_, address_of(alice()),
                                      node_.account_answer(address_of(alice())));
  ASSERT_TRUE(sender.is_ok());
  EXPECT_EQ(sender->account, (ledger::Account{899, 1}));
  // An account nobody funded: its absence is proven.
  chain::Address nobody = address_of(ledger::testing::key(3));
  auto absent = verify_account_answer(anchor_, nobody, node_.account_answer(nobody));
  ASSERT_TRUE(absent.is_ok()) << absent.status().to_string();
  EXPECT_FALSE(absent->exists);
  EXPECT_EQ(absent->account.balance, 0u);
}

// Each lie a node could tell about an account, and the check that catches it.
TEST_F(NodeTest, ForgedAccountAnswersAreDetected) {
  chain::Address address = address_of(alice());
  Json honest = node_.account_answer(address);
  auto rejects = [&](Json answer, const std::string& expected) {
    auto verified = verify_account_answer(anchor_, address, answer);
    ASSERT_FALSE(verified.is_ok()) << answer.dump();
    EXPECT_EQ(verified.status().code(), Code::kCorrupt);
    EXPECT_NE(verified.status().message().find(expected), std::string::npos)
        << verified.status().message();
  };
  Json answer = honest;
  answer["balance"] = "1000000";
  rejects(answer, "balance is forged");
  answer = honest;
  answer["nonce"] = "5";
  rejects(answer, "state proof does not show");
  answer = honest;
  answer["exists"] = false;
  rejects(answer, "does not exist yet has a balance");
  answer = honest;  // a real proof, but of another account
  answer["proof"] = node_.account_answer(address_of(bob()))["proof"];
  rejects(answer, "state proof does not show");
  answer = honest;
  answer["address"] = address_of(bob()).to_string();
  rejects(answer, "the answer is for");
  answer = honest;
  answer["certificate_hex"] = "00";
  rejects(answer, "certificate_hex");
  answer = honest;
  answer["header_hex"] = std::string(honest["header_hex"]).substr(2);
  rejects(answer, "header_hex");
}

TEST_F(NodeTest, CertificatesFromOutsideTheGenesisSetAreRefused) {
  node_.set_faults(NodeFaults{.forge_certificate = true});
  auto verified = verify_account_answer(anchor_, address_of(alice()),
                                        node_.account_answer(address_of(alice())));
  ASSERT_FALSE(verified.is_ok());
  EXPECT_NE(verified.status().message().find("does not verify against the genesis validators"),
            std::string::npos);
}

TEST_F(NodeTest, CertificateOfAnotherBlockIsRefused) {
  Json first = node_.account_answer(address_of(alice()));
  node_.commit({});
  Json second = node_.account_answer(address_of(alice()));
  second["certificate_hex"] = first["certificate_hex"];
  auto verified = verify_account_answer(anchor_, address_of(alice()), second);
  ASSERT_FALSE(verified.is_ok());
  EXPECT_NE(verified.status().message().find("certificate is for another block"),
            std::string::npos);
}

TEST_F(NodeTest, AnotherNetworksGenesisTrustsNothingHere) {
  chain::Genesis other = node_.genesis();
  other.chain_id = "synod-other";
  auto verified = verify_account_answer(TrustAnchor::from_genesis(other), address_of(alice()),
                                        node_.account_answer(address_of(alice())));
  ASSERT_FALSE(verified.is_ok());
  EXPECT_NE(verified.status().message().find("is for chain 'synod-test'"), std::string::npos);
}

TEST_F(NodeTest, FailsOverFromAClosedPort) {
  node_.start();
  RpcClient rpc = client({closed_url(), node_.url()});
  auto report = fetch_account(rpc, anchor_, address_of(alice()));
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_EQ(report->endpoint, node_.url());
  EXPECT_EQ(report->account.account.balance, 1'000u);
  ASSERT_EQ(report->failures.size(), 1u);
  EXPECT_EQ(report->failures[0].status.code(), Code::kUnavailable);
  // The node that answered is asked first next time.
  auto again = fetch_account(rpc, anchor_, address_of(bob()));
  ASSERT_TRUE(again.is_ok());
  EXPECT_TRUE(again->failures.empty());
}

TEST_F(NodeTest, FailsOverFromASilentNodeAfterTheTimeout) {
  node_.start();
  testing::SilentNode silent;
  RpcClient rpc = client({silent.url(), node_.url()}, 300);
  auto report = fetch_account(rpc, anchor_, address_of(alice()));
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  ASSERT_EQ(report->failures.size(), 1u);
  EXPECT_EQ(report->failures[0].status.code(), Code::kTimeout);
}

TEST_F(NodeTest, ALyingNodeIsReportedAndTheHonestOneAnswers) {
  FakeNode liar({alice(), bob()}, 1'000);
  liar.set_faults(NodeFaults{.forge_balance = true});
  liar.start();
  node_.start();
  RpcClient rpc = client({liar.url(), node_.url()});
  auto report = fetch_account(rpc, anchor_, address_of(alice()));
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_EQ(report->endpoint, node_.url());
  EXPECT_EQ(report->account.account.balance, 1'000u);
  ASSERT_EQ(report->failures.size(), 1u);
  EXPECT_EQ(report->failures[0].endpoint, liar.url());
  EXPECT_EQ(report->failures[0].status.code(), Code::kCorrupt);
  EXPECT_NE(report->failures[0].status.message().find("forged"), std::string::npos);
}

TEST_F(NodeTest, OnlyLiarsMeansVerificationFailed) {
  node_.set_faults(NodeFaults{.forge_balance = true});
  node_.start();
  RpcClient rpc = client({closed_url(), node_.url()});
  auto report = fetch_account(rpc, anchor_, address_of(alice()));
  ASSERT_FALSE(report.is_ok());
  EXPECT_EQ(report.status().code(), Code::kCorrupt);
}

TEST_F(NodeTest, NoNodeReachableIsUnavailable) {
  RpcClient rpc = client({closed_url(), closed_url()});
  auto report = fetch_account(rpc, anchor_, address_of(alice()));
  ASSERT_FALSE(report.is_ok());
  EXPECT_EQ(report.status().code(), Code::kUnavailable);
  EXPECT_NE(report.status().message().find("no node could be reached"), std::string::npos);
}

TEST_F(NodeTest, SubmitThenWaitForAVerifiedCommit) {
  node_.set_faults(NodeFaults{.polls_before_commit = 2});
  node_.start();
  RpcClient rpc = client({closed_url(), node_.url()});
  chain::Transaction tx =
      chain::make_transfer(ledger::testing::kChainId, alice(), 0, 1, address_of(bob()), 250);
  auto submitted = submit_transaction(rpc, tx);
  ASSERT_TRUE(submitted.is_ok()) << submitted.status().to_string();
  EXPECT_EQ(submitted->id, tx.id());
  size_t progress_calls = 0;
  WaitOptions wait{10'000, 20, [&](uint64_t, const TransactionReport& report) {
                     EXPECT_EQ(report.state, TransactionState::kPending);
                     ++progress_calls;
                   }};
  auto committed = wait_for_commit(rpc, anchor_, tx.id(), wait);
  ASSERT_TRUE(committed.is_ok()) << committed.status().to_string();
  EXPECT_EQ(committed->state, TransactionState::kCommitted);
  ASSERT_TRUE(committed->inclusion.has_value());
  EXPECT_EQ(committed->inclusion->height, 2u);
  EXPECT_EQ(committed->inclusion->position, 0u);
  EXPECT_EQ(progress_calls, 2u);
  EXPECT_EQ(node_.balance(address_of(bob())), 1'250u);
  // Submitting again is not an error: the node already has it.
  auto again = submit_transaction(rpc, tx);
  ASSERT_TRUE(again.is_ok());
  EXPECT_TRUE(again->already_known);
  EXPECT_EQ(again->endpoint, node_.url());
}

TEST_F(NodeTest, ANodesRefusalIsTheAnswerWithItsReason) {
  node_.start();
  RpcClient rpc = client({node_.url()});
  chain::Transaction tx =
      chain::make_transfer(ledger::testing::kChainId, alice(), 0, 1, address_of(bob()), 5'000);
  auto submitted = submit_transaction(rpc, tx);
  ASSERT_FALSE(submitted.is_ok());
  EXPECT_EQ(submitted.status().code(), Code::kInsufficientFunds);
  EXPECT_NE(submitted.status().message().find(node_.url() + " refused"), std::string::npos);
  chain::Transaction stale =
      chain::make_transfer(ledger::testing::kChainId, alice(), 7, 1, address_of(bob()), 5);
  EXPECT_EQ(submit_transaction(rpc, stale).status().code(), Code::kFailedPrecondition);
}

TEST_F(NodeTest, AFalseCommitClaimIsCaught) {
  node_.set_faults(NodeFaults{.claim_false_commit = true});
  node_.start();
  RpcClient rpc = client({node_.url()});
  chain::Transaction tx =
      chain::make_transfer(ledger::testing::kChainId, alice(), 0, 1, address_of(bob()), 5);
  auto report = fetch_transaction(rpc, anchor_, tx.id());
  ASSERT_FALSE(report.is_ok());
  EXPECT_EQ(report.status().code(), Code::kCorrupt);
  EXPECT_NE(report.status().message().find("its block does not prove it"), std::string::npos);
}

TEST_F(NodeTest, AFalseCommitClaimFailsOverToAnHonestNode) {
  FakeNode liar({alice(), bob()}, 1'000);
  liar.set_faults(NodeFaults{.claim_false_commit = true});
  liar.start();
  node_.start();
  RpcClient rpc = client({liar.url(), node_.url()});
  chain::Transaction tx =
      chain::make_transfer(ledger::testing::kChainId, alice(), 0, 1, address_of(bob()), 5);
  auto unknown = fetch_transaction(rpc, anchor_, tx.id());
  ASSERT_TRUE(unknown.is_ok()) << unknown.status().to_string();
  EXPECT_EQ(unknown->state, TransactionState::kUnknown);
  EXPECT_EQ(unknown->endpoint, node_.url());
  ASSERT_EQ(unknown->failures.size(), 1u);
  EXPECT_EQ(unknown->failures[0].status.code(), Code::kCorrupt);
  ASSERT_TRUE(submit_transaction(rpc, tx).is_ok());
  auto committed = fetch_transaction(rpc, anchor_, tx.id());
  ASSERT_TRUE(committed.is_ok());
  ASSERT_TRUE(committed->inclusion.has_value());
  EXPECT_EQ(committed->inclusion->height, 2u);
}

TEST_F(NodeTest, ACommitHiddenByOneNodeIsProvenByAnother) {
  FakeNode hider({alice(), bob()}, 1'000);
  hider.set_faults(NodeFaults{.hide_commits = true});
  hider.start();
  node_.start();
  chain::Transaction tx =
      chain::make_transfer(ledger::testing::kChainId, alice(), 0, 1, address_of(bob()), 5);
  RpcClient alone = client({hider.url()});
  RpcClient honest = client({node_.url()});
  ASSERT_TRUE(submit_transaction(alone, tx).is_ok());
  ASSERT_TRUE(submit_transaction(honest, tx).is_ok());
  auto hidden = fetch_transaction(alone, anchor_, tx.id());
  ASSERT_TRUE(hidden.is_ok()) << hidden.status().to_string();
  EXPECT_EQ(hidden->state, TransactionState::kPending);
  RpcClient both = client({hider.url(), node_.url()});
  auto proven = fetch_transaction(both, anchor_, tx.id());
  ASSERT_TRUE(proven.is_ok()) << proven.status().to_string();
  EXPECT_EQ(proven->state, TransactionState::kCommitted);
  ASSERT_TRUE(proven->inclusion.has_value());
  EXPECT_EQ(proven->inclusion->height, 2u);
  EXPECT_EQ(proven->endpoint, node_.url());
  auto waited = wait_for_commit(both, anchor_, tx.id(), WaitOptions{2'000, 20, {}});
  ASSERT_TRUE(waited.is_ok()) << waited.status().to_string();
  EXPECT_EQ(waited->endpoint, node_.url());
}

TEST_F(NodeTest, WaitingTimesOutWithAClearMessage) {
  node_.set_faults(NodeFaults{.polls_before_commit = 1'000'000});
  node_.start();
  RpcClient rpc = client({node_.url()});
  chain::Transaction tx =
      chain::make_transfer(ledger::testing::kChainId, alice(), 0, 1, address_of(bob()), 5);
  ASSERT_TRUE(submit_transaction(rpc, tx).is_ok());
  auto report = wait_for_commit(rpc, anchor_, tx.id(), WaitOptions{150, 20, {}});
  ASSERT_FALSE(report.is_ok());
  EXPECT_EQ(report.status().code(), Code::kTimeout);
  EXPECT_NE(report.status().message().find("last seen pending"), std::string::npos);
}

TEST_F(NodeTest, HistoryListsNewestFirst) {
  node_.commit(
      {chain::make_transfer(ledger::testing::kChainId, alice(), 0, 1, address_of(bob()), 5)});
  node_.commit(
      {chain::make_transfer(ledger::testing::kChainId, bob(), 0, 1, address_of(alice()), 2)});
  node_.start();
  RpcClient rpc = client({node_.url()});
  auto history = fetch_history(rpc, address_of(alice()), 10, "");
  ASSERT_TRUE(history.is_ok()) << history.status().to_string();
  ASSERT_EQ(history->entries.size(), 2u);
  EXPECT_EQ(history->entries[0].height, 3u);
  EXPECT_EQ(history->entries[0].role, "recipient");
  EXPECT_EQ(history->entries[1].role, "sender");
}

TEST(SignedTransactionFile, RoundTripsAndRefusesEdits) {
  chain::Genesis genesis = ledger::testing::make_genesis({alice()}, 10, chain::AppKind::kLedger, 4);
  TrustAnchor anchor = TrustAnchor::from_genesis(genesis);
  chain::Transaction tx =
      chain::make_transfer(genesis.chain_id, alice(), 3, 2, address_of(bob()), 40);
  std::string text = signed_transaction_json(tx);
  auto parsed = parse_signed_transaction(text, anchor);
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  EXPECT_EQ(*parsed, tx);
  Json edited = Json::parse(text);
  edited["amount"] = "4000";  // the summary no longer says what is signed
  EXPECT_EQ(parse_signed_transaction(edited.dump(), anchor).status().code(), Code::kCorrupt);
  chain::Transaction resigned = tx;
  std::get<chain::Transfer>(resigned.payload).amount = 4'000;  // signature no longer matches
  edited = Json::parse(text);
  edited["transaction"] = to_hex(encode(resigned));
  EXPECT_NE(
      parse_signed_transaction(edited.dump(), anchor).status().message().find("bad signature"),
      std::string::npos);
  chain::Genesis other = genesis;
  other.chain_id = "synod-other";
  EXPECT_EQ(parse_signed_transaction(text, TrustAnchor::from_genesis(other)).status().code(),
            Code::kInvalidArgument);
}

}  // namespace
}  // namespace synod::wallet

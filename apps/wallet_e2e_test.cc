// `synod-wallet` end to end: the real wallet binary, run as a process, against a real network of
// 4 `synod start` validators on 127.0.0.1 (cluster::LocalCluster). Covers what issue 5 promises:
// a wallet made from a mnemonic and restored from it, funded from a genesis account, transfers
// whose outcome and both balances are proven on every node, offline signing then broadcast,
// status and history of a sent transaction, failover when the first node is SIGKILLed, exit codes
// for each kind of failure, and a lying node (a proxy in front of a real node, below) caught in
// each of its lies.
//
// Every child (nodes and wallet runs) is started by this process, killed by PID on every path,
// and bounded in time.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "chain/block.h"
#include "cluster/local_cluster.h"
#include "ledger/account.h"
#include "ledger/state_tree.h"
#include "node/test_support.h"
#include "rpc/http_client.h"
#include "rpc/http_server.h"
#include "rpc/json_rpc.h"
#include "wallet/rpc_client.h"

extern char** environ;

namespace synod {
namespace {

using Json = nlohmann::json;

constexpr uint32_t kValidators = 4;
constexpr uint64_t kAccountBalance = 1'000'000'000;
constexpr uint64_t kWalletRunTimeoutMs = 40'000;
constexpr const char* kPassword = "correct horse battery";

// ---------------------------------------------------------------------------------------------
// Running the wallet binary.

struct WalletRun {
  int exit_code = -1;  // -1: killed at the deadline (or by a signal)
  std::string out;
  std::string err;
  Json json;  // stdout parsed, when it is one JSON object

  std::string describe() const {
    return "exit " + std::to_string(exit_code) + "\nstdout: " + out + "\nstderr: " + err;
  }
};

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void write_text_file(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// Runs `synod-wallet args...` with the environment of this process (minus any wallet password)
// plus `extra_environment` ("NAME=value"), and waits at most kWalletRunTimeoutMs, then SIGKILLs
// it. The environment is built before fork: the child only calls async-signal-safe functions.
WalletRun run_wallet(const std::string& scratch, const std::vector<std::string>& args,
                     const std::vector<std::string>& extra_environment = {}) {
  std::vector<std::string> arguments{SYNOD_WALLET_BINARY};
  arguments.insert(arguments.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& argument : arguments)
    argv.push_back(argument.data());
  argv.push_back(nullptr);
  std::vector<std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    if (!text.starts_with("SYNOD_WALLET_PASSWORD=")) environment.emplace_back(text);
  }
  environment.insert(environment.end(), extra_environment.begin(), extra_environment.end());
  std::vector<char*> envp;
  for (std::string& entry : environment)
    envp.push_back(entry.data());
  envp.push_back(nullptr);

  std::string out_path = scratch + "/wallet.out";
  std::string err_path = scratch + "/wallet.err";
  int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  WalletRun run;
  if (out_fd < 0 || err_fd < 0 || null_fd < 0) {
    run.err = "cannot open the output files in " + scratch;
    return run;
  }
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(out_fd);
  ::close(err_fd);
  ::close(null_fd);
  if (pid < 0) {
    run.err = "fork failed";
    return run;
  }
  int status = 0;
  bool exited = cluster::LocalCluster::wait_until(
      [&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, kWalletRunTimeoutMs, 20);
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  } else if (WIFEXITED(status)) {
    run.exit_code = WEXITSTATUS(status);
  }
  run.out = read_whole_file(out_path);
  run.err = read_whole_file(err_path);
  run.json = Json::parse(run.out, nullptr, false);
  if (!run.json.is_object()) run.json = Json::object();
  return run;
}

// A loopback port nobody listens on (bound, then released).
uint16_t closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    ::close(fd);
    return 1;  // nobody listens on port 1 either
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string loopback_url(uint16_t port) {
  return "http://127.0.0.1:" + std::to_string(port);
}

// ---------------------------------------------------------------------------------------------
// The lying node: a JSON-RPC server (rpc::HttpServer + rpc::JsonRpcDispatcher) that forwards
// every call to a real node and alters the answers a test chose. Each lie is one a node could
// tell to make a wallet believe something false.

enum class Lie {
  kNone,
  kForgedBalance,           // get_account: balance + 1,000, the real proof and header
  kForgedProof,             // ... with a proof of that balance under a made-up state root, and the
                            //     header rewritten to that root (the real certificate)
  kForgedCertificate,       // ... and a certificate for the rewritten header, signed by keys that
                            //     are not the genesis validators'
  kWrongCommitPlace,        // get_transaction: "committed" one height below where it is
  kHidesCommit,             // get_transaction: "pending" for a committed transaction
  kForgedBlockCertificate,  // get_block: the certificate's signatures made by other keys
  kSwallowsSubmissions      // submit_transaction: "pending", and nothing forwarded
};

class LyingNode {
 public:
  LyingNode(rpc::Endpoint upstream, std::string chain_id)
      : upstream_(std::move(upstream)), chain_id_(std::move(chain_id)) {
    for (const char* method : {"submit_transaction", "get_transaction", "get_block", "get_account",
                               "get_history", "get_status", "get_validators"}) {
      dispatcher_.add_method(
          method, [this, method](const Json& params) { return forward(method, params); });
    }
  }
  ~LyingNode() { stop(); }

  Status start() {
    server_ = std::make_unique<rpc::HttpServer>(
        rpc::HttpServerLimits{}, [this](const rpc::HttpRequest& request) {
          auto body = dispatcher_.handle(request.body, false);
          return rpc::HttpReply{rpc::HttpResponse{200, "application/json", body.value_or(""), {}},
                                nullptr};
        });
    SYNOD_ASSIGN_OR_RETURN(port_, server_->start("127.0.0.1", 0));
    return Status::ok();
  }
  void stop() {
    if (server_) server_->stop();
    server_.reset();
  }
  std::string url() const { return loopback_url(port_); }
  void set_lie(Lie lie) {
    std::lock_guard lock(mutex_);
    lie_ = lie;
  }
  Lie lie() const {
    std::lock_guard lock(mutex_);
    return lie_;
  }
  size_t lies_told() const {
    std::lock_guard lock(mutex_);
    return lies_told_;
  }

 private:
  Result<Json> forward(std::string_view method, const Json& params) {
    if (method == "submit_transaction" && lie() == Lie::kSwallowsSubmissions) {
      SYNOD_ASSIGN_OR_RETURN(std::string hex, rpc::string_param(params, "transaction", 0));
      SYNOD_ASSIGN_OR_RETURN(Bytes bytes, from_hex(hex));
      SYNOD_ASSIGN_OR_RETURN(chain::Transaction transaction, chain::decode_transaction(bytes));
      std::lock_guard lock(mutex_);
      ++lies_told_;
      return Json{{"id", transaction.id().hex()}, {"status", "pending"}};
    }
    rpc::JsonRpcClient client(upstream_);
    SYNOD_ASSIGN_OR_RETURN(rpc::JsonRpcReply reply, client.call(method, params));
    if (!reply.ok()) {
      std::string message = (*reply.error).value("message", std::string("refused"));
      return error(wallet::code_from_reason(reply.error_reason()), message);
    }
    Json result = std::move(*reply.result);
    std::lock_guard lock(mutex_);
    if (alter(method, result)) ++lies_told_;
    return result;
  }

  // Returns whether it lied.
  bool alter(std::string_view method, Json& result) {
    switch (lie_) {
      case Lie::kNone:
      case Lie::kSwallowsSubmissions:
        return false;
      case Lie::kForgedBalance:
      case Lie::kForgedProof:
      case Lie::kForgedCertificate:
        if (method != "get_account") return false;
        forge_account(result);
        return true;
      case Lie::kWrongCommitPlace:
        if (method != "get_transaction" || result.value("status", "") != "committed") return false;
        result["height"] = result["height"].get<uint64_t>() - 1;
        return true;
      case Lie::kHidesCommit:
        if (method != "get_transaction" || result.value("status", "") != "committed") return false;
        result["status"] = "pending";
        for (const char* key : {"height", "position", "outcome"})
          result.erase(key);
        return true;
      case Lie::kForgedBlockCertificate: {
        if (method != "get_block") return false;
        chain::Certificate certificate = decode_certificate(result["certificate_hex"]);
        sign_with_outsiders(certificate);
        result["certificate_hex"] = to_hex(encode(certificate));
        return true;
      }
    }
    return false;
  }

  void forge_account(Json& result) {
    auto address = chain::Address::parse(result["address"].get<std::string>()).value();
    ledger::Account forged{std::stoull(result["balance"].get<std::string>()) + 1'000,
                           std::stoull(result["nonce"].get<std::string>())};
    result["balance"] = std::to_string(forged.balance);
    result["exists"] = true;
    if (lie_ == Lie::kForgedBalance) return;
    // A state tree in which the account holds the forged balance: a proof that checks out
    // against that tree's root, and a header that names the root.
    ledger::StateTree tree;
    tree.put(ledger::account_tree_key(address), ledger::account_value_hash(forged));
    Hash256 root = tree.root();
    result["proof"] = to_hex(encode(tree.prove(ledger::account_tree_key(address))));
    result["state_root"] = root.hex();
    Bytes header_bytes = from_hex(result["header_hex"].get<std::string>()).value();
    chain::BlockHeader header = decode<chain::BlockHeader>(header_bytes).value();
    header.state_root = root;
    result["header_hex"] = to_hex(encode(header));
    if (lie_ == Lie::kForgedProof) return;
    chain::Certificate certificate = decode_certificate(result["certificate_hex"]);
    certificate.block_hash = header.hash();
    sign_with_outsiders(certificate);
    result["certificate_hex"] = to_hex(encode(certificate));
  }

  static chain::Certificate decode_certificate(const Json& hex) {
    Bytes bytes = from_hex(hex.get<std::string>()).value();
    return decode<chain::Certificate>(bytes).value();
  }

  // Re-signs every signature of `certificate` (same validator indices) with keys of its own.
  void sign_with_outsiders(chain::Certificate& certificate) const {
    Hash256 digest = chain::commit_signing_hash(chain_id_, certificate.height, certificate.round,
                                                certificate.block_hash);
    for (chain::CommitSignature& signature : certificate.signatures) {
      crypto::KeyPair outsider = cluster::account_key("outsider", signature.validator_index);
      signature.signature = outsider.sign(digest.view());
    }
  }

  rpc::Endpoint upstream_;
  std::string chain_id_;
  rpc::JsonRpcDispatcher dispatcher_;
  std::unique_ptr<rpc::HttpServer> server_;
  uint16_t port_ = 0;
  mutable std::mutex mutex_;
  Lie lie_ = Lie::kNone;
  size_t lies_told_ = 0;
};

// ---------------------------------------------------------------------------------------------
// The network, shared by the tests of this file (started once: it takes seconds).

class WalletEndToEndTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    directory_ = new node::testing::TempDir();
    cluster::ClusterOptions options;
    options.root = directory_->sub("net");
    options.validators = kValidators;
    auto base = cluster::pick_base_port(2 * kValidators);
    ASSERT_TRUE(base.is_ok()) << base.status().to_string();
    options.base_port = *base;
    options.accounts = 4;
    options.account_balance = kAccountBalance;
    options.account_seed = "wallet-e2e";
    options.genesis.chain_id = "wallet-e2e";
    options.genesis.block_interval_ms = 300;
    options.log_level = "warn";
    options.synod_binary = SYNOD_BINARY;
    auto made = cluster::LocalCluster::create(options);
    ASSERT_TRUE(made.is_ok()) << made.status().to_string();
    cluster_ = made->release();
    ASSERT_TRUE(cluster_->start_all().is_ok());
    Status up = cluster_->wait_all_for_height(2, 45'000);
    ASSERT_TRUE(up.is_ok()) << up.to_string() << "\n" << cluster_->log_tail(0);
    genesis_file_ = cluster_->home(0) + "/" + node::kGenesisFileName;
  }
  static void TearDownTestSuite() {
    if (cluster_ != nullptr) cluster_->stop_all(SIGTERM, 10'000);
    delete cluster_;
    cluster_ = nullptr;
    delete directory_;
    directory_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(cluster_, nullptr) << "the network did not start";
    scratch_ = directory_->sub(::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(scratch_);
  }

  static std::string node_url(size_t i) { return loopback_url(cluster_->rpc_port(i)); }

  // --endpoint for each of `nodes` (every node when empty) and the trusted genesis.
  static std::vector<std::string> network_arguments(std::vector<std::string> urls = {}) {
    if (urls.empty()) {
      for (size_t i = 0; i < cluster_->size(); ++i)
        urls.push_back(node_url(i));
    }
    std::vector<std::string> out;
    for (const std::string& url : urls) {
      out.push_back("--endpoint");
      out.push_back(url);
    }
    out.push_back("--genesis");
    out.push_back(genesis_file_);
    return out;
  }

  // `synod-wallet --home HOME [network arguments] args...` with the password in the environment.
  WalletRun wallet(const std::string& home, std::vector<std::string> args,
                   const std::vector<std::string>& urls = {}) {
    std::vector<std::string> full{"--home", home};
    for (std::string& argument : network_arguments(urls))
      full.push_back(std::move(argument));
    full.insert(full.end(), args.begin(), args.end());
    return run_wallet(scratch_, full, {std::string("SYNOD_WALLET_PASSWORD=") + kPassword});
  }

  std::string home(const std::string& name) const { return scratch_ + "/" + name; }

  // A wallet home holding genesis account `index` (funded with kAccountBalance) as "funder".
  std::string funded_home(const std::string& name, uint32_t index) {
    std::string path = home(name);
    std::string key_file = scratch_ + "/" + name + ".key";
    write_text_file(key_file, cluster_->account(index).seed().hex() + "\n");
    WalletRun run =
        wallet(path, {"--json", "import-key", "--key-file", key_file, "--name", "funder"});
    EXPECT_EQ(run.exit_code, 0) << run.describe();
    std::filesystem::remove(key_file);
    return path;
  }

  // Checks a `balance --json` answer from node `i` alone.
  static void expect_balance_on_node(const WalletRun& run, size_t i, uint64_t balance,
                                     uint64_t nonce, uint64_t height_min) {
    ASSERT_EQ(run.exit_code, 0) << run.describe();
    EXPECT_EQ(run.json["balance"], std::to_string(balance)) << "node " << i;
    EXPECT_EQ(run.json["nonce"], std::to_string(nonce)) << "node " << i;
    EXPECT_EQ(run.json["verified"], true);
    EXPECT_EQ(run.json["node"], node_url(i));
    EXPECT_GE(run.json["height"].get<uint64_t>(), height_min);
    EXPECT_TRUE(run.json["failures"].empty()) << run.describe();
  }

  static std::string address_of(uint32_t genesis_account) {
    return chain::Address::from_public_key(cluster_->account(genesis_account).public_key())
        .to_string();
  }

  static node::testing::TempDir* directory_;
  static cluster::LocalCluster* cluster_;
  static std::string genesis_file_;
  std::string scratch_;
};

node::testing::TempDir* WalletEndToEndTest::directory_ = nullptr;
cluster::LocalCluster* WalletEndToEndTest::cluster_ = nullptr;
std::string WalletEndToEndTest::genesis_file_;

// A committed `send --json` result: its height.
uint64_t expect_committed(const WalletRun& run) {
  EXPECT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_EQ(run.json.value("status", ""), "committed") << run.describe();
  EXPECT_EQ(run.json.value("outcome", ""), "success") << run.describe();
  EXPECT_EQ(run.json.value("verified", false), true) << run.describe();
  EXPECT_EQ(run.json.value("id", "").size(), 64u) << run.describe();
  return run.json.value("height", uint64_t{0});
}

TEST_F(WalletEndToEndTest, MnemonicWalletIsFundedSendsAndEveryNodeProvesTheBalances) {
  // A new wallet from a new mnemonic, the password from the environment.
  std::string alice = home("alice");
  WalletRun created = wallet(alice, {"--json", "create", "--accounts", "2"});
  ASSERT_EQ(created.exit_code, 0) << created.describe();
  std::string mnemonic = created.json["mnemonic"];
  EXPECT_EQ(std::count(mnemonic.begin(), mnemonic.end(), ' '), 23);  // 24 words
  ASSERT_EQ(created.json["accounts"].size(), 2u);
  std::string first = created.json["accounts"][0]["address"];
  std::string second = created.json["accounts"][1]["address"];
  EXPECT_EQ(created.json["accounts"][0]["path"], "m/44'/7337'/0'/0'/0'") << created.describe();

  // The same mnemonic restored elsewhere, the password from a file: the same accounts.
  std::string restored = home("alice-restored");
  std::string mnemonic_file = scratch_ + "/mnemonic.txt";
  std::string password_file = scratch_ + "/password.txt";
  write_text_file(mnemonic_file, mnemonic + "\n");
  write_text_file(password_file, std::string(kPassword) + "\n");
  WalletRun restore =
      run_wallet(scratch_, {"--home", restored, "--password-file", password_file, "--genesis",
                            genesis_file_, "--endpoint", node_url(1), "--json", "restore",
                            "--mnemonic-file", mnemonic_file, "--accounts", "2"});
  ASSERT_EQ(restore.exit_code, 0) << restore.describe();
  EXPECT_EQ(restore.json["accounts"][0]["address"], first);
  EXPECT_EQ(restore.json["accounts"][1]["address"], second);

  // Funded from a genesis account imported into a wallet of its own.
  std::string funder = funded_home("funder", 0);
  WalletRun funding = wallet(funder, {"--json", "send", "--to", first, "--amount", "5000"});
  uint64_t funded_at = expect_committed(funding);
  EXPECT_EQ(funding.json["from"], address_of(0));
  EXPECT_EQ(funding.json["to"], first);
  EXPECT_EQ(funding.json["amount"], "5000");
  EXPECT_EQ(funding.json["fee"], "1");
  EXPECT_EQ(funding.json["nonce"], "0");

  // The restored wallet spends from the first account (the keys are the same) to the second.
  WalletRun spend =
      run_wallet(scratch_, {"--home", restored, "--password-file", password_file, "--json", "send",
                            "--to", second, "--amount", "1200", "--fee", "3"});
  uint64_t spent_at = expect_committed(spend);
  EXPECT_GT(spent_at, funded_at);
  EXPECT_EQ(spend.json["from"], first);
  EXPECT_EQ(spend.json["nonce"], "0");
  // The restored home was given one endpoint (node 1): that node answered.
  EXPECT_EQ(spend.json["node"], node_url(1));

  // Every node, asked alone, proves the same balances at or above the commit.
  ASSERT_TRUE(cluster_->wait_all_for_height(spent_at, 15'000).is_ok());
  for (size_t i = 0; i < cluster_->size(); ++i) {
    std::vector<std::string> only{node_url(i)};
    expect_balance_on_node(wallet(alice, {"--json", "balance", first}, only), i, 5000 - 1203, 1,
                           spent_at);
    expect_balance_on_node(wallet(alice, {"--json", "balance", second}, only), i, 1200, 0,
                           spent_at);
    expect_balance_on_node(wallet(alice, {"--json", "balance", address_of(0)}, only), i,
                           kAccountBalance - 5001, 1, spent_at);
  }

  // For people: the balance, which node answered, and the height.
  WalletRun human = wallet(alice, {"balance", "account-1"}, {node_url(2)});
  ASSERT_EQ(human.exit_code, 0) << human.describe();
  EXPECT_NE(human.out.find("balance   1200\n"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("node      " + node_url(2)), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("height    "), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("verified  proof checked"), std::string::npos) << human.out;

  // status and history of the sent transaction.
  std::string id = spend.json["id"];
  WalletRun status = wallet(alice, {"--json", "status", id});
  ASSERT_EQ(status.exit_code, 0) << status.describe();
  EXPECT_EQ(status.json["status"], "committed");
  EXPECT_EQ(status.json["height"], spent_at);
  EXPECT_EQ(status.json["verified"], true);
  WalletRun status_text = wallet(alice, {"status", id});
  EXPECT_NE(status_text.out.find("committed " + id), std::string::npos) << status_text.out;
  WalletRun history = wallet(alice, {"--json", "history", first});
  ASSERT_EQ(history.exit_code, 0) << history.describe();
  ASSERT_EQ(history.json["entries"].size(), 2u) << history.describe();
  EXPECT_EQ(history.json["entries"][0]["id"], id);  // newest first
  EXPECT_EQ(history.json["entries"][0]["role"], "sender");
  EXPECT_EQ(history.json["entries"][0]["height"], spent_at);
  EXPECT_EQ(history.json["entries"][1]["id"], funding.json["id"]);
  EXPECT_EQ(history.json["entries"][1]["role"], "recipient");
  EXPECT_EQ(history.json["more"], false);
}

TEST_F(WalletEndToEndTest, SignedOfflineThenBroadcastFromAnotherMachine) {
  // The signing "machine" has the key and the genesis but no reachable node.
  std::string offline = home("offline");
  std::string key_file = scratch_ + "/key.hex";
  write_text_file(key_file, cluster_->account(1).seed().hex());
  std::vector<std::string> nowhere{loopback_url(closed_port())};
  ASSERT_EQ(wallet(offline, {"import-key", "--key-file", key_file}, nowhere).exit_code, 0);
  std::string recipient = address_of(3);
  std::string file = scratch_ + "/transfer.json";
  WalletRun signed_run = wallet(offline,
                                {"--json", "sign", "--to", recipient, "--amount", "777", "--nonce",
                                 "0", "--fee", "2", "--out", file},
                                nowhere);
  ASSERT_EQ(signed_run.exit_code, 0) << signed_run.describe();
  ASSERT_TRUE(std::filesystem::exists(file));
  std::string id = signed_run.json["id"];
  // Signing again onto the same file is refused: a signed transaction is never overwritten.
  EXPECT_EQ(
      wallet(offline, {"sign", "--to", recipient, "--amount", "1", "--nonce", "1", "--out", file},
             nowhere)
          .exit_code,
      1);

  // A tampered summary is refused before anything is sent.
  std::string tampered = scratch_ + "/tampered.json";
  std::string text = read_whole_file(file);
  size_t amount = text.find("\"777\"");
  ASSERT_NE(amount, std::string::npos);
  write_text_file(tampered, text.substr(0, amount) + "\"7777\"" + text.substr(amount + 5));
  std::string online = home("online");  // no keystore: broadcast needs none
  WalletRun refused = wallet(online, {"--json", "broadcast", tampered});
  EXPECT_EQ(refused.exit_code, 1) << refused.describe();
  EXPECT_NE(refused.json["error"]["message"].get<std::string>().find("does not match"),
            std::string::npos)
      << refused.describe();

  uint64_t before = cluster_->height(0).value();
  WalletRun broadcast = wallet(online, {"--json", "broadcast", file});
  uint64_t height = expect_committed(broadcast);
  EXPECT_EQ(broadcast.json["id"], id);
  EXPECT_GT(height, before);

  ASSERT_TRUE(cluster_->wait_all_for_height(height, 15'000).is_ok());
  for (size_t i = 0; i < cluster_->size(); ++i) {
    std::vector<std::string> only{node_url(i)};
    expect_balance_on_node(wallet(online, {"--json", "balance", recipient}, only), i,
                           kAccountBalance + 777, 0, height);
    expect_balance_on_node(wallet(online, {"--json", "balance", address_of(1)}, only), i,
                           kAccountBalance - 779, 1, height);
  }
  // Broadcasting it once more (a retry) reports the commit; the transfer happened once.
  WalletRun again = wallet(online, {"--json", "broadcast", file});
  EXPECT_EQ(expect_committed(again), height);
  EXPECT_EQ(again.json["id"], id);
  EXPECT_EQ(wallet(online, {"--json", "balance", recipient}).json["balance"],
            std::to_string(kAccountBalance + 777));
}

TEST_F(WalletEndToEndTest, FailuresHaveTheirDocumentedExitCodes) {
  std::string alice = home("alice");
  WalletRun created = wallet(alice, {"--json", "create"});
  ASSERT_EQ(created.exit_code, 0) << created.describe();
  std::string address = created.json["accounts"][0]["address"];

  // Funds too low: refused from the verified balance, nothing sent (exit 2).
  WalletRun poor = wallet(alice, {"--json", "send", "--to", address_of(2), "--amount", "10"});
  EXPECT_EQ(poor.exit_code, 2) << poor.describe();
  EXPECT_EQ(poor.json["error"]["reason"], "insufficient_funds") << poor.describe();
  EXPECT_NE(poor.json["error"]["message"].get<std::string>().find("nothing was sent"),
            std::string::npos);

  // A mistyped address: the checksum catches it (exit 1).
  std::string typo = address_of(2);
  typo[10] = typo[10] == 'q' ? 'p' : 'q';
  WalletRun mistyped = wallet(alice, {"--json", "send", "--to", typo, "--amount", "1"});
  EXPECT_EQ(mistyped.exit_code, 1) << mistyped.describe();
  EXPECT_NE(mistyped.json["error"]["message"].get<std::string>().find("typos"), std::string::npos);

  // A wrong password (exit 5).
  WalletRun wrong = run_wallet(scratch_, {"--home", alice, "--json", "list"},
                               {"SYNOD_WALLET_PASSWORD=not the password"});
  EXPECT_EQ(wrong.exit_code, 5) << wrong.describe();

  // No node reachable (exit 3).
  std::vector<std::string> dead{loopback_url(closed_port()), loopback_url(closed_port())};
  WalletRun unreachable = wallet(alice, {"--json", "balance", address_of(2)}, dead);
  EXPECT_EQ(unreachable.exit_code, 3) << unreachable.describe();
  EXPECT_EQ(unreachable.json["error"]["reason"], "unavailable");

  // A node's refusal, with its reason (exit 2): another transfer with a nonce already used.
  std::string funder = funded_home("funder", 2);
  uint64_t height =
      expect_committed(wallet(funder, {"--json", "send", "--to", address, "--amount", "50"}));
  ASSERT_GT(height, 0u);
  WalletRun replay =
      wallet(funder, {"--json", "send", "--to", address, "--amount", "51", "--nonce", "0"});
  EXPECT_EQ(replay.exit_code, 2) << replay.describe();
  EXPECT_EQ(replay.json["error"]["reason"], "failed_precondition") << replay.describe();
  EXPECT_NE(replay.json["error"]["message"].get<std::string>().find("refused"), std::string::npos)
      << replay.describe();
  WalletRun balance = wallet(alice, {"--json", "balance", address});
  EXPECT_EQ(balance.json["balance"], "50") << balance.describe();
}

TEST_F(WalletEndToEndTest, LyingNodeIsCaughtAndFailedOver) {
  LyingNode liar(rpc::loopback_endpoint(cluster_->rpc_port(1)), cluster_->genesis().chain_id);
  ASSERT_TRUE(liar.start().is_ok());
  std::string watcher = home("watcher");  // reads only: no keystore needed
  std::string address = address_of(0);

  struct AccountLie {
    Lie lie;
    std::string caught_by;  // in the wallet's message
  };
  for (const AccountLie& lie :
       {AccountLie{Lie::kForgedBalance, "the state proof does not show balance"},
        AccountLie{Lie::kForgedProof, "the certificate is for another block"},
        AccountLie{Lie::kForgedCertificate, "does not verify against the genesis validators"}}) {
    SCOPED_TRACE(lie.caught_by);
    liar.set_lie(lie.lie);
    size_t told = liar.lies_told();
    // The liar alone: nothing is believed (exit 4), and the wallet says why.
    WalletRun alone = wallet(watcher, {"--json", "balance", address}, {liar.url()});
    EXPECT_EQ(alone.exit_code, 4) << alone.describe();
    EXPECT_EQ(alone.json["error"]["reason"], "corrupt");
    EXPECT_NE(alone.json["error"]["message"].get<std::string>().find(lie.caught_by),
              std::string::npos)
        << alone.describe();
    EXPECT_GT(liar.lies_told(), told);
    // With an honest node after it: the honest answer, and the liar named.
    WalletRun both = wallet(watcher, {"--json", "balance", address}, {liar.url(), node_url(2)});
    ASSERT_EQ(both.exit_code, 0) << both.describe();
    EXPECT_EQ(both.json["node"], node_url(2));
    ASSERT_EQ(both.json["failures"].size(), 1u) << both.describe();
    EXPECT_EQ(both.json["failures"][0]["node"], liar.url());
    EXPECT_EQ(both.json["failures"][0]["reason"], "corrupt");
    auto honest = cluster_->call(2, "get_account", Json{{"address", address}});
    ASSERT_TRUE(honest.is_ok());
    EXPECT_EQ(both.json["balance"], (*honest)["balance"]);
    // People are warned on stderr.
    WalletRun human = wallet(watcher, {"balance", address}, {liar.url(), node_url(2)});
    EXPECT_EQ(human.exit_code, 0) << human.describe();
    EXPECT_NE(human.err.find("gave a wrong answer"), std::string::npos) << human.describe();
  }

  // A send through the liar first: its forged balance is skipped, the transfer goes through the
  // honest node, and the wallet's result is proven.
  // (From a validator's own funded account: its key file, as synod writes it, imports as is.)
  std::string funder = home("validator");
  WalletRun imported = wallet(funder, {"--json", "import-key", "--key-file",
                                       cluster_->home(3) + "/" + node::kValidatorKeyFileName});
  ASSERT_EQ(imported.exit_code, 0) << imported.describe();
  EXPECT_EQ(
      imported.json["address"],
      chain::Address::from_public_key(cluster_->files(3).validator_key->public_key()).to_string());
  liar.set_lie(Lie::kForgedCertificate);
  WalletRun sent = wallet(funder, {"--json", "send", "--to", address_of(2), "--amount", "9"},
                          {liar.url(), node_url(2)});
  uint64_t height = expect_committed(sent);
  EXPECT_EQ(sent.json["node"], node_url(2));
  EXPECT_FALSE(sent.json["failures"].empty()) << sent.describe();
  std::string id = sent.json["id"];
  ASSERT_TRUE(cluster_->wait_for_height(1, height, 15'000).is_ok());

  // Lies about the transaction: committed somewhere else, or a block whose certificate is not
  // the validators'.
  for (Lie lie : {Lie::kWrongCommitPlace, Lie::kForgedBlockCertificate}) {
    liar.set_lie(lie);
    size_t told = liar.lies_told();
    WalletRun alone = wallet(watcher, {"--json", "status", id}, {liar.url()});
    EXPECT_GT(liar.lies_told(), told);
    EXPECT_EQ(alone.exit_code, 4) << alone.describe();
    EXPECT_NE(alone.json["error"]["message"].get<std::string>().find("does not prove it"),
              std::string::npos)
        << alone.describe();
    WalletRun both = wallet(watcher, {"--json", "status", id}, {liar.url(), node_url(2)});
    ASSERT_EQ(both.exit_code, 0) << both.describe();
    EXPECT_EQ(both.json["status"], "committed");
    EXPECT_EQ(both.json["height"], height);
    EXPECT_EQ(both.json["node"], node_url(2));
    ASSERT_EQ(both.json["failures"].size(), 1u) << both.describe();
    EXPECT_EQ(both.json["failures"][0]["node"], liar.url());
  }
  // Hiding a commit ("pending") cannot be disproved from the liar's own answer, so the wallet
  // asks the other nodes, and the one that proves the commit answers. (A node that is merely
  // behind says the same, so the liar is not named.)
  liar.set_lie(Lie::kHidesCommit);
  size_t told = liar.lies_told();
  WalletRun hidden = wallet(watcher, {"--json", "status", id}, {liar.url(), node_url(2)});
  ASSERT_EQ(hidden.exit_code, 0) << hidden.describe();
  EXPECT_GT(liar.lies_told(), told);
  EXPECT_EQ(hidden.json["status"], "committed") << hidden.describe();
  EXPECT_EQ(hidden.json["height"], height);
  EXPECT_EQ(hidden.json["node"], node_url(2));
  WalletRun fooled = wallet(watcher, {"--json", "status", id}, {liar.url()});
  ASSERT_EQ(fooled.exit_code, 0) << fooled.describe();
  EXPECT_EQ(fooled.json["status"], "pending") << "the liar alone is believed to be behind";

  // A node that accepts a transfer and drops it: no node ever has it, so the wait ends at
  // commit_timeout_ms (exit 7) with a hint; sending again through an honest node commits it once.
  liar.set_lie(Lie::kSwallowsSubmissions);
  write_text_file(funder + "/wallet.toml", "commit_timeout_ms = 3000\npoll_interval_ms = 200\n");
  WalletRun dropped = wallet(funder, {"--json", "send", "--to", address_of(2), "--amount", "4"},
                             {liar.url(), node_url(2)});
  EXPECT_EQ(dropped.exit_code, 7) << dropped.describe();
  EXPECT_EQ(dropped.json["error"]["reason"], "timeout") << dropped.describe();
  EXPECT_NE(dropped.json["error"]["message"].get<std::string>().find("synod-wallet status"),
            std::string::npos)
      << dropped.describe();
  WalletRun retried =
      wallet(funder, {"--json", "send", "--to", address_of(2), "--amount", "4"}, {node_url(2)});
  expect_committed(retried);
  // The same transfer with the same nonce: the same transaction, the one the error names.
  EXPECT_EQ(dropped.json["error"]["id"], retried.json["id"]) << dropped.describe();
}

// Last: it kills node 0 (and brings it back).
TEST_F(WalletEndToEndTest, FailsOverWhenTheFirstNodeIsKilled) {
  std::string funder = funded_home("funder", 1);
  WalletRun before = wallet(funder, {"--json", "balance"});
  ASSERT_EQ(before.exit_code, 0) << before.describe();
  EXPECT_EQ(before.json["node"], node_url(0));
  uint64_t balance = std::stoull(before.json["balance"].get<std::string>());
  uint64_t nonce = std::stoull(before.json["nonce"].get<std::string>());

  cluster_->kill(0);
  ASSERT_FALSE(cluster_->running(0));
  WalletRun after = wallet(funder, {"--json", "balance"});
  ASSERT_EQ(after.exit_code, 0) << after.describe();
  EXPECT_EQ(after.json["node"], node_url(1));
  EXPECT_EQ(after.json["balance"], std::to_string(balance));
  ASSERT_EQ(after.json["failures"].size(), 1u) << after.describe();
  EXPECT_EQ(after.json["failures"][0]["node"], node_url(0));
  EXPECT_EQ(after.json["failures"][0]["reason"], "unavailable");

  // A transfer still commits: the three validators left are a quorum.
  WalletRun sent = wallet(funder, {"--json", "send", "--to", address_of(3), "--amount", "11"});
  uint64_t height = expect_committed(sent);
  EXPECT_NE(sent.json["node"], node_url(0));
  WalletRun spent = wallet(funder, {"--json", "balance"}, {node_url(3)});
  expect_balance_on_node(spent, 3, balance - 12, nonce + 1, height);

  // Node 0 comes back and catches up to the same proven balance.
  ASSERT_TRUE(cluster_->restart(0).is_ok());
  Status caught_up = cluster_->wait_for_height(0, height, 30'000);
  ASSERT_TRUE(caught_up.is_ok()) << caught_up.to_string() << "\n" << cluster_->log_tail(0);
  expect_balance_on_node(wallet(funder, {"--json", "balance"}, {node_url(0)}), 0, balance - 12,
                         nonce + 1, height);
}

}  // namespace
}  // namespace synod

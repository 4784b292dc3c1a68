// Real processes: 4 `synod start` validators on 127.0.0.1 (cluster::LocalCluster), driven over
// JSON-RPC and the p2p port. Each test is bounded (about a minute at most) and the LocalCluster
// kills the processes it started by PID when the test ends, also when it fails.
//
//   transfers over RPC commit on every node with identical state roots;
//   SIGKILL of one validator under load does not stop the chain; it restarts, catches up by block
//   sync, and no transaction any node reported committed is missing anywhere;
//   a node started later from an empty folder syncs the whole chain;
//   random bytes on the p2p port, and invalid transactions or consensus signatures from a peer
//   that completed the handshake, get that peer dropped while the node keeps committing;
//   malformed RPC requests get JSON-RPC or HTTP errors and the node keeps serving;
//   the folders `synod testnet` writes start and commit.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/codec.h"
#include "chain/transaction.h"
#include "cluster/local_cluster.h"
#include "consensus/pbft/messages.h"
#include "net/transport.h"
#include "node/protocol.h"
#include "node/test_support.h"
#include "rpc/http_client.h"

namespace synod {
namespace {

using cluster::LocalCluster;
using node::testing::steady_ms;
using node::testing::TempDir;
using rpc::Json;

constexpr uint32_t kValidators = 4;
constexpr uint32_t kSenders = 4;

void sleep_ms(uint64_t ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

// A cluster of kValidators validators (plus `followers`) with kSenders funded accounts, started
// unless `start` is false. Fails the test (returns null) when it cannot.
std::unique_ptr<LocalCluster> make_cluster(const TempDir& dir, uint32_t followers = 0,
                                           bool start = true) {
  cluster::ClusterOptions options;
  options.root = dir.sub("net");
  options.validators = kValidators;
  options.followers = followers;
  options.base_port = 0;
  options.accounts = kSenders;
  options.account_seed = "cluster-process-test";
  options.genesis.chain_id = "synod-cluster-test";
  options.genesis.block_interval_ms = 200;
  options.genesis.round_timeout_ms = 1'000;
  options.synod_binary = SYNOD_BINARY;
  auto made = LocalCluster::create(options);
  EXPECT_TRUE(made.is_ok()) << made.status().to_string();
  if (!made.is_ok()) return nullptr;
  std::unique_ptr<LocalCluster> cluster = std::move(made).value();
  if (start) {
    for (uint32_t i = 0; i < kValidators; ++i)
      EXPECT_TRUE(cluster->start(i).is_ok());
  }
  return cluster;
}

std::string logs(LocalCluster& cluster) {
  std::string out;
  for (size_t i = 0; i < cluster.size(); ++i) {
    out += "---- node" + std::to_string(i) + " (" + cluster.log_path(i) + ")\n" +
           cluster.log_tail(i, 2500);
  }
  return out;
}

// Node i's height, 0 when it does not answer.
uint64_t height_or_zero(LocalCluster& cluster, size_t i) {
  auto height = cluster.height(i);
  return height.is_ok() ? *height : 0;
}

// The lowest height over `nodes`, 0 when one does not answer.
uint64_t min_height(LocalCluster& cluster, const std::vector<size_t>& nodes) {
  uint64_t lowest = UINT64_MAX;
  for (size_t i : nodes) {
    auto height = cluster.height(i);
    lowest = std::min(lowest, height.is_ok() ? *height : 0);
  }
  return lowest;
}

std::vector<size_t> all_nodes(const LocalCluster& cluster) {
  std::vector<size_t> nodes;
  for (size_t i = 0; i < cluster.size(); ++i)
    nodes.push_back(i);
  return nodes;
}

// Transfers from the genesis-funded accounts, each sender's nonces in order, spread over the
// nodes that are up. A transaction is a function of (sender, nonce), so one resubmitted after a
// node died with it in its mempool is the same transaction with the same id.
class TransferLoad {
 public:
  explicit TransferLoad(LocalCluster& cluster) : cluster_(cluster) {
    for (uint32_t i = 0; i < kSenders; ++i)
      senders_.push_back(Sender{cluster.account(i)});
  }

  // Submits for `duration_ms` to the nodes in `targets`, at most kInFlightMax per sender above
  // its committed nonce.
  void run(uint64_t duration_ms, const std::vector<size_t>& targets) {
    const uint64_t end = steady_ms() + duration_ms;
    while (steady_ms() < end) {
      if (steady_ms() >= refresh_at_ms_) refresh(targets);
      for (Sender& sender : senders_) {
        if (sender.next_nonce < sender.committed_nonce + kInFlightMax) submit(sender, targets);
      }
      sleep_ms(40);
    }
  }

  // Every id submitted (accepted or not).
  const std::map<std::string, std::pair<uint32_t, uint64_t>>& ids() const { return ids_; }
  uint64_t accepted() const { return accepted_; }

 private:
  static constexpr uint64_t kInFlightMax = 12;
  struct Sender {
    crypto::KeyPair key;
    uint64_t next_nonce = 0;
    uint64_t committed_nonce = 0;
    uint64_t stalled_since_ms = 0;
  };

  chain::Transaction transfer(const Sender& sender, uint64_t nonce) const {
    const crypto::KeyPair& to = senders_[(index_of(sender) + 1) % senders_.size()].key;
    return chain::make_transfer(cluster_.genesis().chain_id, sender.key, nonce, 1,
                                chain::Address::from_public_key(to.public_key()), 1 + nonce % 7);
  }
  size_t index_of(const Sender& sender) const { return &sender - senders_.data(); }

  void submit(Sender& sender, const std::vector<size_t>& targets) {
    const chain::Transaction tx = transfer(sender, sender.next_nonce);
    const size_t node = targets[next_target_++ % targets.size()];
    auto reply =
        cluster_.call(node, "submit_transaction", Json{{"transaction", to_hex(encode(tx))}}, 1'000);
    ids_[tx.id().hex()] = {static_cast<uint32_t>(index_of(sender)), sender.next_nonce};
    const bool duplicate =
        !reply.is_ok() && reply.status().message().find("already") != std::string::npos;
    if (reply.is_ok() || duplicate) {
      ++sender.next_nonce;
      ++accepted_;
    }
  }

  // Committed nonces from a node that answers; a sender stuck for 2 s (its next transaction died
  // with a killed node's mempool) starts again from its committed nonce.
  void refresh(const std::vector<size_t>& targets) {
    refresh_at_ms_ = steady_ms() + 300;
    for (Sender& sender : senders_) {
      const std::string address =
          chain::Address::from_public_key(sender.key.public_key()).to_string();
      for (size_t node : targets) {
        auto account = cluster_.call(node, "get_account", Json{{"address", address}}, 1'000);
        if (!account.is_ok() || !(*account)["nonce"].is_string()) continue;
        const uint64_t nonce = std::stoull((*account)["nonce"].get<std::string>());
        if (nonce > sender.committed_nonce || sender.next_nonce == sender.committed_nonce) {
          sender.stalled_since_ms = steady_ms();
        }
        sender.committed_nonce = std::max(sender.committed_nonce, nonce);
        if (steady_ms() > sender.stalled_since_ms + 2'000) {
          sender.next_nonce = sender.committed_nonce;
          sender.stalled_since_ms = steady_ms();
        }
        sender.next_nonce = std::max(sender.next_nonce, sender.committed_nonce);
        break;
      }
    }
  }

  LocalCluster& cluster_;
  std::vector<Sender> senders_;
  std::map<std::string, std::pair<uint32_t, uint64_t>> ids_;
  size_t next_target_ = 0;
  uint64_t refresh_at_ms_ = 0;
  uint64_t accepted_ = 0;
};

// get_transaction of each id on node i, in batches: id → committed height (absent: not
// committed there). Fails the test when the node does not answer.
std::map<std::string, uint64_t> committed_on(LocalCluster& cluster, size_t i,
                                             const std::vector<std::string>& ids) {
  std::map<std::string, uint64_t> committed;
  rpc::JsonRpcClient client(cluster.rpc_endpoint(i));
  for (size_t from = 0; from < ids.size(); from += 200) {
    std::vector<rpc::JsonRpcCall> calls;
    for (size_t k = from; k < std::min(ids.size(), from + 200); ++k) {
      calls.push_back(rpc::JsonRpcCall{"get_transaction", Json{{"id", ids[k]}}});
    }
    auto replies = client.batch(calls);
    EXPECT_TRUE(replies.is_ok()) << "node" << i << ": " << replies.status().to_string();
    if (!replies.is_ok()) return committed;
    for (size_t k = 0; k < replies->size(); ++k) {
      const rpc::JsonRpcReply& reply = (*replies)[k];
      if (reply.ok() && (*reply.result)["status"] == "committed") {
        committed[ids[from + k]] = (*reply.result)["height"].get<uint64_t>();
      }
    }
  }
  return committed;
}

// Block `height` on every node in `nodes`: same hash, same state root. Returns the state root.
std::string expect_same_block(LocalCluster& cluster, uint64_t height,
                              const std::vector<size_t>& nodes) {
  std::optional<std::string> hash;
  std::optional<std::string> root;
  for (size_t i : nodes) {
    auto block = cluster.call(i, "get_block", Json{{"height", height}});
    EXPECT_TRUE(block.is_ok()) << "node" << i << " block " << height << ": "
                               << block.status().to_string();
    if (!block.is_ok()) continue;
    const std::string this_hash = (*block)["hash"].get<std::string>();
    const std::string this_root = (*block)["header"]["state_root"].get<std::string>();
    if (!hash) {
      hash = this_hash;
      root = this_root;
    }
    EXPECT_EQ(this_hash, *hash) << "node" << i << " at height " << height;
    EXPECT_EQ(this_root, *root) << "node" << i << " at height " << height;
  }
  return root.value_or("");
}

// Every id that any node in `nodes` reports committed is committed on all of them, at the same
// height. Returns how many ids are committed.
size_t expect_no_lost_transaction(LocalCluster& cluster, const TransferLoad& load,
                                  const std::vector<size_t>& nodes) {
  std::vector<std::string> ids;
  for (const auto& [id, origin] : load.ids())
    ids.push_back(id);
  std::vector<std::map<std::string, uint64_t>> committed;
  for (size_t i : nodes)
    committed.push_back(committed_on(cluster, i, ids));
  std::map<std::string, uint64_t> any;
  for (const auto& on_node : committed)
    any.insert(on_node.begin(), on_node.end());
  for (size_t n = 0; n < nodes.size(); ++n) {
    for (const auto& [id, height] : any) {
      auto found = committed[n].find(id);
      if (found == committed[n].end()) {
        ADD_FAILURE() << "tx " << id << " committed at height " << height
                      << " elsewhere is missing on node" << nodes[n];
      } else {
        EXPECT_EQ(found->second, height) << "tx " << id << " on node" << nodes[n];
      }
    }
  }
  return any.size();
}

TEST(ClusterProcessTest, TransfersOverRpcCommitEverywhereWithIdenticalStateRoots) {
  TempDir dir;
  auto cluster = make_cluster(dir);
  ASSERT_TRUE(cluster);
  ASSERT_TRUE(cluster->wait_all_for_height(2, 30'000).is_ok()) << logs(*cluster);

  TransferLoad load(*cluster);
  load.run(3'000, all_nodes(*cluster));
  ASSERT_GT(load.accepted(), 20u);
  // Wait until every node has committed all of them, then compare.
  std::vector<std::string> ids;
  for (const auto& [id, origin] : load.ids())
    ids.push_back(id);
  const bool all_committed = LocalCluster::wait_until(
      [&] {
        for (size_t i = 0; i < cluster->size(); ++i) {
          if (committed_on(*cluster, i, ids).size() != ids.size()) return false;
        }
        return true;
      },
      20'000, 300);
  ASSERT_TRUE(all_committed) << logs(*cluster);
  EXPECT_EQ(expect_no_lost_transaction(*cluster, load, all_nodes(*cluster)), ids.size());
  std::printf("%zu transfers committed on all four nodes\n", ids.size());

  const uint64_t height = min_height(*cluster, all_nodes(*cluster));
  ASSERT_GT(height, 2u);
  for (uint64_t h = 1; h <= height; ++h)
    expect_same_block(*cluster, h, all_nodes(*cluster));
  // The accounts agree too, from every node.
  const std::string address =
      chain::Address::from_public_key(cluster->account(1).public_key()).to_string();
  std::optional<std::string> balance;
  for (size_t i = 0; i < cluster->size(); ++i) {
    auto account = cluster->call(i, "get_account", Json{{"address", address}});
    ASSERT_TRUE(account.is_ok()) << account.status().to_string();
    if (!balance) balance = (*account)["balance"].get<std::string>();
    EXPECT_EQ((*account)["balance"], *balance) << "node" << i;
  }
  EXPECT_NE(*balance, "1000000000");  // it did move
}

TEST(ClusterProcessTest, KilledValidatorRestartsCatchesUpAndNoCommittedTransactionIsLost) {
  TempDir dir;
  auto cluster = make_cluster(dir);
  ASSERT_TRUE(cluster);
  ASSERT_TRUE(cluster->wait_all_for_height(2, 30'000).is_ok()) << logs(*cluster);
  TransferLoad load(*cluster);
  load.run(2'000, all_nodes(*cluster));

  // SIGKILL the validator the others follow as primary now, under load.
  auto status = cluster->call(0, "get_status");
  ASSERT_TRUE(status.is_ok());
  size_t victim = 3;
  for (size_t i = 0; i < cluster->size(); ++i) {
    if ((*status)["leader"] == cluster->files(i).validator_key->public_key().hex()) victim = i;
  }
  std::vector<size_t> survivors;
  for (size_t i = 0; i < cluster->size(); ++i) {
    if (i != victim) survivors.push_back(i);
  }
  const int killed = cluster->kill(victim);
  EXPECT_TRUE(WIFSIGNALED(killed) && WTERMSIG(killed) == SIGKILL);
  const uint64_t at_kill = min_height(*cluster, survivors);

  // The other three go on committing, with the load still running.
  load.run(6'000, survivors);
  ASSERT_TRUE(cluster->wait_all_for_height(at_kill + 5, 20'000, survivors).is_ok())
      << "killed node" << victim << "\n"
      << logs(*cluster);

  // The killed node restarts from its folder and catches up by block sync.
  const uint64_t log_offset = cluster->log_tail(victim, 1 << 30).size();
  const uint64_t at_restart = min_height(*cluster, survivors);
  ASSERT_TRUE(cluster->start(victim).is_ok());
  load.run(3'000, all_nodes(*cluster));
  const uint64_t target = min_height(*cluster, survivors);
  ASSERT_TRUE(cluster->wait_for_height(victim, std::max(target, at_restart) + 2, 30'000).is_ok())
      << logs(*cluster);
  const std::string after_restart = cluster->log_tail(victim, 1 << 30).substr(log_offset);
  EXPECT_NE(after_restart.find("sync: "), std::string::npos) << after_restart;

  // Everything any node reports committed is committed on all four at the same height.
  const uint64_t top = [&] {
    uint64_t highest = 0;
    for (size_t i = 0; i < cluster->size(); ++i)
      highest = std::max(highest, height_or_zero(*cluster, i));
    return highest;
  }();
  ASSERT_TRUE(cluster->wait_all_for_height(top, 20'000).is_ok()) << logs(*cluster);
  const size_t committed = expect_no_lost_transaction(*cluster, load, all_nodes(*cluster));
  EXPECT_GT(committed, 20u);
  expect_same_block(*cluster, top, all_nodes(*cluster));
  std::printf(
      "killed node%zu (%s) at height %llu; the other three went on to %llu; it restarted, "
      "caught up, and %zu of %zu submitted transactions are committed on all four by height "
      "%llu\n",
      victim, (*status)["leader"].is_string() ? "the primary" : "a validator",
      static_cast<unsigned long long>(at_kill), static_cast<unsigned long long>(at_restart),
      committed, load.ids().size(), static_cast<unsigned long long>(top));
}

TEST(ClusterProcessTest, NodeStartedLaterFromAnEmptyFolderSyncsTheWholeChain) {
  TempDir dir;
  auto cluster = make_cluster(dir, /*followers=*/1);
  ASSERT_TRUE(cluster);
  const size_t late = kValidators;  // the follower, never started yet: no data folder
  ASSERT_FALSE(std::filesystem::exists(cluster->files(late).config.data_path()));
  TransferLoad load(*cluster);
  std::vector<size_t> validators = {0, 1, 2, 3};
  ASSERT_TRUE(cluster->wait_all_for_height(2, 30'000, validators).is_ok()) << logs(*cluster);
  load.run(3'000, validators);
  ASSERT_TRUE(cluster->wait_all_for_height(15, 30'000, validators).is_ok()) << logs(*cluster);

  ASSERT_TRUE(cluster->start(late).is_ok());
  const uint64_t target = min_height(*cluster, validators);
  ASSERT_TRUE(cluster->wait_for_height(late, target + 1, 30'000).is_ok()) << logs(*cluster);
  for (uint64_t h = 1; h <= target; ++h)
    expect_same_block(*cluster, h, all_nodes(*cluster));
  auto status = cluster->call(late, "get_status");
  ASSERT_TRUE(status.is_ok());
  EXPECT_FALSE(status->contains("validator_key") && (*status)["validator_key"].is_string());
  EXPECT_GT(expect_no_lost_transaction(*cluster, load, all_nodes(*cluster)), 10u);
}

// ---- Bad peers on the p2p port ----

int connect_tcp(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// True when the other side closes `fd` within `timeout_ms` (reads return 0 or an error other than
// a timeout); bytes it sends first are read and ignored.
bool closed_by_peer(int fd, uint64_t timeout_ms) {
  const uint64_t deadline = steady_ms() + timeout_ms;
  char buffer[4096];
  while (steady_ms() < deadline) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n == 0) return true;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return true;
  }
  return false;
}

// A peer of our own: a Transport with its own node key, on the network's genesis.
struct TestPeer {
  explicit TestPeer(const chain::Genesis& genesis)
      : transport(crypto::KeyPair::generate(), [&] {
          net::TransportConfig config;
          config.genesis_hash = genesis.hash();
          config.peer_exchange = false;
          config.reconnect_delay_ms_min = 60'000;
          return config;
        }()) {}

  // Waits for the handshake with the node listening at `endpoint`; its node id.
  std::optional<net::NodeId> connect(const net::Endpoint& endpoint) {
    if (!transport.start("", 0).is_ok() || !transport.connect(endpoint).is_ok()) return {};
    const uint64_t deadline = steady_ms() + 10'000;
    while (steady_ms() < deadline) {
      auto event = transport.wait(100);
      if (!event) continue;
      if (auto* connected = std::get_if<net::PeerConnected>(&*event)) return connected->node_id;
    }
    return {};
  }

  // Waits up to timeout_ms for the node to drop us; the reason.
  std::optional<std::string> wait_disconnected(uint64_t timeout_ms) {
    const uint64_t deadline = steady_ms() + timeout_ms;
    while (steady_ms() < deadline) {
      auto event = transport.wait(100);
      if (!event) continue;
      if (auto* gone = std::get_if<net::PeerDisconnected>(&*event)) return gone->reason;
    }
    return {};
  }

  net::Transport transport;
};

bool node_lists_peer(LocalCluster& cluster, size_t i, const net::NodeId& peer) {
  auto status = cluster.call(i, "get_status");
  if (!status.is_ok()) return false;
  for (const Json& entry : (*status)["peers"]) {
    if (entry["node_key"] == peer.hex()) return true;
  }
  return false;
}

TEST(ClusterProcessTest, PeersSendingGarbageOrInvalidSignaturesAreDroppedWhileTheNodeCommits) {
  TempDir dir;
  auto cluster = make_cluster(dir);
  ASSERT_TRUE(cluster);
  ASSERT_TRUE(cluster->wait_all_for_height(2, 30'000).is_ok()) << logs(*cluster);
  const net::Endpoint target = cluster->p2p_endpoint(0);
  std::mt19937_64 random(steady_ms());

  // 1. Random bytes instead of a handshake: the connection is closed.
  for (int attempt = 0; attempt < 3; ++attempt) {
    const int fd = connect_tcp(target.port);
    ASSERT_GE(fd, 0);
    std::string garbage(64 * 1024, '\0');
    for (char& c : garbage)
      c = static_cast<char>(random());
    (void)::send(fd, garbage.data(), garbage.size(), MSG_NOSIGNAL);
    EXPECT_TRUE(closed_by_peer(fd, 10'000)) << "attempt " << attempt;
    ::close(fd);
  }

  // 2. A peer that completes the handshake, then sends transactions with bad signatures.
  {
    TestPeer peer(cluster->genesis());
    auto node_id = peer.connect(target);
    ASSERT_TRUE(node_id.has_value()) << "handshake with node0 failed\n" << logs(*cluster);
    EXPECT_TRUE(LocalCluster::wait_until(
        [&] { return node_lists_peer(*cluster, 0, peer.transport.node_id()); }, 5'000));
    chain::Transaction tx =
        chain::make_transfer(cluster->genesis().chain_id, cluster->account(0), 0, 1,
                             chain::Address::from_public_key(cluster->account(1).public_key()), 5);
    tx.signature.data[0] ^= 0x55;
    std::optional<std::string> reason;
    for (int batch = 0; batch < 40 && !reason; ++batch) {
      tx.nonce = static_cast<uint64_t>(batch);
      (void)peer.transport.send(*node_id, net::Channel::kTransactions,
                                node::encode_transaction_batch({encode(tx)}));
      reason = peer.wait_disconnected(100);
    }
    ASSERT_TRUE(reason.has_value()) << "node0 kept a peer sending invalid transactions\n"
                                    << cluster->log_tail(0);
    // The peer hears the goodbye before node0 has finished closing: wait for its list, bounded.
    EXPECT_TRUE(LocalCluster::wait_until(
        [&] { return !node_lists_peer(*cluster, 0, peer.transport.node_id()); }, 5'000));
  }

  // 3. Another peer sends consensus votes with invalid signatures, claiming to be validator 1.
  {
    TestPeer peer(cluster->genesis());
    auto node_id = peer.connect(target);
    ASSERT_TRUE(node_id.has_value()) << "handshake with node0 failed\n" << logs(*cluster);
    const uint64_t height = height_or_zero(*cluster, 0);
    std::optional<std::string> reason;
    for (int n = 0; n < 60 && !reason; ++n) {
      consensus::pbft::Vote vote;
      vote.type = consensus::pbft::MessageType::kPrepare;
      vote.height = height + 1;
      vote.view = 0;
      for (auto& byte : vote.block_hash.data)
        byte = static_cast<uint8_t>(random());
      vote.sig.signer = cluster->files(1).validator_key->public_key();
      for (auto& byte : vote.sig.signature.data)
        byte = static_cast<uint8_t>(random());
      (void)peer.transport.send(*node_id, net::Channel::kConsensus,
                                consensus::pbft::encode_message(vote));
      reason = peer.wait_disconnected(100);
    }
    ASSERT_TRUE(reason.has_value()) << "node0 kept a peer sending forged consensus votes\n"
                                    << cluster->log_tail(0);
    // The peer hears the goodbye before node0 has finished closing: wait for its list, bounded.
    EXPECT_TRUE(LocalCluster::wait_until(
        [&] { return !node_lists_peer(*cluster, 0, peer.transport.node_id()); }, 5'000));
  }

  // The node kept committing throughout and still serves.
  const uint64_t now = height_or_zero(*cluster, 0);
  EXPECT_TRUE(cluster->wait_for_height(0, now + 3, 15'000).is_ok()) << logs(*cluster);
  EXPECT_TRUE(cluster->running(0));
}

// ---- Malformed RPC ----

// Sends `request` raw to the RPC port and reads until the server closes or `timeout_ms` passes.
std::string raw_http(uint16_t port, const std::string& request, uint64_t timeout_ms = 5'000) {
  const int fd = connect_tcp(port);
  if (fd < 0) return "";
  (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  std::string answer;
  char buffer[4096];
  const uint64_t deadline = steady_ms() + timeout_ms;
  while (steady_ms() < deadline) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      answer.append(buffer, static_cast<size_t>(n));
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      break;
    }
  }
  ::close(fd);
  return answer;
}

std::string post(const std::string& body, const std::string& extra_headers = "") {
  return "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: "
         "application/json\r\n" +
         extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// The JSON-RPC error code in an HTTP answer, 0 when there is none.
int rpc_error_code(const std::string& answer) {
  const size_t split = answer.find("\r\n\r\n");
  if (split == std::string::npos) return 0;
  Json body = Json::parse(answer.substr(split + 4), nullptr, false);
  if (!body.is_object() || !body.contains("error")) return 0;
  return body["error"]["code"].get<int>();
}

int http_status(const std::string& answer) {
  if (answer.rfind("HTTP/1.1 ", 0) != 0) return 0;
  return std::atoi(answer.c_str() + 9);
}

TEST(ClusterProcessTest, MalformedRpcRequestsGetErrorsAndTheNodeKeepsServing) {
  TempDir dir;
  auto cluster = make_cluster(dir);
  ASSERT_TRUE(cluster);
  ASSERT_TRUE(cluster->wait_all_for_height(1, 30'000).is_ok()) << logs(*cluster);
  const uint16_t port = cluster->rpc_port(0);

  EXPECT_EQ(rpc_error_code(raw_http(port, post("{\"jsonrpc\": \"2.0\", \"id\": 1, \"meth"))),
            -32700);
  EXPECT_EQ(rpc_error_code(raw_http(port, post(R"({"jsonrpc":"2.0","id":1,"method":"nope"})"))),
            -32601);
  EXPECT_EQ(
      rpc_error_code(raw_http(
          port, post(R"({"jsonrpc":"2.0","id":1,"method":"get_block","params":{"height":"x"}})"))),
      -32602);
  EXPECT_EQ(
      rpc_error_code(raw_http(
          port,
          post(R"({"jsonrpc":"2.0","id":1,"method":"get_transaction","params":{"id":[1,2]}})"))),
      -32602);
  EXPECT_EQ(
      rpc_error_code(raw_http(
          port,
          post(
              R"({"jsonrpc":"2.0","id":1,"method":"submit_transaction","params":{"transaction":"zz"}})"))),
      -32602);
  EXPECT_EQ(rpc_error_code(raw_http(port, post("[]"))), -32600);
  EXPECT_EQ(rpc_error_code(raw_http(port, post("{\"jsonrpc\":\"2.0\",\"id\":1}"))), -32600);
  std::string deep(100'000, '[');
  EXPECT_EQ(rpc_error_code(raw_http(port, post(deep))), -32700);

  // An oversized body is refused from its Content-Length, before it is read.
  const std::string oversized = raw_http(
      port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n{\"jsonrpc\":");
  EXPECT_EQ(http_status(oversized), 413) << oversized;
  std::string big_body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"get_status\",\"x\":\"" +
                         std::string(5 * 1024 * 1024, 'a') + "\"}";
  const std::string big = raw_http(port, post(big_body));
  EXPECT_TRUE(http_status(big) == 413 || rpc_error_code(big) != 0) << big.substr(0, 200);

  // Garbage bytes: an HTTP error (or a closed connection), never a crash.
  std::mt19937_64 random(steady_ms());
  for (int round = 0; round < 5; ++round) {
    std::string garbage(2'000, '\0');
    for (char& c : garbage)
      c = static_cast<char>(random());
    const std::string answer = raw_http(port, garbage);
    EXPECT_TRUE(answer.empty() || http_status(answer) >= 400) << answer.substr(0, 100);
  }
  EXPECT_EQ(http_status(raw_http(port, "GET / HTTP/9.9\r\n\r\n")), 505);

  // Slowloris: many connections that send half a request and stay open. The node still answers
  // others at once.
  std::vector<int> slow;
  for (int n = 0; n < 40; ++n) {
    const int fd = connect_tcp(port);
    ASSERT_GE(fd, 0);
    const std::string partial = "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n";
    (void)::send(fd, partial.data(), partial.size(), MSG_NOSIGNAL);
    slow.push_back(fd);
  }
  for (int n = 0; n < 5; ++n) {
    const uint64_t start = steady_ms();
    auto height = cluster->height(0);
    EXPECT_TRUE(height.is_ok()) << height.status().to_string();
    EXPECT_LT(steady_ms() - start, 1'500u);
    for (int fd : slow)
      (void)::send(fd, "X", 1, MSG_NOSIGNAL);
    sleep_ms(200);
  }
  for (int fd : slow)
    ::close(fd);

  // Still serving and committing; a well-formed batch still works.
  const uint64_t now = height_or_zero(*cluster, 0);
  EXPECT_TRUE(cluster->wait_for_height(0, now + 2, 15'000).is_ok()) << logs(*cluster);
  rpc::JsonRpcClient client(cluster->rpc_endpoint(0));
  auto replies = client.batch({{"get_status", nullptr}, {"nope", nullptr}});
  ASSERT_TRUE(replies.is_ok()) << replies.status().to_string();
  EXPECT_TRUE((*replies)[0].ok());
  EXPECT_EQ((*replies)[1].error_code(), -32601);
  EXPECT_TRUE(cluster->running(0));
}

// ---- synod testnet ----

int run_synod(const std::vector<std::string>& args, const std::string& output) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    FILE* out = std::freopen(output.c_str(), "w", stdout);
    (void)out;
    std::vector<char*> argv;
    std::vector<std::string> copy = args;
    argv.push_back(const_cast<char*>(SYNOD_BINARY));
    for (std::string& arg : copy)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    ::execv(SYNOD_BINARY, argv.data());
    ::_exit(127);
  }
  int status = -1;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(ClusterProcessTest, TestnetFoldersOnOneHostStartAndCommit) {
  TempDir dir;
  auto base = cluster::pick_base_port(8);
  ASSERT_TRUE(base.is_ok());
  const std::string out = dir.sub("testnet");
  ASSERT_EQ(run_synod({"testnet", "--hosts", "127.0.0.1", "--validators-per-host", "4",
                       "--p2p-port", std::to_string(*base), "--rpc-port", std::to_string(*base + 1),
                       "--out", out, "--block-interval-ms", "200"},
                      dir.sub("testnet.txt")),
            0);
  // Bad host lists fail with exit code 2 and write nothing.
  EXPECT_EQ(run_synod({"testnet", "--hosts", "127.0.0.1,127.0.0.1", "--out", dir.sub("bad")},
                      dir.sub("bad.txt")),
            2);
  EXPECT_FALSE(std::filesystem::exists(dir.sub("bad")));

  auto opened = LocalCluster::open(out, SYNOD_BINARY);
  ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
  LocalCluster& testnet = **opened;
  ASSERT_EQ(testnet.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(testnet.files(i).config.p2p.listen_port, *base + 2 * i);
    ASSERT_TRUE(testnet.start(i).is_ok());
  }
  EXPECT_TRUE(testnet.wait_all_for_height(3, 40'000).is_ok()) << logs(testnet);
  expect_same_block(testnet, 3, all_nodes(testnet));
  EXPECT_EQ(testnet.stop_all(SIGTERM), 0) << logs(testnet);
}

}  // namespace
}  // namespace synod

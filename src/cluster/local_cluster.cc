#include "cluster/local_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "base/codec.h"
#include "crypto/hash.h"

namespace synod::cluster {
namespace {

namespace fs = std::filesystem;

uint64_t steady_ms() {
  using namespace std::chrono;
  return static_cast<uint64_t>(
      duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

std::string node_home(const std::string& root, size_t index) {
  return fmt::format("{}/node{}", root, index);
}

bool port_free(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return bound;
}

Status check_options(const ClusterOptions& options) {
  const uint64_t nodes = uint64_t{options.validators} + options.followers;
  if (options.root.empty()) return error(Code::kInvalidArgument, "cluster: no root folder");
  if (options.validators < 1 || nodes > kNodesMax) {
    return error(Code::kInvalidArgument,
                 fmt::format("cluster: 1..{} nodes with at least one validator", kNodesMax));
  }
  if (options.base_port != 0 &&
      (options.base_port < 1024 || options.base_port + 2 * nodes - 1 > 65535)) {
    return error(Code::kInvalidArgument,
                 fmt::format("cluster: base port {} leaves no room for {} nodes (1024..65535)",
                             options.base_port, nodes));
  }
  if (options.accounts > kAccountsMax) {
    return error(Code::kInvalidArgument,
                 fmt::format("cluster: at most {} extra accounts", kAccountsMax));
  }
  if (!node::is_log_level(options.log_level)) {
    return error(Code::kInvalidArgument, "cluster: unknown log level " + options.log_level);
  }
  return Status::ok();
}

Status make_root(const std::string& root) {
  std::error_code code;
  if (fs::exists(root, code) && !fs::is_empty(root, code)) {
    return error(Code::kAlreadyExists, root + ": is not empty (refusing to write a cluster)");
  }
  fs::create_directories(root, code);
  if (code) return error(Code::kIoError, root + ": cannot create: " + code.message());
  return Status::ok();
}

}  // namespace

crypto::KeyPair account_key(std::string_view seed, uint32_t index) {
  Writer writer;
  writer.raw(as_bytes(seed));
  writer.u32(index);
  const Hash256 digest = crypto::tagged_hash("synod/localnet/account", writer.buffer());
  crypto::Seed key_seed;
  std::memcpy(key_seed.data.data(), digest.data.data(), key_seed.size());
  return crypto::KeyPair::from_seed(key_seed);
}

Result<uint16_t> pick_base_port(uint32_t count) {
  std::mt19937 random(std::random_device{}() ^ static_cast<uint32_t>(::getpid()));
  for (int attempt = 0; attempt < 200; ++attempt) {
    // Below Linux's ephemeral range (32768..60999), so no outgoing connection on this machine
    // takes one of them between this check and the nodes binding them.
    const uint32_t base = 20000 + random() % (12768 - count);
    bool all_free = true;
    for (uint32_t port = base; port < base + count && all_free; ++port) {
      all_free = port_free(static_cast<uint16_t>(port));
    }
    if (all_free) return static_cast<uint16_t>(base);
  }
  return error(Code::kUnavailable, fmt::format("no {} free ports in a row on 127.0.0.1", count));
}

Result<node::NetworkHomes> write_cluster_homes(const ClusterOptions& input) {
  ClusterOptions options = input;
  SYNOD_TRY(check_options(options));
  const uint32_t count = options.validators + options.followers;
  if (options.base_port == 0) {
    SYNOD_ASSIGN_OR_RETURN(options.base_port, pick_base_port(2 * count));
  }
  std::vector<node::NetworkNode> nodes;
  std::vector<net::Endpoint> endpoints;
  for (uint32_t i = 0; i < count; ++i) {
    node::NetworkNode node;
    node.validator = i < options.validators;
    node.config.home = node_home(options.root, i);
    node.config.log_level = options.log_level;
    node.config.index_transactions = options.index_transactions;
    node.config.p2p.listen_port = static_cast<uint16_t>(options.base_port + 2 * i);
    node.config.rpc.listen_port = static_cast<uint16_t>(options.base_port + 2 * i + 1);
    node.config.rpc.token = node::random_token();
    endpoints.push_back(net::Endpoint{"127.0.0.1", node.config.p2p.listen_port});
    nodes.push_back(std::move(node));
  }
  node::connect_full_mesh(nodes, endpoints);
  node::GenesisOptions genesis = options.genesis;
  for (uint32_t i = 0; i < options.accounts; ++i) {
    genesis.accounts.push_back(chain::GenesisAccount{
        chain::Address::from_public_key(account_key(options.account_seed, i).public_key()),
        options.account_balance});
  }
  SYNOD_TRY(make_root(options.root));
  return node::write_network_homes(genesis, nodes);
}

LocalCluster::LocalCluster(std::string root, std::string binary, std::string account_seed,
                           int death_signal)
    : root_(std::move(root)),
      binary_(std::move(binary)),
      account_seed_(std::move(account_seed)),
      death_signal_(death_signal) {}

LocalCluster::~LocalCluster() {
  for (Child& child : nodes_) {
    if (child.pid <= 0) continue;
    ::kill(child.pid, SIGKILL);
    int status = 0;
    ::waitpid(child.pid, &status, 0);
    child.pid = -1;
  }
}

Result<std::unique_ptr<LocalCluster>> LocalCluster::create(ClusterOptions options) {
  if (options.base_port == 0) {
    SYNOD_ASSIGN_OR_RETURN(options.base_port,
                           pick_base_port(2 * (options.validators + options.followers)));
  }
  SYNOD_TRY(write_cluster_homes(options).status());
  return open(options.root, options.synod_binary, options.account_seed,
              options.parent_death_signal);
}

Result<std::vector<LocalCluster::Child>> LocalCluster::read_homes(const std::string& root) {
  std::vector<Child> nodes;
  std::error_code code;
  for (size_t i = 0; i < kNodesMax; ++i) {
    const std::string home = node_home(root, i);
    if (!fs::exists(home + "/" + node::kConfigFileName, code)) break;
    SYNOD_ASSIGN_OR_RETURN(node::HomeFiles files, node::read_home(home));
    nodes.push_back(Child{std::move(files), -1, std::nullopt});
  }
  if (nodes.empty()) return error(Code::kNotFound, root + ": holds no node0/config.toml");
  for (const Child& child : nodes) {
    if (child.files.genesis.hash() != nodes.front().files.genesis.hash()) {
      return error(Code::kInvalidArgument,
                   child.files.config.home + ": has another genesis than node0");
    }
  }
  return nodes;
}

Result<std::unique_ptr<LocalCluster>> LocalCluster::open(const std::string& root,
                                                         const std::string& synod_binary,
                                                         const std::string& account_seed,
                                                         int parent_death_signal) {
  if (::access(synod_binary.c_str(), X_OK) != 0) {
    return error(Code::kNotFound, "cluster: cannot run '" + synod_binary + "'");
  }
  SYNOD_ASSIGN_OR_RETURN(std::vector<Child> nodes, read_homes(root));
  std::unique_ptr<LocalCluster> cluster(
      new LocalCluster(root, synod_binary, account_seed, parent_death_signal));
  cluster->nodes_ = std::move(nodes);
  return cluster;
}

std::string LocalCluster::log_tail(size_t i, size_t bytes) const {
  std::ifstream in(log_path(i), std::ios::binary);
  if (!in) return "(no log)";
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff from =
      size > static_cast<std::streamoff>(bytes) ? size - static_cast<std::streamoff>(bytes) : 0;
  in.seekg(from);
  std::string text(static_cast<size_t>(size - from), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  return text;
}

net::Endpoint LocalCluster::p2p_endpoint(size_t i) const {
  return net::Endpoint{"127.0.0.1", files(i).config.p2p.listen_port};
}

rpc::Endpoint LocalCluster::rpc_endpoint(size_t i) const {
  return rpc::loopback_endpoint(rpc_port(i));
}

Status LocalCluster::start(size_t i) {
  Child& child = nodes_.at(i);
  if (running(i)) return Status::ok();
  const std::string log = log_path(i);
  std::vector<std::string> args = {binary_, "start", "--home", child.files.config.home};
  std::vector<char*> argv;
  for (std::string& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const int death_signal = death_signal_;
  const pid_t pid = ::fork();
  if (pid < 0) return error(Code::kInternal, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    // The child: only async-signal-safe calls until exec.
    ::setpgid(0, 0);  // a terminal's Ctrl-C reaches the parent only, which stops the children
    ::prctl(PR_SET_PDEATHSIG, death_signal);
    if (::getppid() != parent) ::_exit(127);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  child.pid = pid;
  child.exit_status.reset();
  return Status::ok();
}

Status LocalCluster::start_all() {
  for (size_t i = 0; i < nodes_.size(); ++i)
    SYNOD_TRY(start(i));
  return Status::ok();
}

void LocalCluster::reap() {
  for (Child& child : nodes_) {
    if (child.pid <= 0) continue;
    int status = 0;
    if (::waitpid(child.pid, &status, WNOHANG) == child.pid) {
      child.pid = -1;
      child.exit_status = status;
    }
  }
}

bool LocalCluster::running(size_t i) {
  reap();
  return nodes_.at(i).pid > 0;
}

int LocalCluster::stop(size_t i, int signal, uint64_t wait_ms) {
  Child& child = nodes_.at(i);
  if (!running(i)) return 0;
  ::kill(child.pid, signal);
  const uint64_t deadline = steady_ms() + wait_ms;
  int status = 0;
  while (true) {
    const pid_t waited = ::waitpid(child.pid, &status, WNOHANG);
    if (waited == child.pid || waited < 0) break;
    if (steady_ms() >= deadline) {
      ::kill(child.pid, SIGKILL);
      ::waitpid(child.pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  child.pid = -1;
  child.exit_status = status;
  return status;
}

int LocalCluster::stop_all(int signal, uint64_t wait_ms) {
  std::vector<size_t> signalled;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (!running(i)) continue;
    ::kill(nodes_[i].pid, signal);
    signalled.push_back(i);
  }
  int unclean = 0;
  const uint64_t deadline = steady_ms() + wait_ms;
  for (size_t i : signalled) {
    const uint64_t now = steady_ms();
    const int status = stop(i, signal, deadline > now ? deadline - now : 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++unclean;
  }
  return unclean;
}

Status LocalCluster::restart(size_t i) {
  stop(i, SIGTERM);
  return start(i);
}

Result<rpc::Json> LocalCluster::call(size_t i, std::string_view method, const rpc::Json& params,
                                     uint64_t timeout_ms) {
  rpc::JsonRpcClientOptions options;
  options.http.timeout_ms = timeout_ms;
  rpc::JsonRpcClient client(rpc_endpoint(i), options);
  return client.result(method, params);
}

Result<uint64_t> LocalCluster::height(size_t i) {
  SYNOD_ASSIGN_OR_RETURN(rpc::Json status, call(i, "get_status", rpc::Json::object()));
  if (!status.is_object() || !status["height"].is_number_unsigned()) {
    return error(Code::kCorrupt, "get_status: no height");
  }
  return status["height"].get<uint64_t>();
}

bool LocalCluster::wait_until(const std::function<bool()>& done, uint64_t timeout_ms,
                              uint64_t poll_ms) {
  const uint64_t deadline = steady_ms() + timeout_ms;
  while (true) {
    if (done()) return true;
    if (steady_ms() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
  }
}

Status LocalCluster::wait_for_height(size_t i, uint64_t target, uint64_t timeout_ms) {
  std::string last = "no answer";
  const bool reached = wait_until(
      [&] {
        auto now = height(i);
        last = now.is_ok() ? std::to_string(*now) : now.status().to_string();
        return now.is_ok() && *now >= target;
      },
      timeout_ms);
  if (reached) return Status::ok();
  return error(Code::kTimeout, fmt::format("node{} did not reach height {} in {} ms (last: {})", i,
                                           target, timeout_ms, last));
}

Status LocalCluster::wait_all_for_height(uint64_t target, uint64_t timeout_ms,
                                         const std::vector<size_t>& which) {
  std::vector<size_t> nodes = which;
  if (nodes.empty()) {
    for (size_t i = 0; i < nodes_.size(); ++i)
      nodes.push_back(i);
  }
  const uint64_t deadline = steady_ms() + timeout_ms;
  for (size_t i : nodes) {
    const uint64_t now = steady_ms();
    SYNOD_TRY(wait_for_height(i, target, deadline > now ? deadline - now : 0));
  }
  return Status::ok();
}

}  // namespace synod::cluster

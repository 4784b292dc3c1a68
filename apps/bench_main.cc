// `synod-bench`: the load generator. Two ways to point it at a network:
//
//   synod-bench localnet --nodes 4 --consensus pbft --duration 60 [--rate R] [--accounts K]
//       [--connections C] [--batch B] [--inflight N] [--app kvstore --value-bytes 32
//       --unsigned-writes] [--kill-after 20] [--no-tx-index] [--json]
//     writes a fresh network (cluster::LocalCluster) into a temporary folder (or --root), with K
//     funded accounts, starts it, runs the load, and tears it down (the folder is removed unless
//     --keep).
//   synod-bench run --rpc 127.0.0.1:26601,127.0.0.1:26603 --accounts-seed SEED --accounts K
//       [--pids P1,P2] ...
//     loads a running network whose genesis funds the K accounts derived from SEED (as
//     `synod localnet` and LocalCluster derive them); --pids names the node processes to report
//     CPU and memory for.
//
// All transactions are signed before the clock starts (see loadgen/workload.h for the memory
// this takes). The report: committed tps over the run minus the warm-up, submit → commit
// latency percentiles, submitted / committed / rejected / lost, and per node CPU seconds and
// peak RSS. Exit codes: 0 a clean run (nothing lost), 1 a failure or lost transactions,
// 2 bad options.
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cluster/local_cluster.h"
#include "loadgen/report.h"
#include "loadgen/runner.h"
#include "loadgen/workload.h"

namespace synod::apps {
namespace {

using rpc::Json;

struct BenchFlags {
  // The load.
  uint64_t duration_s = 60;
  uint64_t rate = 0;
  uint32_t accounts = 2'000;
  uint32_t connections = 4;
  uint32_t batch = 200;
  uint64_t inflight = 8'000;
  uint64_t transactions = 0;  // 0: derived from the duration and rate
  uint64_t warmup_s = 5;
  uint64_t drain_s = 20;
  std::string app = "ledger";
  uint32_t value_bytes = 32;
  uint32_t sign_threads = 0;  // 0: hardware threads
  bool json = false;
  // localnet
  uint32_t nodes = 4;
  std::string consensus = "pbft";
  bool unsigned_writes = false;
  uint64_t kill_after_s = 0;
  uint64_t block_interval_ms = 500;
  bool no_tx_index = false;  // the nodes' index_transactions = false
  std::string root;
  bool keep = false;
  std::string log_level = "warn";
  std::string synod_binary;
  // run
  std::vector<std::string> rpc;
  std::vector<int> pids;
  std::string accounts_seed = "synod-localnet";  // as LocalCluster and `synod localnet`
};

void progress(const BenchFlags& flags, const char* format, auto... args) {
  std::FILE* out = flags.json ? stderr : stdout;
  std::fprintf(out, format, args...);
  std::fflush(out);
}

std::string self_dir() {
  char path[PATH_MAX] = {};
  const ssize_t length = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (length <= 0) return ".";
  return std::filesystem::path(std::string(path, static_cast<size_t>(length)))
      .parent_path()
      .string();
}

uint64_t transactions_needed(const BenchFlags& flags) {
  if (flags.transactions != 0) return flags.transactions;
  // As fast as possible: enough for 12,000 tx/s over the whole run, 40,000 for unsigned puts,
  // which need no signing (memory: workload.h).
  const uint64_t fastest = flags.unsigned_writes ? 40'000 : 12'000;
  const uint64_t per_second = flags.rate != 0 ? flags.rate : fastest;
  return std::min<uint64_t>(loadgen::kTransactionsMax, per_second * flags.duration_s + 1'000);
}

Status check_flags(const BenchFlags& flags) {
  if (flags.duration_s == 0 || flags.duration_s > 24 * 3600) {
    return error(Code::kInvalidArgument, "--duration must be 1..86400 seconds");
  }
  if (flags.app != "ledger" && flags.app != "kvstore") {
    return error(Code::kInvalidArgument, "--app must be ledger or kvstore");
  }
  if (flags.unsigned_writes && flags.app != "kvstore") {
    return error(Code::kInvalidArgument, "--unsigned-writes needs --app kvstore");
  }
  if (flags.accounts == 0 || flags.accounts > cluster::kAccountsMax) {
    return error(Code::kInvalidArgument,
                 "--accounts must be 1.." + std::to_string(cluster::kAccountsMax));
  }
  return Status::ok();
}

// The in-flight bound the mempool can take: its per-sender cap (32 by default) times the senders,
// with room to spare, since one sender's nonces must not pile up behind a slow one.
uint64_t inflight_bound(const BenchFlags& flags) {
  if (flags.unsigned_writes) return flags.inflight;  // every unsigned put has its own sender
  return std::min<uint64_t>(flags.inflight, static_cast<uint64_t>(flags.accounts) * 16);
}

Result<std::vector<loadgen::PreparedTransaction>> prepare(const BenchFlags& flags,
                                                          const std::string& chain_id,
                                                          std::vector<uint64_t> start_nonces,
                                                          double& prepare_s) {
  loadgen::WorkloadOptions workload;
  workload.chain_id = chain_id;
  workload.accounts = flags.accounts;
  workload.start_nonces = std::move(start_nonces);
  workload.transactions = transactions_needed(flags);
  workload.kind =
      flags.app == "kvstore" ? loadgen::WorkloadKind::kKvPut : loadgen::WorkloadKind::kTransfer;
  workload.value_bytes = flags.value_bytes;
  workload.kv_unsigned = flags.unsigned_writes;
  workload.threads = flags.sign_threads != 0 ? flags.sign_threads
                                             : std::max(1u, std::thread::hardware_concurrency());
  progress(flags, "synod-bench: signing %llu transactions from %u accounts\n",
           static_cast<unsigned long long>(workload.transactions), workload.accounts);
  const auto started = std::chrono::steady_clock::now();
  const std::string seed = flags.accounts_seed;
  auto prepared = loadgen::prepare_workload(
      workload, [&seed](uint32_t index) { return cluster::account_key(seed, index); });
  prepare_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return prepared;
}

loadgen::RunOptions run_options(const BenchFlags& flags) {
  loadgen::RunOptions options;
  options.connections = flags.connections;
  options.batch = flags.batch;
  options.rate = flags.rate;
  options.inflight_max = std::max<uint64_t>(inflight_bound(flags), flags.batch);
  options.duration_ms = flags.duration_s * 1'000;
  options.warmup_ms = std::min(flags.warmup_s * 1'000, options.duration_ms / 3);
  options.drain_ms = flags.drain_s * 1'000;
  return options;
}

// Prints progress every 2 s: height and commits per second.
class Ticker {
 public:
  explicit Ticker(const BenchFlags& flags) : flags_(flags) {}
  void tick(uint64_t elapsed_ms) {
    if (elapsed_ms < next_ms_) return;
    next_ms_ = elapsed_ms + 2'000;
    progress(flags_, "synod-bench: %4.0f s\n", static_cast<double>(elapsed_ms) / 1000.0);
  }

 private:
  const BenchFlags& flags_;
  uint64_t next_ms_ = 2'000;
};

int finish(const BenchFlags& flags, const loadgen::BenchReport& report) {
  if (flags.json) {
    std::printf("%s\n", loadgen::report_json(report).dump().c_str());
  } else {
    std::printf("%s", loadgen::report_table(report).c_str());
  }
  std::fflush(stdout);
  return report.run.lost == 0 && report.run.committed > 0 ? 0 : 1;
}

int run_localnet(BenchFlags flags) {
  if (Status checked = check_flags(flags); !checked.is_ok()) {
    std::fprintf(stderr, "synod-bench: %s\n", checked.to_string().c_str());
    return 2;
  }
  auto mechanism = chain::parse_mechanism(flags.consensus);
  if (!mechanism.is_ok() || flags.nodes == 0 || flags.nodes > cluster::kNodesMax) {
    std::fprintf(stderr, "synod-bench: bad --consensus or --nodes\n");
    return 2;
  }
  if (flags.kill_after_s != 0 && (flags.nodes < 4 || flags.kill_after_s >= flags.duration_s)) {
    std::fprintf(stderr, "synod-bench: --kill-after needs 4+ nodes and to fall in --duration\n");
    return 2;
  }
  bool temporary = false;
  if (flags.root.empty()) {
    char pattern[] = "/tmp/synod-bench-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) {
      std::perror("synod-bench: mkdtemp");
      return 1;
    }
    flags.root = pattern;
    temporary = true;
  }
  cluster::ClusterOptions options;
  options.root = flags.root;
  options.validators = flags.nodes;
  options.base_port = 0;
  options.genesis.chain_id = "synod-bench";
  options.genesis.mechanism = *mechanism;
  options.genesis.app = flags.app == "kvstore" ? chain::AppKind::kKvStore : chain::AppKind::kLedger;
  options.genesis.kv_unsigned_writes = flags.unsigned_writes;
  options.genesis.block_interval_ms = flags.block_interval_ms;
  options.accounts = flags.accounts;
  options.account_seed = flags.accounts_seed;
  options.index_transactions = !flags.no_tx_index;
  options.log_level = flags.log_level;
  options.synod_binary = flags.synod_binary.empty() ? self_dir() + "/synod" : flags.synod_binary;
  auto created = cluster::LocalCluster::create(options);
  if (!created.is_ok()) {
    std::fprintf(stderr, "synod-bench: %s\n", created.status().to_string().c_str());
    return 1;
  }
  std::unique_ptr<cluster::LocalCluster> network = std::move(created).value();
  auto cleanup = [&] {
    network->stop_all(SIGTERM, 10'000);
    network.reset();
    if (temporary && !flags.keep) {
      std::error_code ignored;
      std::filesystem::remove_all(flags.root, ignored);
    }
  };

  loadgen::BenchReport report;
  report.workload = flags.app == "kvstore" ? "kv_put" : "transfer";
  report.consensus = flags.consensus;
  report.accounts = flags.accounts;
  auto prepared = prepare(flags, network->genesis().chain_id, {}, report.prepare_s);
  if (!prepared.is_ok()) {
    std::fprintf(stderr, "synod-bench: %s\n", prepared.status().to_string().c_str());
    cleanup();
    return 2;
  }
  if (Status started = network->start_all(); !started.is_ok()) {
    std::fprintf(stderr, "synod-bench: %s\n", started.to_string().c_str());
    cleanup();
    return 1;
  }
  progress(flags, "synod-bench: %u nodes started in %s; waiting for the first block\n", flags.nodes,
           flags.root.c_str());
  if (Status ready = network->wait_all_for_height(1, 30'000); !ready.is_ok()) {
    std::fprintf(stderr, "synod-bench: the network did not start: %s\n%s\n",
                 ready.to_string().c_str(), network->log_tail(0).c_str());
    cleanup();
    return 1;
  }
  for (size_t i = 0; i < network->size(); ++i) {
    loadgen::NodeFigures node;
    node.name = "node" + std::to_string(i);
    node.endpoint = "127.0.0.1:" + std::to_string(network->rpc_port(i));
    node.pid = network->pid(i);
    report.nodes.push_back(node);
  }

  loadgen::RunOptions options_run = run_options(flags);
  for (size_t i = 0; i < network->size(); ++i)
    options_run.nodes.push_back(network->rpc_endpoint(i));
  const size_t victim = network->size() - 1;
  Ticker ticker(flags);
  options_run.on_tick = [&](uint64_t elapsed_ms) {
    ticker.tick(elapsed_ms);
    for (loadgen::NodeFigures& node : report.nodes) {
      if (node.killed) continue;
      if (auto sample = loadgen::sample_process(node.pid)) node.sample = sample;
    }
    if (flags.kill_after_s != 0 && !report.nodes[victim].killed &&
        elapsed_ms >= flags.kill_after_s * 1'000) {
      progress(flags, "synod-bench: killing node%zu (pid %d)\n", victim,
               static_cast<int>(network->pid(victim)));
      network->kill(victim);
      report.nodes[victim].killed = true;
      report.nodes[victim].killed_at_s = static_cast<double>(elapsed_ms) / 1000.0;
    }
  };
  // The killed node is the last: submit and follow through the others first.
  auto run = loadgen::run_load(options_run, *prepared);
  if (!run.is_ok()) {
    std::fprintf(stderr, "synod-bench: %s\n", run.status().to_string().c_str());
    cleanup();
    return 1;
  }
  report.run = std::move(run).value();
  for (loadgen::NodeFigures& node : report.nodes) {
    if (node.killed) continue;
    if (auto sample = loadgen::sample_process(node.pid)) node.sample = sample;
  }
  cleanup();
  return finish(flags, report);
}

// Each account's next nonce on the running network (0 where it cannot be read).
std::vector<uint64_t> start_nonces(const BenchFlags& flags, const rpc::Endpoint& endpoint) {
  std::vector<uint64_t> out(flags.accounts, 0);
  rpc::JsonRpcClient client(endpoint);
  for (uint32_t first = 0; first < flags.accounts; first += loadgen::kBatchCallsMax) {
    std::vector<rpc::JsonRpcCall> calls;
    const uint32_t end = std::min<uint32_t>(first + loadgen::kBatchCallsMax, flags.accounts);
    for (uint32_t i = first; i < end; ++i) {
      const auto key = cluster::account_key(flags.accounts_seed, i);
      calls.push_back(rpc::JsonRpcCall{
          "get_account",
          Json{{"address", chain::Address::from_public_key(key.public_key()).to_string()}}});
    }
    auto replies = client.batch(calls);
    if (!replies.is_ok()) break;
    for (uint32_t i = first; i < end; ++i) {
      const rpc::JsonRpcReply& reply = (*replies)[i - first];
      if (reply.ok() && (*reply.result)["nonce"].is_string()) {
        out[i] = std::strtoull((*reply.result)["nonce"].get<std::string>().c_str(), nullptr, 10);
      }
    }
  }
  return out;
}

int run_remote(BenchFlags flags) {
  if (Status checked = check_flags(flags); !checked.is_ok()) {
    std::fprintf(stderr, "synod-bench: %s\n", checked.to_string().c_str());
    return 2;
  }
  loadgen::RunOptions options = run_options(flags);
  loadgen::BenchReport report;
  for (size_t i = 0; i < flags.rpc.size(); ++i) {
    auto endpoint = rpc::parse_endpoint(
        flags.rpc[i].rfind("http://", 0) == 0 ? flags.rpc[i] : "http://" + flags.rpc[i]);
    if (!endpoint.is_ok()) {
      std::fprintf(stderr, "synod-bench: --rpc: %s\n", endpoint.status().to_string().c_str());
      return 2;
    }
    options.nodes.push_back(*endpoint);
    loadgen::NodeFigures node;
    node.name = "node" + std::to_string(i);
    node.endpoint = flags.rpc[i];
    if (i < flags.pids.size()) node.pid = flags.pids[i];
    report.nodes.push_back(node);
  }
  rpc::JsonRpcClient status_client(options.nodes.front());
  auto status = status_client.result("get_status");
  if (!status.is_ok() || !(*status)["chain_id"].is_string()) {
    std::fprintf(stderr, "synod-bench: %s does not answer get_status\n", flags.rpc[0].c_str());
    return 1;
  }
  report.workload = flags.app == "kvstore" ? "kv_put" : "transfer";
  report.consensus =
      (*status)["mechanism"].is_string() ? (*status)["mechanism"].get<std::string>() : "";
  report.accounts = flags.accounts;
  std::vector<uint64_t> nonces;
  if (!flags.unsigned_writes) nonces = start_nonces(flags, options.nodes.front());
  auto prepared =
      prepare(flags, (*status)["chain_id"].get<std::string>(), std::move(nonces), report.prepare_s);
  if (!prepared.is_ok()) {
    std::fprintf(stderr, "synod-bench: %s\n", prepared.status().to_string().c_str());
    return 2;
  }
  Ticker ticker(flags);
  options.on_tick = [&](uint64_t elapsed_ms) {
    ticker.tick(elapsed_ms);
    for (loadgen::NodeFigures& node : report.nodes) {
      if (auto sample = loadgen::sample_process(node.pid)) node.sample = sample;
    }
  };
  auto run = loadgen::run_load(options, *prepared);
  if (!run.is_ok()) {
    std::fprintf(stderr, "synod-bench: %s\n", run.status().to_string().c_str());
    return 1;
  }
  report.run = std::move(run).value();
  return finish(flags, report);
}

void add_load_options(CLI::App* command, BenchFlags& flags) {
  command->add_option("--duration", flags.duration_s, "Seconds of load")->capture_default_str();
  command->add_option("--rate", flags.rate, "Transactions per second (0: as fast as taken)")
      ->capture_default_str();
  command->add_option("--accounts", flags.accounts, "Funded sender accounts")
      ->capture_default_str();
  command->add_option("--accounts-seed", flags.accounts_seed, "Seed of the accounts' keys")
      ->capture_default_str();
  command->add_option("--connections", flags.connections, "Submitting connections")
      ->capture_default_str();
  command->add_option("--batch", flags.batch, "Transactions per JSON-RPC batch (at most 256)")
      ->capture_default_str();
  command->add_option("--inflight", flags.inflight, "Submitted and not yet committed, at most")
      ->capture_default_str();
  command
      ->add_option("--transactions", flags.transactions,
                   "Transactions to pre-sign (0: enough for the duration)")
      ->capture_default_str();
  command->add_option("--warmup", flags.warmup_s, "Seconds left out of the figures")
      ->capture_default_str();
  command->add_option("--drain", flags.drain_s, "Seconds to wait for commits after the load")
      ->capture_default_str();
  command->add_option("--app", flags.app, "ledger (transfers) or kvstore (puts)")
      ->capture_default_str();
  command->add_option("--value-bytes", flags.value_bytes, "kvstore: bytes per value")
      ->capture_default_str();
  command->add_flag("--unsigned-writes", flags.unsigned_writes,
                    "kvstore: unsigned puts (the genesis must allow them)");
  command->add_option("--sign-threads", flags.sign_threads, "Threads signing before the run");
  command->add_flag("--json", flags.json, "Print the report as one JSON object");
}

}  // namespace
}  // namespace synod::apps

int main(int argc, char** argv) {
  using synod::apps::BenchFlags;
  CLI::App app("synod-bench: load a synod network and measure throughput and latency");
  app.require_subcommand(1);
  BenchFlags localnet_flags;
  CLI::App* localnet =
      app.add_subcommand("localnet", "Start a local network, load it, and tear it down");
  synod::apps::add_load_options(localnet, localnet_flags);
  localnet->add_option("--nodes", localnet_flags.nodes, "Validators")->capture_default_str();
  localnet->add_option("--consensus", localnet_flags.consensus)->capture_default_str();
  localnet->add_option("--kill-after", localnet_flags.kill_after_s,
                       "SIGKILL the last node after this many seconds of load");
  localnet->add_option("--block-interval-ms", localnet_flags.block_interval_ms)
      ->capture_default_str();
  localnet->add_flag("--no-tx-index", localnet_flags.no_tx_index,
                     "Nodes keep no transaction index (index_transactions = false)");
  localnet->add_option("--root", localnet_flags.root, "Folder for the homes (default: a temp one)");
  localnet->add_flag("--keep", localnet_flags.keep, "Keep the temporary folder");
  localnet->add_option("--log-level", localnet_flags.log_level, "The nodes' log level")
      ->capture_default_str();
  localnet->add_option("--synod", localnet_flags.synod_binary,
                       "The synod binary (default: beside synod-bench)");
  BenchFlags run_flags;
  CLI::App* run = app.add_subcommand("run", "Load a running network");
  synod::apps::add_load_options(run, run_flags);
  run->add_option("--rpc", run_flags.rpc, "RPC endpoints host:port")->delimiter(',')->required();
  run->add_option("--pids", run_flags.pids, "The nodes' process ids, for CPU and memory")
      ->delimiter(',');
  CLI11_PARSE(app, argc, argv);
  if (localnet->parsed()) return synod::apps::run_localnet(localnet_flags);
  return synod::apps::run_remote(run_flags);
}

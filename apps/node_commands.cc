// `synod init`: writes a new home (keys, genesis, config.toml) and prints what it made.
// `synod start`: runs the node of a home, with its JSON-RPC service (node/rpc_service.h), until
// SIGINT or SIGTERM, then stops cleanly.
// Exit codes: 0 done, 1 the node failed (or init could not write), 2 bad options or files
// (a command line CLI11 cannot parse exits with CLI11's own code).
//
//   synod init --home ~/.synod --chain-id synod-devnet
//   synod start --home ~/.synod
#include "apps/node_commands.h"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>

#include "node/logging.h"
#include "node/node.h"
#include "node/rpc_service.h"

namespace synod::apps {
namespace {

struct InitFlags {
  node::InitOptions options;
  std::string consensus = "pbft";
  std::string app = "ledger";
};

Result<chain::AppKind> parse_app(const std::string& name) {
  if (name == "ledger") return chain::AppKind::kLedger;
  if (name == "kvstore") return chain::AppKind::kKvStore;
  return error(Code::kInvalidArgument, "--app: '" + name + "' is not one of ledger, kvstore");
}

int run_init(InitFlags flags) {
  auto mechanism = chain::parse_mechanism(flags.consensus);
  auto app = parse_app(flags.app);
  if (!mechanism.is_ok() || !app.is_ok()) {
    std::fprintf(stderr, "synod init: %s\n",
                 (!mechanism.is_ok() ? mechanism.status() : app.status()).to_string().c_str());
    return 2;
  }
  flags.options.genesis.mechanism = *mechanism;
  flags.options.genesis.app = *app;
  auto report = node::init_home(flags.options);
  if (!report.is_ok()) {
    std::fprintf(stderr, "synod init: %s\n", report.status().to_string().c_str());
    return report.status().code() == Code::kIoError ? 1 : 2;
  }
  const node::InitOptions& options = flags.options;
  std::printf("synod init: wrote a new home in %s\n", options.home.c_str());
  std::printf("  chain id       %s (%s, %s)\n", options.genesis.chain_id.c_str(),
              flags.consensus.c_str(), flags.app.c_str());
  std::printf("  genesis hash   %s\n", report->genesis_hash.hex().c_str());
  std::printf("  node id        %s\n", report->node_id.hex().c_str());
  std::printf("  validator key  %s (validator 0 of %u)\n", report->validator_key.hex().c_str(),
              options.validators);
  std::printf("  account        %s holds %llu\n",
              chain::Address::from_public_key(report->validator_key).to_string().c_str(),
              static_cast<unsigned long long>(options.genesis.validator_balance));
  std::printf("  p2p            127.0.0.1:%u, rpc 127.0.0.1:%u (token in config.toml)\n",
              options.p2p_port, options.rpc_port);
  for (const std::string& path : report->other_validator_key_files) {
    std::printf("  other key      %s\n", path.c_str());
  }
  std::printf("next: synod start --home %s\n", options.home.c_str());
  return 0;
}

// Blocks SIGINT and SIGTERM in this thread and every thread it starts later, so they arrive only
// through sigtimedwait below and no node thread is interrupted.
sigset_t block_stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

int run_start(const std::string& home) {
  const sigset_t signals = block_stop_signals();
  auto files = node::read_home(home);
  if (!files.is_ok()) {
    std::fprintf(stderr, "synod start: %s\n", files.status().to_string().c_str());
    return 2;
  }
  if (Status logging = node::setup_logging(files->config.log_level); !logging.is_ok()) {
    std::fprintf(stderr, "synod start: %s\n", logging.to_string().c_str());
    return 2;
  }
  auto opened = node::Node::open(std::move(files).value());
  if (!opened.is_ok()) {
    spdlog::critical("cannot open the node: {}", opened.status().to_string());
    return 1;
  }
  std::unique_ptr<node::Node> node = std::move(opened).value();
  if (Status started = node->start(); !started.is_ok()) {
    spdlog::critical("cannot start the node: {}", started.to_string());
    return 1;
  }
  node::RpcService rpc(*node);
  if (auto port = rpc.start(); !port.is_ok()) {
    spdlog::critical("cannot serve RPC on {}:{}: {}", node->config().rpc.listen_address,
                     node->config().rpc.listen_port, port.status().to_string());
    rpc.stop();
    node->stop();
    return 1;
  } else {
    spdlog::info("rpc on http://{}:{}/ (metrics on /metrics)", node->config().rpc.listen_address,
                 *port);
  }
  const timespec poll_interval{0, 500'000'000};
  while (true) {
    const int signal = sigtimedwait(&signals, nullptr, &poll_interval);
    if (signal == SIGINT || signal == SIGTERM) {
      spdlog::info("{}: stopping", signal == SIGINT ? "SIGINT" : "SIGTERM");
      break;
    }
    if (node->wait_stopped(0)) break;  // the driver stopped by itself (a failure)
  }
  rpc.stop();
  node->stop();
  const std::string failure = node->status().failure;
  node.reset();  // closes the database
  if (!failure.empty()) {
    spdlog::critical("stopped after a failure: {}", failure);
    return 1;
  }
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace

Action add_init_command(CLI::App& app) {
  auto flags = std::make_shared<InitFlags>();
  node::InitOptions& options = flags->options;
  CLI::App* command = app.add_subcommand(
      "init", "Write a new node home: keys, a genesis and config.toml (never overwrites)");
  command->add_option("--home", options.home, "The folder to create")->required();
  command->add_option("--chain-id", options.genesis.chain_id, "The network's name")
      ->capture_default_str();
  command
      ->add_option("--validators", options.validators,
                   "Validators in the genesis; this node is the first, the other keys go to "
                   "HOME/validators/")
      ->capture_default_str();
  command->add_option("--consensus", flags->consensus, "pbft (more mechanisms to come)")
      ->capture_default_str();
  command->add_option("--app", flags->app, "ledger or kvstore")->capture_default_str();
  command
      ->add_option("--balance", options.genesis.validator_balance,
                   "Each validator's account starts with this much")
      ->capture_default_str();
  command->add_option("--block-interval-ms", options.genesis.block_interval_ms)
      ->capture_default_str();
  command->add_option("--round-timeout-ms", options.genesis.round_timeout_ms)
      ->capture_default_str();
  command->add_option("--p2p-port", options.p2p_port)->capture_default_str();
  command->add_option("--rpc-port", options.rpc_port)->capture_default_str();
  return [flags] { return run_init(*flags); };
}

Action add_start_command(CLI::App& app) {
  auto home = std::make_shared<std::string>();
  CLI::App* command = app.add_subcommand("start", "Run the node of a home until SIGINT or SIGTERM");
  command->add_option("--home", *home, "The node's home folder (see `synod init`)")->required();
  return [home] { return run_start(*home); };
}

}  // namespace synod::apps

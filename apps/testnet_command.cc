// `synod testnet`: writes the homes of a network spread over several machines (cluster/testnet.h)
// and prints where each goes and how to start it.
//
//   synod testnet --hosts 10.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4 --out testnet
//                 [--validators-per-host 1] [--p2p-port 26656] [--rpc-port 26657]
//                 [--consensus pbft] [--app ledger] [--chain-id synod-testnet]
//
// Exit codes: 0 written, 1 cannot write, 2 bad options.
#include <cstdio>
#include <memory>
#include <string>

#include "apps/commands.h"
#include "cluster/testnet.h"

namespace synod::apps {
namespace {

struct TestnetFlags {
  std::string hosts;
  cluster::TestnetOptions options;
  std::string consensus = "pbft";
  std::string app = "ledger";
};

int fail(int code, const Status& status) {
  std::fprintf(stderr, "synod testnet: %s\n", status.message().c_str());
  return code;
}

int run_testnet(TestnetFlags flags) {
  cluster::TestnetOptions& options = flags.options;
  auto hosts = cluster::parse_hosts(flags.hosts);
  if (!hosts.is_ok()) return fail(2, hosts.status());
  options.hosts = std::move(hosts).value();
  auto mechanism = chain::parse_mechanism(flags.consensus);
  if (!mechanism.is_ok()) return fail(2, mechanism.status());
  options.genesis.mechanism = *mechanism;
  if (flags.app == "kvstore") {
    options.genesis.app = chain::AppKind::kKvStore;
  } else if (flags.app != "ledger") {
    return fail(2, error(Code::kInvalidArgument, "--app: must be ledger or kvstore"));
  }
  auto report = cluster::write_testnet(options);
  if (!report.is_ok()) {
    return fail(report.status().code() == Code::kIoError ? 1 : 2, report.status());
  }
  std::printf("synod testnet: wrote %zu node homes in %s (chain %s, %s, genesis %s)\n",
              report->nodes.size(), options.out.c_str(), options.genesis.chain_id.c_str(),
              flags.consensus.c_str(), report->homes.genesis.hash().hex().c_str());
  for (size_t i = 0; i < report->nodes.size(); ++i) {
    const cluster::TestnetNode& node = report->nodes[i];
    const node::HomeFiles& files = report->homes.homes[i];
    std::printf("  %s  host %s  p2p %s:%u  rpc 127.0.0.1:%u (on that host)  node id %s\n",
                node.home.c_str(), node.host.c_str(), files.config.p2p.listen_address.c_str(),
                node.p2p_port, node.rpc_port, files.node_key.public_key().hex().c_str());
  }
  std::printf("\nTo run it, copy each folder to its host and start it there, e.g.:\n");
  const cluster::TestnetNode& first = report->nodes.front();
  std::printf("  scp -r %s %s:synod-node     # the folder holds keys: keep it private (0700)\n",
              first.home.c_str(), first.host.c_str());
  std::printf("  ssh %s synod start --home synod-node\n", first.host.c_str());
  std::printf(
      "Open p2p ports %u..%u (TCP) between the hosts. RPC listens on 127.0.0.1 only; set\n"
      "rpc.listen_address in config.toml to expose it. The network commits once more than\n"
      "2/3 of the validators run.\n",
      options.p2p_port, options.p2p_port + 2 * (options.validators_per_host - 1));
  return 0;
}

}  // namespace

Action add_testnet_command(CLI::App& app) {
  auto flags = std::make_shared<TestnetFlags>();
  cluster::TestnetOptions& options = flags->options;
  options.genesis.chain_id = "synod-testnet";
  CLI::App* command = app.add_subcommand(
      "testnet",
      "Write the node homes of a network spread over several machines (never overwrites)");
  command->add_option("--hosts", flags->hosts, "Comma-separated IP addresses, one per machine")
      ->required();
  command->add_option("--out", options.out, "The folder to write node0, node1, ... into")
      ->required();
  command
      ->add_option("--validators-per-host", options.validators_per_host,
                   "Validators on each host; the k-th uses ports base + 2k")
      ->capture_default_str();
  command->add_option("--p2p-port", options.p2p_port, "The first p2p port on each host")
      ->capture_default_str();
  command->add_option("--rpc-port", options.rpc_port, "The first RPC port on each host")
      ->capture_default_str();
  command->add_option(
      "--listen-address", options.listen_address,
      "p2p listen address of every node (default: 0.0.0.0, or the host if loopback)");
  command->add_option("--consensus", flags->consensus, "The consensus mechanism")
      ->capture_default_str();
  command->add_option("--app", flags->app, "ledger or kvstore")->capture_default_str();
  command->add_option("--chain-id", options.genesis.chain_id)->capture_default_str();
  command->add_option("--block-interval-ms", options.genesis.block_interval_ms)
      ->capture_default_str();
  command->add_option("--round-timeout-ms", options.genesis.round_timeout_ms)
      ->capture_default_str();
  return [flags] { return run_testnet(*flags); };
}

}  // namespace synod::apps

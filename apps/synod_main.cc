// The `synod` binary: a thin main() that parses the command line and runs one subcommand.
// Subcommands: sim (the deterministic simulator); init and start (the node); localnet (N nodes on
// 127.0.0.1 as child processes); testnet (the homes of a network over several machines).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>
#include <string>

#include "apps/commands.h"
#include "apps/localnet_command.h"
#include "apps/node_commands.h"

int main(int argc, char** argv) {
  CLI::App app("synod: a blockchain node with pluggable consensus", "synod");
  app.require_subcommand(1);
  std::map<std::string, synod::apps::Action> actions;
  actions["sim"] = synod::apps::add_sim_command(app);
  actions["init"] = synod::apps::add_init_command(app);
  actions["start"] = synod::apps::add_start_command(app);
  actions["localnet"] = synod::apps::add_localnet_command(app);
  actions["testnet"] = synod::apps::add_testnet_command(app);
  CLI11_PARSE(app, argc, argv);
  for (const CLI::App* subcommand : app.get_subcommands()) {
    auto action = actions.find(subcommand->get_name());
    if (action != actions.end()) return action->second();
  }
  std::fprintf(stderr, "synod: no subcommand\n");
  return 2;
}

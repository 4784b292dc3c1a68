// The subcommands of the `synod` binary. Each adds itself to the command line parser and
// returns the action that runs it; the action's result is the process exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace synod::apps {

using Action = std::function<int()>;

// `synod sim`: the deterministic simulator (apps/sim_command.cc).
Action add_sim_command(CLI::App& app);
// `synod testnet`: node homes for a network over several machines (apps/testnet_command.cc).
Action add_testnet_command(CLI::App& app);

}  // namespace synod::apps

// `synod init` and `synod start`: make a node's home folder, and run the node it describes
// (apps/node_commands.cc). Each adds itself to the command line and returns its action.
#pragma once

#include "apps/commands.h"

namespace synod::apps {

// `synod init --home DIR [--chain-id ID] [--validators N] ...`
Action add_init_command(CLI::App& app);
// `synod start --home DIR`
Action add_start_command(CLI::App& app);

}  // namespace synod::apps

// `synod localnet`: a whole network of validators on 127.0.0.1, each a `synod start` child
// process, with progress lines and an optional steady load of transfers (apps/localnet_command.cc).
#pragma once

#include "apps/commands.h"

namespace synod::apps {

// `synod localnet --nodes 4 --consensus pbft --home DIR [--demo-load] [--base-port P]
//   [--followers F] [--accounts K --account-seed S] [--app kvstore [--unsigned-writes]]`
Action add_localnet_command(CLI::App& app);

}  // namespace synod::apps

#include "consensus/engine.h"

#include "consensus/pbft/pbft_engine.h"

namespace synod::consensus {

Result<std::unique_ptr<Engine>> make_engine(EngineConfig config) {
  chain::Mechanism mechanism = config.genesis.consensus.mechanism;
  if (mechanism == chain::Mechanism::kPbft) {
    auto engine = pbft::PbftEngine::create(std::move(config));
    if (!engine.is_ok()) return engine.status();
    return Result<std::unique_ptr<Engine>>(std::move(engine).value());
  }
  return error(Code::kFailedPrecondition, "consensus mechanism '" +
                                              std::string(chain::mechanism_name(mechanism)) +
                                              "' is not built yet");
}

}  // namespace synod::consensus

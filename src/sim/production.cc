#include "sim/production.h"

#include "ledger/apps.h"
#include "ledger/state_app.h"

namespace synod::sim {

EngineFactory production_engine_factory() {
  return [](consensus::EngineConfig config) { return consensus::make_engine(std::move(config)); };
}

ApplicationFactory production_application_factory() {
  return [](const chain::Genesis& genesis) -> std::unique_ptr<chain::Application> {
    auto application = ledger::create_application(genesis);
    SYNOD_ASSERT(application.is_ok());  // the simulator's genesis is valid
    return std::move(application).value();
  };
}

SupplyFunction production_supply() {
  return [](const chain::Application& application) -> Result<uint64_t> {
    const auto* state = dynamic_cast<const ledger::StateApp*>(&application);
    if (state == nullptr) return error(Code::kInternal, "not a ledger application");
    return state->total_supply();
  };
}

}  // namespace synod::sim

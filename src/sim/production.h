// The production pieces the simulator runs by default: the consensus engine the genesis names
// (consensus::make_engine) and the ledger application, with its total supply for the validity
// checker.
#pragma once

#include "sim/checkers.h"
#include "sim/replica.h"

namespace synod::sim {

EngineFactory production_engine_factory();
ApplicationFactory production_application_factory();
SupplyFunction production_supply();

}  // namespace synod::sim

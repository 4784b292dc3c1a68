// The application a genesis names: the ledger or the kvstore.
#pragma once

#include <memory>

#include "chain/application.h"
#include "chain/genesis.h"

namespace synod::ledger {

// kInvalidArgument when genesis fails Genesis::validate.
Result<std::unique_ptr<chain::Application>> create_application(const chain::Genesis& genesis);

}  // namespace synod::ledger

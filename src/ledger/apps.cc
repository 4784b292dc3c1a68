#include "ledger/apps.h"

#include "ledger/kvstore.h"
#include "ledger/ledger.h"

namespace synod::ledger {

Result<std::unique_ptr<chain::Application>> create_application(const chain::Genesis& genesis) {
  if (genesis.app == chain::AppKind::kKvStore) {
    SYNOD_ASSIGN_OR_RETURN(std::unique_ptr<KvStoreApp> app, KvStoreApp::create(genesis));
    return std::unique_ptr<chain::Application>(std::move(app));
  }
  SYNOD_ASSIGN_OR_RETURN(std::unique_ptr<Ledger> app, Ledger::create(genesis));
  return std::unique_ptr<chain::Application>(std::move(app));
}

}  // namespace synod::ledger

#include "sim/node_store.h"

namespace synod::sim {

Status NodeStore::put_records(const std::vector<consensus::Record>& records) {
  std::vector<storage::EngineRecord> converted;
  converted.reserve(records.size());
  for (const consensus::Record& record : records)
    converted.push_back(storage::EngineRecord{record.key, record.value});
  return chain_.put_records(converted, /*sync=*/true);
}

Status NodeStore::put_commit(const chain::Block& block, const chain::Certificate& certificate,
                             const chain::ApplyResult& applied, bool sync) {
  return chain_.commit_block(block, certificate, applied, sync);
}

Result<std::vector<consensus::Record>> NodeStore::records() const {
  SYNOD_ASSIGN_OR_RETURN(std::vector<storage::EngineRecord> stored, chain_.load_records());
  std::vector<consensus::Record> out;
  out.reserve(stored.size());
  for (storage::EngineRecord& record : stored)
    out.push_back(consensus::Record{std::move(record.key), std::move(record.value)});
  return out;
}

Result<uint64_t> NodeStore::tip_height() const {
  SYNOD_ASSIGN_OR_RETURN(std::optional<storage::ChainTip> tip, chain_.tip());
  return tip ? tip->height : uint64_t{0};
}

Result<consensus::ChainTip> NodeStore::tip() const {
  SYNOD_ASSIGN_OR_RETURN(std::optional<storage::ChainTip> stored, chain_.tip());
  consensus::ChainTip tip;
  if (!stored) return tip;
  tip.height = stored->height;
  tip.block_hash = stored->hash;
  tip.time_ms = stored->time_ms;
  tip.certificate = std::move(stored->certificate);
  return tip;
}

}  // namespace synod::sim

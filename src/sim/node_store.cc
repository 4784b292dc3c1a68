#include "sim/node_store.h"

#include <string>

namespace synod::sim {
namespace {

constexpr std::string_view kBlockPrefix = "b/";
constexpr std::string_view kCertificatePrefix = "c/";
constexpr std::string_view kRecordPrefix = "r/";
constexpr std::string_view kStatePrefix = "s/";
constexpr std::string_view kTipKey = "t";

Bytes height_key(std::string_view prefix, uint64_t height) {
  Bytes key(prefix.begin(), prefix.end());
  for (int shift = 56; shift >= 0; shift -= 8)
    key.push_back(static_cast<uint8_t>(height >> shift));
  return key;
}

Bytes prefixed(std::string_view prefix, ByteView rest) {
  Bytes key(prefix.begin(), prefix.end());
  key.insert(key.end(), rest.begin(), rest.end());
  return key;
}

Bytes be64(uint64_t value) {
  return height_key("", value);
}

template <typename T>
Result<std::optional<T>> get_decoded(const storage::KvStore& kv, const Bytes& key) {
  SYNOD_ASSIGN_OR_RETURN(std::optional<Bytes> bytes, kv.get(key));
  if (!bytes) return std::optional<T>();
  auto value = decode<T>(*bytes);
  if (!value.is_ok()) return value.status().with_context("node store");
  return std::optional<T>(std::move(value).value());
}

}  // namespace

Status NodeStore::put_records(const std::vector<consensus::Record>& records) {
  storage::WriteBatch batch;
  for (const consensus::Record& record : records)
    batch.put(prefixed(kRecordPrefix, as_bytes(record.key)), record.value);
  return kv_.write(batch, /*sync=*/true);
}

Status NodeStore::put_commit(const chain::Block& block, const chain::Certificate& certificate,
                             const std::vector<chain::StateWrite>& writes, bool sync) {
  storage::WriteBatch batch;
  batch.put(height_key(kBlockPrefix, block.height()), encode(block));
  batch.put(height_key(kCertificatePrefix, block.height()), encode(certificate));
  for (const chain::StateWrite& write : writes) {
    if (write.value) {
      batch.put(prefixed(kStatePrefix, write.key), *write.value);
    } else {
      batch.remove(prefixed(kStatePrefix, write.key));
    }
  }
  batch.put(as_bytes(kTipKey), be64(block.height()));
  return kv_.write(batch, sync);
}

Result<std::vector<consensus::Record>> NodeStore::records() const {
  std::vector<consensus::Record> out;
  SYNOD_TRY(kv_.scan_prefix(as_bytes(kRecordPrefix), [&](ByteView key, ByteView value) {
    std::string_view name = as_string_view(key).substr(kRecordPrefix.size());
    out.push_back(consensus::Record{std::string(name), Bytes(value.begin(), value.end())});
    return Status::ok();
  }));
  return out;
}

Result<uint64_t> NodeStore::tip_height() const {
  SYNOD_ASSIGN_OR_RETURN(std::optional<Bytes> bytes, kv_.get(as_bytes(kTipKey)));
  if (!bytes) return uint64_t{0};
  if (bytes->size() != 8) return error(Code::kCorrupt, "node store: tip is not 8 bytes");
  uint64_t height = 0;
  for (uint8_t byte : *bytes)
    height = (height << 8) | byte;
  return height;
}

Result<std::optional<chain::Block>> NodeStore::block(uint64_t height) const {
  return get_decoded<chain::Block>(kv_, height_key(kBlockPrefix, height));
}

Result<std::optional<chain::Certificate>> NodeStore::certificate(uint64_t height) const {
  return get_decoded<chain::Certificate>(kv_, height_key(kCertificatePrefix, height));
}

Result<consensus::ChainTip> NodeStore::tip() const {
  consensus::ChainTip tip;
  SYNOD_ASSIGN_OR_RETURN(tip.height, tip_height());
  if (tip.height == 0) return tip;
  SYNOD_ASSIGN_OR_RETURN(std::optional<chain::Block> block, block(tip.height));
  SYNOD_ASSIGN_OR_RETURN(std::optional<chain::Certificate> certificate, certificate(tip.height));
  if (!block || !certificate) return error(Code::kCorrupt, "node store: tip block is missing");
  tip.block_hash = block->hash();
  tip.time_ms = block->header.time_ms;
  tip.certificate = std::move(*certificate);
  return tip;
}

chain::Application::StateScan NodeStore::state_scan() const {
  return [this](const std::function<Status(ByteView, ByteView)>& each) {
    return kv_.scan_prefix(as_bytes(kStatePrefix), [&](ByteView key, ByteView value) {
      return each(key.subspan(kStatePrefix.size()), value);
    });
  };
}

}  // namespace synod::sim

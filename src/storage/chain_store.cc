#include "storage/chain_store.h"

#include <string>
#include <string_view>
#include <utility>

#include "base/codec.h"

namespace synod::storage {
namespace {

constexpr std::string_view kBlockPrefix = "b/";
constexpr std::string_view kCertificatePrefix = "c/";
constexpr std::string_view kHashPrefix = "h/";
constexpr std::string_view kTransactionPrefix = "x/";
constexpr std::string_view kHistoryPrefix = "a/";
constexpr std::string_view kStatePrefix = "s/";
constexpr std::string_view kUndoPrefix = "u/";
constexpr std::string_view kRecordPrefix = "r/";
constexpr std::string_view kTipKey = "m/tip";
constexpr std::string_view kFormatKey = "m/format";
constexpr std::string_view kIndexedKey = "m/indexed";

constexpr uint8_t kRoleSender = 1;
constexpr uint8_t kRoleRecipient = 2;
constexpr size_t kHistoryKeyBytes = kHistoryPrefix.size() + 20 + 8 + 4;

// ---- keys ----

void append_be(Bytes& key, uint64_t value, int width_bytes) {
  for (int shift = 8 * (width_bytes - 1); shift >= 0; shift -= 8)
    key.push_back(static_cast<uint8_t>(value >> shift));
}

uint64_t read_be(ByteView bytes) {
  uint64_t value = 0;
  for (uint8_t byte : bytes)
    value = (value << 8) | byte;
  return value;
}

Bytes prefixed(std::string_view prefix, ByteView rest) {
  Bytes key(prefix.begin(), prefix.end());
  key.insert(key.end(), rest.begin(), rest.end());
  return key;
}

Bytes height_key(std::string_view prefix, uint64_t height) {
  Bytes key(prefix.begin(), prefix.end());
  append_be(key, height, 8);
  return key;
}

Bytes history_prefix(const chain::Address& address) {
  return prefixed(kHistoryPrefix, address.bytes.view());
}

Bytes history_key(const chain::Address& address, uint64_t height, uint32_t position) {
  Bytes key = history_prefix(address);
  append_be(key, height, 8);
  append_be(key, position, 4);
  return key;
}

// ---- values ----

Status corrupt(std::string_view what, const Status& status) {
  return Status(Code::kCorrupt, "chain store: " + std::string(what) + ": " + status.message());
}

Status corrupt(std::string_view what, std::string_view problem) {
  return Status(Code::kCorrupt, "chain store: " + std::string(what) + ": " + std::string(problem));
}

std::string at_height(std::string_view what, uint64_t height) {
  return std::string(what) + " at height " + std::to_string(height);
}

Bytes encode_u64(uint64_t value) {
  Writer writer(8);
  writer.u64(value);
  return writer.take();
}

Result<uint64_t> decode_u64(ByteView bytes, std::string_view what) {
  Reader reader(bytes);
  uint64_t value = reader.u64();
  Status status = reader.finish();
  if (!status.is_ok()) return corrupt(what, status);
  return value;
}

Bytes encode_location(const TxLocation& location) {
  Writer writer(13);
  writer.u64(location.height);
  writer.u32(location.position);
  writer.u8(static_cast<uint8_t>(location.outcome));
  return writer.take();
}

Result<TxLocation> decode_location(ByteView bytes) {
  Reader reader(bytes);
  TxLocation location;
  location.height = reader.u64();
  location.position = reader.u32();
  uint8_t outcome = reader.u8();
  if (reader.ok() && outcome != static_cast<uint8_t>(chain::TxOutcome::kSuccess)) {
    reader.fail("unknown transaction outcome " + std::to_string(outcome));
  }
  Status status = reader.finish();
  if (!status.is_ok()) return corrupt("transaction index entry", status);
  return location;
}

Bytes encode_tip(const ChainTip& tip) {
  Writer writer(128);
  writer.u64(tip.height);
  writer.fixed(tip.hash);
  writer.u64(tip.time_ms);
  tip.certificate.encode(writer);
  return writer.take();
}

Result<ChainTip> decode_tip(ByteView bytes) {
  Reader reader(bytes);
  ChainTip tip;
  tip.height = reader.u64();
  tip.hash = reader.fixed<32>();
  tip.time_ms = reader.u64();
  tip.certificate = chain::Certificate::decode_from(reader);
  if (reader.ok() && tip.height == 0) reader.fail("tip at height 0");
  Status status = reader.finish();
  if (!status.is_ok()) return corrupt("tip", status);
  return tip;
}

// What revert_block needs to restore the state a block overwrote.
struct Undo {
  Bytes application_undo;
  std::vector<chain::StateWrite> previous;  // each written key with the value it had before
};

Bytes encode_undo(ByteView application_undo, const std::vector<chain::StateWrite>& previous) {
  Writer writer;
  writer.bytes(application_undo);
  writer.list_size(previous.size());
  for (const chain::StateWrite& entry : previous) {
    writer.bytes(entry.key);
    writer.boolean(entry.value.has_value());
    if (entry.value) writer.bytes(*entry.value);
  }
  return writer.take();
}

Result<Undo> decode_undo(ByteView bytes, uint64_t height) {
  Reader reader(bytes);
  Undo undo;
  undo.application_undo = reader.bytes(kValueBytesMax);
  size_t count = reader.list_size(kBatchOpsMax, 4 + 1);
  undo.previous.reserve(count);
  for (size_t i = 0; i < count && reader.ok(); ++i) {
    chain::StateWrite entry;
    entry.key = reader.bytes(kKeyBytesMax);
    if (reader.boolean()) entry.value = reader.bytes(kValueBytesMax);
    undo.previous.push_back(std::move(entry));
  }
  Status status = reader.finish();
  if (!status.is_ok()) return corrupt(at_height("undo", height), status);
  return undo;
}

Result<HistoryEntry> decode_history_entry(ByteView key, ByteView value) {
  if (key.size() != kHistoryKeyBytes || value.size() != 1 || value[0] == 0 ||
      value[0] > (kRoleSender | kRoleRecipient)) {
    return corrupt("address history", "malformed entry");
  }
  ByteView numbers = key.subspan(kHistoryPrefix.size() + 20);
  HistoryEntry entry;
  entry.height = read_be(numbers.first(8));
  entry.position = static_cast<uint32_t>(read_be(numbers.subspan(8)));
  entry.sender = (value[0] & kRoleSender) != 0;
  entry.recipient = (value[0] & kRoleRecipient) != 0;
  return entry;
}

template <typename T>
Result<std::optional<T>> decode_optional(const std::optional<Bytes>& bytes, std::string_view what) {
  if (!bytes) return std::optional<T>();
  auto value = decode<T>(*bytes);
  if (!value.is_ok()) return corrupt(what, value.status());
  return std::optional<T>(std::move(value).value());
}

// ---- commit ----

Status check_commit(const chain::Block& block, const Hash256& block_hash,
                    const chain::Certificate& certificate, const chain::ApplyResult& result) {
  if (block.height() == 0) return error(Code::kInvalidArgument, "chain store: block at height 0");
  if (block.transactions.size() > chain::kBlockTransactionsMax) {
    return error(Code::kInvalidArgument, "chain store: block holds too many transactions");
  }
  if (result.state_root != block.header.state_root) {
    return error(Code::kInvalidArgument,
                 "chain store: the applied state root differs from the header's");
  }
  if (!certificate.empty() &&
      (certificate.height != block.height() || certificate.block_hash != block_hash)) {
    return error(Code::kInvalidArgument, "chain store: the certificate is for another block");
  }
  BytesLess less;
  for (size_t i = 1; i < result.writes.size(); ++i) {
    if (!less(result.writes[i - 1].key, result.writes[i].key)) {
      return error(Code::kInvalidArgument, "chain store: state writes are not in strict key order");
    }
  }
  return Status::ok();
}

Status check_extends(const std::optional<ChainTip>& tip, const chain::Block& block) {
  uint64_t expected = tip ? tip->height + 1 : 1;
  if (block.height() != expected) {
    return error(Code::kFailedPrecondition,
                 "chain store: block at height " + std::to_string(block.height()) +
                     " does not follow the tip; expected height " + std::to_string(expected));
  }
  if (tip && block.header.previous_hash != tip->hash) {
    return error(Code::kFailedPrecondition, "chain store: block at height " +
                                                std::to_string(block.height()) +
                                                " does not extend the tip's hash");
  }
  return Status::ok();
}

// Calls visit(id, position, address, roles) for each history entry of each transaction.
template <typename Visit>
void for_each_indexed(const chain::Block& block, Visit&& visit) {
  for (size_t i = 0; i < block.transactions.size(); ++i) {
    const chain::Transaction& tx = block.transactions[i];
    auto position = static_cast<uint32_t>(i);
    chain::Address sender = tx.sender_address();
    const auto* transfer = std::get_if<chain::Transfer>(&tx.payload);
    if (transfer != nullptr && transfer->to == sender) {
      visit(tx, position, sender, uint8_t{kRoleSender | kRoleRecipient});
      continue;
    }
    visit(tx, position, sender, kRoleSender);
    if (transfer != nullptr) visit(tx, position, transfer->to, kRoleRecipient);
  }
}

void add_transaction_index(WriteBatch& batch, const chain::Block& block) {
  uint32_t last_position = UINT32_MAX;
  for_each_indexed(block, [&](const chain::Transaction& tx, uint32_t position,
                              const chain::Address& address, uint8_t roles) {
    if (position != last_position) {
      TxLocation location{block.height(), position, chain::TxOutcome::kSuccess};
      batch.put(prefixed(kTransactionPrefix, tx.id().view()), encode_location(location));
      last_position = position;
    }
    batch.put(history_key(address, block.height(), position), Bytes{roles});
  });
}

void remove_transaction_index(WriteBatch& batch, const chain::Block& block) {
  uint32_t last_position = UINT32_MAX;
  for_each_indexed(block, [&](const chain::Transaction& tx, uint32_t position,
                              const chain::Address& address, uint8_t) {
    if (position != last_position) {
      batch.remove(prefixed(kTransactionPrefix, tx.id().view()));
      last_position = position;
    }
    batch.remove(history_key(address, block.height(), position));
  });
}

void add_state_writes(WriteBatch& batch, const std::vector<chain::StateWrite>& writes) {
  for (const chain::StateWrite& write : writes) {
    if (write.value) {
      batch.put(prefixed(kStatePrefix, write.key), *write.value);
    } else {
      batch.remove(prefixed(kStatePrefix, write.key));
    }
  }
}

}  // namespace

// ---- writes ----

Status ChainStore::commit_block(const chain::Block& block, const chain::Certificate& certificate,
                                const chain::ApplyResult& result, bool sync) {
  WriteBatch batch;
  SYNOD_TRY(add_commit(batch, block, certificate, result));
  return kv_.write(batch, sync);
}

Status ChainStore::add_commit(WriteBatch& batch, const chain::Block& block,
                              const chain::Certificate& certificate,
                              const chain::ApplyResult& result) const {
  Hash256 hash = block.hash();
  SYNOD_TRY(check_commit(block, hash, certificate, result));
  SYNOD_ASSIGN_OR_RETURN(std::optional<ChainTip> tip, this->tip());
  SYNOD_TRY(check_extends(tip, block));
  uint64_t height = block.height();
  batch.put(height_key(kBlockPrefix, height), encode(block));
  batch.put(height_key(kCertificatePrefix, height), encode(certificate));
  batch.put(prefixed(kHashPrefix, hash.view()), encode_u64(height));
  SYNOD_ASSIGN_OR_RETURN(std::optional<uint64_t> indexed, indexed_through());
  if (options_.index_transactions) {
    if (indexed) {
      return error(Code::kFailedPrecondition,
                   "chain store: the transaction index stops at height " +
                       std::to_string(*indexed) + "; catch_up_index() before committing");
    }
    add_transaction_index(batch, block);
  } else if (!indexed) {
    batch.put(as_bytes(kIndexedKey), encode_u64(height - 1));
  }
  if (options_.revertible) SYNOD_TRY(add_undo(batch, height, result));
  add_state_writes(batch, result.writes);
  batch.put(as_bytes(kTipKey),
            encode_tip(ChainTip{height, hash, block.header.time_ms, certificate}));
  return Status::ok();
}

Status ChainStore::add_undo(WriteBatch& batch, uint64_t height,
                            const chain::ApplyResult& result) const {
  std::vector<chain::StateWrite> previous;
  previous.reserve(result.writes.size());
  for (const chain::StateWrite& write : result.writes) {
    SYNOD_ASSIGN_OR_RETURN(std::optional<Bytes> value, state_value(write.key));
    previous.push_back(chain::StateWrite{write.key, std::move(value)});
  }
  batch.put(height_key(kUndoPrefix, height), encode_undo(result.undo, previous));
  return Status::ok();
}

Status ChainStore::revert_block(uint64_t height, bool sync) {
  if (!options_.revertible) {
    return error(Code::kFailedPrecondition, "chain store: blocks are final; nothing to revert");
  }
  SYNOD_ASSIGN_OR_RETURN(std::optional<ChainTip> tip, this->tip());
  if (!tip || tip->height != height) {
    return error(Code::kFailedPrecondition,
                 "chain store: " + at_height("revert", height) + " is not of the tip");
  }
  SYNOD_ASSIGN_OR_RETURN(std::optional<chain::Block> block, this->block(height));
  if (!block) return corrupt(at_height("block", height), "the tip block is missing");
  WriteBatch batch;
  SYNOD_TRY(add_revert(batch, *block));
  return kv_.write(batch, sync);
}

Status ChainStore::add_revert(WriteBatch& batch, const chain::Block& block) const {
  uint64_t height = block.height();
  SYNOD_ASSIGN_OR_RETURN(std::optional<Bytes> undo_bytes, kv_.get(height_key(kUndoPrefix, height)));
  if (!undo_bytes) {
    return error(Code::kFailedPrecondition,
                 "chain store: " + at_height("block", height) + " is final");
  }
  SYNOD_ASSIGN_OR_RETURN(Undo undo, decode_undo(*undo_bytes, height));
  batch.remove(height_key(kBlockPrefix, height));
  batch.remove(height_key(kCertificatePrefix, height));
  batch.remove(prefixed(kHashPrefix, block.hash().view()));
  SYNOD_ASSIGN_OR_RETURN(std::optional<uint64_t> indexed, indexed_through());
  if (!indexed || height <= *indexed) {
    remove_transaction_index(batch, block);
    if (indexed || !options_.index_transactions) {
      batch.put(as_bytes(kIndexedKey), encode_u64(height - 1));
    }
  }
  add_state_writes(batch, undo.previous);
  batch.remove(height_key(kUndoPrefix, height));
  if (height == 1) {
    batch.remove(as_bytes(kTipKey));
    return Status::ok();
  }
  SYNOD_ASSIGN_OR_RETURN(std::optional<chain::BlockHeader> parent, header(height - 1));
  SYNOD_ASSIGN_OR_RETURN(std::optional<chain::Certificate> certificate, certificate(height - 1));
  if (!parent || !certificate) {
    return corrupt(at_height("block", height - 1), "the parent of the tip is missing");
  }
  Hash256 parent_hash = parent->hash();
  if (parent_hash != block.header.previous_hash) {
    return corrupt(at_height("block", height), "its parent's hash differs from previous_hash");
  }
  batch.put(as_bytes(kTipKey),
            encode_tip(ChainTip{height - 1, parent_hash, parent->time_ms, *certificate}));
  return Status::ok();
}

Status ChainStore::finalize(uint64_t height, bool sync) {
  SYNOD_ASSIGN_OR_RETURN(std::optional<ChainTip> tip, this->tip());
  uint64_t tip_height = tip ? tip->height : 0;
  if (height > tip_height) {
    return error(Code::kFailedPrecondition, "chain store: cannot finalize height " +
                                                std::to_string(height) + " above the tip " +
                                                std::to_string(tip_height));
  }
  WriteBatch batch;
  KeyRange range = KeyRange::between(as_bytes(kUndoPrefix), height_key(kUndoPrefix, height + 1));
  SYNOD_TRY(kv_.scan(range, ScanOptions{}, [&](ByteView key, ByteView) {
    batch.remove(key);
    return Status::ok();
  }));
  if (batch.empty() && !sync) return Status::ok();
  return kv_.write(batch, sync);
}

Status ChainStore::put_records(std::span<const EngineRecord> records, bool sync) {
  WriteBatch batch;
  for (const EngineRecord& record : records) {
    if (record.key.empty() || record.key.size() > kEngineRecordKeyBytesMax) {
      return error(Code::kInvalidArgument,
                   "chain store: engine record key of " + std::to_string(record.key.size()) +
                       " bytes; must be 1 to " + std::to_string(kEngineRecordKeyBytesMax));
    }
    batch.put(prefixed(kRecordPrefix, as_bytes(record.key)), record.value);
  }
  return kv_.write(batch, sync);
}

Result<uint64_t> ChainStore::catch_up_index(
    const std::function<void(uint64_t done, uint64_t total)>& progress) {
  if (!options_.index_transactions) return uint64_t{0};
  SYNOD_ASSIGN_OR_RETURN(std::optional<uint64_t> indexed, indexed_through());
  if (!indexed) return uint64_t{0};
  SYNOD_ASSIGN_OR_RETURN(std::optional<ChainTip> tip, this->tip());
  const uint64_t tip_height = tip ? tip->height : 0;
  const uint64_t first = *indexed + 1;
  const uint64_t total = tip_height >= first ? tip_height - first + 1 : 0;
  for (uint64_t height = first; height <= tip_height; ++height) {
    SYNOD_ASSIGN_OR_RETURN(std::optional<chain::Block> block, this->block(height));
    if (!block) return corrupt(at_height("block", height), "it is missing below the tip");
    WriteBatch batch;
    add_transaction_index(batch, *block);
    batch.put(as_bytes(kIndexedKey), encode_u64(height));
    SYNOD_TRY(kv_.write(batch, /*sync=*/false));
    if (progress) progress(height - first + 1, total);
  }
  WriteBatch complete;  // the marker is at (or above) the tip: nothing is missing
  complete.remove(as_bytes(kIndexedKey));
  SYNOD_TRY(kv_.write(complete, /*sync=*/false));
  SYNOD_TRY(kv_.sync());
  return total;
}

// ---- reads ----

Result<std::optional<uint64_t>> ChainStore::indexed_through() const {
  SYNOD_ASSIGN_OR_RETURN(std::optional<Bytes> bytes, kv_.get(as_bytes(kIndexedKey)));
  if (!bytes) return std::optional<uint64_t>();
  SYNOD_ASSIGN_OR_RETURN(uint64_t height, decode_u64(*bytes, "transaction index marker"));
  return std::optional<uint64_t>(height);
}

Status ChainStore::check_format() {
  SYNOD_ASSIGN_OR_RETURN(std::optional<Bytes> bytes, kv_.get(as_bytes(kFormatKey)));
  if (!bytes) {
    Writer writer(4);
    writer.u32(kChainStoreFormat);
    WriteBatch batch;
    batch.put(as_bytes(kFormatKey), writer.buffer());
    return kv_.write(batch, /*sync=*/true);
  }
  Reader reader(*bytes);
  const uint32_t format = reader.u32();
  if (!reader.finish().is_ok())
    return error(Code::kCorrupt, "chain store: unreadable format marker");
  if (format != kChainStoreFormat) {
    return error(Code::kFailedPrecondition,
                 "chain store: the data folder is in format " + std::to_string(format) +
                     " and this synod reads format " + std::to_string(kChainStoreFormat) +
                     "; use the synod release that wrote it, or a fresh data folder");
  }
  return Status::ok();
}

Result<std::optional<ChainTip>> ChainStore::tip() const {
  SYNOD_ASSIGN_OR_RETURN(std::optional<Bytes> bytes, kv_.get(as_bytes(kTipKey)));
  if (!bytes) return std::optional<ChainTip>();
  SYNOD_ASSIGN_OR_RETURN(ChainTip tip, decode_tip(*bytes));
  return std::optional<ChainTip>(std::move(tip));
}

Result<std::optional<chain::Block>> ChainStore::block(uint64_t height) const {
  SYNOD_ASSIGN_OR_RETURN(std::optional<Bytes> bytes, kv_.get(height_key(kBlockPrefix, height)));
  if (!bytes) return std::optional<chain::Block>();
  auto block = chain::decode_block(*bytes);
  if (!block.is_ok()) return corrupt(at_height("block", height), block.status());
  if (block->height() != height) {
    return corrupt(at_height("block", height), "it holds a block of another height");
  }
  return std::optional<chain::Block>(std::move(block).value());
}

Result<std::optional<chain::BlockHeader>> ChainStore::header(uint64_t height) const {
  SYNOD_ASSIGN_OR_RETURN(std::optional<Bytes> bytes, kv_.get(height_key(kBlockPrefix, height)));
  if (!bytes) return std::optional<chain::BlockHeader>();
  Reader reader(*bytes);
  chain::BlockHeader header = chain::BlockHeader::decode_from(reader);
  if (!reader.ok()) return corrupt(at_height("block", height), reader.finish());
  if (header.height != height) {
    return corrupt(at_height("block", height), "it holds a block of another height");
  }
  return std::optional<chain::BlockHeader>(std::move(header));
}

Result<std::vector<chain::BlockHeader>> ChainStore::recent_headers(uint64_t tip_height,
                                                                   size_t count) const {
  std::vector<chain::BlockHeader> out;
  const uint64_t first = tip_height > count ? tip_height - count + 1 : 1;
  for (uint64_t height = first; height <= tip_height; ++height) {
    SYNOD_ASSIGN_OR_RETURN(std::optional<chain::BlockHeader> found, header(height));
    if (!found) return corrupt(at_height("block", height), "it is missing below the tip");
    out.push_back(std::move(*found));
  }
  return out;
}

Result<std::optional<uint64_t>> ChainStore::height_of(const Hash256& hash) const {
  SYNOD_ASSIGN_OR_RETURN(std::optional<Bytes> bytes, kv_.get(prefixed(kHashPrefix, hash.view())));
  if (!bytes) return std::optional<uint64_t>();
  SYNOD_ASSIGN_OR_RETURN(uint64_t height, decode_u64(*bytes, "block hash index entry"));
  return std::optional<uint64_t>(height);
}

Result<std::optional<chain::Block>> ChainStore::block_by_hash(const Hash256& hash) const {
  SYNOD_ASSIGN_OR_RETURN(std::optional<uint64_t> height, height_of(hash));
  if (!height) return std::optional<chain::Block>();
  SYNOD_ASSIGN_OR_RETURN(std::optional<chain::Block> block, block(*height));
  if (!block || block->hash() != hash) {
    return corrupt("block hash index",
                   "entry " + hash.hex() + " names " + at_height("no such block", *height));
  }
  return block;
}

Result<std::optional<chain::Certificate>> ChainStore::certificate(uint64_t height) const {
  SYNOD_ASSIGN_OR_RETURN(std::optional<Bytes> bytes,
                         kv_.get(height_key(kCertificatePrefix, height)));
  return decode_optional<chain::Certificate>(bytes, at_height("certificate", height));
}

Result<std::optional<TxLocation>> ChainStore::transaction_location(const Hash256& id) const {
  SYNOD_ASSIGN_OR_RETURN(std::optional<Bytes> bytes,
                         kv_.get(prefixed(kTransactionPrefix, id.view())));
  if (!bytes) return std::optional<TxLocation>();
  SYNOD_ASSIGN_OR_RETURN(TxLocation location, decode_location(*bytes));
  return std::optional<TxLocation>(location);
}

Result<std::optional<LocatedTransaction>> ChainStore::transaction(const Hash256& id) const {
  SYNOD_ASSIGN_OR_RETURN(std::optional<TxLocation> location, transaction_location(id));
  if (!location) return std::optional<LocatedTransaction>();
  SYNOD_ASSIGN_OR_RETURN(std::optional<chain::Block> block, block(location->height));
  if (!block || location->position >= block->transactions.size() ||
      block->transactions[location->position].id() != id) {
    return corrupt("transaction index", "entry " + id.hex() + " names " +
                                            at_height("no such transaction", location->height));
  }
  return std::optional<LocatedTransaction>(
      LocatedTransaction{std::move(block->transactions[location->position]), *location});
}

Result<HistoryPage> ChainStore::history(const chain::Address& address,
                                        const HistoryQuery& query) const {
  if (query.limit == 0 || query.limit > kHistoryEntriesMax) {
    return error(Code::kInvalidArgument,
                 "chain store: history limit must be 1 to " + std::to_string(kHistoryEntriesMax));
  }
  KeyRange range = KeyRange::with_prefix(history_prefix(address));
  if (query.after) {
    Bytes after = history_key(address, query.after->height, query.after->position);
    if (query.order == ScanOrder::kAscending) {
      after.push_back(0);  // the least key above `after`: every history key has the same length
      range.begin = std::move(after);
    } else {
      range.end = std::move(after);
    }
  }
  HistoryPage page;
  SYNOD_TRY(kv_.scan(range, ScanOptions{query.order, query.limit + 1},
                     [&](ByteView key, ByteView value) -> Status {
                       if (page.entries.size() == query.limit) {
                         page.more = true;
                         return Status::ok();
                       }
                       SYNOD_ASSIGN_OR_RETURN(HistoryEntry entry, decode_history_entry(key, value));
                       page.entries.push_back(entry);
                       return Status::ok();
                     }));
  return page;
}

Result<std::optional<Bytes>> ChainStore::application_undo(uint64_t height) const {
  SYNOD_ASSIGN_OR_RETURN(std::optional<Bytes> bytes, kv_.get(height_key(kUndoPrefix, height)));
  if (!bytes) return std::optional<Bytes>();
  SYNOD_ASSIGN_OR_RETURN(Undo undo, decode_undo(*bytes, height));
  return std::optional<Bytes>(std::move(undo.application_undo));
}

Result<std::optional<Bytes>> ChainStore::state_value(ByteView key) const {
  return kv_.get(prefixed(kStatePrefix, key));
}

Status ChainStore::scan_state(const ScanVisitor& visit) const {
  return kv_.scan_prefix(as_bytes(kStatePrefix), [&](ByteView key, ByteView value) {
    return visit(key.subspan(kStatePrefix.size()), value);
  });
}

chain::Application::StateScan ChainStore::state_scan() const {
  return [this](const std::function<Status(ByteView, ByteView)>& each) { return scan_state(each); };
}

Result<std::vector<EngineRecord>> ChainStore::load_records() const {
  std::vector<EngineRecord> records;
  SYNOD_TRY(kv_.scan(
      KeyRange::with_prefix(as_bytes(kRecordPrefix)),
      ScanOptions{ScanOrder::kAscending, kEngineRecordsMax + 1},
      [&](ByteView key, ByteView value) -> Status {
        if (records.size() == kEngineRecordsMax) {
          return corrupt("engine records", "more than " + std::to_string(kEngineRecordsMax));
        }
        std::string_view name = as_string_view(key).substr(kRecordPrefix.size());
        records.push_back(EngineRecord{std::string(name), Bytes(value.begin(), value.end())});
        return Status::ok();
      }));
  return records;
}

}  // namespace synod::storage

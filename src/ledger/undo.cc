#include "ledger/undo.h"

#include "chain/limits.h"

namespace synod::ledger {

namespace {
// A block changes at most three accounts per transaction (sender, recipient, proposer) or one
// account and one kv entry.
constexpr size_t kUndoWritesMax = 3 * chain::kBlockTransactionsMax;
constexpr size_t kStateKeyBytesMax = 1 + chain::kKvKeyBytesMax;
constexpr size_t kStateValueBytesMax = chain::kKvValueBytesMax;
// Smallest write: a 4-byte length, a 2-byte key, an absent flag.
constexpr size_t kWriteBytesMin = 7;
}  // namespace

void Undo::encode(Writer& writer) const {
  writer.u8(kVersion);
  writer.u64(height);
  writer.fixed(state_root_before);
  writer.list_size(writes.size());
  for (const chain::StateWrite& write : writes) {
    writer.bytes(write.key);
    writer.boolean(write.value.has_value());
    if (write.value) writer.bytes(*write.value);
  }
}

Bytes encode_undo(uint64_t height, const Hash256& state_root_before, const ChangeSet& changes) {
  Writer writer(64 + changes.accounts.size() * 48);
  writer.u8(Undo::kVersion);
  writer.u64(height);
  writer.fixed(state_root_before);
  writer.list_size(changes.size());
  for (const AccountChange& change : changes.accounts) {
    writer.u32(static_cast<uint32_t>(kAccountStateKeyBytes));
    writer.u8(static_cast<uint8_t>(StateKind::kAccount));
    writer.fixed(change.address.bytes);
    writer.boolean(change.before.has_value());
    if (change.before) writer.bytes(encode_account(*change.before));
  }
  for (const KvChange& change : changes.kv) {
    writer.bytes(kv_state_key(change.key));
    writer.boolean(change.before.has_value());
    if (change.before) writer.bytes(*change.before);
  }
  return writer.take();
}

Undo Undo::decode_from(Reader& reader) {
  Undo undo;
  uint8_t version = reader.u8();
  if (reader.ok() && version != kVersion) {
    reader.fail("undo data version " + std::to_string(version) + " is not " +
                std::to_string(kVersion));
  }
  undo.height = reader.u64();
  undo.state_root_before = reader.fixed<32>();
  size_t count = reader.list_size(kUndoWritesMax, kWriteBytesMin);
  undo.writes.reserve(count);
  for (size_t i = 0; i < count && reader.ok(); ++i) {
    chain::StateWrite write;
    write.key = reader.bytes(kStateKeyBytesMax);
    if (reader.boolean()) write.value = reader.bytes(kStateValueBytesMax);
    undo.writes.push_back(std::move(write));
  }
  return undo;
}

}  // namespace synod::ledger

#include "consensus/pbft/records.h"

namespace synod::consensus::pbft {

namespace {

std::string short_hash(const Hash256& hash) {
  return to_hex(ByteView(hash.data.data(), 4));
}

template <typename T>
Status decode_into(std::optional<T>& out, const Record& record) {
  auto value = decode<T>(record.value);
  if (!value.is_ok()) return value.status().with_context("record " + record.key);
  out = std::move(value).value();
  return Status::ok();
}

}  // namespace

RecordKeys::RecordKeys(std::string_view prefix)
    : prefix(prefix),
      view(std::string(prefix) + "view"),
      pre_prepare(std::string(prefix) + "vote/pre-prepare"),
      prepare(std::string(prefix) + "vote/prepare"),
      commit(std::string(prefix) + "vote/commit"),
      prepared(std::string(prefix) + "prepared") {}

bool RecordKeys::owns(std::string_view key) const {
  return key.substr(0, prefix.size()) == prefix;
}

void ViewRecord::encode(Writer& writer) const {
  writer.u64(height);
  writer.u64(view);
  writer.boolean(active);
  writer.boolean(mandate.has_value());
  if (mandate) writer.fixed(*mandate);
}

ViewRecord ViewRecord::decode_from(Reader& reader) {
  ViewRecord record;
  record.height = reader.u64();
  record.view = reader.u64();
  record.active = reader.boolean();
  if (reader.boolean()) record.mandate = reader.fixed<32>();
  return record;
}

void VoteRecord::encode(Writer& writer) const {
  writer.u64(height);
  writer.u64(view);
  writer.fixed(block_hash);
}

VoteRecord VoteRecord::decode_from(Reader& reader) {
  VoteRecord record;
  record.height = reader.u64();
  record.view = reader.u64();
  record.block_hash = reader.fixed<32>();
  return record;
}

void PreparedRecord::encode(Writer& writer) const {
  writer.u64(height);
  writer.u64(proof.claim.view);
  writer.fixed(proof.claim.block_hash);
  writer.list_size(proof.prepares.size());
  for (const chain::CommitSignature& entry : proof.prepares) {
    writer.u32(entry.validator_index);
    writer.fixed(entry.signature);
  }
  block.encode(writer);
}

PreparedRecord PreparedRecord::decode_from(Reader& reader) {
  PreparedRecord record;
  record.height = reader.u64();
  record.proof.claim.view = reader.u64();
  record.proof.claim.block_hash = reader.fixed<32>();
  size_t count = reader.list_size(chain::kValidatorsMax, 4 + 64);
  record.proof.prepares.resize(count);
  for (size_t i = 0; i < count && reader.ok(); ++i) {
    chain::CommitSignature& entry = record.proof.prepares[i];
    entry.validator_index = reader.u32();
    entry.signature = reader.fixed<64>();
    if (i > 0 && entry.validator_index <= record.proof.prepares[i - 1].validator_index) {
      reader.fail("prepared signers are not strictly increasing");
    }
  }
  record.block = chain::Block::decode_from(reader);
  if (reader.ok() && record.block.hash() != record.proof.claim.block_hash) {
    reader.fail("prepared block does not match its proof");
  }
  return record;
}

Result<RestoredRecords> restore_records(const RecordKeys& keys,
                                        const std::vector<Record>& records) {
  RestoredRecords out;
  for (const Record& record : records) {
    if (!keys.owns(record.key)) continue;
    if (record.key == keys.view) {
      SYNOD_TRY(decode_into(out.view, record));
    } else if (record.key == keys.pre_prepare) {
      SYNOD_TRY(decode_into(out.pre_prepare, record));
    } else if (record.key == keys.prepare) {
      SYNOD_TRY(decode_into(out.prepare, record));
    } else if (record.key == keys.commit) {
      SYNOD_TRY(decode_into(out.commit, record));
    } else if (record.key == keys.prepared) {
      SYNOD_TRY(decode_into(out.prepared, record));
    } else {
      return error(Code::kCorrupt, "unknown engine record " + record.key);
    }
  }
  return out;
}

std::string describe_record(const RecordKeys& keys, const Record& record) {
  auto head = [](uint64_t height, uint64_t view) {
    return " h=" + std::to_string(height) + " v=" + std::to_string(view);
  };
  std::string name = record.key.substr(keys.prefix.size());
  if (record.key == keys.view) {
    auto value = decode<ViewRecord>(record.value);
    if (!value.is_ok()) return name + " corrupt";
    std::string out =
        name + head(value->height, value->view) + (value->active ? " active" : " changing");
    if (value->mandate) out += " mandate=" + short_hash(*value->mandate);
    return out;
  }
  if (record.key == keys.prepared) {
    auto value = decode<PreparedRecord>(record.value);
    if (!value.is_ok()) return name + " corrupt";
    return name + head(value->height, value->proof.claim.view) + " " +
           short_hash(value->proof.claim.block_hash);
  }
  auto value = decode<VoteRecord>(record.value);
  if (!value.is_ok()) return name + " corrupt";
  return name + head(value->height, value->view) + " " + short_hash(value->block_hash);
}

}  // namespace synod::consensus::pbft

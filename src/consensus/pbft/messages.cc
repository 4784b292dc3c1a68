#include "consensus/pbft/messages.h"

#include "consensus/engine.h"
#include "crypto/hash.h"

namespace synod::consensus::pbft {

namespace {

constexpr size_t kSignatureEntryBytes = 4 + 64;
// A block header with an empty certificate and no transactions is well over 200 bytes.
constexpr size_t kBlockBytesMin = 200;

Writer signing_writer(std::string_view chain_id) {
  Writer writer(256);
  writer.string(chain_id);
  return writer;
}

void encode_signed(Writer& writer, const Signed& sig) {
  writer.fixed(sig.signer);
  writer.fixed(sig.signature);
}

Signed decode_signed(Reader& reader) {
  Signed sig;
  sig.signer = reader.fixed<32>();
  sig.signature = reader.fixed<64>();
  return sig;
}

void encode_claim(Writer& writer, const std::optional<PreparedClaim>& claim) {
  writer.boolean(claim.has_value());
  if (!claim) return;
  writer.u64(claim->view);
  writer.fixed(claim->block_hash);
}

std::optional<PreparedClaim> decode_claim(Reader& reader) {
  if (!reader.boolean()) return std::nullopt;
  PreparedClaim claim;
  claim.view = reader.u64();
  claim.block_hash = reader.fixed<32>();
  return claim;
}

void encode_signatures(Writer& writer, const std::vector<chain::CommitSignature>& signatures) {
  writer.list_size(signatures.size());
  for (const chain::CommitSignature& entry : signatures) {
    writer.u32(entry.validator_index);
    writer.fixed(entry.signature);
  }
}

std::vector<chain::CommitSignature> decode_signatures(Reader& reader) {
  size_t count = reader.list_size(chain::kValidatorsMax, kSignatureEntryBytes);
  std::vector<chain::CommitSignature> signatures(count);
  for (size_t i = 0; i < count && reader.ok(); ++i) {
    signatures[i].validator_index = reader.u32();
    signatures[i].signature = reader.fixed<64>();
    if (i > 0 && signatures[i].validator_index <= signatures[i - 1].validator_index) {
      reader.fail("signers are not strictly increasing");
    }
  }
  return signatures;
}

// ---- Per-type bodies: the fields between the type tag and what follows them. ----

void encode_body(Writer& writer, const PrePrepare& m) {
  writer.u64(m.height);
  writer.u64(m.view);
  m.block.encode(writer);
  encode_signed(writer, m.sig);
}

PrePrepare decode_pre_prepare(Reader& reader) {
  PrePrepare m;
  m.height = reader.u64();
  m.view = reader.u64();
  m.block = chain::Block::decode_from(reader);
  m.sig = decode_signed(reader);
  return m;
}

void encode_body(Writer& writer, const Vote& m) {
  writer.u64(m.height);
  writer.u64(m.view);
  writer.fixed(m.block_hash);
  encode_signed(writer, m.sig);
}

Vote decode_vote(Reader& reader, MessageType type) {
  Vote m;
  m.type = type;
  m.height = reader.u64();
  m.view = reader.u64();
  m.block_hash = reader.fixed<32>();
  m.sig = decode_signed(reader);
  return m;
}

void encode_body(Writer& writer, const ViewChange& m) {
  writer.u64(m.height);
  writer.u64(m.new_view);
  encode_claim(writer, m.prepared);
  encode_signed(writer, m.sig);
  encode_signatures(writer, m.prepares);
  writer.boolean(m.block.has_value());
  if (m.block) m.block->encode(writer);
}

ViewChange decode_view_change(Reader& reader) {
  ViewChange m;
  m.height = reader.u64();
  m.new_view = reader.u64();
  m.prepared = decode_claim(reader);
  m.sig = decode_signed(reader);
  m.prepares = decode_signatures(reader);
  if (reader.boolean()) m.block = chain::Block::decode_from(reader);
  if (!reader.ok()) return m;
  if (m.prepared.has_value() != m.block.has_value() ||
      m.prepared.has_value() == m.prepares.empty()) {
    reader.fail("view change carries prepares and a block exactly when it claims one");
  } else if (m.prepared && m.prepared->view >= m.new_view) {
    reader.fail("view change claims a block prepared in a view not below the new view");
  } else if (m.prepared && m.block->hash() != m.prepared->block_hash) {
    reader.fail("view change block does not match its claim");
  }
  return m;
}

void encode_new_view_fields(Writer& writer, const NewView& m) {
  writer.u64(m.height);
  writer.u64(m.new_view);
  writer.list_size(m.view_changes.size());
  for (const ViewChangeSummary& summary : m.view_changes) {
    writer.u32(summary.validator_index);
    encode_claim(writer, summary.prepared);
    writer.fixed(summary.signature);
  }
  writer.boolean(m.proof.has_value());
  if (!m.proof) return;
  writer.u64(m.proof->claim.view);
  writer.fixed(m.proof->claim.block_hash);
  encode_signatures(writer, m.proof->prepares);
}

void encode_body(Writer& writer, const NewView& m) {
  encode_new_view_fields(writer, m);
  encode_signed(writer, m.sig);
}

NewView decode_new_view(Reader& reader) {
  NewView m;
  m.height = reader.u64();
  m.new_view = reader.u64();
  size_t count = reader.list_size(chain::kValidatorsMax, 4 + 1 + 64);
  m.view_changes.resize(count);
  for (size_t i = 0; i < count && reader.ok(); ++i) {
    ViewChangeSummary& summary = m.view_changes[i];
    summary.validator_index = reader.u32();
    summary.prepared = decode_claim(reader);
    summary.signature = reader.fixed<64>();
    if (i > 0 && summary.validator_index <= m.view_changes[i - 1].validator_index) {
      reader.fail("view changes are not in strictly increasing validator order");
    }
  }
  if (reader.boolean()) {
    PreparedProof proof;
    proof.claim.view = reader.u64();
    proof.claim.block_hash = reader.fixed<32>();
    proof.prepares = decode_signatures(reader);
    m.proof = std::move(proof);
  }
  m.sig = decode_signed(reader);
  return m;
}

void encode_body(Writer& writer, const SyncRequest& m) {
  writer.u64(m.height_from);
  writer.u32(m.count);
  encode_signed(writer, m.sig);
}

SyncRequest decode_sync_request(Reader& reader) {
  SyncRequest m;
  m.height_from = reader.u64();
  m.count = reader.u32();
  m.sig = decode_signed(reader);
  if (reader.ok() && (m.count == 0 || m.count > kSyncBlocksMax)) {
    reader.fail("sync request count " + std::to_string(m.count) + " outside 1.." +
                std::to_string(kSyncBlocksMax));
  }
  return m;
}

void encode_body(Writer& writer, const SyncResponse& m) {
  writer.list_size(m.entries.size());
  for (const SyncEntry& entry : m.entries) {
    entry.block.encode(writer);
    entry.certificate.encode(writer);
  }
  encode_signed(writer, m.sig);
}

SyncResponse decode_sync_response(Reader& reader) {
  SyncResponse m;
  size_t count = reader.list_size(kSyncBlocksMax, kBlockBytesMin);
  m.entries.reserve(count);
  for (size_t i = 0; i < count && reader.ok(); ++i) {
    SyncEntry entry;
    entry.block = chain::Block::decode_from(reader);
    entry.certificate = chain::Certificate::decode_from(reader);
    if (i > 0 && entry.block.height() != m.entries.back().block.height() + 1) {
      reader.fail("sync response heights are not consecutive");
    }
    m.entries.push_back(std::move(entry));
  }
  m.sig = decode_signed(reader);
  return m;
}

template <typename T>
const Signed& signed_of(const T& m) {
  return m.sig;
}

}  // namespace

std::string_view message_type_name(MessageType type) {
  switch (type) {
    case MessageType::kPrePrepare:
      return "PRE-PREPARE";
    case MessageType::kPrepare:
      return "PREPARE";
    case MessageType::kCommit:
      return "COMMIT";
    case MessageType::kViewChange:
      return "VIEW-CHANGE";
    case MessageType::kNewView:
      return "NEW-VIEW";
    case MessageType::kSyncRequest:
      return "SYNC-REQUEST";
    case MessageType::kSyncResponse:
      return "SYNC-RESPONSE";
  }
  return "UNKNOWN";
}

Hash256 prepare_signing_hash(std::string_view chain_id, uint64_t height, uint64_t view,
                             const Hash256& block_hash) {
  Writer writer = signing_writer(chain_id);
  writer.u64(height);
  writer.u64(view);
  writer.fixed(block_hash);
  return crypto::tagged_hash("synod/pbft/prepare", writer.buffer());
}

Hash256 PrePrepare::signing_hash(std::string_view chain_id) const {
  Writer writer = signing_writer(chain_id);
  writer.u64(height);
  writer.u64(view);
  writer.fixed(block.hash());
  return crypto::tagged_hash("synod/pbft/pre-prepare", writer.buffer());
}

Hash256 Vote::signing_hash(std::string_view chain_id) const {
  if (type == MessageType::kCommit) {
    return chain::commit_signing_hash(chain_id, height, view, block_hash);
  }
  SYNOD_ASSERT(type == MessageType::kPrepare);
  return prepare_signing_hash(chain_id, height, view, block_hash);
}

Hash256 ViewChange::signing_hash(std::string_view chain_id) const {
  Writer writer = signing_writer(chain_id);
  writer.u64(height);
  writer.u64(new_view);
  encode_claim(writer, prepared);
  return crypto::tagged_hash("synod/pbft/view-change", writer.buffer());
}

Hash256 NewView::signing_hash(std::string_view chain_id) const {
  Writer writer = signing_writer(chain_id);
  encode_new_view_fields(writer, *this);
  return crypto::tagged_hash("synod/pbft/new-view", writer.buffer());
}

Hash256 SyncRequest::signing_hash(std::string_view chain_id) const {
  Writer writer = signing_writer(chain_id);
  writer.u64(height_from);
  writer.u32(count);
  return crypto::tagged_hash("synod/pbft/sync-request", writer.buffer());
}

Hash256 SyncResponse::signing_hash(std::string_view chain_id) const {
  Writer writer = signing_writer(chain_id);
  writer.list_size(entries.size());
  for (const SyncEntry& entry : entries) {
    writer.fixed(entry.block.hash());
    entry.certificate.encode(writer);
  }
  return crypto::tagged_hash("synod/pbft/sync-response", writer.buffer());
}

MessageType message_type(const Message& message) {
  struct Visitor {
    MessageType operator()(const PrePrepare&) const { return MessageType::kPrePrepare; }
    MessageType operator()(const Vote& m) const { return m.type; }
    MessageType operator()(const ViewChange&) const { return MessageType::kViewChange; }
    MessageType operator()(const NewView&) const { return MessageType::kNewView; }
    MessageType operator()(const SyncRequest&) const { return MessageType::kSyncRequest; }
    MessageType operator()(const SyncResponse&) const { return MessageType::kSyncResponse; }
  };
  return std::visit(Visitor{}, message);
}

const Signed& message_signed(const Message& message) {
  return std::visit([](const auto& m) -> const Signed& { return signed_of(m); }, message);
}

uint64_t message_height(const Message& message) {
  struct Visitor {
    uint64_t operator()(const PrePrepare& m) const { return m.height; }
    uint64_t operator()(const Vote& m) const { return m.height; }
    uint64_t operator()(const ViewChange& m) const { return m.height; }
    uint64_t operator()(const NewView& m) const { return m.height; }
    uint64_t operator()(const SyncRequest& m) const { return m.height_from; }
    uint64_t operator()(const SyncResponse& m) const {
      return m.entries.empty() ? 0 : m.entries.front().block.height();
    }
  };
  return std::visit(Visitor{}, message);
}

Hash256 message_signing_hash(const Message& message, std::string_view chain_id) {
  return std::visit([&](const auto& m) { return m.signing_hash(chain_id); }, message);
}

Bytes encode_message(const Message& message) {
  Writer writer;
  writer.u8(static_cast<uint8_t>(message_type(message)));
  std::visit([&](const auto& m) { encode_body(writer, m); }, message);
  return writer.take();
}

Result<Message> decode_message(ByteView payload) {
  if (payload.size() > kMessageBytesMax) {
    return error(Code::kInvalidArgument, "message of " + std::to_string(payload.size()) +
                                             " bytes is over the limit of " +
                                             std::to_string(kMessageBytesMax));
  }
  Reader reader(payload);
  uint8_t tag = reader.u8();
  Message message;
  switch (static_cast<MessageType>(tag)) {
    case MessageType::kPrePrepare:
      message = decode_pre_prepare(reader);
      break;
    case MessageType::kPrepare:
    case MessageType::kCommit:
      message = decode_vote(reader, static_cast<MessageType>(tag));
      break;
    case MessageType::kViewChange:
      message = decode_view_change(reader);
      break;
    case MessageType::kNewView:
      message = decode_new_view(reader);
      break;
    case MessageType::kSyncRequest:
      message = decode_sync_request(reader);
      break;
    case MessageType::kSyncResponse:
      message = decode_sync_response(reader);
      break;
    default:
      reader.fail("unknown message type " + std::to_string(tag));
  }
  SYNOD_TRY(reader.finish());
  return message;
}

void sign_message(Message& message, std::string_view chain_id, const crypto::KeyPair& key) {
  Hash256 digest = message_signing_hash(message, chain_id);
  std::visit(
      [&](auto& m) {
        m.sig.signer = key.public_key();
        m.sig.signature = key.sign(digest.view());
      },
      message);
}

bool verify_message_signature(const Message& message, std::string_view chain_id) {
  const Signed& sig = message_signed(message);
  return crypto::verify(sig.signer, message_signing_hash(message, chain_id).view(), sig.signature);
}

std::string describe_message(const Message& message) {
  struct Visitor {
    std::string operator()(const PrePrepare& m) const {
      return head(m.height, m.view) + " " + short_hash(m.block.hash());
    }
    std::string operator()(const Vote& m) const {
      return head(m.height, m.view) + " " + short_hash(m.block_hash);
    }
    std::string operator()(const ViewChange& m) const {
      std::string out = head(m.height, m.new_view);
      if (m.prepared) {
        out += " prepared=v" + std::to_string(m.prepared->view) + ":" +
               short_hash(m.prepared->block_hash);
      }
      return out;
    }
    std::string operator()(const NewView& m) const {
      std::string out =
          head(m.height, m.new_view) + " view_changes=" + std::to_string(m.view_changes.size());
      if (m.proof) {
        out += " proof=v" + std::to_string(m.proof->claim.view) + ":" +
               short_hash(m.proof->claim.block_hash);
      }
      return out;
    }
    std::string operator()(const SyncRequest& m) const {
      return "from=" + std::to_string(m.height_from) + " count=" + std::to_string(m.count);
    }
    std::string operator()(const SyncResponse& m) const {
      if (m.entries.empty()) return "entries=0";
      return "heights=" + std::to_string(m.entries.front().block.height()) + ".." +
             std::to_string(m.entries.back().block.height());
    }
    static std::string head(uint64_t height, uint64_t view) {
      return "h=" + std::to_string(height) + " v=" + std::to_string(view);
    }
    static std::string short_hash(const Hash256& hash) {
      return to_hex(ByteView(hash.data.data(), 4));
    }
  };
  return std::string(message_type_name(message_type(message))) + " " +
         std::visit(Visitor{}, message);
}

}  // namespace synod::consensus::pbft

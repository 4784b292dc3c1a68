#include "chain/transaction.h"

#include "crypto/hash.h"

namespace synod::chain {

PayloadType Transaction::type() const {
  return std::holds_alternative<Transfer>(payload) ? PayloadType::kTransfer : PayloadType::kKvPut;
}

void Transaction::encode_unsigned(Writer& writer) const {
  writer.string(chain_id);
  writer.fixed(sender);
  writer.u64(nonce);
  writer.u64(fee);
  writer.u8(static_cast<uint8_t>(type()));
  if (const auto* transfer = std::get_if<Transfer>(&payload)) {
    writer.fixed(transfer->to.bytes);
    writer.u64(transfer->amount);
  } else {
    const auto& put = std::get<KvPut>(payload);
    writer.bytes(put.key);
    writer.bytes(put.value);
  }
}

void Transaction::encode(Writer& writer) const {
  encode_unsigned(writer);
  writer.fixed(signature);
}

Transaction Transaction::decode_from(Reader& reader) {
  Transaction tx;
  tx.chain_id = reader.string(kChainIdBytesMax);
  tx.sender = reader.fixed<32>();
  tx.nonce = reader.u64();
  tx.fee = reader.u64();
  uint8_t tag = reader.u8();
  if (tag == static_cast<uint8_t>(PayloadType::kTransfer)) {
    Transfer transfer;
    transfer.to.bytes = reader.fixed<20>();
    transfer.amount = reader.u64();
    tx.payload = transfer;
  } else if (tag == static_cast<uint8_t>(PayloadType::kKvPut)) {
    KvPut put;
    put.key = reader.bytes(kKvKeyBytesMax);
    put.value = reader.bytes(kKvValueBytesMax);
    tx.payload = std::move(put);
  } else if (reader.ok()) {
    reader.fail("unknown transaction payload type " + std::to_string(tag));
  }
  tx.signature = reader.fixed<64>();
  return tx;
}

Hash256 Transaction::signing_hash() const {
  Writer writer(256);
  encode_unsigned(writer);
  return crypto::tagged_hash("synod/tx/sign", writer.buffer());
}

void Transaction::sign(const crypto::KeyPair& key) {
  SYNOD_ASSERT(key.public_key() == sender);
  signature = key.sign(signing_hash().view());
}

bool Transaction::verify_signature() const {
  return crypto::verify(sender, signing_hash().view(), signature);
}

Hash256 transaction_id(ByteView encoding) {
  return crypto::tagged_hash("synod/tx", encoding);
}

Hash256 Transaction::id() const {
  Writer writer(256);
  encode(writer);
  return transaction_id(writer.buffer());
}

Result<Transaction> decode_transaction(ByteView bytes) {
  if (bytes.size() > kTransactionBytesMax) {
    return error(Code::kInvalidArgument, "transaction of " + std::to_string(bytes.size()) +
                                             " bytes is over the limit of " +
                                             std::to_string(kTransactionBytesMax));
  }
  return decode<Transaction>(bytes);
}

Transaction make_transfer(const std::string& chain_id, const crypto::KeyPair& sender,
                          uint64_t nonce, uint64_t fee, const Address& to, uint64_t amount) {
  Transaction tx;
  tx.chain_id = chain_id;
  tx.sender = sender.public_key();
  tx.nonce = nonce;
  tx.fee = fee;
  tx.payload = Transfer{to, amount};
  tx.sign(sender);
  return tx;
}

}  // namespace synod::chain

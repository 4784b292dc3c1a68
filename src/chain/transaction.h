// Transaction: the signed unit of change. Consensus-critical: its canonical encoding (base/codec.h)
// is what is hashed and signed, so field order and types here are part of the protocol.
//
//   chain_id string | sender public key (32) | nonce u64 | fee u64 | payload tag u8 | payload
//   | signature (64)
//
// The signature covers tagged_hash("synod/tx/sign", encoding without the signature). The id is
// tagged_hash("synod/tx", full encoding). Ed25519 verification in libsodium is strict (canonical
// S, no small-order keys), so a third party cannot change the id of a signed transaction.
// Values; thread-safe to read.
#pragma once

#include <string>
#include <variant>

#include "base/codec.h"
#include "chain/address.h"
#include "chain/limits.h"
#include "crypto/keys.h"

namespace synod::chain {

// Payload tags. Unknown tags are rejected by the decoder. Tags for later mechanisms are reserved
// now so the encoding stays stable: 3 bond, 4 unbond, 5 delegate (pos); 6 register candidate,
// 7 vote (dbft).
enum class PayloadType : uint8_t {
  kTransfer = 1,
  kKvPut = 2,
};

struct Transfer {
  Address to;
  uint64_t amount = 0;
  friend bool operator==(const Transfer&, const Transfer&) = default;
};

// A write to the kvstore application: key → value (an empty value deletes the key).
struct KvPut {
  Bytes key;
  Bytes value;
  friend bool operator==(const KvPut&, const KvPut&) = default;
};

using Payload = std::variant<Transfer, KvPut>;

struct Transaction {
  std::string chain_id;
  crypto::PublicKey sender;
  uint64_t nonce = 0;
  uint64_t fee = 0;
  Payload payload;
  crypto::Signature signature;

  Address sender_address() const { return Address::from_public_key(sender); }
  PayloadType type() const;
  // The digest the sender signs.
  Hash256 signing_hash() const;
  // Sets `signature` with the sender's key; `key.public_key()` must equal `sender`.
  void sign(const crypto::KeyPair& key);
  bool verify_signature() const;
  // transaction_id(encoding of this transaction).
  Hash256 id() const;

  void encode(Writer& writer) const;
  static Transaction decode_from(Reader& reader);
  friend bool operator==(const Transaction&, const Transaction&) = default;

 private:
  void encode_unsigned(Writer& writer) const;
};

// The id of the transaction whose canonical encoding is `encoding`: tagged_hash("synod/tx",
// encoding). Decoding is strict, so for bytes that decode this equals the decoded
// transaction's id(); for other bytes it is merely some hash.
Hash256 transaction_id(ByteView encoding);

// Decodes one transaction, enforcing kTransactionBytesMax before decoding.
Result<Transaction> decode_transaction(ByteView bytes);

// A convenience for tests, the wallet and load generators: a signed transfer.
Transaction make_transfer(const std::string& chain_id, const crypto::KeyPair& sender,
                          uint64_t nonce, uint64_t fee, const Address& to, uint64_t amount);

}  // namespace synod::chain

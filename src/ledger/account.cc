#include "ledger/account.h"

#include <cstring>

#include "crypto/hash.h"

namespace synod::ledger {

namespace {
constexpr std::string_view kTreeKeyTag = "synod/state/key";
constexpr std::string_view kValueTag = "synod/state/value";
}  // namespace

void Account::encode(Writer& writer) const {
  writer.u64(balance);
  writer.u64(nonce);
}

Account Account::decode_from(Reader& reader) {
  Account account;
  account.balance = reader.u64();
  account.nonce = reader.u64();
  return account;
}

std::array<uint8_t, Account::kEncodedBytes> encode_account(const Account& account) {
  std::array<uint8_t, Account::kEncodedBytes> out;
  for (size_t i = 0; i < 8; ++i) {
    out[i] = static_cast<uint8_t>(account.balance >> (8 * i));
    out[8 + i] = static_cast<uint8_t>(account.nonce >> (8 * i));
  }
  return out;
}

Result<Account> decode_account(ByteView bytes) {
  return decode<Account>(bytes);
}

Bytes account_state_key(const chain::Address& address) {
  Bytes key(kAccountStateKeyBytes);
  key[0] = static_cast<uint8_t>(StateKind::kAccount);
  std::memcpy(key.data() + 1, address.bytes.data.data(), address.bytes.size());
  return key;
}

Bytes kv_state_key(ByteView key) {
  Bytes state_key;
  state_key.reserve(1 + key.size());
  state_key.push_back(static_cast<uint8_t>(StateKind::kKv));
  state_key.insert(state_key.end(), key.begin(), key.end());
  return state_key;
}

Hash256 state_tree_key(ByteView state_key) {
  return crypto::tagged_hash(kTreeKeyTag, state_key);
}

Hash256 state_value_hash(ByteView value) {
  return crypto::tagged_hash(kValueTag, value);
}

Hash256 account_tree_key(const chain::Address& address) {
  std::array<uint8_t, kAccountStateKeyBytes> state_key;
  state_key[0] = static_cast<uint8_t>(StateKind::kAccount);
  std::copy(address.bytes.begin(), address.bytes.end(), state_key.begin() + 1);
  return state_tree_key(state_key);
}

Hash256 account_value_hash(const Account& account) {
  return state_value_hash(encode_account(account));
}

}  // namespace synod::ledger

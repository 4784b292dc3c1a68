#include "wallet/keystore.h"

#include <sodium.h>

#include <algorithm>

#include "crypto/hash.h"
#include "wallet/json_util.h"

namespace synod::wallet {
namespace {

constexpr std::string_view kFormat = "synod-keystore";
constexpr uint64_t kVersion = 1;
constexpr std::string_view kKdfAlgorithm = "argon2id13";
constexpr std::string_view kCipherAlgorithm = "xchacha20poly1305-ietf";
constexpr size_t kKeyBytes = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
constexpr size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr size_t kSaltBytes = crypto_pwhash_SALTBYTES;

// A secret buffer wiped when it goes out of scope.
template <size_t N>
struct WipedArray {
  std::array<uint8_t, N> data{};
  ~WipedArray() { sodium_memzero(data.data(), data.size()); }
};

struct WipedString {
  std::string text;
  ~WipedString() { sodium_memzero(text.data(), text.size()); }
};

std::string_view source_name(AccountSource source) {
  return source == AccountSource::kMnemonic ? "mnemonic" : "imported";
}

Status derive_key(std::string_view password, ByteView salt, const KdfParams& kdf,
                  WipedArray<kKeyBytes>& key) {
  crypto::ensure_initialised();
  if (crypto_pwhash(key.data.data(), key.data.size(), password.data(), password.size(), salt.data(),
                    kdf.ops_limit, static_cast<size_t>(kdf.mem_limit_bytes),
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return error(
        Code::kResourceExhausted,
        "Argon2id could not get " + std::to_string(kdf.mem_limit_bytes) + " bytes of memory");
  }
  return Status::ok();
}

Status check_password(std::string_view password) {
  if (password.empty()) return error(Code::kInvalidArgument, "the password is empty");
  if (password.size() > kPasswordBytesMax) {
    return error(Code::kInvalidArgument, "the password is longer than " +
                                             std::to_string(kPasswordBytesMax) + " characters");
  }
  return Status::ok();
}

Status check_kdf(const KdfParams& kdf) {
  if (kdf.ops_limit < crypto_pwhash_OPSLIMIT_MIN || kdf.ops_limit > kKdfOpsLimitMax) {
    return error(Code::kCorrupt, "keystore: kdf.ops_limit " + std::to_string(kdf.ops_limit) +
                                     " is outside " + std::to_string(crypto_pwhash_OPSLIMIT_MIN) +
                                     ".." + std::to_string(kKdfOpsLimitMax));
  }
  if (kdf.mem_limit_bytes < crypto_pwhash_MEMLIMIT_MIN ||
      kdf.mem_limit_bytes > kKdfMemLimitBytesMax) {
    return error(Code::kCorrupt, "keystore: kdf.mem_limit_bytes " +
                                     std::to_string(kdf.mem_limit_bytes) + " is outside " +
                                     std::to_string(crypto_pwhash_MEMLIMIT_MIN) + ".." +
                                     std::to_string(kKdfMemLimitBytesMax));
  }
  return Status::ok();
}

Json account_json(const Keystore& keystore, const KeystoreAccount& account) {
  Json out{{"name", account.name},
           {"source", source_name(account.source)},
           {"public_key", account.public_key.hex()},
           {"address", account.address().to_string()}};
  if (account.source == AccountSource::kMnemonic) out["path"] = keystore.path(account);
  return out;
}

// What the file says about one account, before it is checked against the secrets.
struct StoredAccount {
  std::string name;
  AccountSource source;
  std::string path;
  crypto::PublicKey public_key;
  chain::Address address;
};

Result<StoredAccount> parse_account(const Json& json, size_t position) {
  JsonFields fields{json, "keystore: accounts[" + std::to_string(position) + "]"};
  SYNOD_TRY(fields.only({"name", "source", "path", "public_key", "address"}));
  StoredAccount out;
  SYNOD_ASSIGN_OR_RETURN(out.name, fields.string("name", kAccountNameBytesMax));
  SYNOD_ASSIGN_OR_RETURN(std::string source, fields.string("source", 16));
  if (source == "mnemonic") {
    out.source = AccountSource::kMnemonic;
    SYNOD_ASSIGN_OR_RETURN(out.path, fields.string("path", 256));
  } else if (source == "imported") {
    out.source = AccountSource::kImported;
    if (fields.has("path")) return fields.fail("path", "an imported key has no path");
  } else {
    return fields.fail("source", "expected \"mnemonic\" or \"imported\"");
  }
  SYNOD_ASSIGN_OR_RETURN(out.public_key, fields.fixed_hex<32>("public_key"));
  SYNOD_ASSIGN_OR_RETURN(std::string address, fields.string("address", 128));
  auto parsed = chain::Address::parse(address);
  if (!parsed.is_ok()) return fields.fail("address", parsed.status().message());
  out.address = *parsed;
  return out;
}

struct Envelope {
  KdfParams kdf;
  Bytes salt;
  Bytes check_nonce;
  Bytes check_tag;
  Bytes nonce;
  Bytes ciphertext;
  uint32_t coin_type = 0;
  std::vector<StoredAccount> accounts;
  std::string associated_data;
};

Status parse_kdf(const Json& json, Envelope& out) {
  JsonFields fields{json, "keystore: kdf"};
  SYNOD_TRY(fields.only({"algorithm", "ops_limit", "mem_limit_bytes", "salt"}));
  SYNOD_ASSIGN_OR_RETURN(std::string algorithm, fields.string("algorithm", 32));
  if (algorithm != kKdfAlgorithm) return fields.fail("algorithm", "unsupported: " + algorithm);
  SYNOD_ASSIGN_OR_RETURN(out.kdf.ops_limit, fields.number("ops_limit"));
  SYNOD_ASSIGN_OR_RETURN(out.kdf.mem_limit_bytes, fields.number("mem_limit_bytes"));
  SYNOD_TRY(check_kdf(out.kdf));
  SYNOD_ASSIGN_OR_RETURN(out.salt, fields.hex("salt", kSaltBytes));
  if (out.salt.size() != kSaltBytes) return fields.fail("salt", "wrong length");
  return Status::ok();
}

Status parse_cipher(const Json& json, Envelope& out) {
  JsonFields fields{json, "keystore: cipher"};
  SYNOD_TRY(fields.only({"algorithm", "check_nonce", "check_tag", "nonce"}));
  SYNOD_ASSIGN_OR_RETURN(std::string algorithm, fields.string("algorithm", 32));
  if (algorithm != kCipherAlgorithm) return fields.fail("algorithm", "unsupported: " + algorithm);
  SYNOD_ASSIGN_OR_RETURN(out.check_nonce, fields.hex("check_nonce", kNonceBytes));
  SYNOD_ASSIGN_OR_RETURN(out.check_tag, fields.hex("check_tag", kTagBytes));
  SYNOD_ASSIGN_OR_RETURN(out.nonce, fields.hex("nonce", kNonceBytes));
  if (out.check_nonce.size() != kNonceBytes || out.nonce.size() != kNonceBytes ||
      out.check_tag.size() != kTagBytes) {
    return fields.fail("", "a nonce or tag has the wrong length");
  }
  return Status::ok();
}

Result<Envelope> parse_envelope(std::string_view text) {
  if (text.size() > kKeystoreBytesMax) {
    return error(Code::kCorrupt, "keystore: larger than " + std::to_string(kKeystoreBytesMax));
  }
  SYNOD_ASSIGN_OR_RETURN(Json json, parse_json(text, "keystore"));
  JsonFields fields{json, "keystore"};
  SYNOD_TRY(
      fields.only({"format", "version", "coin_type", "kdf", "cipher", "accounts", "ciphertext"}));
  SYNOD_ASSIGN_OR_RETURN(std::string format, fields.string("format", 32));
  if (format != kFormat) return fields.fail("format", "not a synod keystore");
  SYNOD_ASSIGN_OR_RETURN(uint64_t version, fields.number("version"));
  if (version != kVersion) {
    return fields.fail("version", "version " + std::to_string(version) +
                                      " is not supported (this wallet reads version 1)");
  }
  Envelope out;
  SYNOD_ASSIGN_OR_RETURN(uint64_t coin_type, fields.number("coin_type"));
  if (coin_type >= kHardenedOffset) return fields.fail("coin_type", "must be below 2^31");
  out.coin_type = static_cast<uint32_t>(coin_type);
  if (!fields.has("kdf") || !fields.has("cipher") || !fields.has("accounts")) {
    return fields.fail("", "kdf, cipher and accounts are required");
  }
  SYNOD_TRY(parse_kdf(json["kdf"], out));
  SYNOD_TRY(parse_cipher(json["cipher"], out));
  const Json& accounts = json["accounts"];
  if (!accounts.is_array() || accounts.size() > kKeystoreAccountsMax) {
    return fields.fail("accounts", "expected a list of at most " +
                                       std::to_string(kKeystoreAccountsMax) + " accounts");
  }
  for (size_t i = 0; i < accounts.size(); ++i) {
    SYNOD_ASSIGN_OR_RETURN(StoredAccount account, parse_account(accounts[i], i));
    out.accounts.push_back(std::move(account));
  }
  SYNOD_ASSIGN_OR_RETURN(out.ciphertext, fields.hex("ciphertext", kKeystoreBytesMax));
  if (out.ciphertext.size() < kTagBytes) return fields.fail("ciphertext", "too short");
  json.erase("ciphertext");
  out.associated_data = json.dump();
  return out;
}

// The password check: an encryption of nothing, so a wrong password is told apart from damage.
Status verify_password(const Envelope& envelope, const WipedArray<kKeyBytes>& key) {
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          nullptr, nullptr, nullptr, envelope.check_tag.data(), envelope.check_tag.size(),
          reinterpret_cast<const uint8_t*>(kPasswordCheckAd.data()), kPasswordCheckAd.size(),
          envelope.check_nonce.data(), key.data.data()) != 0) {
    return error(Code::kUnauthenticated, "wrong password: the keystore did not authenticate");
  }
  return Status::ok();
}

Result<WipedString> decrypt_secrets(const Envelope& envelope, const WipedArray<kKeyBytes>& key) {
  WipedString plain;
  plain.text.resize(envelope.ciphertext.size() - kTagBytes);
  unsigned long long plain_bytes = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<uint8_t*>(plain.text.data()), &plain_bytes, nullptr,
          envelope.ciphertext.data(), envelope.ciphertext.size(),
          reinterpret_cast<const uint8_t*>(envelope.associated_data.data()),
          envelope.associated_data.size(), envelope.nonce.data(), key.data.data()) != 0) {
    return error(Code::kCorrupt,
                 "keystore: the password is right but the file was modified or damaged (its "
                 "secrets or account list failed authentication); restore it from a backup or "
                 "from the mnemonic");
  }
  plain.text.resize(plain_bytes);
  return plain;
}

}  // namespace

// Rebuilds the keystore from its decrypted secrets, re-deriving every account in the file's order
// and checking it against what the public part says.
struct KeystoreCodec {
  static Result<Keystore> rebuild(const Envelope& envelope, std::string_view plain);
  static Status adopt(Keystore& keystore, const StoredAccount& stored, size_t position,
                      const std::vector<crypto::Seed>& imported);
};

Status KeystoreCodec::adopt(Keystore& keystore, const StoredAccount& stored, size_t position,
                            const std::vector<crypto::Seed>& imported) {
  std::string context = "keystore: accounts[" + std::to_string(position) + "]";
  Result<KeystoreAccount> added = error(Code::kInternal, "unreachable");
  if (stored.source == AccountSource::kMnemonic) {
    added = keystore.add_mnemonic_account(stored.name);
  } else {
    size_t next = keystore.imported_.size();
    if (next >= imported.size()) {
      return error(Code::kCorrupt, context + ": no imported key in the secrets");
    }
    added = keystore.import_key(crypto::KeyPair::from_seed(imported[next]), stored.name);
  }
  if (!added.is_ok()) return error(Code::kCorrupt, context + ": " + added.status().message());
  if (added->public_key != stored.public_key || added->address() != stored.address ||
      keystore.path(*added) != stored.path) {
    return error(Code::kCorrupt,
                 context + " ('" + stored.name + "') does not match the key its secrets derive");
  }
  return Status::ok();
}

Result<Keystore> KeystoreCodec::rebuild(const Envelope& envelope, std::string_view plain) {
  SYNOD_ASSIGN_OR_RETURN(Json secrets, parse_json(plain, "keystore secrets"));
  JsonFields fields{secrets, "keystore secrets"};
  SYNOD_TRY(fields.only({"mnemonic", "bip39_passphrase", "imported_keys"}));
  Keystore keystore;
  keystore.coin_type_ = envelope.coin_type;
  SYNOD_ASSIGN_OR_RETURN(std::string mnemonic, fields.string("mnemonic", kMnemonicBytesMax));
  SYNOD_ASSIGN_OR_RETURN(keystore.passphrase_,
                         fields.string("bip39_passphrase", kPassphraseBytesMax));
  if (!mnemonic.empty()) {
    auto seed = mnemonic_to_seed(mnemonic, keystore.passphrase_);
    if (!seed.is_ok()) return error(Code::kCorrupt, "keystore secrets: " + seed.status().message());
    keystore.seed_ = *seed;
    keystore.mnemonic_ = *normalize_mnemonic(mnemonic);
    sodium_memzero(mnemonic.data(), mnemonic.size());
  }
  if (!fields.has("imported_keys")) return fields.fail("imported_keys", "missing");
  const Json& imported_json = secrets["imported_keys"];
  if (!imported_json.is_array() || imported_json.size() > kKeystoreAccountsMax) {
    return fields.fail("imported_keys", "expected a list of keys");
  }
  std::vector<crypto::Seed> imported;
  for (const Json& entry : imported_json) {
    Json wrapper{{"key", entry}};
    JsonFields item{wrapper, "keystore secrets: imported_keys"};
    SYNOD_ASSIGN_OR_RETURN(crypto::Seed seed, item.fixed_hex<32>("key"));
    imported.push_back(seed);
  }
  Status status = Status::ok();
  for (size_t i = 0; i < envelope.accounts.size() && status.is_ok(); ++i)
    status = adopt(keystore, envelope.accounts[i], i, imported);
  if (status.is_ok() && keystore.imported_.size() != imported.size()) {
    status = error(Code::kCorrupt, "keystore: the secrets hold imported keys no account names");
  }
  for (crypto::Seed& seed : imported)
    sodium_memzero(seed.data.data(), seed.size());
  SYNOD_TRY(status);
  return keystore;
}

KdfParams KdfParams::moderate() {
  return KdfParams{crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE};
}

KdfParams KdfParams::minimum() {
  return KdfParams{crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

Keystore::~Keystore() {
  sodium_memzero(mnemonic_.data(), mnemonic_.size());
  sodium_memzero(passphrase_.data(), passphrase_.size());
  sodium_memzero(seed_.data.data(), seed_.size());
  for (crypto::Seed& seed : imported_)
    sodium_memzero(seed.data.data(), seed.size());
}

Result<Keystore> Keystore::from_mnemonic(std::string_view mnemonic, std::string_view passphrase,
                                         uint32_t accounts, uint32_t coin_type) {
  if (accounts < 1 || accounts > kKeystoreAccountsMax) {
    return error(Code::kInvalidArgument,
                 "the number of accounts must be 1.." + std::to_string(kKeystoreAccountsMax));
  }
  SYNOD_ASSERT(coin_type < kHardenedOffset);
  Keystore keystore;
  SYNOD_ASSIGN_OR_RETURN(keystore.mnemonic_, normalize_mnemonic(mnemonic));
  keystore.passphrase_ = std::string(passphrase);
  SYNOD_ASSIGN_OR_RETURN(keystore.seed_, mnemonic_to_seed(keystore.mnemonic_, passphrase));
  keystore.coin_type_ = coin_type;
  for (uint32_t i = 0; i < accounts; ++i) {
    auto added = keystore.add_mnemonic_account();
    SYNOD_ASSERT(added.is_ok());
  }
  return keystore;
}

Keystore Keystore::without_mnemonic() {
  return Keystore();
}

Status Keystore::check_new_name(const std::string& name) const {
  if (name.empty() || name.size() > kAccountNameBytesMax) {
    return error(Code::kInvalidArgument,
                 "an account name has 1.." + std::to_string(kAccountNameBytesMax) + " characters");
  }
  if (name.starts_with(chain::kAddressPrefix)) {
    return error(Code::kInvalidArgument, "an account name may not start with \"synod\"");
  }
  if (accounts_.size() >= kKeystoreAccountsMax) {
    return error(Code::kResourceExhausted, "the keystore already holds " +
                                               std::to_string(kKeystoreAccountsMax) + " accounts");
  }
  for (const KeystoreAccount& account : accounts_) {
    if (account.name == name) {
      return error(Code::kAlreadyExists, "an account is already named '" + name + "'");
    }
  }
  return Status::ok();
}

crypto::KeyPair Keystore::derive(uint32_t account) const {
  ExtendedKey extended = slip10_derive(seed_.view(), account_path(account, coin_type_));
  crypto::KeyPair key = crypto::KeyPair::from_seed(extended.key);
  extended.wipe();
  return key;
}

Result<KeystoreAccount> Keystore::add_mnemonic_account(std::string name) {
  if (!has_mnemonic()) {
    return error(Code::kFailedPrecondition, "this keystore has no mnemonic to derive from");
  }
  uint32_t index = 0;
  for (const KeystoreAccount& account : accounts_) {
    if (account.source == AccountSource::kMnemonic) index = std::max(index, account.index + 1);
  }
  if (name.empty()) name = "account-" + std::to_string(index);
  SYNOD_TRY(check_new_name(name));
  KeystoreAccount account{name, AccountSource::kMnemonic, index, derive(index).public_key()};
  accounts_.push_back(account);
  return account;
}

Result<KeystoreAccount> Keystore::import_key(const crypto::KeyPair& key, std::string name) {
  for (const KeystoreAccount& account : accounts_) {
    if (account.public_key == key.public_key()) {
      return error(Code::kAlreadyExists,
                   "the keystore already holds this key as '" + account.name + "'");
    }
  }
  if (name.empty()) name = "imported-" + std::to_string(imported_.size());
  SYNOD_TRY(check_new_name(name));
  KeystoreAccount account{name, AccountSource::kImported, static_cast<uint32_t>(imported_.size()),
                          key.public_key()};
  imported_.push_back(key.seed());
  accounts_.push_back(account);
  return account;
}

Result<KeystoreAccount> Keystore::find(std::string_view selector) const {
  if (accounts_.empty()) return error(Code::kNotFound, "the keystore holds no account");
  if (selector.empty()) return accounts_.front();
  for (const KeystoreAccount& account : accounts_) {
    if (account.name == selector || account.address().to_string() == selector) return account;
  }
  return error(Code::kNotFound, "no account named or at '" + std::string(selector) +
                                    "' in the keystore (see `synod-wallet list`)");
}

crypto::KeyPair Keystore::key(const KeystoreAccount& account) const {
  if (account.source == AccountSource::kImported) {
    SYNOD_ASSERT(account.index < imported_.size());
    return crypto::KeyPair::from_seed(imported_[account.index]);
  }
  SYNOD_ASSERT(has_mnemonic());
  return derive(account.index);
}

std::string Keystore::path(const KeystoreAccount& account) const {
  if (account.source == AccountSource::kImported) return "";
  return path_to_string(account_path(account.index, coin_type_));
}

Result<std::string> Keystore::seal(std::string_view password, const KdfParams& kdf) const {
  SYNOD_TRY(check_password(password));
  SYNOD_ASSERT(check_kdf(kdf).is_ok());
  Json header{{"format", kFormat}, {"version", kVersion}, {"coin_type", coin_type_}};
  std::array<uint8_t, kSaltBytes> salt;
  std::array<uint8_t, kNonceBytes> check_nonce, nonce;
  crypto::random_bytes(salt);
  crypto::random_bytes(check_nonce);
  crypto::random_bytes(nonce);
  WipedArray<kKeyBytes> key;
  SYNOD_TRY(derive_key(password, salt, kdf, key));
  std::array<uint8_t, kTagBytes> check_tag;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      check_tag.data(), nullptr, nullptr, 0,
      reinterpret_cast<const uint8_t*>(kPasswordCheckAd.data()), kPasswordCheckAd.size(), nullptr,
      check_nonce.data(), key.data.data());
  header["kdf"] = Json{{"algorithm", kKdfAlgorithm},
                       {"ops_limit", kdf.ops_limit},
                       {"mem_limit_bytes", kdf.mem_limit_bytes},
                       {"salt", to_hex(salt)}};
  header["cipher"] = Json{{"algorithm", kCipherAlgorithm},
                          {"check_nonce", to_hex(check_nonce)},
                          {"check_tag", to_hex(check_tag)},
                          {"nonce", to_hex(nonce)}};
  header["accounts"] = Json::array();
  for (const KeystoreAccount& account : accounts_)
    header["accounts"].push_back(account_json(*this, account));

  Json secrets{{"mnemonic", mnemonic_}, {"bip39_passphrase", passphrase_}};
  secrets["imported_keys"] = Json::array();
  for (const crypto::Seed& seed : imported_)
    secrets["imported_keys"].push_back(seed.hex());
  WipedString plain{secrets.dump()};
  for (auto& item : secrets["imported_keys"])
    sodium_memzero(item.get_ref<std::string&>().data(), item.get_ref<std::string&>().size());
  sodium_memzero(secrets["mnemonic"].get_ref<std::string&>().data(),
                 secrets["mnemonic"].get_ref<std::string&>().size());

  std::string associated_data = header.dump();
  Bytes ciphertext(plain.text.size() + kTagBytes);
  unsigned long long ciphertext_bytes = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      ciphertext.data(), &ciphertext_bytes, reinterpret_cast<const uint8_t*>(plain.text.data()),
      plain.text.size(), reinterpret_cast<const uint8_t*>(associated_data.data()),
      associated_data.size(), nullptr, nonce.data(), key.data.data());
  SYNOD_ASSERT(ciphertext_bytes == ciphertext.size());
  header["ciphertext"] = to_hex(ciphertext);
  return header.dump(2) + "\n";
}

Result<Keystore> Keystore::open(std::string_view text, std::string_view password) {
  SYNOD_TRY(check_password(password));
  SYNOD_ASSIGN_OR_RETURN(Envelope envelope, parse_envelope(text));
  WipedArray<kKeyBytes> key;
  SYNOD_TRY(derive_key(password, envelope.salt, envelope.kdf, key));
  SYNOD_TRY(verify_password(envelope, key));
  SYNOD_ASSIGN_OR_RETURN(WipedString plain, decrypt_secrets(envelope, key));
  return KeystoreCodec::rebuild(envelope, plain.text);
}

}  // namespace synod::wallet

namespace synod::wallet {

Status save_keystore(const std::string& path, const Keystore& keystore, std::string_view password,
                     const KdfParams& kdf, const AtomicWriteHooks& hooks) {
  SYNOD_ASSIGN_OR_RETURN(std::string text, keystore.seal(password, kdf));
  return write_file_atomic(path, text, hooks);
}

Result<Keystore> load_keystore(const std::string& path, std::string_view password) {
  auto text = read_file(path, kKeystoreBytesMax);
  if (!text.is_ok()) {
    if (text.status().code() == Code::kNotFound) {
      return error(Code::kNotFound, "no keystore at " + path +
                                        " (create one with `synod-wallet create` or `restore`)");
    }
    if (text.status().code() == Code::kInvalidArgument) {
      return error(Code::kCorrupt, text.status().message());
    }
    return text.status();
  }
  SYNOD_TRY(check_owner_only(path));
  auto keystore = Keystore::open(*text, password);
  sodium_memzero(text->data(), text->size());
  if (!keystore.is_ok()) return keystore.status().with_context(path);
  return keystore;
}

}  // namespace synod::wallet

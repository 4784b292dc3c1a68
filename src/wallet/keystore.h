// The keystore: the wallet's keys at rest. One JSON file holds the accounts derived from a BIP-39
// mnemonic (m/44'/<coin>'/<n>'/0'/0', wallet/slip10.h) and raw Ed25519 keys imported from
// elsewhere. Its public part (accounts, addresses, parameters) is readable; its secrets (the
// mnemonic, the BIP-39 passphrase, the imported keys) are encrypted:
//
//   key    = Argon2id(password, salt, ops_limit, mem_limit)       (libsodium crypto_pwhash)
//   check  = XChaCha20-Poly1305(key, check_nonce, "", ad = kPasswordCheckAd)   (16-byte tag)
//   secret = XChaCha20-Poly1305(key, nonce, secrets JSON, ad = the public part, serialised)
//
// {"format": "synod-keystore", "version": 1, "coin_type": 7337,
//  "kdf": {"algorithm": "argon2id13", "ops_limit": 3, "mem_limit_bytes": 268435456, "salt": hex},
//  "cipher": {"algorithm": "xchacha20poly1305-ietf", "check_nonce": hex, "check_tag": hex,
//             "nonce": hex},
//  "accounts": [{"name": "account-0", "source": "mnemonic", "path": "m/44'/7337'/0'/0'/0'",
//                "public_key": hex, "address": "synod1..."},
//               {"name": "imported-0", "source": "imported", "public_key": hex, "address": ...}],
//  "ciphertext": hex}
//
// The public part is the associated data of the secrets, so changing an account, an address or a
// parameter is detected like changing the ciphertext. The password check separates a wrong
// password (kUnauthenticated) from a file that was damaged or tampered with although the password
// is right (kCorrupt). After decryption every account is derived again and compared with the
// public part. Every KDF parameter is read from the file, within bounds (kKdf*Max) so a hostile
// file cannot make the wallet allocate without limit.
//
// Saving goes through write_file_atomic (wallet/files.h): a crash while saving keeps the old file.
// Secrets in memory are wiped on destruction (best effort: std::string moves may leave copies).
// A Keystore is a value with no shared state; not thread-safe to modify.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chain/address.h"
#include "crypto/keys.h"
#include "wallet/bip39.h"
#include "wallet/files.h"
#include "wallet/slip10.h"

namespace synod::wallet {

inline constexpr size_t kKeystoreBytesMax = 1024 * 1024;
inline constexpr size_t kKeystoreAccountsMax = 1'000;
inline constexpr size_t kAccountNameBytesMax = 64;
inline constexpr size_t kPasswordBytesMax = 4'096;
inline constexpr uint64_t kKdfOpsLimitMax = 32;
inline constexpr uint64_t kKdfMemLimitBytesMax = uint64_t{1} << 30;  // 1 GiB
inline constexpr std::string_view kPasswordCheckAd = "synod-keystore/password-check/v1";

// Argon2id cost. New keystores use moderate() (libsodium's MODERATE: 3 passes over 256 MiB, about a
// second); tests use minimum() to run fast.
struct KdfParams {
  uint64_t ops_limit = 0;
  uint64_t mem_limit_bytes = 0;
  static KdfParams moderate();
  static KdfParams minimum();
  friend bool operator==(const KdfParams&, const KdfParams&) = default;
};

enum class AccountSource { kMnemonic, kImported };

struct KeystoreAccount {
  std::string name;
  AccountSource source = AccountSource::kMnemonic;
  // kMnemonic: the account number n in the path; kImported: the position among imported keys.
  uint32_t index = 0;
  crypto::PublicKey public_key;

  chain::Address address() const { return chain::Address::from_public_key(public_key); }
};

class Keystore {
 public:
  // `accounts` mnemonic accounts, numbered from 0 (at least 1). kInvalidArgument for a bad
  // mnemonic or passphrase (wallet/bip39.h) or a count over kKeystoreAccountsMax.
  static Result<Keystore> from_mnemonic(std::string_view mnemonic, std::string_view passphrase,
                                        uint32_t accounts, uint32_t coin_type = kSynodCoinType);
  // A keystore without a mnemonic, for imported keys only.
  static Keystore without_mnemonic();

  Keystore(Keystore&& other) noexcept = default;
  Keystore& operator=(Keystore&& other) noexcept = default;
  Keystore(const Keystore&) = delete;
  Keystore& operator=(const Keystore&) = delete;
  ~Keystore();

  bool has_mnemonic() const { return !mnemonic_.empty(); }
  const std::string& mnemonic() const { return mnemonic_; }
  uint32_t coin_type() const { return coin_type_; }
  const std::vector<KeystoreAccount>& accounts() const { return accounts_; }

  // Adds the next mnemonic account (named "account-<n>" when `name` is empty).
  // kFailedPrecondition without a mnemonic; kAlreadyExists for a taken name.
  Result<KeystoreAccount> add_mnemonic_account(std::string name = "");
  // Adds an imported key (named "imported-<n>" when `name` is empty). kAlreadyExists when the key
  // or the name is already in the keystore.
  Result<KeystoreAccount> import_key(const crypto::KeyPair& key, std::string name = "");

  // The account with this name or address; the first account when `selector` is empty.
  // kNotFound otherwise.
  Result<KeystoreAccount> find(std::string_view selector) const;
  // The signing key of one of this keystore's accounts.
  crypto::KeyPair key(const KeystoreAccount& account) const;
  // The derivation path of a mnemonic account ("" for an imported one).
  std::string path(const KeystoreAccount& account) const;

  // The encrypted file contents. kInvalidArgument for an empty or over-long password;
  // kResourceExhausted when Argon2id cannot get its memory.
  Result<std::string> seal(std::string_view password, const KdfParams& kdf) const;
  // Reads file contents. kUnauthenticated: wrong password. kCorrupt: not a keystore, truncated,
  // damaged or tampered with (the message says which check failed).
  static Result<Keystore> open(std::string_view text, std::string_view password);

 private:
  friend struct KeystoreCodec;  // keystore.cc: rebuilds a keystore from decrypted secrets
  Keystore() = default;
  Status check_new_name(const std::string& name) const;
  crypto::KeyPair derive(uint32_t account) const;

  std::string mnemonic_;    // normalised; empty without one
  std::string passphrase_;  // BIP-39 passphrase
  Bip39Seed seed_;          // mnemonic_to_seed(mnemonic_, passphrase_)
  uint32_t coin_type_ = kSynodCoinType;
  std::vector<crypto::Seed> imported_;
  std::vector<KeystoreAccount> accounts_;
};

// seal() then write_file_atomic(): the old file stays whole if anything fails before the rename.
Status save_keystore(const std::string& path, const Keystore& keystore, std::string_view password,
                     const KdfParams& kdf, const AtomicWriteHooks& hooks = {});
// Reads (refusing files others may read, as wallet/files.h check_owner_only) and opens. kNotFound
// when there is no keystore at `path`; other errors as Keystore::open, prefixed with the path.
Result<Keystore> load_keystore(const std::string& path, std::string_view password);

}  // namespace synod::wallet

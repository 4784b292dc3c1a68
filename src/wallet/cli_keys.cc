// The keystore commands: create, restore, import-key, list.
#include <sodium.h>
#include <unistd.h>

#include <cctype>

#include "wallet/cli_context.h"
#include "wallet/terminal.h"

namespace synod::wallet::cli {
namespace {

constexpr size_t kKeyFileBytesMax = 4 * 1024;

bool file_exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

// Writes wallet.toml (and a copy of the genesis it names) when the home has none yet, from the
// command line's --endpoint and --genesis.
Status write_initial_config(Context& context) {
  const GlobalOptions& options = context.options();
  std::string config_path = resolve_path(options.home, kConfigFileName);
  if (file_exists(config_path)) return Status::ok();
  WalletConfig config;
  if (!options.endpoints.empty()) config.endpoints = options.endpoints;
  for (const std::string& url : config.endpoints)
    SYNOD_TRY(rpc::parse_endpoint(url).status());
  if (!options.genesis_file.empty()) {
    SYNOD_ASSIGN_OR_RETURN(std::string text, read_file(options.genesis_file, kGenesisBytesMax));
    SYNOD_TRY(load_genesis(options.genesis_file).status());
    SYNOD_TRY(write_file_atomic(resolve_path(options.home, "genesis.json"), text));
    config.genesis_file = "genesis.json";
  }
  return write_file_atomic(config_path, config.to_toml());
}

Step<std::string> read_optional_passphrase(const std::string& path) {
  if (path.empty()) return std::string();
  auto passphrase = read_secret_file(path);
  if (!passphrase.is_ok()) return Failure{kExitUsage, passphrase.status()};
  return std::move(passphrase).value();
}

Step<std::string> read_mnemonic(Context& context, const CreateOptions& options, bool restore) {
  if (!restore) return generate_mnemonic();
  Result<std::string> text = error(Code::kInternal, "unset");
  if (!options.mnemonic_file.empty()) {
    auto file = read_file(options.mnemonic_file, kMnemonicBytesMax);
    if (!file.is_ok()) return Failure{kExitUsage, file.status()};
    text = std::move(file).value();
  } else {
    text = context.environment().prompt("Mnemonic (the words, separated by spaces): ", true);
  }
  if (!text.is_ok()) return Failure{kExitUsage, text.status()};
  return std::move(text).value();
}

void print_mnemonic(Context& context, const std::string& mnemonic) {
  context.out() << "Write down these words, in order, and keep them offline. Whoever has them\n"
                   "has your funds; without them, a lost keystore or password loses the funds.\n\n";
  size_t number = 1;
  size_t start = 0;
  while (start < mnemonic.size()) {
    size_t end = mnemonic.find(' ', start);
    if (end == std::string::npos) end = mnemonic.size();
    std::string word = mnemonic.substr(start, end - start);
    context.out() << (number < 10 ? "   " : "  ") << number << ". " << word
                  << std::string(word.size() < 10 ? 10 - word.size() : 1, ' ')
                  << (number % 4 == 0 ? "\n" : "");
    ++number;
    start = end + 1;
  }
  context.out() << "\n";
}

Json account_json(const Keystore& keystore, const KeystoreAccount& account) {
  Json out{{"name", account.name},
           {"address", account.address().to_string()},
           {"public_key", account.public_key.hex()},
           {"source", account.source == AccountSource::kMnemonic ? "mnemonic" : "imported"}};
  if (account.source == AccountSource::kMnemonic) out["path"] = keystore.path(account);
  return out;
}

void print_accounts(Context& context, const Keystore& keystore) {
  for (const KeystoreAccount& account : keystore.accounts()) {
    std::string where =
        account.source == AccountSource::kMnemonic ? keystore.path(account) : "imported";
    context.out() << account.name << "  " << account.address().to_string() << "  " << where << "\n";
  }
}

Json accounts_json(const Keystore& keystore) {
  Json out = Json::array();
  for (const KeystoreAccount& account : keystore.accounts())
    out.push_back(account_json(keystore, account));
  return out;
}

// A key file: synod's JSON form {"type": "ed25519", "public_key", "seed"} or 64 hex digits.
Result<crypto::KeyPair> parse_key_text(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  if (!text.starts_with("{")) {
    auto seed = crypto::Seed::from_hex(text);
    if (!seed.is_ok()) {
      return error(Code::kInvalidArgument,
                   "a key is 64 hex digits (an Ed25519 seed): " + seed.status().message());
    }
    return crypto::KeyPair::from_seed(*seed);
  }
  auto json = parse_json(text, "key file");
  if (!json.is_ok()) return error(Code::kInvalidArgument, json.status().message());
  JsonFields fields{*json, "key file", Code::kInvalidArgument};
  SYNOD_TRY(fields.only({"type", "public_key", "seed"}));
  SYNOD_ASSIGN_OR_RETURN(std::string type, fields.string("type", 16));
  if (type != "ed25519") return fields.fail("type", "expected \"ed25519\"");
  SYNOD_ASSIGN_OR_RETURN(crypto::Seed seed, fields.fixed_hex<32>("seed"));
  crypto::KeyPair key = crypto::KeyPair::from_seed(seed);
  sodium_memzero(seed.data.data(), seed.size());
  if (fields.has("public_key")) {
    SYNOD_ASSIGN_OR_RETURN(crypto::PublicKey public_key, fields.fixed_hex<32>("public_key"));
    if (public_key != key.public_key()) return fields.fail("public_key", "does not match the seed");
  }
  return key;
}

Step<crypto::KeyPair> read_key(Context& context, const ImportOptions& options) {
  Result<std::string> text = error(Code::kInternal, "unset");
  if (!options.key_file.empty()) {
    text = read_file(options.key_file, kKeyFileBytesMax);
  } else {
    text = context.environment().prompt("Ed25519 seed to import (64 hex digits): ", true);
  }
  if (!text.is_ok()) return Failure{kExitUsage, text.status()};
  auto key = parse_key_text(*text);
  sodium_memzero(text->data(), text->size());
  if (!key.is_ok()) return Failure{kExitUsage, key.status()};
  return std::move(key).value();
}

}  // namespace

int run_create(Context& context, const CreateOptions& options, bool restore) {
  std::string path = context.keystore_path();
  if (file_exists(path)) {
    return context.fail(
        kExitKeystore,
        error(Code::kAlreadyExists, "a keystore already exists at " + path +
                                        "; it is never overwritten (move it away, or use --home)"));
  }
  Step<std::string> passphrase = read_optional_passphrase(options.bip39_passphrase_file);
  if (!passphrase.ok()) return context.fail(passphrase.failure());
  Step<std::string> mnemonic = read_mnemonic(context, options, restore);
  if (!mnemonic.ok()) return context.fail(mnemonic.failure());
  auto keystore = Keystore::from_mnemonic(*mnemonic, *passphrase, options.accounts);
  sodium_memzero(mnemonic->data(), mnemonic->size());
  if (!keystore.is_ok()) return context.fail(kExitUsage, keystore.status());
  Step<std::string> password = context.password(true);
  if (!password.ok()) return context.fail(password.failure());
  Status saved = context.save_keystore_file(*keystore, *password);
  sodium_memzero(password->data(), password->size());
  if (!saved.is_ok()) return context.fail(kExitKeystore, saved);
  Status configured = write_initial_config(context);
  if (!configured.is_ok()) context.warn("wallet.toml was not written: " + configured.message());
  if (context.json()) {
    Json result{{"keystore", path}, {"accounts", accounts_json(*keystore)}};
    if (!restore) result["mnemonic"] = keystore->mnemonic();
    return context.done(result);
  }
  if (!restore) print_mnemonic(context, keystore->mnemonic());
  context.out() << (restore ? "Restored" : "Created") << " keystore " << path << "\n";
  print_accounts(context, *keystore);
  return kExitOk;
}

int run_import_key(Context& context, const ImportOptions& options) {
  Step<crypto::KeyPair> key = read_key(context, options);
  if (!key.ok()) return context.fail(key.failure());
  bool exists = file_exists(context.keystore_path());
  std::optional<Keystore> keystore;
  std::string password;
  if (exists) {
    Step<Keystore> opened = context.open_keystore(&password);
    if (!opened.ok()) return context.fail(opened.failure());
    keystore.emplace(std::move(*opened));
  } else {
    Step<std::string> new_password = context.password(true);
    if (!new_password.ok()) return context.fail(new_password.failure());
    password = std::move(*new_password);
    keystore.emplace(Keystore::without_mnemonic());
  }
  auto added = keystore->import_key(*key, options.name);
  if (!added.is_ok()) {
    sodium_memzero(password.data(), password.size());
    return context.fail(kExitUsage, added.status());
  }
  Status saved = context.save_keystore_file(*keystore, password);
  sodium_memzero(password.data(), password.size());
  if (!saved.is_ok()) return context.fail(kExitKeystore, saved);
  if (!exists) {
    Status configured = write_initial_config(context);
    if (!configured.is_ok()) context.warn("wallet.toml was not written: " + configured.message());
  }
  if (context.json()) return context.done(account_json(*keystore, *added));
  context.out() << "Imported " << added->name << "  " << added->address().to_string() << "\n";
  return kExitOk;
}

int run_list(Context& context) {
  Step<Keystore> keystore = context.open_keystore();
  if (!keystore.ok()) return context.fail(keystore.failure());
  if (context.json()) return context.done(Json{{"accounts", accounts_json(*keystore)}});
  print_accounts(context, *keystore);
  return kExitOk;
}

}  // namespace synod::wallet::cli

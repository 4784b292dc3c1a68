#include "chain/genesis.h"

#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "crypto/hash.h"

namespace synod::chain {

using nlohmann::json;

namespace {

constexpr size_t kGenesisFileBytesMax = 64 * 1024 * 1024;
constexpr size_t kGenesisAccountsMax = 10'000'000;

Status field_error(const std::string& field, const std::string& problem) {
  return error(Code::kInvalidArgument, "genesis: " + field + ": " + problem);
}

Result<uint64_t> read_u64(const json& value, const std::string& field) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer()) {
    if (value.get<int64_t>() < 0) return field_error(field, "must not be negative");
    return static_cast<uint64_t>(value.get<int64_t>());
  }
  if (!value.is_string()) return field_error(field, "must be a decimal string or an integer");
  const std::string& text = value.get_ref<const std::string&>();
  if (text.empty() || text.size() > 20 || (text.size() > 1 && text[0] == '0')) {
    return field_error(field, "'" + text + "' is not a canonical decimal integer");
  }
  uint64_t out = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return field_error(field, "'" + text + "' is not a decimal integer");
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (out > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
      return field_error(field, "'" + text + "' overflows 64 bits");
    }
    out = out * 10 + digit;
  }
  return out;
}

Result<std::string> read_string(const json& object, const std::string& key,
                                const std::string& field) {
  auto it = object.find(key);
  if (it == object.end()) return field_error(field, "is missing");
  if (!it->is_string()) return field_error(field, "must be a string");
  return it->get<std::string>();
}

Status check_known_keys(const json& object, const std::set<std::string>& known,
                        const std::string& where) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (!known.contains(it.key())) {
      return field_error(where.empty() ? it.key() : where + "." + it.key(), "is not a known field");
    }
  }
  return Status::ok();
}

Status parse_consensus(const json& object, ConsensusParams& params) {
  if (!object.is_object()) return field_error("consensus", "must be an object");
  SYNOD_TRY(check_known_keys(object,
                             {"mechanism", "block_interval_ms", "round_timeout_ms",
                              "block_transactions_max", "confirmations"},
                             "consensus"));
  SYNOD_ASSIGN_OR_RETURN(std::string name, read_string(object, "mechanism", "consensus.mechanism"));
  auto mechanism = parse_mechanism(name);
  if (!mechanism.is_ok()) return field_error("consensus.mechanism", mechanism.status().message());
  params.mechanism = *mechanism;
  auto read_optional = [&](const char* key, uint64_t& out) -> Status {
    auto it = object.find(key);
    if (it == object.end()) return Status::ok();
    SYNOD_ASSIGN_OR_RETURN(out, read_u64(*it, std::string("consensus.") + key));
    return Status::ok();
  };
  uint64_t transactions_max = params.block_transactions_max;
  uint64_t confirmations = params.confirmations;
  SYNOD_TRY(read_optional("block_interval_ms", params.block_interval_ms));
  SYNOD_TRY(read_optional("round_timeout_ms", params.round_timeout_ms));
  SYNOD_TRY(read_optional("block_transactions_max", transactions_max));
  SYNOD_TRY(read_optional("confirmations", confirmations));
  if (transactions_max == 0 || transactions_max > kBlockTransactionsMax) {
    return field_error("consensus.block_transactions_max",
                       "must be from 1 to " + std::to_string(kBlockTransactionsMax));
  }
  if (confirmations == 0 || confirmations > 1000) {
    return field_error("consensus.confirmations", "must be from 1 to 1000");
  }
  params.block_transactions_max = static_cast<uint32_t>(transactions_max);
  params.confirmations = static_cast<uint32_t>(confirmations);
  return Status::ok();
}

Status parse_app(const json& value, Genesis& genesis) {
  if (!value.is_object())
    return field_error("app", "must be an object like {\"name\": \"ledger\"}");
  SYNOD_TRY(check_known_keys(value, {"name", "unsigned_writes"}, "app"));
  SYNOD_ASSIGN_OR_RETURN(std::string name, read_string(value, "name", "app.name"));
  if (name == "ledger") {
    genesis.app = AppKind::kLedger;
  } else if (name == "kvstore") {
    genesis.app = AppKind::kKvStore;
  } else {
    return field_error("app.name", "'" + name + "' is not one of ledger, kvstore");
  }
  if (auto it = value.find("unsigned_writes"); it != value.end()) {
    if (!it->is_boolean()) return field_error("app.unsigned_writes", "must be true or false");
    genesis.kv_unsigned_writes = it->get<bool>();
  }
  return Status::ok();
}

Status parse_accounts(const json& value, Genesis& genesis) {
  if (!value.is_array()) return field_error("accounts", "must be an array");
  if (value.size() > kGenesisAccountsMax) return field_error("accounts", "has too many entries");
  for (size_t i = 0; i < value.size(); ++i) {
    std::string where = "accounts[" + std::to_string(i) + "]";
    const json& entry = value[i];
    if (!entry.is_object()) return field_error(where, "must be an object");
    SYNOD_TRY(check_known_keys(entry, {"address", "balance"}, where));
    SYNOD_ASSIGN_OR_RETURN(std::string text, read_string(entry, "address", where + ".address"));
    auto address = Address::parse(text);
    if (!address.is_ok()) return field_error(where + ".address", address.status().message());
    auto balance = entry.find("balance");
    if (balance == entry.end()) return field_error(where + ".balance", "is missing");
    SYNOD_ASSIGN_OR_RETURN(uint64_t amount, read_u64(*balance, where + ".balance"));
    genesis.accounts.push_back(GenesisAccount{*address, amount});
  }
  return Status::ok();
}

Status parse_validators(const json& value, Genesis& genesis) {
  if (!value.is_array()) return field_error("validators", "must be an array");
  if (value.size() > kValidatorsMax) return field_error("validators", "has too many entries");
  std::vector<Validator> validators;
  for (size_t i = 0; i < value.size(); ++i) {
    std::string where = "validators[" + std::to_string(i) + "]";
    const json& entry = value[i];
    if (!entry.is_object()) return field_error(where, "must be an object");
    SYNOD_TRY(check_known_keys(entry, {"name", "public_key", "power"}, where));
    Validator validator;
    if (entry.contains("name")) {
      SYNOD_ASSIGN_OR_RETURN(validator.name, read_string(entry, "name", where + ".name"));
    }
    SYNOD_ASSIGN_OR_RETURN(std::string key,
                           read_string(entry, "public_key", where + ".public_key"));
    auto public_key = crypto::PublicKey::from_hex(key);
    if (!public_key.is_ok())
      return field_error(where + ".public_key", public_key.status().message());
    validator.public_key = *public_key;
    auto power = entry.find("power");
    if (power == entry.end()) return field_error(where + ".power", "is missing");
    SYNOD_ASSIGN_OR_RETURN(validator.power, read_u64(*power, where + ".power"));
    validators.push_back(std::move(validator));
  }
  auto set = ValidatorSet::create(std::move(validators));
  if (!set.is_ok()) return field_error("validators", set.status().message());
  genesis.validators = std::move(set).value();
  return Status::ok();
}

}  // namespace

std::string_view mechanism_name(Mechanism mechanism) {
  switch (mechanism) {
    case Mechanism::kPbft:
      return "pbft";
    case Mechanism::kDbft:
      return "dbft";
    case Mechanism::kPos:
      return "pos";
    case Mechanism::kPow:
      return "pow";
    case Mechanism::kRaft:
      return "raft";
    case Mechanism::kPaxos:
      return "paxos";
  }
  return "unknown";
}

Result<Mechanism> parse_mechanism(std::string_view name) {
  for (Mechanism m : {Mechanism::kPbft, Mechanism::kDbft, Mechanism::kPos, Mechanism::kPow,
                      Mechanism::kRaft, Mechanism::kPaxos}) {
    if (mechanism_name(m) == name) return m;
  }
  return error(Code::kInvalidArgument,
               "'" + std::string(name) + "' is not one of pbft, dbft, pos, pow, raft, paxos");
}

Status Genesis::validate() const {
  if (chain_id.empty() || chain_id.size() > kChainIdBytesMax) {
    return field_error("chain_id", "must be 1 to " + std::to_string(kChainIdBytesMax) + " bytes");
  }
  for (char c : chain_id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) return field_error("chain_id", "may hold only a-z, 0-9, '-', '_' and '.'");
  }
  if (validators.size() == 0) return field_error("validators", "validator set is empty");
  if (consensus.block_interval_ms == 0 || consensus.block_interval_ms > 3'600'000) {
    return field_error("consensus.block_interval_ms", "must be from 1 to 3600000");
  }
  if (consensus.round_timeout_ms < 10 || consensus.round_timeout_ms > 3'600'000) {
    return field_error("consensus.round_timeout_ms", "must be from 10 to 3600000");
  }
  std::set<Address> seen;
  uint64_t supply = 0;
  for (size_t i = 0; i < accounts.size(); ++i) {
    if (!seen.insert(accounts[i].address).second) {
      return field_error("accounts[" + std::to_string(i) + "].address", "repeats an address");
    }
    if (accounts[i].balance > std::numeric_limits<uint64_t>::max() - supply) {
      return field_error("accounts[" + std::to_string(i) + "].balance",
                         "total supply overflows 64 bits");
    }
    supply += accounts[i].balance;
  }
  return Status::ok();
}

uint64_t Genesis::total_supply() const {
  uint64_t supply = 0;
  for (const GenesisAccount& account : accounts)
    supply += account.balance;
  return supply;
}

Result<Genesis> Genesis::from_json(std::string_view text) {
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return error(Code::kInvalidArgument, "genesis: not valid JSON");
  if (!root.is_object()) return error(Code::kInvalidArgument, "genesis: must be a JSON object");
  SYNOD_TRY(check_known_keys(
      root, {"chain_id", "genesis_time_ms", "app", "consensus", "accounts", "validators"}, ""));
  Genesis genesis;
  SYNOD_ASSIGN_OR_RETURN(genesis.chain_id, read_string(root, "chain_id", "chain_id"));
  if (auto it = root.find("genesis_time_ms"); it != root.end()) {
    SYNOD_ASSIGN_OR_RETURN(genesis.genesis_time_ms, read_u64(*it, "genesis_time_ms"));
  }
  if (auto it = root.find("app"); it != root.end()) SYNOD_TRY(parse_app(*it, genesis));
  auto consensus = root.find("consensus");
  if (consensus == root.end()) return field_error("consensus", "is missing");
  SYNOD_TRY(parse_consensus(*consensus, genesis.consensus));
  if (auto it = root.find("accounts"); it != root.end()) SYNOD_TRY(parse_accounts(*it, genesis));
  auto validators = root.find("validators");
  if (validators == root.end()) return field_error("validators", "is missing");
  SYNOD_TRY(parse_validators(*validators, genesis));
  SYNOD_TRY(genesis.validate());
  return genesis;
}

Result<Genesis> Genesis::load(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return error(Code::kNotFound, "genesis: cannot open " + path);
  file.seekg(0, std::ios::end);
  auto size = file.tellg();
  if (size < 0 || static_cast<size_t>(size) > kGenesisFileBytesMax) {
    return error(Code::kInvalidArgument, "genesis: " + path + " is too large or unreadable");
  }
  file.seekg(0);
  std::string text(static_cast<size_t>(size), '\0');
  file.read(text.data(), size);
  if (!file) return error(Code::kIoError, "genesis: failed to read " + path);
  auto genesis = from_json(text);
  if (!genesis.is_ok()) return genesis.status().with_context(path);
  return genesis;
}

std::string Genesis::to_json() const {
  json root;
  root["chain_id"] = chain_id;
  root["genesis_time_ms"] = genesis_time_ms;
  root["app"] = json{{"name", app == AppKind::kLedger ? "ledger" : "kvstore"}};
  if (app == AppKind::kKvStore) root["app"]["unsigned_writes"] = kv_unsigned_writes;
  root["consensus"] = json{{"mechanism", mechanism_name(consensus.mechanism)},
                           {"block_interval_ms", consensus.block_interval_ms},
                           {"round_timeout_ms", consensus.round_timeout_ms},
                           {"block_transactions_max", consensus.block_transactions_max},
                           {"confirmations", consensus.confirmations}};
  json accounts_json = json::array();
  for (const GenesisAccount& account : accounts) {
    accounts_json.push_back(json{{"address", account.address.to_string()},
                                 {"balance", std::to_string(account.balance)}});
  }
  root["accounts"] = std::move(accounts_json);
  json validators_json = json::array();
  for (const Validator& validator : validators.validators()) {
    validators_json.push_back(json{{"name", validator.name},
                                   {"public_key", validator.public_key.hex()},
                                   {"power", validator.power}});
  }
  root["validators"] = std::move(validators_json);
  return root.dump(2) + "\n";
}

void Genesis::encode(Writer& writer) const {
  writer.string(chain_id);
  writer.u64(genesis_time_ms);
  writer.u8(static_cast<uint8_t>(app));
  writer.boolean(kv_unsigned_writes);
  writer.u8(static_cast<uint8_t>(consensus.mechanism));
  writer.u64(consensus.block_interval_ms);
  writer.u64(consensus.round_timeout_ms);
  writer.u32(consensus.block_transactions_max);
  writer.u32(consensus.confirmations);
  writer.list_size(accounts.size());
  for (const GenesisAccount& account : accounts) {
    writer.fixed(account.address.bytes);
    writer.u64(account.balance);
  }
  validators.encode(writer);
}

Hash256 Genesis::hash() const {
  Writer writer;
  encode(writer);
  return crypto::tagged_hash("synod/genesis", writer.buffer());
}

}  // namespace synod::chain

#include "wallet/cli.h"

#include <sodium.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "wallet/cli_context.h"
#include "wallet/terminal.h"

namespace synod::wallet {
namespace cli {

Context::Context(const CliEnvironment& environment, GlobalOptions options)
    : environment_(environment), options_(std::move(options)) {
  if (options_.home.empty()) options_.home = default_home();
}

Step<WalletConfig> Context::config() {
  if (config_) return *config_;
  auto loaded = WalletConfig::load(options_.home);
  if (!loaded.is_ok()) return Failure{kExitUsage, loaded.status()};
  config_ = *loaded;
  if (!options_.endpoints.empty()) config_->endpoints = options_.endpoints;
  if (!options_.genesis_file.empty()) config_->genesis_file = options_.genesis_file;
  if (options_.timeout_ms != 0) config_->request_timeout_ms = options_.timeout_ms;
  return *config_;
}

Step<TrustAnchor> Context::anchor() {
  if (anchor_) return *anchor_;
  Step<WalletConfig> wallet_config = config();
  if (!wallet_config.ok()) return wallet_config.failure();
  if (wallet_config->genesis_file.empty()) {
    return Failure{kExitUsage,
                   error(Code::kFailedPrecondition,
                         "no genesis to trust: pass --genesis FILE, or set genesis_file in " +
                             resolve_path(options_.home, kConfigFileName))};
  }
  // A path given on the command line is relative to where the command runs; one in the config
  // is relative to the home folder.
  std::string path = options_.genesis_file.empty()
                         ? resolve_path(options_.home, wallet_config->genesis_file)
                         : options_.genesis_file;
  auto genesis = load_genesis(path);
  if (!genesis.is_ok()) return Failure{kExitUsage, genesis.status()};
  anchor_ = TrustAnchor::from_genesis(*genesis);
  return *anchor_;
}

Step<RpcClient*> Context::client() {
  if (client_) return client_.get();
  Step<WalletConfig> wallet_config = config();
  if (!wallet_config.ok()) return wallet_config.failure();
  RpcClientOptions client_options;
  for (const std::string& url : wallet_config->endpoints) {
    auto endpoint = rpc::parse_endpoint(url);
    if (!endpoint.is_ok()) return Failure{kExitUsage, endpoint.status()};
    client_options.endpoints.push_back(*endpoint);
  }
  client_options.timeout_ms = wallet_config->request_timeout_ms;
  client_options.token = wallet_config->token;
  client_ = std::make_unique<RpcClient>(std::move(client_options));
  return client_.get();
}

Step<std::string> Context::password(bool new_one) {
  Result<std::string> password = error(Code::kInternal, "unset");
  if (!options_.password_file.empty()) {
    password = read_secret_file(options_.password_file);
  } else if (const char* variable = std::getenv(kPasswordEnvironmentVariable);
             variable != nullptr && *variable != '\0') {
    password = std::string(variable);
  } else {
    password =
        environment_.prompt(new_one ? "New keystore password: " : "Keystore password: ", true);
    if (password.is_ok() && new_one) {
      auto again = environment_.prompt("Repeat the password: ", true);
      if (!again.is_ok()) return Failure{kExitUsage, again.status()};
      if (*again != *password) {
        return Failure{kExitUsage, error(Code::kInvalidArgument, "the passwords differ")};
      }
    }
  }
  if (!password.is_ok()) return Failure{kExitUsage, password.status()};
  if (new_one && password->size() < kNewPasswordBytesMin) {
    return Failure{kExitUsage, error(Code::kInvalidArgument,
                                     "a keystore password needs at least " +
                                         std::to_string(kNewPasswordBytesMin) + " characters")};
  }
  return std::move(password).value();
}

Step<Keystore> Context::open_keystore(std::string* password_out) {
  std::string path = keystore_path();
  if (::access(path.c_str(), F_OK) != 0) {
    return Failure{kExitKeystore,
                   error(Code::kNotFound, "no keystore at " + path +
                                              " (create one with `synod-wallet create` or "
                                              "`restore`, or pass --home)")};
  }
  Step<std::string> secret = password(false);
  if (!secret.ok()) return secret.failure();
  auto keystore = load_keystore(path, *secret);
  if (password_out != nullptr && keystore.is_ok()) *password_out = *secret;
  sodium_memzero(secret->data(), secret->size());
  if (!keystore.is_ok()) {
    return Failure{exit_code_for_keystore_error(keystore.status()), keystore.status()};
  }
  return std::move(keystore).value();
}

Status Context::save_keystore_file(const Keystore& keystore, const std::string& password) {
  SYNOD_TRY(ensure_private_directory(options_.home));
  return save_keystore(keystore_path(), keystore, password, environment_.kdf);
}

int Context::fail(const Failure& failure, const Json& details) {
  if (json()) {
    Json body = details;
    body["exit_code"] = failure.exit_code;
    body["reason"] = code_name(failure.status.code());
    body["message"] = failure.status.message();
    out() << Json{{"error", body}}.dump() << "\n";
  } else {
    err() << "error: " << failure.status.message() << "\n";
  }
  return failure.exit_code;
}

int Context::done(Json result) {
  if (!json()) return kExitOk;
  result["failures"] = failures_json(failures_);
  out() << result.dump() << "\n";
  return kExitOk;
}

void Context::warn(const std::string& text) {
  if (!json()) err() << "warning: " << text << "\n";
}

void Context::report_failures(const std::vector<NodeFailure>& failures) {
  for (const NodeFailure& failure : failures) {
    failures_.push_back(failure);
    if (failure.status.code() == Code::kCorrupt) {
      warn("a node gave a wrong answer and was skipped (it may be faulty or lying): " +
           failure.status.message());
    } else {
      warn("a node was skipped: " + failure.status.message());
    }
  }
}

int exit_code_for_node_error(const Status& status) {
  switch (status.code()) {
    case Code::kUnavailable:
      return kExitUnreachable;
    case Code::kCorrupt:
      return kExitUnverified;
    case Code::kTimeout:
      return kExitNotCommitted;
    default:
      return kExitRejected;
  }
}

int exit_code_for_keystore_error(const Status& status) {
  return status.code() == Code::kUnauthenticated ? kExitWrongPassword : kExitKeystore;
}

Json failures_json(const std::vector<NodeFailure>& failures) {
  Json out = Json::array();
  for (const NodeFailure& failure : failures) {
    out.push_back(Json{{"node", failure.endpoint},
                       {"reason", code_name(failure.status.code())},
                       {"message", failure.status.message()}});
  }
  return out;
}

Step<chain::Address> parse_address_argument(const std::string& text, std::string_view what) {
  auto address = chain::Address::parse(text);
  if (!address.is_ok()) {
    return Failure{
        kExitUsage,
        error(Code::kInvalidArgument,
              std::string(what) + " '" + text + "' is not a valid synod address (" +
                  address.status().message() + "); check it for typos: nothing was sent")};
  }
  return *address;
}

Step<uint64_t> parse_amount_argument(const std::string& text, std::string_view what) {
  auto value = parse_u64(text);
  if (!value.is_ok()) {
    return Failure{kExitUsage, error(Code::kInvalidArgument,
                                     std::string(what) + ": " + value.status().message())};
  }
  return *value;
}

}  // namespace cli

namespace {

using cli::Context;

// The CLI11 definition of every command; `run` is set to the chosen command's handler.
struct Commands {
  cli::GlobalOptions global;
  cli::CreateOptions create;
  cli::ImportOptions import;
  cli::TransferOptions transfer;
  cli::HistoryOptions history;
  std::string selector;
  std::string file;
  std::string id;
  bool no_wait = false;
  std::function<int(Context&)> run;
};

void add_global_options(CLI::App& app, Commands& commands) {
  app.add_option("--home", commands.global.home,
                 "wallet folder with keystore.json and wallet.toml (default ~/.synod-wallet)");
  app.add_option("--endpoint", commands.global.endpoints,
                 "node RPC URL, e.g. http://127.0.0.1:26657 (repeat for failover; overrides "
                 "wallet.toml)");
  app.add_option("--genesis", commands.global.genesis_file,
                 "the network's genesis.json: the chain id and validators to trust");
  app.add_option("--timeout-ms", commands.global.timeout_ms, "per-node request timeout");
  app.add_option("--password-file", commands.global.password_file,
                 "read the keystore password from the first line of this file");
  app.add_flag("--json", commands.global.json, "print one JSON object for scripts");
}

void add_key_commands(CLI::App& app, Commands& commands) {
  auto* create = app.add_subcommand("create", "make a new 24-word mnemonic and keystore");
  create->add_option("--accounts", commands.create.accounts, "accounts to derive (default 1)");
  create->add_option("--bip39-passphrase-file", commands.create.bip39_passphrase_file,
                     "an optional BIP-39 passphrase (the \"25th word\")");
  create->callback([&] {
    commands.run = [&](Context& c) { return cli::run_create(c, commands.create, false); };
  });
  auto* restore = app.add_subcommand("restore", "rebuild a keystore from a mnemonic");
  restore->add_option("--mnemonic-file", commands.create.mnemonic_file,
                      "read the mnemonic from this file instead of the terminal");
  restore->add_option("--accounts", commands.create.accounts, "accounts to derive (default 1)");
  restore->add_option("--bip39-passphrase-file", commands.create.bip39_passphrase_file,
                      "the BIP-39 passphrase used when the mnemonic was made, if any");
  restore->callback([&] {
    commands.run = [&](Context& c) { return cli::run_create(c, commands.create, true); };
  });
  auto* import_key = app.add_subcommand("import-key", "add a raw Ed25519 key to the keystore");
  import_key->add_option("--key-file", commands.import.key_file,
                         "a key file (synod's JSON key file, or 64 hex digits of seed)");
  import_key->add_option("--name", commands.import.name, "the account's name");
  import_key->callback(
      [&] { commands.run = [&](Context& c) { return cli::run_import_key(c, commands.import); }; });
  auto* list = app.add_subcommand("list", "the keystore's accounts and addresses");
  list->callback([&] { commands.run = [](Context& c) { return cli::run_list(c); }; });
}

void add_transfer_options(CLI::App& command, cli::TransferOptions& transfer) {
  command.add_option("--to", transfer.to, "recipient address (synod1...)")->required();
  command.add_option("--amount", transfer.amount, "whole tokens to send")->required();
  command.add_option("--fee", transfer.fee, "fee paid to the block's proposer (default 1)");
  command.add_option("--from", transfer.from,
                     "sending account: name or address (default: the first)");
}

void add_node_commands(CLI::App& app, Commands& commands) {
  auto* balance =
      app.add_subcommand("balance", "a verified balance, proven against a certified block");
  balance->add_option("account", commands.selector,
                      "address, or an account name (default: the first)");
  balance->callback(
      [&] { commands.run = [&](Context& c) { return cli::run_balance(c, commands.selector); }; });
  auto* send = app.add_subcommand("send", "sign a transfer, submit it, wait until it commits");
  add_transfer_options(*send, commands.transfer);
  send->add_option("--nonce", commands.transfer.nonce, "override the nonce read from the node");
  send->add_flag("--no-wait", commands.transfer.no_wait, "return once a node accepted it");
  send->callback(
      [&] { commands.run = [&](Context& c) { return cli::run_send(c, commands.transfer); }; });
  auto* sign = app.add_subcommand("sign", "sign a transfer offline into a file");
  add_transfer_options(*sign, commands.transfer);
  sign->add_option("--nonce", commands.transfer.nonce, "the sender's next nonce")->required();
  sign->add_option("--out", commands.transfer.out, "the file to write")->required();
  sign->callback(
      [&] { commands.run = [&](Context& c) { return cli::run_sign(c, commands.transfer); }; });
  auto* broadcast = app.add_subcommand("broadcast", "submit a signed transaction file");
  broadcast->add_option("file", commands.file, "written by `sign`")->required();
  broadcast->add_flag("--no-wait", commands.no_wait, "return once a node accepted it");
  broadcast->callback([&] {
    commands.run = [&](Context& c) {
      return cli::run_broadcast(c, commands.file, commands.no_wait);
    };
  });
  auto* status = app.add_subcommand("status", "a transaction's state, verified when committed");
  status->add_option("txid", commands.id, "transaction id (64 hex)")->required();
  status->callback(
      [&] { commands.run = [&](Context& c) { return cli::run_status(c, commands.id); }; });
  auto* history = app.add_subcommand("history", "transactions that touched an address");
  history->add_option("address", commands.history.address, "synod1...")->required();
  history->add_option("--limit", commands.history.limit, "entries per page (1..1000, default 50)");
  history->add_option("--before", commands.history.before, "the cursor of the previous page");
  history->callback(
      [&] { commands.run = [&](Context& c) { return cli::run_history(c, commands.history); }; });
}

}  // namespace

CliEnvironment default_cli_environment() {
  CliEnvironment environment;
  environment.out = &std::cout;
  environment.err = &std::cerr;
  environment.prompt = prompt_terminal;
  environment.err_is_terminal = ::isatty(STDERR_FILENO) == 1;
  return environment;
}

int run_cli(int argc, const char* const* argv, const CliEnvironment& environment) {
  CLI::App app{"synod-wallet: keys, transfers and balances checked against the chain"};
  app.name("synod-wallet");
  app.require_subcommand(1);
  app.fallthrough();
  app.footer(
      "Exit codes: 0 ok, 1 usage, 2 rejected by the node (or funds too low), 3 no node "
      "reachable, 4 verification failed, 5 wrong password, 6 keystore error, 7 not committed "
      "in time.\nPassword: --password-file, else $SYNOD_WALLET_PASSWORD, else asked on the "
      "terminal.");
  Commands commands;
  add_global_options(app, commands);
  add_key_commands(app, commands);
  add_node_commands(app, commands);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& parse_error) {
    int code = app.exit(parse_error, *environment.out, *environment.err);
    return code == 0 ? kExitOk : kExitUsage;
  }
  SYNOD_ASSERT(commands.run);
  Context context(environment, commands.global);
  return commands.run(context);
}

}  // namespace synod::wallet

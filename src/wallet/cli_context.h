// Internal to the command line (wallet/cli.h): the options every command shares, and the steps
// they share — finding the config, the trusted genesis, the nodes, the password, the keystore —
// each turning its failure into a printed error and an exit code. Not thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "wallet/cli.h"
#include "wallet/config.h"
#include "wallet/operations.h"

namespace synod::wallet::cli {

struct GlobalOptions {
  std::string home;
  std::vector<std::string> endpoints;  // override wallet.toml's when not empty
  std::string genesis_file;            // overrides wallet.toml's when not empty
  uint64_t timeout_ms = 0;             // overrides request_timeout_ms when not 0
  std::string password_file;
  bool json = false;
};

// A step's failure, already mapped to its exit code.
struct Failure {
  int exit_code = kExitUsage;
  Status status;
};

template <typename T>
class Step {
 public:
  Step(T value) : value_(std::move(value)) {}              // NOLINT(google-explicit-constructor)
  Step(Failure failure) : failure_(std::move(failure)) {}  // NOLINT
  bool ok() const { return value_.has_value(); }
  T& operator*() { return *value_; }
  T* operator->() { return &*value_; }
  const Failure& failure() const { return failure_; }

 private:
  std::optional<T> value_;
  Failure failure_;
};

class Context {
 public:
  Context(const CliEnvironment& environment, GlobalOptions options);

  const GlobalOptions& options() const { return options_; }
  std::ostream& out() { return *environment_.out; }
  std::ostream& err() { return *environment_.err; }
  const CliEnvironment& environment() const { return environment_; }
  bool json() const { return options_.json; }
  std::string keystore_path() const { return resolve_path(options_.home, kKeystoreFileName); }

  Step<WalletConfig> config();
  Step<TrustAnchor> anchor();
  Step<RpcClient*> client();
  // The password: --password-file, SYNOD_WALLET_PASSWORD, or the terminal (twice when `new_one`,
  // which also requires at least kNewPasswordBytesMin characters).
  Step<std::string> password(bool new_one);
  // Asks for the password and opens the keystore; `password_out`, when given, keeps the password
  // (to seal the keystore again after a change).
  Step<Keystore> open_keystore(std::string* password_out = nullptr);
  Status save_keystore_file(const Keystore& keystore, const std::string& password);

  // Prints a failure (human or JSON) and returns its exit code.
  // `details` adds fields to the JSON error object (e.g. the id of a transaction that was sent).
  int fail(const Failure& failure, const Json& details = Json::object());
  int fail(int exit_code, const Status& status) { return fail(Failure{exit_code, status}); }
  // Prints the result object (JSON mode, with "failures": every node skipped during the
  // command) and returns kExitOk.
  int done(Json result);
  // A warning for people (stderr); JSON mode reports failures in the result instead.
  void warn(const std::string& text);
  // Records nodes that were skipped (down, or gave a wrong answer) and warns about each.
  void report_failures(const std::vector<NodeFailure>& failures);

 private:
  const CliEnvironment& environment_;
  GlobalOptions options_;
  std::optional<WalletConfig> config_;
  std::optional<TrustAnchor> anchor_;
  std::unique_ptr<RpcClient> client_;
  std::vector<NodeFailure> failures_;  // every node skipped during this command
};

inline constexpr size_t kNewPasswordBytesMin = 8;

// Exit codes for the errors of RpcClient and operations (wallet/rpc_client.h).
int exit_code_for_node_error(const Status& status);
// Exit codes for the errors of load_keystore.
int exit_code_for_keystore_error(const Status& status);

Json failures_json(const std::vector<NodeFailure>& failures);
// Parses an address for a command, rejecting typos before anything is sent.
Step<chain::Address> parse_address_argument(const std::string& text, std::string_view what);
Step<uint64_t> parse_amount_argument(const std::string& text, std::string_view what);

// The commands (cli_keys.cc and cli_node.cc).
struct CreateOptions {
  uint32_t accounts = 1;
  std::string bip39_passphrase_file;
  std::string mnemonic_file;  // restore only
};
int run_create(Context& context, const CreateOptions& options, bool restore);

struct ImportOptions {
  std::string key_file;
  std::string name;
};
int run_import_key(Context& context, const ImportOptions& options);
int run_list(Context& context);

int run_balance(Context& context, const std::string& selector);

struct TransferOptions {
  std::string to;
  std::string amount;
  std::string fee = std::to_string(kDefaultFee);
  std::string from;
  std::string nonce;  // empty: ask the node (send); required for sign
  std::string out;    // sign only
  bool no_wait = false;
};
int run_send(Context& context, const TransferOptions& options);
int run_sign(Context& context, const TransferOptions& options);
int run_broadcast(Context& context, const std::string& file, bool no_wait);
int run_status(Context& context, const std::string& id);

struct HistoryOptions {
  std::string address;
  uint64_t limit = 50;
  std::string before;
};
int run_history(Context& context, const HistoryOptions& options);

}  // namespace synod::wallet::cli

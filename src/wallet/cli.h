// The `synod-wallet` command line: parsing (CLI11), the commands, their output and exit codes.
// apps/wallet_main.cc only calls run_cli; tests call it with their own environment.
//
//   synod-wallet [--home DIR] [--endpoint URL]... [--genesis FILE] [--timeout-ms N]
//                [--password-file FILE] [--json] COMMAND ...
//   create      [--accounts N] [--bip39-passphrase-file FILE]   new mnemonic and keystore
//   restore     [--mnemonic-file FILE] [--accounts N] [--bip39-passphrase-file FILE]
//   import-key  [--key-file FILE] [--name NAME]                  a raw Ed25519 seed (64 hex)
//   list                                                         accounts and addresses
//   balance     [ADDRESS|NAME]                                   verified balance and nonce
//   send        --to ADDRESS --amount N [--fee F] [--from NAME|ADDRESS] [--nonce N] [--no-wait]
//   sign        --to ADDRESS --amount N --nonce N --out FILE [--fee F] [--from NAME|ADDRESS]
//   broadcast   FILE [--no-wait]
//   status      TXID
//   history     ADDRESS [--limit N] [--before CURSOR]
//
// The password comes from --password-file, else SYNOD_WALLET_PASSWORD, else a no-echo prompt on
// the terminal. Every command that reads the keystore needs it, since only the password
// authenticates the file. Output is for people by default; --json prints one JSON object on
// stdout (errors too: {"error": {"exit_code", "reason", "message"}}, plus "id" when a submitted
// transaction was not seen committed).
//
// Not thread-safe: run one at a time.
#pragma once

#include <functional>
#include <ostream>
#include <string>

#include "base/status.h"
#include "wallet/keystore.h"

namespace synod::wallet {

// Exit codes, for scripts.
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;        // bad arguments, a mistyped address, no config
inline constexpr int kExitRejected = 2;     // a node refused, or the balance cannot pay
inline constexpr int kExitUnreachable = 3;  // no node could be reached
inline constexpr int kExitUnverified = 4;   // nodes answered, but no answer verified
inline constexpr int kExitWrongPassword = 5;
inline constexpr int kExitKeystore = 6;      // keystore missing, damaged, tampered, or unwritable
inline constexpr int kExitNotCommitted = 7;  // submitted, but not committed within the timeout

struct CliEnvironment {
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  // Asks on the terminal (wallet/terminal.h prompt_terminal); tests answer from a script.
  std::function<Result<std::string>(const std::string& prompt, bool secret)> prompt;
  // The cost of the keystore's Argon2id for new keystores; tests lower it.
  KdfParams kdf = KdfParams::moderate();
  // Whether progress lines may redraw themselves (stderr is a terminal).
  bool err_is_terminal = false;
};

// std::cout, std::cerr and the real terminal.
CliEnvironment default_cli_environment();

// Runs one command line; returns the exit code.
int run_cli(int argc, const char* const* argv, const CliEnvironment& environment);

}  // namespace synod::wallet

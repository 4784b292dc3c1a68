// Asking the person at the terminal: a line, or a secret with echo turned off (termios), always on
// /dev/tty so that redirected stdin and stdout do not leak or swallow a password. Also where the
// wallet's password comes from when it is not typed. Thread-compatible (one prompt at a time).
#pragma once

#include <string>

#include "base/status.h"

namespace synod::wallet {

inline constexpr const char* kPasswordEnvironmentVariable = "SYNOD_WALLET_PASSWORD";
inline constexpr size_t kTerminalLineBytesMax = 4'096;

// Writes `prompt` to the terminal and reads one line, without echo when `secret`. The typed text
// is returned without its newline. kFailedPrecondition when there is no terminal (no /dev/tty);
// kIoError when reading fails or the input ends first.
Result<std::string> prompt_terminal(const std::string& prompt, bool secret);

// The first line of a file (a password or mnemonic kept in a file), without its line ending.
// kInvalidArgument when the line is empty or over kTerminalLineBytesMax.
Result<std::string> read_secret_file(const std::string& path);

}  // namespace synod::wallet

// Files the wallet keeps: read with a size bound, written atomically with owner-only permissions.
//
// write_file_atomic writes `<path>.tmp` (mode 0600), fsyncs it, renames it over `path`, and fsyncs
// the directory, so at every instant `path` holds either the complete old contents or the
// complete new ones: a crash (or an error) before the rename leaves the old file untouched, one
// after it leaves the new file durable. A leftover `<path>.tmp` from a crash is overwritten by the
// next write and never read.
//
// Thread-safe as far as the file system is: two processes writing the same path concurrently
// race on `<path>.tmp` (the wallet is a single-user command-line tool).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace synod::wallet {

// Test seams for write_file_atomic. `before_rename` runs after the temporary file is complete and
// synced, before it replaces the old one; an error aborts the write there (as a crash would),
// leaving `<path>.tmp` behind.
struct AtomicWriteHooks {
  std::function<Status()> before_rename;
};

Status write_file_atomic(const std::string& path, std::string_view contents,
                         const AtomicWriteHooks& hooks = {});

// Reads a whole file of at most `bytes_max` bytes. kNotFound when it does not exist,
// kInvalidArgument when it is larger, kIoError for other failures. Errors name the file.
Result<std::string> read_file(const std::string& path, size_t bytes_max);

// kFailedPrecondition when group or others may read or write `path` (as ssh refuses such keys).
Status check_owner_only(const std::string& path);

// Creates `path` as a directory with mode 0700 when it does not exist.
Status ensure_private_directory(const std::string& path);

}  // namespace synod::wallet

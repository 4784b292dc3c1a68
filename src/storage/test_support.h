// Helpers shared by the storage tests: a temporary folder and byte/string conversions. Test-only;
// nothing in the library includes this file.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include "base/bytes.h"

namespace synod::storage::test {

// A fresh folder under the system's temporary directory, removed with everything in it on
// destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "synod-storage-XXXXXX").string();
    SYNOD_ASSERT(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string child(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

inline Bytes bytes_of(std::string_view text) {
  ByteView view = as_bytes(text);
  return Bytes(view.begin(), view.end());
}

inline std::string text_of(ByteView bytes) {
  return std::string(as_string_view(bytes));
}

// `prefix` followed by `number` in big-endian, so that keys sort by number.
inline Bytes key_with_number(std::string_view prefix, uint64_t number) {
  Bytes key = bytes_of(prefix);
  for (int shift = 56; shift >= 0; shift -= 8)
    key.push_back(static_cast<uint8_t>(number >> shift));
  return key;
}

}  // namespace synod::storage::test

// Status and Result<T>: the one way synod reports operating errors (bad input, I/O failure,
// a rejected transaction). Each carries a reason code that callers branch on and a message that
// people read. Programmer errors are assertions (base/assert.h), never Status.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "base/assert.h"

namespace synod {

enum class Code : int {
  kOk = 0,
  kInvalidArgument,     // the caller's input is malformed or out of range
  kCorrupt,             // encoded data failed strict decoding or an integrity check
  kNotFound,            // the thing asked for does not exist
  kAlreadyExists,       // a duplicate (transaction already known, key already present)
  kFailedPrecondition,  // valid input in the wrong state (bad nonce, wrong height)
  kInsufficientFunds,   // a balance too small for amount plus fee
  kOverflow,            // checked arithmetic would overflow
  kUnauthenticated,     // a signature or token failed verification
  kResourceExhausted,   // a bound was reached (mempool full, too many peers)
  kUnavailable,         // try again later (peer down, node syncing)
  kIoError,             // the operating system or storage failed
  kTimeout,             // a deadline passed
  kInternal,            // a bug; should not happen
};

std::string_view code_name(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }
  bool is_ok() const { return code_ == Code::kOk; }
  explicit operator bool() const { return is_ok(); }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "code_name: message", for logs and errors shown to people.
  std::string to_string() const;
  // Returns a copy whose message is "context: message"; the code stays.
  Status with_context(std::string_view context) const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status error(Code code, std::string message) {
  return Status(code, std::move(message));
}

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : state_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    SYNOD_ASSERT(!std::get<Status>(state_).is_ok());
  }

  bool is_ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return is_ok(); }
  const Status& status() const {
    static const Status kOk;
    return is_ok() ? kOk : std::get<Status>(state_);
  }
  T& value() & {
    SYNOD_ASSERT(is_ok());
    return std::get<T>(state_);
  }
  const T& value() const& {
    SYNOD_ASSERT(is_ok());
    return std::get<T>(state_);
  }
  T&& value() && {
    SYNOD_ASSERT(is_ok());
    return std::get<T>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace synod

#define SYNOD_CONCAT_INNER(a, b) a##b
#define SYNOD_CONCAT(a, b) SYNOD_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function when `expression` is not ok.
#define SYNOD_TRY(expression)                         \
  do {                                                \
    ::synod::Status synod_status_ = (expression);     \
    if (!synod_status_.is_ok()) return synod_status_; \
  } while (0)

// `SYNOD_ASSIGN_OR_RETURN(auto x, f());` binds x to f()'s value or returns its Status.
#define SYNOD_ASSIGN_OR_RETURN(lhs, expression) \
  SYNOD_ASSIGN_OR_RETURN_IMPL(SYNOD_CONCAT(synod_result_, __LINE__), lhs, expression)
#define SYNOD_ASSIGN_OR_RETURN_IMPL(result, lhs, expression) \
  auto result = (expression);                                \
  if (!result.is_ok()) return result.status();               \
  lhs = std::move(result).value()

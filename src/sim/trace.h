// The event trace of one run. Every event the simulator executes is recorded as one line; the
// lines (and the payload bytes they name) stream into a SHA-256 digest, so two runs are identical
// exactly when their digests are. The last `recent_max` lines are kept to print when a checker
// fails. Not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/hash.h"

namespace synod::sim {

class Trace {
 public:
  static constexpr size_t kRecentMaxDefault = 50;

  explicit Trace(size_t recent_max = kRecentMaxDefault) : recent_max_(recent_max) {}

  // Records one event at virtual time `time_ms`. When `echo` is set the line is also printed.
  void record(uint64_t time_ms, std::string_view line);
  // Feeds bytes that belong to the last recorded event (a message payload) into the digest only.
  void absorb(ByteView bytes);

  // The digest of everything recorded so far (recording may continue).
  Hash256 digest() const;
  const std::deque<std::string>& recent() const { return recent_; }
  uint64_t event_count() const { return event_count_; }
  void set_echo(bool echo) { echo_ = echo; }

 private:
  size_t recent_max_;
  std::deque<std::string> recent_;
  crypto::Sha256 hasher_;
  uint64_t event_count_ = 0;
  bool echo_ = false;
};

}  // namespace synod::sim

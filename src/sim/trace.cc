#include "sim/trace.h"

#include <fmt/format.h>

#include <cstdio>

namespace synod::sim {

void Trace::record(uint64_t time_ms, std::string_view line) {
  std::string text = fmt::format("{:>9} {}", time_ms, line);
  hasher_.update(text);
  hasher_.update(std::string_view("\n"));
  ++event_count_;
  if (echo_) std::printf("%s\n", text.c_str());
  recent_.push_back(std::move(text));
  while (recent_.size() > recent_max_)
    recent_.pop_front();
}

void Trace::absorb(ByteView bytes) {
  hasher_.update(bytes);
}

Hash256 Trace::digest() const {
  crypto::Sha256 copy = hasher_;
  return copy.finish();
}

}  // namespace synod::sim

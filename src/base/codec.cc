#include "base/codec.h"

#include <limits>

namespace synod {

void Writer::bytes(ByteView value) {
  SYNOD_ASSERT(value.size() <= std::numeric_limits<uint32_t>::max());
  u32(static_cast<uint32_t>(value.size()));
  raw(value);
}

void Writer::list_size(size_t count) {
  SYNOD_ASSERT(count <= std::numeric_limits<uint32_t>::max());
  u32(static_cast<uint32_t>(count));
}

bool Reader::need(size_t size, const char* what) {
  if (!ok()) return false;
  if (input_.size() - offset_ < size) {
    fail(std::string("truncated input reading ") + what + " at offset " + std::to_string(offset_));
    return false;
  }
  return true;
}

uint64_t Reader::get_le(int width, const char* what) {
  if (!need(static_cast<size_t>(width), what)) return 0;
  uint64_t value = 0;
  for (int i = 0; i < width; ++i)
    value |= uint64_t{input_[offset_ + i]} << (8 * i);
  offset_ += static_cast<size_t>(width);
  return value;
}

uint8_t Reader::u8() {
  return static_cast<uint8_t>(get_le(1, "u8"));
}

bool Reader::boolean() {
  size_t at = offset_;
  uint8_t value = u8();
  if (value > 1) {
    fail("non-canonical boolean " + std::to_string(value) + " at offset " + std::to_string(at));
    return false;
  }
  return value == 1;
}

ByteView Reader::raw(size_t size) {
  if (!need(size, "bytes")) return {};
  ByteView out = input_.subspan(offset_, size);
  offset_ += size;
  return out;
}

Bytes Reader::bytes(size_t size_max) {
  size_t at = offset_;
  uint32_t size = u32();
  if (!ok()) return {};
  if (size > size_max) {
    fail("length " + std::to_string(size) + " over the limit " + std::to_string(size_max) +
         " at offset " + std::to_string(at));
    return {};
  }
  ByteView view = raw(size);
  return Bytes(view.begin(), view.end());
}

std::string Reader::string(size_t size_max) {
  Bytes value = bytes(size_max);
  return std::string(value.begin(), value.end());
}

size_t Reader::list_size(size_t count_max, size_t element_bytes_min) {
  size_t at = offset_;
  uint32_t count = u32();
  if (!ok()) return 0;
  if (count > count_max) {
    fail("list of " + std::to_string(count) + " elements over the limit " +
         std::to_string(count_max) + " at offset " + std::to_string(at));
    return 0;
  }
  if (element_bytes_min > 0 && count > remaining() / element_bytes_min) {
    fail("list of " + std::to_string(count) + " elements longer than the input at offset " +
         std::to_string(at));
    return 0;
  }
  return count;
}

void Reader::fail(std::string message) {
  if (ok()) status_ = Status(Code::kCorrupt, std::move(message));
}

Status Reader::finish() const {
  if (!ok()) return status_;
  if (offset_ != input_.size()) {
    return error(Code::kCorrupt, std::to_string(input_.size() - offset_) +
                                     " trailing bytes at offset " + std::to_string(offset_));
  }
  return Status::ok();
}

}  // namespace synod

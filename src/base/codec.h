// The one canonical binary codec. Hashes and signatures are always over this encoding.
//
// Rules: integers are fixed-width little-endian; booleans are one byte, 0 or 1; byte strings and
// lists carry a u32 length prefix; fixed-size values (hashes, keys) carry none. Decoding is strict:
// truncated input, trailing bytes, a length over the caller's named limit, or a non-canonical form
// (a boolean that is not 0/1, an unknown tag) are errors, so encode(decode(b)) == b for every
// accepted b. Lengths are checked against the limit and the remaining input before allocating.
//
// Reader keeps a sticky error: after the first failure every read returns a zero value and
// `finish()` returns that first error. Callers may read a whole structure and check once.
// Neither class is thread-safe; a Reader borrows the input, which must outlive it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/status.h"

namespace synod {

class Writer {
 public:
  Writer() = default;
  explicit Writer(size_t reserve_bytes) { buffer_.reserve(reserve_bytes); }

  void u8(uint8_t value) { buffer_.push_back(value); }
  void u16(uint16_t value) { put_le(value, 2); }
  void u32(uint32_t value) { put_le(value, 4); }
  void u64(uint64_t value) { put_le(value, 8); }
  void boolean(bool value) { u8(value ? 1 : 0); }
  // Raw bytes with no length prefix, for values whose size the schema fixes.
  void raw(ByteView bytes) { buffer_.insert(buffer_.end(), bytes.begin(), bytes.end()); }
  template <size_t N>
  void fixed(const FixedBytes<N>& value) {
    raw(value.view());
  }
  // u32 length prefix, then the bytes.
  void bytes(ByteView bytes);
  void string(std::string_view text) { bytes(as_bytes(text)); }
  // u32 element count; the caller then writes each element.
  void list_size(size_t count);

  const Bytes& buffer() const { return buffer_; }
  Bytes take() { return std::move(buffer_); }
  size_t size() const { return buffer_.size(); }

 private:
  void put_le(uint64_t value, int width) {
    for (int i = 0; i < width; ++i)
      buffer_.push_back(static_cast<uint8_t>(value >> (8 * i)));
  }
  Bytes buffer_;
};

class Reader {
 public:
  explicit Reader(ByteView input) : input_(input) {}

  uint8_t u8();
  uint16_t u16() { return static_cast<uint16_t>(get_le(2, "u16")); }
  uint32_t u32() { return static_cast<uint32_t>(get_le(4, "u32")); }
  uint64_t u64() { return get_le(8, "u64"); }
  bool boolean();
  // Borrows `size` raw bytes from the input (empty view on failure).
  ByteView raw(size_t size);
  template <size_t N>
  FixedBytes<N> fixed() {
    FixedBytes<N> out;
    ByteView view = raw(N);
    if (view.size() == N) out = FixedBytes<N>::from_view(view);
    return out;
  }
  // A u32-length-prefixed byte string of at most `size_max` bytes.
  Bytes bytes(size_t size_max);
  std::string string(size_t size_max);
  // A u32 element count of at most `count_max`. Each element must then be decoded; the count is
  // also checked against the remaining input assuming each element takes at least
  // `element_bytes_min` bytes, so a huge count cannot trigger a huge reservation.
  size_t list_size(size_t count_max, size_t element_bytes_min = 1);

  // Records a decoding error found by the caller (bad tag, out-of-range field). First error wins.
  void fail(std::string message);
  bool ok() const { return status_.is_ok(); }
  size_t remaining() const { return ok() ? input_.size() - offset_ : 0; }
  size_t offset() const { return offset_; }
  // The first error, or kCorrupt "trailing bytes" when input is left over, or ok.
  Status finish() const;

 private:
  uint64_t get_le(int width, const char* what);
  bool need(size_t size, const char* what);

  ByteView input_;
  size_t offset_ = 0;
  Status status_;
};

// Types encoded with this codec provide:
//   void encode(Writer&) const;
//   static T decode_from(Reader&);   // reads fields; reports errors through the Reader
template <typename T>
Bytes encode(const T& value) {
  Writer writer;
  value.encode(writer);
  return writer.take();
}

// Decodes exactly one T from `input`, rejecting trailing bytes.
template <typename T>
Result<T> decode(ByteView input) {
  Reader reader(input);
  T value = T::decode_from(reader);
  Status status = reader.finish();
  if (!status.is_ok()) return status;
  return value;
}

}  // namespace synod

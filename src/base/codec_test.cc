#include "base/codec.h"

#include <gtest/gtest.h>

namespace synod {
namespace {

struct Sample {
  uint64_t number = 0;
  bool flag = false;
  Bytes payload;
  std::vector<uint32_t> items;

  void encode(Writer& w) const {
    w.u64(number);
    w.boolean(flag);
    w.bytes(payload);
    w.list_size(items.size());
    for (uint32_t item : items)
      w.u32(item);
  }
  static Sample decode_from(Reader& r) {
    Sample s;
    s.number = r.u64();
    s.flag = r.boolean();
    s.payload = r.bytes(16);
    size_t count = r.list_size(4, 4);
    for (size_t i = 0; i < count; ++i)
      s.items.push_back(r.u32());
    return s;
  }
};

Sample make_sample() {
  return Sample{0x0102030405060708, true, {1, 2, 3}, {7, 8}};
}

TEST(Codec, IntegersAreLittleEndianFixedWidth) {
  Writer w;
  w.u16(0x0102);
  w.u32(0x03040506);
  w.u64(1);
  EXPECT_EQ(to_hex(w.buffer()),
            "020106050403"
            "0100000000000000");
}

TEST(Codec, RoundTrip) {
  Bytes encoded = encode(make_sample());
  auto decoded = decode<Sample>(encoded);
  ASSERT_TRUE(decoded.is_ok()) << decoded.status().to_string();
  EXPECT_EQ(decoded->number, 0x0102030405060708u);
  EXPECT_TRUE(decoded->flag);
  EXPECT_EQ(decoded->payload, (Bytes{1, 2, 3}));
  EXPECT_EQ(decoded->items, (std::vector<uint32_t>{7, 8}));
  EXPECT_EQ(encode(*decoded), encoded);
}

TEST(Codec, RejectsEveryTruncation) {
  Bytes encoded = encode(make_sample());
  for (size_t size = 0; size < encoded.size(); ++size) {
    auto decoded = decode<Sample>(ByteView(encoded.data(), size));
    ASSERT_FALSE(decoded.is_ok()) << size;
    EXPECT_EQ(decoded.status().code(), Code::kCorrupt);
  }
}

TEST(Codec, RejectsTrailingBytes) {
  Bytes encoded = encode(make_sample());
  encoded.push_back(0);
  auto decoded = decode<Sample>(encoded);
  ASSERT_FALSE(decoded.is_ok());
  EXPECT_NE(decoded.status().message().find("trailing"), std::string::npos);
}

TEST(Codec, RejectsNonCanonicalBoolean) {
  Bytes encoded = encode(make_sample());
  encoded[8] = 2;
  auto decoded = decode<Sample>(encoded);
  ASSERT_FALSE(decoded.is_ok());
  EXPECT_NE(decoded.status().message().find("boolean"), std::string::npos);
}

TEST(Codec, RejectsLengthOverLimitBeforeAllocating) {
  Writer w;
  w.u64(1);
  w.boolean(false);
  w.u32(0xffffffff);  // a 4 GiB payload claimed by a 13-byte input
  auto decoded = decode<Sample>(w.buffer());
  ASSERT_FALSE(decoded.is_ok());
  EXPECT_NE(decoded.status().message().find("over the limit"), std::string::npos);
}

TEST(Codec, RejectsListCountOverLimitOrInput) {
  Sample sample = make_sample();
  sample.items = {1, 2, 3, 4, 5};
  EXPECT_FALSE(decode<Sample>(encode(sample)).is_ok());
  Writer w;
  w.u64(1);
  w.boolean(false);
  w.bytes({});
  w.u32(3);  // three items promised, none given
  auto decoded = decode<Sample>(w.buffer());
  ASSERT_FALSE(decoded.is_ok());
  EXPECT_NE(decoded.status().message().find("longer than the input"), std::string::npos);
}

TEST(Hex, RoundTripAndErrors) {
  EXPECT_EQ(to_hex(Bytes{0x00, 0xab, 0xff}), "00abff");
  EXPECT_EQ(*from_hex("0x00ABff"), (Bytes{0x00, 0xab, 0xff}));
  EXPECT_FALSE(from_hex("abc").is_ok());
  EXPECT_FALSE(from_hex("zz").is_ok());
  EXPECT_FALSE(Hash256::from_hex("00").is_ok());
}

TEST(Status, CarriesCodeAndContext) {
  Status s = error(Code::kNotFound, "no block 7").with_context("get_block");
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.to_string(), "not_found: get_block: no block 7");
  Result<int> r = s;
  EXPECT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace synod

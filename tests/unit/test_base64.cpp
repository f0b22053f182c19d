// Base64 (proto/src/base64.cpp) against RFC 4648: the test vectors of section 10 in both
// directions, every byte value, and the inputs a canonical padded decoder must refuse.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "utrace/proto/base64.hpp"

namespace utrace::proto {
namespace {

// RFC 4648 section 10, BASE64 column.
const std::vector<std::pair<std::string, std::string>> kRfc4648 = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

TEST(Base64, Rfc4648Section10Encode) {
  for (const auto& [plain, coded] : kRfc4648) EXPECT_EQ(base64_encode(plain), coded) << plain;
}

TEST(Base64, Rfc4648Section10Decode) {
  for (const auto& [plain, coded] : kRfc4648) {
    auto got = base64_decode(coded);
    ASSERT_TRUE(got) << coded;
    EXPECT_EQ(*got, plain) << coded;
  }
}

// The alphabet of RFC 4648 section 4 (table 1), not the URL-safe one of section 5: these
// bytes encode to the last two symbols, '+' (62) and '/' (63).
TEST(Base64, UsesTheStandardAlphabet) {
  EXPECT_EQ(base64_encode(std::string("\xfb\xef\xbe", 3)), "++++");
  EXPECT_EQ(base64_encode(std::string("\xff\xff\xff", 3)), "////");
  EXPECT_EQ(base64_encode(std::string("\x00\x00\x00", 3)), "AAAA");
  EXPECT_EQ(base64_decode("-___"), std::nullopt) << "URL-safe symbols are not base64";
  EXPECT_EQ(base64_decode("+/+/"), std::string("\xfb\xff\xbf", 3));
}

// Memory contents are binary: every byte value, at every position modulo 3, round-trips.
TEST(Base64, EveryByteRoundTrips) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t len = 0; len <= all.size(); ++len) {
    const std::string in = all.substr(all.size() - len);
    const std::string coded = base64_encode(in);
    EXPECT_EQ(coded.size(), (len + 2) / 3 * 4);
    auto back = base64_decode(coded);
    ASSERT_TRUE(back) << len;
    EXPECT_EQ(*back, in) << len;
  }
}

TEST(Base64, RefusesWhatIsNotCanonicalPaddedBase64) {
  const std::vector<std::string> bad = {
      "Zg",        // missing padding (length not a multiple of 4)
      "Zg=",       // short padding
      "Zm9",       // 3 symbols
      "Z===",      // three pad symbols cannot stand for anything
      "====",      // padding only
      "Zg==Zg==",  // padding in the middle
      "Zm=v",      // data after padding
      "Zh==",      // non-zero bits dropped by the padding (canonical form: RFC 4648 3.5)
      "Zm9=",      // same, one pad symbol
      "Zm9v\n",    // a line break
      "Zm 9v",     // white space
      "Zm9v Yg==", // white space between quanta
      "Zm9*",      // a symbol outside the alphabet
      std::string("Zm\0v", 4),  // a NUL
      "\xc3\xa9\xc3\xa9",       // non-ASCII
  };
  for (const auto& s : bad) EXPECT_EQ(base64_decode(s), std::nullopt) << '"' << s << '"';
}

}  // namespace
}  // namespace utrace::proto

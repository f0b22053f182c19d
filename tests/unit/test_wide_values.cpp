// wide_values.hpp: 64-bit values as "0x…" strings, signed ones as numbers while exact in a
// double (PROTOCOL.md, "Numbers").
#include "utrace/proto/wide_values.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace utrace::proto {
namespace {

TEST(WideValues, HexIsLowercaseWithoutLeadingZeros) {
  EXPECT_EQ(hex_u64(0), "0x0");
  EXPECT_EQ(hex_u64(0xabcdef), "0xabcdef");
  EXPECT_EQ(hex_u64(0xfffffffffffffffeull), "0xfffffffffffffffe");
  EXPECT_EQ(hex_u64(std::numeric_limits<std::uint64_t>::max()), "0xffffffffffffffff");
}

TEST(WideValues, SignedIsANumberWhileExactInADouble) {
  EXPECT_EQ(wide_i64(-2), nlohmann::json(-2));
  EXPECT_EQ(wide_i64(kExactInDouble), nlohmann::json(kExactInDouble));
  EXPECT_EQ(wide_i64(-kExactInDouble), nlohmann::json(-kExactInDouble));
  EXPECT_EQ(wide_i64(kExactInDouble + 1), nlohmann::json("0x20000000000000"));
  EXPECT_EQ(wide_i64(std::numeric_limits<std::int64_t>::min()),
            nlohmann::json("0x8000000000000000"));
  EXPECT_EQ(wide_i64(-kExactInDouble - 1), nlohmann::json("0xffe0000000000000"));
}

TEST(WideValues, InputsTakeNumbersAndHexStrings) {
  EXPECT_EQ(read_u64(nlohmann::json(42)), 42u);
  EXPECT_EQ(read_u64(nlohmann::json(-1)), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(read_u64(nlohmann::json("0xFFFFFFFFFFFFFFFE")), 0xfffffffffffffffeull);
  EXPECT_EQ(read_u64(nlohmann::json("0X10")), 16u);
  EXPECT_EQ(read_i64(nlohmann::json("0xfffffffffffffffe")), -2);
  EXPECT_EQ(read_i64(nlohmann::json(-100)), -100);
}

TEST(WideValues, AnythingElseIsRefused) {
  for (const char* bad : {"", "0x", "10", "x10", "0x-1", "0x10000000000000000", "0x1g", " 0x1",
                          "0x1 "})
    EXPECT_FALSE(read_u64(nlohmann::json(bad))) << bad;
  EXPECT_FALSE(read_u64(nlohmann::json(1.5)));
  EXPECT_FALSE(read_u64(nlohmann::json(true)));
  EXPECT_FALSE(read_u64(nlohmann::json::array()));
  EXPECT_FALSE(read_i64(nlohmann::json(std::numeric_limits<std::uint64_t>::max())));
}

TEST(WideValues, EveryValueSurvivesTheRoundTrip) {
  for (std::uint64_t v : {0ull, 1ull, 0x7fffffffffffull, 1ull << 53, (1ull << 53) + 1,
                          0x8000000000000000ull, ~0ull})
    EXPECT_EQ(read_u64(nlohmann::json(hex_u64(v))), v);
  for (std::int64_t v : {std::int64_t{0}, std::int64_t{-4095}, kExactInDouble + 1,
                         std::numeric_limits<std::int64_t>::min(),
                         std::numeric_limits<std::int64_t>::max()})
    EXPECT_EQ(read_i64(wide_i64(v)), v);
}

}  // namespace
}  // namespace utrace::proto

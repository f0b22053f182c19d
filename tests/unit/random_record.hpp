// Random protocol records made from their field declarations (utrace/proto/report_fields.hpp):
// every declared field gets a value of its kind, within its range, so a field added to the
// declaration is exercised by every test that uses these without anyone editing them.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <type_traits>

#include "utrace/proto/report_fields.hpp"

namespace test_support {

namespace f = utrace::proto::fields;
using utrace::proto::EventKind;
using utrace::proto::ResumeAction;

// Strings that exercise every escaping rule: quotes, backslashes, control bytes, DEL, valid
// UTF-8 and invalid bytes.
inline std::string random_text(std::mt19937_64& rng) {
  static const std::string pieces[] = {"getppid", "/usr/bin/true", "\"", "\\", "\n", "\t", "\b",
                                       "\f", "\r", std::string(1, '\0'), "\x01", "\x1f", "\x7f",
                                       "/", "é", "\xe2\x82\xac", "\xff", "\xc3", " ", "a b"};
  std::string s;
  const int n = static_cast<int>(rng() % 4);
  for (int i = 0; i < n; ++i) s += pieces[rng() % std::size(pieces)];
  return s;
}

// An integer in [min, max]: often an edge or a small value, else anything in between.
inline std::int64_t random_in(std::mt19937_64& rng, std::int64_t min, std::int64_t max) {
  const auto span = static_cast<std::uint64_t>(max) - static_cast<std::uint64_t>(min);
  switch (rng() % 5) {
    case 0: return min;
    case 1: return max;
    case 2: return min + static_cast<std::int64_t>(rng() % (std::min<std::uint64_t>(span, 1000) + 1));
    default: {
      const std::uint64_t off = span == UINT64_MAX ? rng() : rng() % (span + 1);
      return static_cast<std::int64_t>(static_cast<std::uint64_t>(min) + off);
    }
  }
}

template <class Record>
Record random_record(std::mt19937_64& rng, EventKind event = EventKind::Quiesce);

// A value for field `fd` of a record whose report event is `event`.
template <class F>
typename F::value_type random_value(std::mt19937_64& rng, const F& fd, EventKind event) {
  using V = typename F::value_type;
  auto coin = [&] { return rng() % 2 == 0; };
  if constexpr (std::is_same_v<V, EventKind>) {
    return static_cast<EventKind>(rng() % utrace::proto::kEventKindCount);
  } else if constexpr (std::is_same_v<V, ResumeAction>) {
    return static_cast<ResumeAction>(rng() % utrace::proto::kResumeActionCount);
  } else if constexpr (std::is_same_v<V, bool>) {
    return coin();  // Kind::Flag, or a Kind::Choice of two
  } else if constexpr (std::is_same_v<V, std::string>) {
    if (fd.kind == f::Kind::Choice) return std::string(fd.choices[rng() % 2]);
    return random_text(rng);
  } else if constexpr (std::is_same_v<V, std::uint64_t>) {
    return coin() ? rng() : rng() % 100;
  } else if constexpr (std::is_integral_v<V>) {
    if (fd.kind == f::Kind::Signal) return static_cast<V>(static_cast<int>(rng() % 66) - 1);
    return static_cast<V>(random_in(rng, fd.min, fd.max));
  } else if constexpr (std::is_same_v<V, std::array<std::uint64_t, 6>>) {
    V args{};
    for (auto& a : args) a = coin() ? rng() : rng() % 10;
    return args;
  } else if constexpr (std::is_same_v<V, utrace::proto::Capture>) {
    V c;
    for (int n = static_cast<int>(rng() % 3); n > 0; --n)
      c.mem.push_back({coin() ? rng() : rng() % 4096, random_text(rng)});
    for (int n = static_cast<int>(rng() % 3); n > 0; --n)
      c.fds[static_cast<int>(random_in(rng, -100, 1 << 20))] = random_text(rng);
    if (coin()) c.siginfo = std::string(128, static_cast<char>(rng()));
    c.truncated = coin();
    if (coin()) c.sp = coin() ? rng() : rng() % 4096;
    return c;
  } else {
    return random_record<V>(rng, event);  // Kind::Object
  }
}

// A record with every required and defaulted field set, and each optional one set or not.
// Fields written only at syscall entry are left at their default elsewhere (they would not
// come back).
template <class Record>
Record random_record(std::mt19937_64& rng, EventKind event) {
  Record r;
  f::for_each_field<Record>([&](const auto& fd) {
    if constexpr (std::is_same_v<Record, utrace::proto::Report>) event = r.event;
    if (fd.when == f::When::AtSyscallEntry && event != EventKind::SyscallEntry) return;
    if (fd.need == f::Need::Optional && rng() % 2) return;
    r.*fd.member = random_value(rng, fd, event);
  });
  return r;
}

// Sets field `fd` of r to a random value (the nested record's fields too).
template <class Record, class F>
void set_random(std::mt19937_64& rng, Record& r, const F& fd) {
  EventKind event = EventKind::Quiesce;
  if constexpr (std::is_same_v<Record, utrace::proto::Report>) event = r.event;
  r.*fd.member = random_value(rng, fd, event);
}

}  // namespace test_support

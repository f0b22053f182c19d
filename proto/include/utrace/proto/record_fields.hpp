// The vocabulary for declaring a protocol record's fields once: for each field its name on the
// wire, the member it is kept in, how its value is written (Kind), whether it may be absent
// (Need), and its range or choices. The declarations themselves are in report_fields.hpp; the
// generic codec (report.cpp) walks them with for_each_field, and the hot-path codec
// (report_line.hpp) is tested against that walk field by field (tests/unit/test_report_line.cpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace utrace::proto::fields {

// How a field's value is written on the wire.
enum class Kind {
  Unsigned,  // a non-negative integer up to 2^64-1 (std::uint64_t)
  Integer,   // a signed integer between min and max
  Text,      // a string
  Choice,    // a string, one of `choices`; on a bool member, false is choices[0], true choices[1]
  Event,     // an event name (EventKind)
  Action,    // a resume action name (ResumeAction); present, even null, it must be valid
  Flag,      // true or false
  Args,      // a list of at most 6 integers (syscall arguments; negative ones wrap to uint64)
  Object,    // a nested record, declared by its own fields
  Signal,    // reply only: "deliver" (ReportReply::kDeliver), "ignore" (0) or a number 1-64
  Address,   // a std::uint64_t written as a "0x…" string (read: a number or "0x…")
  Capture,   // proto::Capture: {"mem":[["0x…","base64"],…],"fds":{"3":"…"},"siginfo":"base64","truncated":true}
};

// Whether a field may be absent (null counts as absent, except for Kind::Action).
enum class Need {
  Required,   // absent: the record is refused, naming the field ("is required")
  Defaulted,  // absent: the member keeps its default; always written
  Optional,   // a std::optional member: absent is nullopt, and nullopt is not written
};

// When a field is written.
enum class When {
  Always,          // whenever it is set
  AtSyscallEntry,  // only in a syscall_entry report (read in any)
};

inline constexpr std::int64_t kInt32Min = std::numeric_limits<std::int32_t>::min();
inline constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();
inline constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();
inline constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

template <class T>
inline constexpr bool is_optional_v = false;
template <class T>
inline constexpr bool is_optional_v<std::optional<T>> = true;

template <class T>
struct unwrap_optional {
  using type = T;
};
template <class T>
struct unwrap_optional<std::optional<T>> {
  using type = T;
};

// One field of Record, kept in a member of type Member.
template <class Record, class Member>
struct Field {
  using record_type = Record;
  using member_type = Member;
  // The value's type: Member, or T for a std::optional<T> member.
  using value_type = typename unwrap_optional<Member>::type;

  std::string_view name;
  Member Record::*member;
  Kind kind;
  Need need;
  std::int64_t min = 0, max = 0;               // Kind::Integer
  std::array<std::string_view, 2> choices{};   // Kind::Choice
  When when = When::Always;

  constexpr Field range(std::int64_t lo, std::int64_t hi) const {
    Field f = *this;
    f.min = lo, f.max = hi;
    return f;
  }
  constexpr Field one_of(std::string_view a, std::string_view b) const {
    Field f = *this;
    f.choices = {a, b};
    return f;
  }
  constexpr Field only_at_syscall_entry() const {
    Field f = *this;
    f.when = When::AtSyscallEntry;
    return f;
  }
};

template <class R, class M>
constexpr Field<R, M> required(std::string_view name, M R::*member, Kind kind) {
  static_assert(!is_optional_v<M>, "a required field is not a std::optional");
  return {name, member, kind, Need::Required};
}
template <class R, class M>
constexpr Field<R, M> defaulted(std::string_view name, M R::*member, Kind kind) {
  static_assert(!is_optional_v<M>, "a defaulted field is not a std::optional");
  return {name, member, kind, Need::Defaulted};
}
template <class R, class M>
constexpr Field<R, M> optional(std::string_view name, M R::*member, Kind kind) {
  static_assert(is_optional_v<M>, "an optional field is a std::optional");
  return {name, member, kind, Need::Optional};
}

// Specialised for each record (report_fields.hpp): `list`, a tuple of Fields in the order the
// generic decoder checks them (the first bad one is named), and `closed`: unknown fields are
// refused (a client's reply) rather than ignored (the daemon's reports may grow).
template <class Record>
struct RecordFields;

// Calls f(field) for each declared field of Record, in declaration order.
template <class Record, class F>
constexpr void for_each_field(F&& f) {
  std::apply([&](const auto&... field) { (f(field), ...); }, RecordFields<Record>::list);
}

template <class Record>
constexpr std::size_t field_count() {
  return std::tuple_size_v<std::remove_cvref_t<decltype(RecordFields<Record>::list)>>;
}

// The names of Record's fields, in declaration order.
template <class Record>
constexpr auto field_names() {
  return std::apply(
      [](const auto&... field) {
        return std::array<std::string_view, sizeof...(field)>{field.name...};
      },
      RecordFields<Record>::list);
}

namespace detail {
// Converts to anything: counts an aggregate's members by how many initialise it.
struct AnyMember {
  template <class T>
  operator T() const;  // never defined: unevaluated only
};
template <class T, class... A>
constexpr std::size_t member_count(A... a) {
  if constexpr (requires { T{a..., AnyMember{}}; })
    return member_count<T>(a..., AnyMember{});
  else
    return sizeof...(A);
}
}  // namespace detail

// The number of data members of the aggregate T (each is one initialiser).
template <class T>
inline constexpr std::size_t aggregate_member_count = detail::member_count<T>();

}  // namespace utrace::proto::fields

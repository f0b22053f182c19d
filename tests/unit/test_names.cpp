// Resume actions and event kinds: wire names, ordering, combine(), EventMask.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "utrace/proto/actions.hpp"
#include "utrace/proto/events.hpp"

using namespace utrace::proto;

namespace {

const std::vector<std::string> kActionWireNames = {"stop",      "interrupt", "report", "singlestep",
                                                   "blockstep", "resume",    "detach"};
const std::vector<std::string> kEventWireNames = {
    "quiesce",       "reap",         "clone",  "exec",       "exit",
    "death",         "syscall_entry", "syscall_exit", "signal", "signal_ign",
    "signal_stop",   "signal_term",  "signal_core", "jctl", "breakpoint"};

std::vector<ResumeAction> all_actions() {
  std::vector<ResumeAction> v;
  for (int i = 0; i < kResumeActionCount; ++i) v.push_back(static_cast<ResumeAction>(i));
  return v;
}

std::vector<EventKind> all_events() {
  std::vector<EventKind> v;
  for (int i = 0; i < kEventKindCount; ++i) v.push_back(static_cast<EventKind>(i));
  return v;
}

}  // namespace

// ---- actions ----

TEST(Actions, CountMatchesDesign) {
  EXPECT_EQ(kResumeActionCount, 7);
  EXPECT_EQ(static_cast<int>(ResumeAction::Detach) + 1, kResumeActionCount);
}

TEST(Actions, WireNamesAreTheFixedOnes) {
  // DESIGN.md section 4 rule 3 / section 5: these names are fixed because scripts depend on them.
  ASSERT_EQ(kActionWireNames.size(), static_cast<std::size_t>(kResumeActionCount));
  for (int i = 0; i < kResumeActionCount; ++i)
    EXPECT_EQ(to_string(static_cast<ResumeAction>(i)), kActionWireNames[i]) << i;
}

TEST(Actions, EveryNameRoundTrips) {
  std::set<std::string> seen;
  for (ResumeAction a : all_actions()) {
    std::string name(to_string(a));
    EXPECT_TRUE(seen.insert(name).second) << "duplicate name " << name;
    auto back = parse_action(name);
    ASSERT_TRUE(back.has_value()) << name;
    EXPECT_EQ(*back, a) << name;
  }
}

TEST(Actions, UnknownNamesRejected) {
  for (const char* bad : {"", "STOP", "Stop", "resume ", " resume", "stopp", "sto", "single_step",
                          "step", "continue", "0", "null", "detach\n", "quiesce"}) {
    EXPECT_FALSE(parse_action(bad).has_value()) << "'" << bad << "'";
  }
  EXPECT_FALSE(parse_action(std::string_view("stop\0", 5)).has_value());
}

TEST(Actions, OrderMostRestrictiveFirst) {
  EXPECT_LT(ResumeAction::Stop, ResumeAction::Interrupt);
  EXPECT_LT(ResumeAction::Interrupt, ResumeAction::Report);
  EXPECT_LT(ResumeAction::Report, ResumeAction::SingleStep);
  EXPECT_LT(ResumeAction::SingleStep, ResumeAction::BlockStep);
  EXPECT_LT(ResumeAction::BlockStep, ResumeAction::Resume);
  EXPECT_LT(ResumeAction::Resume, ResumeAction::Detach);
  // The order of the wire names follows the same order.
  auto actions = all_actions();
  for (std::size_t i = 0; i + 1 < actions.size(); ++i)
    EXPECT_LT(*parse_action(kActionWireNames[i]), *parse_action(kActionWireNames[i + 1]));
}

TEST(Actions, CombineIsMinimumOverAll49Pairs) {
  int pairs = 0;
  for (ResumeAction a : all_actions()) {
    for (ResumeAction b : all_actions()) {
      ++pairs;
      ResumeAction want = static_cast<int>(a) <= static_cast<int>(b) ? a : b;
      EXPECT_EQ(combine(a, b), want) << to_string(a) << " + " << to_string(b);
      EXPECT_EQ(combine(a, b), combine(b, a)) << "not commutative";
      EXPECT_EQ(combine(a, a), a) << "not idempotent";
    }
  }
  EXPECT_EQ(pairs, 49);
}

TEST(Actions, CombineIsAssociativeAndDetachIsNeutral) {
  for (ResumeAction a : all_actions()) {
    EXPECT_EQ(combine(a, ResumeAction::Detach), a);
    EXPECT_EQ(combine(a, ResumeAction::Stop), ResumeAction::Stop);
    for (ResumeAction b : all_actions())
      for (ResumeAction c : all_actions())
        EXPECT_EQ(combine(combine(a, b), c), combine(a, combine(b, c)));
  }
}

TEST(Actions, CombineIsConstexpr) {
  // constexpr variables: this only compiles if combine() is usable in constant expressions.
  constexpr ResumeAction a = combine(ResumeAction::Resume, ResumeAction::Stop);
  constexpr ResumeAction b = combine(ResumeAction::Detach, ResumeAction::SingleStep);
  EXPECT_EQ(a, ResumeAction::Stop);
  EXPECT_EQ(b, ResumeAction::SingleStep);
}

// ---- events ----

TEST(Events, CountMatchesDesign) {
  EXPECT_EQ(kEventKindCount, 15);
  EXPECT_EQ(static_cast<int>(EventKind::Breakpoint) + 1, kEventKindCount);
}

TEST(Events, WireNamesAreTheFixedOnes) {
  ASSERT_EQ(kEventWireNames.size(), static_cast<std::size_t>(kEventKindCount));
  for (int i = 0; i < kEventKindCount; ++i)
    EXPECT_EQ(to_string(static_cast<EventKind>(i)), kEventWireNames[i]) << i;
}

TEST(Events, EveryNameRoundTrips) {
  std::set<std::string> seen;
  for (EventKind k : all_events()) {
    std::string name(to_string(k));
    EXPECT_TRUE(seen.insert(name).second) << "duplicate name " << name;
    auto back = parse_event(name);
    ASSERT_TRUE(back.has_value()) << name;
    EXPECT_EQ(*back, k) << name;
  }
}

TEST(Events, UnknownNamesRejected) {
  for (const char* bad : {"", "QUIESCE", "Quiesce", "syscall", "syscall-entry", "syscallentry",
                          "signal_", "sig", "jctl ", "stop", "resume", "all", "*"}) {
    EXPECT_FALSE(parse_event(bad).has_value()) << "'" << bad << "'";
  }
}

// ---- EventMask ----

TEST(EventMask, DefaultIsEmpty) {
  EventMask m;
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.bits(), 0u);
  EXPECT_TRUE(m.names().empty());
  for (EventKind k : all_events()) EXPECT_FALSE(m.has(k));
}

TEST(EventMask, SetAndClearEachKindAlone) {
  for (EventKind k : all_events()) {
    EventMask m;
    m.set(k);
    EXPECT_FALSE(m.empty());
    EXPECT_EQ(m.bits(), 1u << static_cast<unsigned>(k));
    EXPECT_EQ(m, EventMask::of(k));
    for (EventKind other : all_events()) EXPECT_EQ(m.has(other), other == k);
    EXPECT_EQ(m.names(), std::vector<std::string>{std::string(to_string(k))});
    m.set(k);  // idempotent
    EXPECT_EQ(m, EventMask::of(k));
    m.clear(k);
    EXPECT_TRUE(m.empty());
    m.clear(k);  // clearing an absent bit is harmless
    EXPECT_TRUE(m.empty());
  }
}

TEST(EventMask, ClearLeavesOthers) {
  EventMask m;
  m.set(EventKind::Exec);
  m.set(EventKind::Death);
  m.set(EventKind::Jctl);
  m.clear(EventKind::Death);
  EXPECT_TRUE(m.has(EventKind::Exec));
  EXPECT_FALSE(m.has(EventKind::Death));
  EXPECT_TRUE(m.has(EventKind::Jctl));
  EXPECT_EQ(m.names(), (std::vector<std::string>{"exec", "jctl"}));
}

TEST(EventMask, BitsBeyondTheKnownKindsAreDropped) {
  EventMask m(0xffffffffu);
  EXPECT_EQ(m.bits(), (1u << kEventKindCount) - 1);
  EXPECT_EQ(m.names(), kEventWireNames);
  EXPECT_TRUE(EventMask(1u << kEventKindCount).empty());
  EXPECT_EQ(EventMask(1u << 31 | 1u), EventMask::of(EventKind::Quiesce));
}

TEST(EventMask, NamesInKindOrder) {
  EventMask m;
  m.set(EventKind::Jctl);
  m.set(EventKind::Quiesce);
  m.set(EventKind::SyscallExit);
  m.set(EventKind::SyscallEntry);
  EXPECT_EQ(m.names(),
            (std::vector<std::string>{"quiesce", "syscall_entry", "syscall_exit", "jctl"}));
}

TEST(EventMask, NamesParseBackToTheSameMask) {
  for (std::uint32_t bits : {0u, 1u, 0x2aaau, 0x1555u, 0x3fffu, 0x00c0u, 0x2001u}) {
    EventMask m(bits);
    EventMask back;
    for (const auto& n : m.names()) {
      auto k = parse_event(n);
      ASSERT_TRUE(k.has_value()) << n;
      back.set(*k);
    }
    EXPECT_EQ(back, m) << std::hex << bits;
  }
}

TEST(EventMask, Minus) {
  EventMask a = EventMask::of(EventKind::Exec) | EventMask::of(EventKind::Exit) |
                EventMask::of(EventKind::Death);
  EventMask b = EventMask::of(EventKind::Exit) | EventMask::of(EventKind::Clone);
  EventMask d = a.minus(b);
  EXPECT_EQ(d, EventMask::of(EventKind::Exec) | EventMask::of(EventKind::Death));
  EXPECT_EQ(b.minus(a), EventMask::of(EventKind::Clone));
  EXPECT_TRUE(a.minus(a).empty());
  EXPECT_EQ(a.minus(EventMask{}), a);
  EXPECT_TRUE(EventMask{}.minus(a).empty());
  // Exhaustive over a few masks: minus is exactly a & ~b.
  for (std::uint32_t x : {0u, 0x3fffu, 0x1234u, 0x0f0fu})
    for (std::uint32_t y : {0u, 0x3fffu, 0x2345u, 0x00ffu})
      EXPECT_EQ(EventMask(x).minus(EventMask(y)).bits(), x & ~y & 0x3fffu);
}

TEST(EventMask, UnionAndEquality) {
  EventMask a = EventMask::of(EventKind::Signal);
  EventMask b = EventMask::of(EventKind::SignalIgn);
  EventMask u = a | b;
  EXPECT_TRUE(u.has(EventKind::Signal));
  EXPECT_TRUE(u.has(EventKind::SignalIgn));
  EXPECT_FALSE(u.has(EventKind::SignalStop));
  EXPECT_EQ(u, b | a);
  EXPECT_NE(u, a);
}

TEST(EventMask, AnySyscall) {
  EXPECT_FALSE(EventMask{}.any_syscall());
  EXPECT_TRUE(EventMask::of(EventKind::SyscallEntry).any_syscall());
  EXPECT_TRUE(EventMask::of(EventKind::SyscallExit).any_syscall());
  for (EventKind k : all_events()) {
    if (k == EventKind::SyscallEntry || k == EventKind::SyscallExit) continue;
    EXPECT_FALSE(EventMask::of(k).any_syscall()) << to_string(k);
  }
}

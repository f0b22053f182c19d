// The hot-path codec (proto/report_line.hpp) against the generic one it must equal:
// same bytes out, same values in, and for any other line no answer (so the generic path runs).
#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "utrace/proto/errors.hpp"
#include "utrace/proto/message.hpp"
#include "utrace/proto/report.hpp"
#include "utrace/proto/report_line.hpp"
#include "random_record.hpp"

using namespace utrace::proto;

namespace {

// Every declared field (utrace/proto/report_fields.hpp) set at random: a field declared
// but not written or read by the hot path fails the comparisons below.
Report random_report(std::mt19937_64& rng) { return test_support::random_record<Report>(rng); }

ReportReply random_reply(std::mt19937_64& rng) {
  return test_support::random_record<ReportReply>(rng);
}

// What the generic path makes of a line: the report, or nullopt if it is not a valid
// report/event line.
std::optional<ReportLine> generic_report(std::string_view line) {
  Message m = parse_message(line);
  const bool request = m.kind == MessageKind::Request;
  if (!request && m.kind != MessageKind::Notification) return std::nullopt;
  if (m.method != (request ? "report" : "event")) return std::nullopt;
  try {
    ReportLine out{report_from_json(m.params), std::nullopt};
    if (request) out.request_id = m.id.get<std::int64_t>();
    return out;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<ReplyLine> generic_reply(std::string_view line) {
  Message m = parse_message(line);
  if (m.kind != MessageKind::Response || m.error || !m.id.is_number_integer()) return std::nullopt;
  try {
    return ReplyLine{m.id.get<std::int64_t>(), reply_from_json(m.result)};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// A \u escape or a byte >= 0x80: what the fast decoders leave to the generic path.
bool has_unicode(std::string_view line) {
  if (line.find("\\u") != std::string_view::npos) return true;
  for (unsigned char c : line)
    if (c >= 0x80) return true;
  return false;
}

// Flips, drops or inserts one byte, or replaces a number by one at the edge of some range.
std::string mutate(std::string s, std::mt19937_64& rng) {
  static const char kBytes[] = "{}[]\",:0123456789-truefalsn \\ex.Eu/\t\r\xc3\xa9";
  static const char* const kNumbers[] = {"-1", "-2", "0", "64", "65", "128", "129", "255", "256",
                                         "2147483647", "2147483648", "-2147483648", "-2147483649",
                                         "9223372036854775807", "9223372036854775808",
                                         "18446744073709551616", "1.5", "1e3", "null"};
  const std::size_t at = rng() % (s.size() + 1);
  switch (rng() % 4) {
    case 3: {
      std::size_t b = s.find_first_of("0123456789", at);
      if (b == std::string::npos) break;
      while (b > 0 && (std::isdigit(static_cast<unsigned char>(s[b - 1])) || s[b - 1] == '-')) --b;
      std::size_t e = b;
      while (e < s.size() && (std::isdigit(static_cast<unsigned char>(s[e])) || s[e] == '-')) ++e;
      s.replace(b, e - b, kNumbers[rng() % std::size(kNumbers)]);
      break;
    }
    case 0: if (at < s.size()) s[at] = kBytes[rng() % (sizeof kBytes - 1)]; break;
    case 1: if (at < s.size()) s.erase(at, 1); break;
    default: s.insert(at, 1, kBytes[rng() % (sizeof kBytes - 1)]); break;
  }
  return s;
}

TEST(ReportLine, EncodesTheSameBytesAsTheGenericEncoder) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 20000; ++i) {
    const Report r = random_report(rng);
    const std::int64_t id = static_cast<std::int64_t>(rng() % 1000000);
    EXPECT_EQ(encode_report_line(r, std::nullopt), encode_notification("event", to_json(r)));
    EXPECT_EQ(encode_report_line(r, id), encode_request(id, "report", to_json(r)));
    const ReportReply reply = random_reply(rng);
    EXPECT_EQ(encode_reply_line(id, reply), encode_result(id, to_json(reply)));
  }
}

// A pass's cache gives, for every engine of the pass, the bytes encode_report_line gives:
// engine ids of every width, and action/event/for_event changes (re-encoded).
TEST(ReportLine, EventLineCacheGivesTheSameBytesForEveryEngineOfAPass) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 5000; ++i) {
    Report r = random_report(rng);
    EventLineCache cache;
    for (int k = 0; k < 6; ++k) {
      switch (rng() % 4) {
        case 0: r.engine = rng(); break;
        case 1: r.engine = rng() % 10; break;
        case 2: r.engine = UINT64_MAX; break;
        default: r.engine = rng() % 100000; break;
      }
      if (rng() % 8 == 0) r.action = static_cast<ResumeAction>(rng() % kResumeActionCount);
      if (rng() % 8 == 0) r.event = static_cast<EventKind>(rng() % kEventKindCount);
      if (rng() % 8 == 0)
        r.for_event = rng() % 2 ? std::optional<EventKind>() : static_cast<EventKind>(rng() % kEventKindCount);
      ASSERT_EQ(cache.line(r), encode_report_line(r, std::nullopt)) << "report " << i << ", engine " << k;
    }
  }
}

TEST(ReportLine, DecodesWhatItEncodesLikeTheGenericDecoder) {
  std::mt19937_64 rng(2);
  for (int i = 0; i < 20000; ++i) {
    const Report r = random_report(rng);
    const std::optional<std::int64_t> id =
        rng() % 2 ? std::optional<std::int64_t>(rng() % 1000000) : std::nullopt;
    std::string line = encode_report_line(r, id);
    line.pop_back();  // the framer hands lines over without their '\n'
    auto fast = decode_report_line(line);
    auto slow = generic_report(line);
    ASSERT_TRUE(slow.has_value()) << line;
    if (fast) {
      EXPECT_EQ(fast->report, slow->report) << line;
      EXPECT_EQ(fast->request_id, slow->request_id) << line;
    } else if (!has_unicode(line)) {
      // It leaves only \u escapes (control bytes) and UTF-8 to the generic path.
      ADD_FAILURE() << "the fast decoder refused its own line: " << line;
    }
  }
  // Lines with nothing unusual in them decode back to the very report.
  Report r;
  r.engine = 7, r.tid = 100, r.pid = 99, r.event = EventKind::SyscallEntry, r.seq = 5;
  r.syscall = SyscallInfo{39, "getppid", {1, 2, 3, 4, 5, 6}};
  auto line = encode_report_line(r, 12);
  auto back = decode_report_line(line);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->report, r);
  EXPECT_EQ(back->request_id, 12);
}

TEST(ReportLine, DecodesRepliesLikeTheGenericDecoder) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 20000; ++i) {
    const ReportReply reply = random_reply(rng);
    const std::int64_t id = static_cast<std::int64_t>(rng() % 1000000);
    const std::string line = encode_reply_line(id, reply);
    auto fast = decode_reply_line(line);
    auto slow = generic_reply(line);
    ASSERT_TRUE(slow && fast) << line;
    EXPECT_EQ(fast->reply, slow->reply) << line;
    EXPECT_EQ(fast->reply, reply) << line;
    EXPECT_EQ(fast->request_id, id);
  }
}

// Each declared field alone (beside the required ones), by name: the hot path writes it as the
// generic encoder does and reads it back. A field added to the declaration only fails here.
TEST(ReportLine, EveryDeclaredReportFieldTravelsTheHotPath) {
  namespace f = utrace::proto::fields;
  std::mt19937_64 rng(5);
  int checked = 0;
  f::for_each_field<Report>([&](const auto& fd) {
    for (int i = 0; i < 300; ++i) {
      Report r;
      f::for_each_field<Report>([&](const auto& req) {
        if (req.need == f::Need::Required) test_support::set_random(rng, r, req);
      });
      test_support::set_random(rng, r, fd);
      const std::int64_t id = static_cast<std::int64_t>(rng() % 1000);
      std::string line = encode_report_line(r, id);
      ASSERT_EQ(line, encode_request(id, "report", to_json(r))) << fd.name;
      line.pop_back();
      if (has_unicode(line)) continue;  // left to the generic path
      auto fast = decode_report_line(line);
      ASSERT_TRUE(fast) << fd.name << ": refused " << line;
      EXPECT_EQ(fast->report, r) << fd.name << ": " << line;
      ++checked;
    }
  });
  EXPECT_GT(checked, static_cast<int>(f::field_count<Report>()) * 100);
}

TEST(ReportLine, EveryDeclaredReplyFieldTravelsTheHotPath) {
  namespace f = utrace::proto::fields;
  std::mt19937_64 rng(6);
  f::for_each_field<ReportReply>([&](const auto& fd) {
    for (int i = 0; i < 300; ++i) {
      ReportReply r;
      test_support::set_random(rng, r, fd);
      const std::int64_t id = static_cast<std::int64_t>(rng() % 1000);
      const std::string line = encode_reply_line(id, r);
      ASSERT_EQ(line, encode_result(id, to_json(r))) << fd.name;
      auto fast = decode_reply_line(line);
      ASSERT_TRUE(fast) << fd.name << ": refused " << line;
      EXPECT_EQ(fast->reply, r) << fd.name << ": " << line;
      EXPECT_EQ(fast->request_id, id);
    }
  });
}

// For any line at all: the fast decoder either refuses it or agrees with the generic one.
TEST(ReportLine, MutatedLinesAreRefusedOrDecodedExactlyAsTheGenericPathDoes) {
  std::mt19937_64 rng(4);
  int accepted = 0, refused = 0;
  for (int i = 0; i < 40000; ++i) {
    std::string line = encode_report_line(random_report(rng), rng() % 2 ? std::optional<std::int64_t>(3) : std::nullopt);
    line.pop_back();
    for (int k = 1 + static_cast<int>(rng() % 3); k > 0; --k) line = mutate(line, rng);
    auto fast = decode_report_line(line);
    if (!fast) {
      ++refused;
      continue;
    }
    ++accepted;
    auto slow = generic_report(line);
    ASSERT_TRUE(slow.has_value()) << "accepted a line the generic path rejects: " << line;
    EXPECT_EQ(fast->report, slow->report) << line;
    EXPECT_EQ(fast->request_id, slow->request_id) << line;
  }
  for (int i = 0; i < 40000; ++i) {
    std::string line = encode_reply_line(static_cast<std::int64_t>(rng() % 100), random_reply(rng));
    for (int k = 1 + static_cast<int>(rng() % 3); k > 0; --k) line = mutate(line, rng);
    auto fast = decode_reply_line(line);
    if (!fast) {
      ++refused;
      continue;
    }
    ++accepted;
    auto slow = generic_reply(line);
    ASSERT_TRUE(slow.has_value()) << "accepted a reply the generic path rejects: " << line;
    EXPECT_EQ(fast->reply, slow->reply) << line;
    EXPECT_EQ(fast->request_id, slow->request_id) << line;
  }
  // Both outcomes must really occur, or the test proves nothing.
  EXPECT_GT(accepted, 1000);
  EXPECT_GT(refused, 1000);
}

TEST(ReportLine, AnySpacingAndKeyOrderDecodesLikeTheGenericPath) {
  const char* lines[] = {
      R"( { "params" : { "tid" : 5 , "seq" : 1 , "pid" : 5 , "event" : "exit" , "engine" : 2 ,
          "action" : "resume" } , "method" : "event" , "jsonrpc" : "2.0" } )",
      "{\"method\":\"report\",\"id\":-9223372036854775808,\"jsonrpc\":\"2.0\",\"params\":{\"action\":"
      "\"stop\",\"engine\":18446744073709551615,\"event\":\"syscall_entry\",\"pid\":0,\"tid\":"
      "2147483647,\"syscall\":{\"nr\":-1,\"name\":\"a\\/b\\\"c\\\\d\\n\",\"args\":[-1,0,1]},\"retval\":-0}}",
      R"({"id":7,"jsonrpc":"2.0","result":{"signal":64,"action":"detach","syscall":"run","retval":-1}})",
  };
  for (const char* line : lines) {
    if (auto fast = decode_report_line(line)) {
      auto slow = generic_report(line);
      ASSERT_TRUE(slow) << line;
      EXPECT_EQ(fast->report, slow->report) << line;
      EXPECT_EQ(fast->request_id, slow->request_id) << line;
    } else {
      auto fast_reply = decode_reply_line(line);
      auto slow_reply = generic_reply(line);
      ASSERT_TRUE(fast_reply && slow_reply) << "refused: " << line;
      EXPECT_EQ(fast_reply->reply, slow_reply->reply) << line;
    }
  }
  auto r = decode_report_line(lines[1]);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->request_id, INT64_MIN);
  EXPECT_EQ(r->report.syscall->name, "a/b\"c\\d\n");
  EXPECT_EQ(r->report.syscall->args[0], UINT64_MAX);
  EXPECT_EQ(r->report.retval, 0);
}

TEST(ReportLine, OtherShapesAreLeftToTheGenericPath) {
  const char* lines[] = {
      R"({"jsonrpc":"2.0","method":"event","params":{"action":"resume","engine":1,"event":"exit","pid":1,"seq":1,"tid":1,"future":1}})",
      R"({"id":"x","jsonrpc":"2.0","method":"report","params":{"action":"resume","engine":1,"event":"exit","pid":1,"seq":1,"tid":1}})",
      R"({"id":1,"jsonrpc":"2.0","method":"event","params":{"action":"resume","engine":1,"event":"exit","pid":1,"seq":1,"tid":1}})",
      R"({"jsonrpc":"2.0","method":"report","params":{"action":"resume","engine":1,"event":"exit","pid":1,"seq":1,"tid":1}})",
      R"({"jsonrpc":"2.0","method":"event","params":{"action":"resume","engine":1,"event":"exit","pid":1,"tid":1,"status":null}})",
      R"({"jsonrpc":"2.0","method":"event","params":{"action":"resume","engine":1,"event":"nope","pid":1,"tid":1}})",
      R"({"jsonrpc":"2.0","method":"event","params":{"action":"resume","event":"exit","pid":1,"tid":1}})",
      R"({"jsonrpc":"1.0","method":"event","params":{"action":"resume","engine":1,"event":"exit","pid":1,"tid":1}})",
      R"({"jsonrpc":"2.0","method":"event","params":{"action":"resume","engine":1,"event":"exit","pid":1.5,"tid":1}})",
      R"({"jsonrpc":"2.0","method":"event","params":{"action":"resume","engine":1,"event":"exit","pid":1,"tid":1}} x)",
      R"({"id":1,"jsonrpc":"2.0","result":null})",
      R"({"id":1,"jsonrpc":"2.0","error":{"code":1,"message":"no"}})",
      R"({"id":1,"jsonrpc":"2.0","result":{"action":"resume","extra":1}})",
      R"({"id":1,"jsonrpc":"2.0","result":{"signal":0}})",
      // Valid, but outside what the fast decoders read: \u escapes, UTF-8, fractions, 2^64.
      R"({"jsonrpc":"2.0","method":"event","params":{"action":"resume","engine":1,"event":"exit","pid":1,"tid":1,"path":"\u0041"}})",
      "{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":{\"action\":\"resume\",\"engine\":1,\"event\":\"exit\",\"pid\":1,\"tid\":1,\"path\":\"\xc3\xa9\"}}",
      R"({"jsonrpc":"2.0","method":"event","params":{"action":"resume","engine":1,"event":"exit","pid":1,"tid":1,"retval":1e2}})",
      R"({"jsonrpc":"2.0","method":"event","params":{"action":"resume","engine":18446744073709551616,"event":"exit","pid":1,"tid":1}})",
  };
  for (const char* line : lines) {
    EXPECT_FALSE(decode_report_line(line)) << line;
    EXPECT_FALSE(decode_reply_line(line)) << line;
  }
  // The ones that are valid for the generic path still are.
  EXPECT_TRUE(generic_report(lines[0]));
  EXPECT_TRUE(generic_reply(lines[10]));
  EXPECT_TRUE(generic_report(lines[14]));
  EXPECT_TRUE(generic_report(lines[15]));
}

}  // namespace

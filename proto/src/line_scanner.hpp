// LineScanner: drives a SAX handler (nlohmann's interface: key, string, number_unsigned, ...)
// over the part of JSON that the hot-path lines use: objects, arrays, integers, true/false,
// and strings of printable ASCII with the one-letter escapes. For anything else (null,
// fractions, exponents, \u escapes, bytes >= 0x80, integers beyond 64 bits, deep nesting) it
// returns false and the caller takes the general path, so it only has to be right about what
// it accepts, and it is faster than nlohmann's lexer because it accepts so little.
// Internal to proto/src (report_line_decoder.cpp); tests/unit/test_report_line.cpp and the
// fuzz_proto target compare its results with the general parser's.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace utrace::proto::detail {

template <class Sax>
class LineScanner {
 public:
  LineScanner(std::string_view text, Sax& sax)
      : p_(text.data()), end_(text.data() + text.size()), sax_(sax) {}

  // True when the whole text was one value the handler accepted.
  bool run() {
    if (!value(0)) return false;
    skip_space();
    return p_ == end_;
  }

 private:
  static constexpr int kMaxDepth = 8;

  void skip_space() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool at(char c) const { return p_ < end_ && *p_ == c; }

  bool value(int depth) {
    skip_space();
    if (p_ == end_) return false;
    switch (*p_) {
      case '{': return object(depth);
      case '[': return array(depth);
      case '"': return string(text_) && sax_.string(text_);
      case 't': return word("true") && sax_.boolean(true);
      case 'f': return word("false") && sax_.boolean(false);
      default: return number();
    }
  }

  bool object(int depth) {
    if (depth >= kMaxDepth) return false;
    ++p_;
    if (!sax_.start_object(static_cast<std::size_t>(-1))) return false;
    skip_space();
    if (at('}')) return ++p_, sax_.end_object();
    for (;;) {
      skip_space();
      if (!at('"') || !string(text_) || !sax_.key(text_)) return false;
      skip_space();
      if (!at(':')) return false;
      ++p_;
      if (!value(depth + 1)) return false;
      skip_space();
      if (at(',')) {
        ++p_;
        continue;
      }
      if (at('}')) return ++p_, sax_.end_object();
      return false;
    }
  }

  bool array(int depth) {
    if (depth >= kMaxDepth) return false;
    ++p_;
    if (!sax_.start_array(static_cast<std::size_t>(-1))) return false;
    skip_space();
    if (at(']')) return ++p_, sax_.end_array();
    for (;;) {
      if (!value(depth + 1)) return false;
      skip_space();
      if (at(',')) {
        ++p_;
        continue;
      }
      if (at(']')) return ++p_, sax_.end_array();
      return false;
    }
  }

  bool word(std::string_view w) {
    if (static_cast<std::size_t>(end_ - p_) < w.size() || std::string_view(p_, w.size()) != w)
      return false;
    p_ += w.size();
    return true;
  }

  // At the opening quote; leaves p_ after the closing one.
  bool string(std::string& out) {
    out.clear();
    ++p_;
    while (p_ < end_) {
      const char* run = p_;  // a run of plain bytes is appended at once
      while (p_ < end_ && *p_ != '"' && *p_ != '\\' && static_cast<unsigned char>(*p_) >= 0x20 &&
             static_cast<unsigned char>(*p_) < 0x80)
        ++p_;
      out.append(run, static_cast<std::size_t>(p_ - run));
      if (p_ == end_) return false;
      const auto c = static_cast<unsigned char>(*p_++);
      if (c == '"') return true;
      if (c != '\\') return false;  // a raw control byte (invalid), or UTF-8: the general path
      if (p_ == end_) return false;
      switch (*p_++) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        default: return false;  // \u and anything invalid
      }
    }
    return false;
  }

  bool number() {
    const bool negative = at('-');
    if (negative) ++p_;
    if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
    if (*p_ == '0' && p_ + 1 < end_ && p_[1] >= '0' && p_[1] <= '9') return false;  // "01"
    std::uint64_t v = 0;
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
      const auto d = static_cast<std::uint64_t>(*p_ - '0');
      if (v > (kMax - d) / 10) return false;  // beyond 64 bits
      v = v * 10 + d;
      ++p_;
    }
    if (at('.') || at('e') || at('E')) return false;
    if (!negative) return sax_.number_unsigned(v);
    constexpr auto kMinMagnitude =
        static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1;
    if (v > kMinMagnitude) return false;
    return sax_.number_integer(v == kMinMagnitude ? std::numeric_limits<std::int64_t>::min()
                                                  : -static_cast<std::int64_t>(v));
  }

  const char* p_;
  const char* end_;
  Sax& sax_;
  std::string text_;  // the current key or string (reused)
};

}  // namespace utrace::proto::detail

// The generic codec of a declared record (record_fields.hpp): one walk over the declaration
// writes a JSON object, another reads one through Params, which names the first bad field.
// Internal to proto/src (report.cpp).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "utrace/proto/base64.hpp"
#include "utrace/proto/errors.hpp"
#include "utrace/proto/params.hpp"
#include "utrace/proto/record_fields.hpp"
#include "utrace/proto/wide_values.hpp"

namespace utrace::proto::fields::detail {

[[noreturn]] inline void bad(std::string_view name, const std::string& why) {
  throw RpcException(invalid_params(std::string(name), why));
}

inline std::string choice_text(const std::array<std::string_view, 2>& c) {
  return "must be \"" + std::string(c[0]) + "\" or \"" + std::string(c[1]) + "\"";
}

template <class Record>
nlohmann::json encode_record(const Record& r, EventKind event);

inline nlohmann::json encode_capture(const Capture& c) {
  nlohmann::json j = nlohmann::json::object();
  if (!c.mem.empty()) {
    auto& mem = j["mem"] = nlohmann::json::array();
    for (const auto& region : c.mem)
      mem.push_back(nlohmann::json::array({hex_u64(region.addr), base64_encode(region.bytes)}));
  }
  if (!c.fds.empty()) {
    auto& fds = j["fds"] = nlohmann::json::object();
    for (const auto& [fd, path] : c.fds) fds[std::to_string(fd)] = path;
  }
  if (!c.siginfo.empty()) j["siginfo"] = base64_encode(c.siginfo);
  if (c.truncated) j["truncated"] = true;
  if (c.sp) j["sp"] = hex_u64(*c.sp);
  return j;
}

inline Capture decode_capture(const nlohmann::json& j, std::string_view name) {
  if (!j.is_object()) bad(name, "must be an object");
  Capture c;
  if (auto it = j.find("mem"); it != j.end() && !it->is_null()) {
    const std::string why = "mem must be a list of [\"0x…\" address, base64 bytes] pairs";
    if (!it->is_array()) bad(name, why);
    for (const auto& pair : *it) {
      if (!pair.is_array() || pair.size() != 2 || !pair[1].is_string()) bad(name, why);
      auto addr = read_u64(pair[0]);
      auto bytes = base64_decode(pair[1].get_ref<const std::string&>());
      if (!addr || !bytes) bad(name, why);
      c.mem.push_back({*addr, std::move(*bytes)});
    }
  }
  if (auto it = j.find("fds"); it != j.end() && !it->is_null()) {
    const std::string why = "fds must map fd numbers to strings";
    if (!it->is_object()) bad(name, why);
    for (const auto& [key, path] : it->items()) {
      int fd = 0;
      try {
        std::size_t used = 0;
        fd = std::stoi(key, &used);
        if (used != key.size()) bad(name, why);
      } catch (const std::logic_error&) {
        bad(name, why);
      }
      if (!path.is_string()) bad(name, why);
      c.fds[fd] = path.get<std::string>();
    }
  }
  if (auto it = j.find("siginfo"); it != j.end() && !it->is_null()) {
    auto bytes = it->is_string() ? base64_decode(it->get_ref<const std::string&>()) : std::nullopt;
    if (!bytes) bad(name, "siginfo must be base64");
    c.siginfo = std::move(*bytes);
  }
  if (auto it = j.find("sp"); it != j.end() && !it->is_null()) {
    auto v = read_u64(*it);
    if (!v) bad(name, "sp must be an integer or a \"0x…\" string");
    c.sp = *v;
  }
  if (auto it = j.find("truncated"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) bad(name, "truncated must be true or false");
    c.truncated = it->get<bool>();
  }
  return c;
}

template <class F, class V>
nlohmann::json encode_value(const F& f, const V& v, EventKind event) {
  if constexpr (std::is_same_v<V, EventKind> || std::is_same_v<V, ResumeAction>) {
    return to_string(v);
  } else if constexpr (std::is_same_v<V, bool>) {
    if (f.kind == Kind::Choice) return f.choices[v ? 1 : 0];
    return v;
  } else if constexpr (std::is_same_v<V, int>) {
    if (f.kind != Kind::Signal) return v;
    if (v == ReportReply::kDeliver) return "deliver";
    if (v == 0) return "ignore";
    return v;
  } else if constexpr (std::is_same_v<V, std::array<std::uint64_t, 6>>) {
    nlohmann::json a = nlohmann::json::array();
    for (auto x : v) a.push_back(hex_u64(x));  // wide_values.hpp
    return a;
  } else if constexpr (std::is_same_v<V, std::int64_t>) {
    return wide_i64(v);
  } else if constexpr (std::is_same_v<V, std::uint64_t>) {
    if (f.kind == Kind::Address) return hex_u64(v);
    return v;
  } else if constexpr (std::is_same_v<V, Capture>) {
    return encode_capture(v);
  } else if constexpr (std::is_class_v<V> && !std::is_same_v<V, std::string>) {
    return encode_record(v, event);  // Kind::Object
  } else {
    return v;  // integers, strings
  }
}

template <class Record>
nlohmann::json encode_record(const Record& r, EventKind event) {
  nlohmann::json j = nlohmann::json::object();
  for_each_field<Record>([&](const auto& f) {
    if (f.when == When::AtSyscallEntry && event != EventKind::SyscallEntry) return;
    const auto& m = r.*f.member;
    if constexpr (is_optional_v<std::remove_cvref_t<decltype(m)>>) {
      if (m) j[f.name] = encode_value(f, *m, event);
    } else {
      j[f.name] = encode_value(f, m, event);
    }
  });
  return j;
}

template <class Record>
Record decode_record(const nlohmann::json& j);

inline std::array<std::uint64_t, 6> read_args(const nlohmann::json& a, std::string_view name) {
  std::array<std::uint64_t, 6> args{};
  const std::string why = "must be a list of at most 6 integers or \"0x…\" strings";
  if (!a.is_array() || a.size() > args.size()) bad(name, why);
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto v = read_u64(a[i]);
    if (!v) bad(name, why);
    args[i] = *v;
  }
  return args;
}

inline std::optional<int> read_signal(const nlohmann::json& s, std::string_view name) {
  if (s == "deliver") return ReportReply::kDeliver;
  if (s == "ignore") return 0;
  if (s.is_number_integer() && s.get<std::int64_t>() >= 1 && s.get<std::int64_t>() <= 64)
    return s.get<int>();
  bad(name, "must be \"deliver\", \"ignore\" or a signal number 1-64");
}

// The field's value, or nullopt when it is absent (or null); throws naming it when it is bad.
template <class F>
std::optional<typename F::value_type> read_value(const Params& p, const F& f) {
  using V = typename F::value_type;
  const auto* raw = p.raw(f.name);
  if constexpr (std::is_same_v<V, ResumeAction>) {
    if (f.need != Need::Required && !raw) return std::nullopt;
    return p.action(f.name);
  } else if constexpr (std::is_same_v<V, EventKind>) {
    auto name = p.opt_string(f.name);
    if (!name) return std::nullopt;
    auto k = parse_event(*name);
    if (!k) bad(f.name, "unknown event name");
    return k;
  } else if constexpr (std::is_same_v<V, std::string> || std::is_same_v<V, bool>) {
    if constexpr (std::is_same_v<V, bool>)
      if (f.kind == Kind::Flag) return p.opt_bool(f.name);
    auto s = p.opt_string(f.name);
    if (!s) return std::nullopt;
    if (f.kind == Kind::Choice && *s != f.choices[0] && *s != f.choices[1])
      bad(f.name, choice_text(f.choices));
    if constexpr (std::is_same_v<V, bool>) return *s == f.choices[1];  // Kind::Choice
    else return s;
  } else if constexpr (std::is_same_v<V, std::uint64_t>) {
    if (f.kind == Kind::Address) {
      if (!raw || raw->is_null()) return std::nullopt;
      auto v = read_u64(*raw);
      if (!v) bad(f.name, "must be an integer or a \"0x…\" string");
      return v;
    }
    return p.opt_unsigned(f.name);
  } else if constexpr (std::is_integral_v<V>) {
    if (f.kind == Kind::Signal) {
      if (!raw || raw->is_null()) return std::nullopt;
      return read_signal(*raw, f.name);
    }
    if constexpr (std::is_same_v<V, std::int64_t>) {
      // A wide value (retval): a number or a "0x…" string.
      if (!raw || raw->is_null()) return std::nullopt;
      auto v = read_i64(*raw);
      if (!v || *v < f.min || *v > f.max) bad(f.name, "must be an integer or a \"0x…\" string");
      return *v;
    }
    auto v = p.opt_integer(f.name, f.min, f.max);
    if (!v) return std::nullopt;
    return static_cast<V>(*v);
  } else if constexpr (std::is_same_v<V, std::array<std::uint64_t, 6>>) {
    if (!raw || raw->is_null()) return std::nullopt;
    return read_args(*raw, f.name);
  } else if constexpr (std::is_same_v<V, Capture>) {
    if (!raw || raw->is_null()) return std::nullopt;
    return decode_capture(*raw, f.name);
  } else {  // Kind::Object
    if (!raw || raw->is_null()) return std::nullopt;
    if (!raw->is_object()) bad(f.name, "must be an object");
    return decode_record<V>(*raw);
  }
}

template <class Record>
Record decode_record(const nlohmann::json& j) {
  Params p(j);
  if constexpr (RecordFields<Record>::closed) {
    constexpr auto names = field_names<Record>();
    p.allow_only(names);
  }
  Record r;
  for_each_field<Record>([&](const auto& f) {
    auto v = read_value(p, f);
    if (!v) {
      if (f.need == Need::Required) bad(f.name, "is required");
      return;
    }
    r.*f.member = std::move(*v);
  });
  return r;
}

}  // namespace utrace::proto::fields::detail

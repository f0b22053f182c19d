// spdlog set-up and the daemon's named loggers (rpc, engine, trace), all to stderr; with a
// "<N>" syslog priority prefix on each line when stderr is the journal (JOURNAL_STREAM).
#pragma once

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace utraced::log {

// Creates the loggers; level is an spdlog level name ("debug", "info", ...). Returns false on a
// bad level name.
bool init(const std::string& level);

spdlog::logger& rpc();
spdlog::logger& engine();
spdlog::logger& trace();
spdlog::logger& main();

}  // namespace utraced::log

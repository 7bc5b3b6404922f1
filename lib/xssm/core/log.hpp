// Logging to stderr (stdout is reserved for results, e.g. an HDF5 file written to "-").
// Levels: 0 quiet (errors only), 1 normal (default), 2 verbose, 3 debug.
#pragma once
#include <string>

#include "xssm/core/error.hpp"

namespace xssm::log {

void set_level(int level);
int level();
/// Program name printed in front of every line ("xssm-train").
void set_program(const std::string& name);
const std::string& program();

void write(int level, const std::string& tag, const std::string& msg);
template <class... A>
void info(A&&... a) { if (level() >= 1) write(1, "", cat(std::forward<A>(a)...)); }
template <class... A>
void verbose(A&&... a) { if (level() >= 2) write(2, "", cat(std::forward<A>(a)...)); }
template <class... A>
void debug(A&&... a) { if (level() >= 3) write(3, "debug: ", cat(std::forward<A>(a)...)); }
template <class... A>
void warn(A&&... a) { write(0, "warning: ", cat(std::forward<A>(a)...)); }
/// A warning printed once per distinct message (e.g. a fallback taken on every call).
void warn_once(const std::string& msg);

}  // namespace xssm::log

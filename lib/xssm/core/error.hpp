// Errors: one exception type per exit code (DESIGN.md §4).
//   xssm::Error       bad data, I/O, numerical guard          -> exit 1
//   xssm::UsageError  bad flags or arguments                  -> exit 2
// Messages are one line and name the file, the object and what was expected, e.g.
//   "data.h5: /targets has shape (10,64), expected (10,65)".
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace xssm {

/// Concatenate anything streamable into a string: cat("x=", 3, " y=", 2.5).
template <class... A>
std::string cat(A&&... a) {
  std::ostringstream s;
  (s << ... << std::forward<A>(a));
  return s.str();
}

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg) : std::runtime_error(msg) {}
};

class UsageError : public std::runtime_error {
 public:
  explicit UsageError(const std::string& msg) : std::runtime_error(msg) {}
};

/// Prefix an error message with where it happened ("file.h5: " + msg) and rethrow the same kind.
[[noreturn]] void rethrow_with_context(const std::string& context);

}  // namespace xssm

/// Cheap invariant check that stays on in release builds (shapes at op entry). Not for input
/// validation: bad user input gets an xssm::Error with a proper message.
#define XSSM_ASSERT(cond, ...)                                                               \
  do {                                                                                       \
    if (!(cond))                                                                             \
      throw ::xssm::Error(::xssm::cat("internal check failed: ", #cond, " (", __FILE__, ":", \
                                      __LINE__, ") ", ##__VA_ARGS__));                       \
  } while (0)

#ifdef NDEBUG
#define XSSM_DEBUG_ASSERT(cond, ...) ((void)0)
#else
#define XSSM_DEBUG_ASSERT(cond, ...) XSSM_ASSERT(cond, ##__VA_ARGS__)
#endif

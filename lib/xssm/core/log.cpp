#include "xssm/core/log.hpp"

#include <cstdio>
#include <mutex>
#include <set>

namespace xssm::log {
namespace {
int g_level = 1;
std::string g_program = "xssm";
std::mutex g_mu;
}  // namespace

void set_level(int l) { g_level = l; }
int level() { return g_level; }
void set_program(const std::string& name) { g_program = name; }
const std::string& program() { return g_program; }

void write(int lvl, const std::string& tag, const std::string& msg) {
  if (lvl > g_level) return;
  std::lock_guard<std::mutex> lock(g_mu);
  std::fprintf(stderr, "%s: %s%s\n", g_program.c_str(), tag.c_str(), msg.c_str());
  std::fflush(stderr);
}

void warn_once(const std::string& msg) {
  static std::set<std::string> seen;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    if (!seen.insert(msg).second) return;
  }
  warn(msg);
}

}  // namespace xssm::log

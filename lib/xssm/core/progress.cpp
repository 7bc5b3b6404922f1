#include "xssm/core/progress.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "xssm/core/log.hpp"

namespace xssm {
namespace {
std::string hms(double s) {
  if (!(s >= 0) || s > 1e7) return "--:--";
  long t = long(s + 0.5);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%02ld:%02ld", t / 60, t % 60);
  return buf;
}
}  // namespace

bool Progress::terminal() { return isatty(2) && std::getenv("XSSM_NO_PROGRESS") == nullptr; }

Progress::Progress(std::string label, Index total, double every_seconds)
    : label_(std::move(label)), total_(total), every_(every_seconds), tty_(terminal()) {
  start_ = last_ = std::chrono::steady_clock::now();
}

Progress::~Progress() {
  if (tty_ && !finished_) std::fprintf(stderr, "\n");
}

std::string Progress::line(Index done, const std::string& status) const {
  using namespace std::chrono;
  const double el = duration<double>(steady_clock::now() - start_).count();
  const double frac = total_ > 0 ? double(done) / double(total_) : 0.0;
  const double eta = done > 0 ? el * (double(total_ - done) / double(done)) : -1;
  std::string s = label_ + " " + std::to_string(done) + "/" + std::to_string(total_);
  if (tty_) {
    const int w = 24, fill = int(frac * w + 0.5);
    s += " [" + std::string(size_t(fill), '#') + std::string(size_t(w - fill), '.') + "]";
  }
  if (!status.empty()) s += " " + status;
  s += " elapsed " + hms(el) + " eta " + hms(eta);
  return s;
}

void Progress::update(Index done, const std::string& status) {
  done_ = done;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_).count();
  if (tty_) {
    if (since < 0.1 && done < total_) return;
    std::fprintf(stderr, "\r\033[K%s: %s", log::program().c_str(), line(done, status).c_str());
    std::fflush(stderr);
    last_ = now;
  } else if (since >= every_) {
    log::info(line(done, status));
    last_ = now;
    logged_ = done;
  }
}

void Progress::finish(const std::string& status) {
  if (finished_) return;
  finished_ = true;
  if (tty_) {
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  } else if (logged_ == done_) {
    return;  // that line was just logged by update()
  }
  log::info(line(done_, status));
}

}  // namespace xssm

// Progress: a live bar redrawn in place when stderr is a terminal; otherwise (batch jobs, pipes)
// a plain line every `every_seconds`, so logs stay readable.
#pragma once
#include <chrono>
#include <string>

#include "xssm/core/tensor.hpp"

namespace xssm {

class Progress {
 public:
  /// total = number of units (steps); label printed in front.
  Progress(std::string label, Index total, double every_seconds = 10.0);
  ~Progress();
  /// Record that `done` units are complete; `status` is appended ("loss 1.23 acc 0.9").
  void update(Index done, const std::string& status = "");
  /// Final line (always printed, also when not on a terminal).
  void finish(const std::string& status = "");
  /// Whether stderr is a terminal and drawing is enabled (XSSM_NO_PROGRESS unset).
  static bool terminal();

 private:
  std::string line(Index done, const std::string& status) const;
  std::string label_;
  Index total_;
  double every_;
  bool tty_;
  bool finished_ = false;
  Index done_ = 0;
  Index logged_ = -1;  // the count of the last line logged off-terminal (finish() does not repeat it)
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace xssm

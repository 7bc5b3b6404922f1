// The task registry: every generator by name, with a one-line description, an example command
// and its options (name, default, help), so xssm-gen can build its command line and --help
// from this table and stay out of the generators' details.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "xssm/core/json.hpp"
#include "xssm/io/dataset_schema.hpp"

namespace xssm::tasks {

/// Option values as text (from the command line or an INI file), typed on access.
/// Bad values throw UsageError("--name must be …, got '…'").
class Options {
 public:
  void set(const std::string& name, const std::string& value);
  bool has(const std::string& name) const;
  const std::string& get(const std::string& name) const;
  std::int64_t get_int(const std::string& name) const;
  std::uint64_t get_u64(const std::string& name) const;
  double get_double(const std::string& name) const;
  bool get_bool(const std::string& name) const;
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }
  /// {"name": value, …}: numbers and booleans typed when the text is one.
  json::Value to_json() const;

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

struct OptionSpec {
  std::string name;   // without "--"
  std::string dflt;   // default as text ("" = required / none); "false" marks a flag
  std::string help;
};

struct TaskInfo {
  std::string name;
  std::string description;  // one line
  std::string example;      // a full xssm-gen command
  std::vector<OptionSpec> options;  // the task's own (every task also has --n and --seed)
  std::function<io::Dataset(const Options&)> make;
};

const std::vector<TaskInfo>& task_list();
/// Throws UsageError("unknown task 'x' (known: …)").
const TaskInfo& find_task(const std::string& name);
/// Defaults filled in for the task's options, --n and --seed; an option the task does not
/// have is a UsageError ("--alpha is not an option of task word").
Options resolve(const TaskInfo& task, const Options& given);
/// Generate a dataset: resolve(), then the task's generator.
io::Dataset generate(const std::string& name, const Options& options);

}  // namespace xssm::tasks

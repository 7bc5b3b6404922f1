// What every xssm tool shares (STYLE.md §8.3): the generic options, the help layout, parsing
// (command line first, then --config INI: the command line wins), error -> exit code mapping,
// and the stop-signal flag used by long-running tools.
#pragma once
#include <boost/program_options.hpp>
#include <functional>
#include <string>
#include <vector>

#include "xssm/core/json.hpp"

namespace xssm::cli {

namespace po = boost::program_options;

/// Exit codes (DESIGN.md §4).
constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitStopped = 143;  // stopped by SIGTERM/SIGINT/SIGUSR1 after saving a checkpoint

/// Options every tool has.
struct Common {
  std::string config;     // --config FILE (INI)
  int verbose = 1;        // --verbose / --quiet
  int threads = 0;        // --threads (0 = OpenMP default)
  std::string device = "cpu";
  std::uint64_t seed = 0;
};

struct ToolInfo {
  std::string name;      // "xssm-gen"
  std::string purpose;   // one line
  std::string usage;     // "xssm-gen TASK [options] -o FILE|-"
  std::string details;   // optional extra paragraph(s) printed before the options
  std::vector<std::string> examples;
  bool has_seed = false;    // adds --seed
  bool has_device = false;  // adds --device
  bool has_threads = true;  // adds --threads
};

/// Parse argv into vm. Returns false when --help or --version was handled (exit 0).
/// Throws UsageError for bad options. `visible` is shown in --help; `hidden` holds positionals.
bool parse(int argc, char** argv, const ToolInfo& info, po::options_description& visible,
           const po::options_description& hidden, const po::positional_options_description& pos,
           po::variables_map& vm, Common& common);

/// Print the --help text (purpose, usage, details, options with defaults, examples).
void print_help(const ToolInfo& info, const po::options_description& all_visible);

/// The resolved options as a JSON object (for the `config` attribute), and which were given.
json::Value options_json(const po::variables_map& vm);

/// The command line as one string (stored as `created_by`).
std::string command_line(int argc, char** argv);

/// Run a tool body: sets the program name, silences HDF5's error stack, maps exceptions to
/// one-line messages and exit codes (UsageError -> 2, Error/bad_alloc/other -> 1).
int run(const std::string& name, int argc, char** argv, const std::function<int(int, char**)>& body);

/// SIGTERM, SIGINT and SIGUSR1 set a flag instead of killing the process; the trainer checks
/// it between steps. A second SIGINT kills as usual.
void install_stop_handlers();
bool stop_requested();
int stop_signal();

/// "-o" must name a file or "-"; checks that the output directory exists.
void check_output_path(const std::string& path, const std::string& option = "-o");

}  // namespace xssm::cli

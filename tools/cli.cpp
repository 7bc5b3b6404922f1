#include "cli.hpp"

#include <csignal>
#include <cstring>
#include <iostream>
#include <new>
#include <sstream>
#include <sys/stat.h>

#include "xssm/core/device.hpp"
#include "xssm/core/error.hpp"
#include "xssm/core/log.hpp"
#include "xssm/core/parallel.hpp"
#include "xssm/io/h5file.hpp"

namespace xssm::cli {

namespace {
volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_signal = 0;

void on_signal(int sig) {
  if (sig == SIGINT && g_stop) {  // second Ctrl-C: die now
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
  }
  g_stop = 1;
  g_signal = sig;
}
}  // namespace

void install_stop_handlers() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGUSR1, &sa, nullptr);
}
bool stop_requested() { return g_stop != 0; }
int stop_signal() { return g_signal; }

std::string command_line(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (i == 0) {
      const size_t slash = a.rfind('/');
      if (slash != std::string::npos) a = a.substr(slash + 1);
    }
    const bool quote = a.empty() || a.find_first_of(" \t'\"$*?[]{}()<>|&;\\") != std::string::npos;
    if (quote) {
      std::string q = "'";
      for (char c : a) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
      a = q + "'";
    }
    s += (i ? " " : "") + a;
  }
  return s;
}

void print_help(const ToolInfo& info, const po::options_description& all_visible) {
  std::ostringstream o;
  o << info.name << ": " << info.purpose << "\n\nUsage: " << info.usage << "\n";
  if (!info.details.empty()) o << "\n" << info.details << "\n";
  o << "\n" << all_visible;
  if (!info.examples.empty()) {
    o << "\nExamples:\n";
    for (const auto& e : info.examples) o << "  " << e << "\n";
  }
  std::cout << o.str();
}

bool parse(int argc, char** argv, const ToolInfo& info, po::options_description& visible,
           const po::options_description& hidden, const po::positional_options_description& pos,
           po::variables_map& vm, Common& common) {
  po::options_description generic("Generic options");
  bool quiet = false;
  int verbose_count = 0;
  generic.add_options()
      ("help,h", "show this help and exit")
      ("version", "show the version and exit")
      ("config", po::value<std::string>(&common.config), "read options from an INI file (command line wins)")
      ("verbose,v", po::value<int>(&verbose_count)->implicit_value(2)->default_value(1), "log level: 0 quiet, 1 normal, 2 verbose, 3 debug")
      ("quiet,q", po::bool_switch(&quiet), "errors only (same as --verbose 0)");
  if (info.has_threads)
    generic.add_options()("threads", po::value<int>(&common.threads)->default_value(0), "OpenMP threads (0: OMP_NUM_THREADS or all cores)");
  if (info.has_device)
    generic.add_options()("device", po::value<std::string>(&common.device)->default_value("cpu"), "cpu | cuda");
  if (info.has_seed)
    generic.add_options()("seed", po::value<std::uint64_t>(&common.seed)->default_value(0), "random seed (same seed, same bytes)");

  po::options_description all_visible;
  all_visible.add(visible).add(generic);
  po::options_description all;
  all.add(all_visible).add(hidden);
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    if (vm.count("help")) {
      print_help(info, all_visible);
      return false;
    }
    if (vm.count("version")) {
      std::cout << info.name << " " << XSSM_VERSION_STRING << "\n";
      return false;
    }
    if (vm.count("config")) {
      const std::string path = vm["config"].as<std::string>();
      try {
        po::store(po::parse_config_file<char>(path.c_str(), all, false), vm);
      } catch (const po::reading_file&) {
        throw UsageError(cat("--config ", path, ": cannot read the file"));
      } catch (const po::error& e) {
        throw UsageError(cat("--config ", path, ": ", e.what()));
      }
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  common.verbose = quiet ? 0 : verbose_count;
  log::set_level(common.verbose);
  if (common.threads < 0) throw UsageError("--threads must be ≥ 0");
  if (common.threads > 0) set_threads(common.threads);
  if (info.has_device && common.device != "cpu" && common.device != "cuda")
    throw UsageError(cat("--device must be cpu or cuda, got '", common.device, "'"));
  if (info.has_device) {
    const Device d = parse_device(common.device);
    require_device(d);
    set_default_device(d);  // ops with a CUDA kernel dispatch on it
  }
  return true;
}

json::Value options_json(const po::variables_map& vm) {
  json::Value o = json::Value::object();
  for (const auto& kv : vm) {
    if (kv.first == "help" || kv.first == "version" || kv.first == "config") continue;
    const boost::any& v = kv.second.value();
    if (auto p = boost::any_cast<std::string>(&v)) o[kv.first] = *p;
    else if (auto p = boost::any_cast<int>(&v)) o[kv.first] = *p;
    else if (auto p = boost::any_cast<long>(&v)) o[kv.first] = *p;
    else if (auto p = boost::any_cast<long long>(&v)) o[kv.first] = *p;
    else if (auto p = boost::any_cast<std::uint64_t>(&v)) o[kv.first] = (unsigned long)*p;
    else if (auto p = boost::any_cast<double>(&v)) o[kv.first] = *p;
    else if (auto p = boost::any_cast<float>(&v)) o[kv.first] = double(*p);
    else if (auto p = boost::any_cast<bool>(&v)) o[kv.first] = *p;
    else if (auto p = boost::any_cast<std::vector<std::string>>(&v)) o[kv.first] = json::Value::array_of(*p);
    else if (auto p = boost::any_cast<std::vector<int>>(&v)) o[kv.first] = json::Value::array_of(*p);
  }
  return o;
}

void check_output_path(const std::string& path, const std::string& option) {
  if (path.empty()) throw UsageError(option + " is required (a file name, or - for stdout)");
  if (path == "-") return;
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return;
  const std::string dir = path.substr(0, slash);
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw Error(cat(path, ": the directory '", dir, "' does not exist"));
}

int run(const std::string& name, int argc, char** argv, const std::function<int(int, char**)>& body) {
  log::set_program(name);
  io::silence_hdf5_errors();
  io::set_created_by(command_line(argc, argv));
  std::setvbuf(stderr, nullptr, _IOLBF, 0);
  try {
    return body(argc, argv);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%s: error: %s (see %s --help)\n", name.c_str(), e.what(), name.c_str());
    return kExitUsage;
  } catch (const Error& e) {
    std::fprintf(stderr, "%s: error: %s\n", name.c_str(), e.what());
    return kExitError;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "%s: error: out of memory\n", name.c_str());
    return kExitError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", name.c_str(), e.what());
    return kExitError;
  }
}

}  // namespace xssm::cli

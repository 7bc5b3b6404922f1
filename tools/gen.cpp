// xssm-gen: generate a synthetic task (or a byte-level text dataset) as a dataset/1 HDF5 file.
// The generators and their options live in lib/xssm/tasks (registry.hpp); this file only binds
// them to the command line (STYLE.md §8.3).
#include <set>
#include <sstream>

#include "cli.hpp"
#include "xssm/core/error.hpp"
#include "xssm/core/log.hpp"
#include "xssm/io/dataset_schema.hpp"
#include "xssm/io/h5file.hpp"
#include "xssm/tasks/registry.hpp"

namespace po = boost::program_options;
using namespace xssm;

namespace {

// The per-task section of --help: every task, its options with defaults, and an example.
std::string tasks_help() {
  std::ostringstream o;
  o << "Tasks (every task also takes --n and --seed):\n";
  for (const auto& t : tasks::task_list()) o << "  " << t.name << std::string(t.name.size() < 10 ? 10 - t.name.size() : 1, ' ') << t.description << "\n";
  for (const auto& t : tasks::task_list()) {
    o << "\n" << t.name << " options:\n";
    for (const auto& s : t.options) {
      std::string left = "  --" + s.name + (s.dflt == "false" ? "" : " ARG");
      if (left.size() < 24) left.resize(24, ' ');
      else left += "  ";
      o << left << s.help;
      if (s.dflt == "false") o << " (flag)";
      else if (!s.dflt.empty()) o << " (default " << s.dflt << ")";
      o << "\n";
    }
    o << "  e.g. " << t.example << "\n";
  }
  std::string s = o.str();
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

}  // namespace

int gen_main(int argc, char** argv) {
  return cli::run("xssm-gen", argc, argv, [](int argc, char** argv) {
    cli::ToolInfo info;
    info.name = "xssm-gen";
    info.purpose = "generate a synthetic task or a byte-level text dataset (HDF5 dataset/1)";
    info.usage = "xssm-gen TASK [options] -o FILE|-";
    info.details = tasks_help();
    info.examples = {
        "xssm-gen mqar --n 1000 --seq-len 64 --kv-pairs 4 -o mqar.h5",
        "xssm-gen word --group A5 --seq-len 16 -o - | xssm-train --data - -o run.h5",
        "xssm-gen formal --lang parity --min-len 41 --max-len 256 --seed 1 -o parity_test.h5",
    };
    info.has_seed = true;

    std::string output, task;
    std::string n_text;
    po::options_description own("Options");
    own.add_options()
        ("output,o", po::value<std::string>(&output), "output file, or - for stdout")
        ("n", po::value<std::string>(&n_text), "examples (default 1000; noise 100; text 0 = every window)");
    // Every task's options, bound as text (one definition per name); checked against the chosen
    // task after parsing, so `--alpha` with `word` is a usage error.
    po::options_description hidden("Task options");
    hidden.add_options()("task", po::value<std::string>(&task), "task name");
    std::set<std::string> seen;
    for (const auto& t : tasks::task_list())
      for (const auto& s : t.options) {
        if (!seen.insert(s.name).second) continue;
        auto* v = po::value<std::string>();
        if (s.dflt == "false") v->implicit_value("true");
        hidden.add_options()(s.name.c_str(), v, s.help.c_str());
      }
    po::positional_options_description pos;
    pos.add("task", 1);
    po::variables_map vm;
    cli::Common common;
    if (!cli::parse(argc, argv, info, own, hidden, pos, vm, common)) return cli::kExitOk;

    if (task.empty()) throw UsageError("missing TASK (one of the tasks listed in --help)");
    const tasks::TaskInfo& t = tasks::find_task(task);
    cli::check_output_path(output);
    tasks::Options given;
    std::vector<std::string> explicit_names;  // given on the command line or in --config
    if (vm.count("n")) {
      given.set("n", n_text);
      explicit_names.push_back("n");
    }
    given.set("seed", std::to_string(common.seed));
    if (!vm["seed"].defaulted()) explicit_names.push_back("seed");
    for (const auto& name : seen)
      if (vm.count(name)) {
        given.set(name, vm[name].as<std::string>());
        explicit_names.push_back(name);
      }
    const tasks::Options opts = tasks::resolve(t, given);

    log::verbose("generating ", task, " ", opts.to_json().dump());
    const io::Dataset ds = t.make(opts);
    json::Value config = json::Value::object();
    config["task"] = task;
    const json::Value resolved = opts.to_json();
    for (const auto& [k, v] : resolved.members()) config[k] = v;
    config["given"] = json::Value::array_of(explicit_names);
    io::write_dataset(output, ds, io::created_by(), config);
    log::info("wrote ", ds.n(), " x ", ds.seq_len(), " ", task, " examples (vocab ", ds.vocab_size, ") to ",
              output == "-" ? std::string("stdout") : output);
    return cli::kExitOk;
  });
}

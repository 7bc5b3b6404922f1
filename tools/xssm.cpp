// The `xssm` dispatcher: `xssm train ...` runs the same code as `xssm-train ...` (git style).
#include <cstdio>
#include <cstring>
#include <string>

#include "xssm/core/allocator.hpp"

int gen_main(int, char**);
int train_main(int, char**);
int eval_main(int, char**);
int probe_main(int, char**);
int convert_main(int, char**);
int plot_data_main(int, char**);
int bench_main(int, char**);

namespace {
struct Tool {
  const char* name;
  int (*entry)(int, char**);
  const char* description;
};
const Tool kTools[] = {
#ifdef XSSM_HAVE_TOOL_gen
    {"gen", gen_main, "generate a synthetic task or a text dataset"},
#endif
#ifdef XSSM_HAVE_TOOL_train
    {"train", train_main, "train a model on a dataset"},
#endif
#ifdef XSSM_HAVE_TOOL_eval
    {"eval", eval_main, "evaluate a trained model (loss, accuracy by position and length)"},
#endif
#ifdef XSSM_HAVE_TOOL_probe
    {"probe", probe_main, "probe what the hidden state remembers (memory capacity, recall, tracking)"},
#endif
#ifdef XSSM_HAVE_TOOL_convert
    {"convert", convert_main, "import/export official checkpoints, text corpora, pruning, ternary weights"},
#endif
#ifdef XSSM_HAVE_TOOL_plot_data
    {"plot-data", plot_data_main, "plot any dataset of any xssm file (PNG, SVG, TSV)"},
#endif
#ifdef XSSM_HAVE_TOOL_bench
    {"bench", bench_main, "time the mixers and models (tokens/s, GFLOP/s, fraction of peak)"},
#endif
};

void usage(FILE* out) {
  std::fprintf(out,
               "xssm: recurrent sequence models (xLSTM, Mamba, S4D, LSTM, Transformer) for research\n\n"
               "Usage: xssm TOOL [options]     (same as xssm-TOOL [options])\n"
               "       xssm TOOL --help        options and examples of one tool\n\nTools:\n");
  for (const Tool& t : kTools) std::fprintf(out, "  %-10s %s\n", t.name, t.description);
  std::fprintf(out, "\nExample:\n  xssm gen mqar --n 1000 -o - | xssm train --model xlstm[1:1] --data - -o run.h5\n");
}
}  // namespace

int main(int argc, char** argv) {
  xssm::keep_freed_memory();  // as every xssm-<tool> (tools/entry.cpp)
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    usage(stdout);
    return argc < 2 ? 2 : 0;
  }
  if (!std::strcmp(argv[1], "--version")) {
    std::printf("xssm %s\n", XSSM_VERSION_STRING);
    return 0;
  }
  for (const Tool& t : kTools) {
    if (std::strcmp(argv[1], t.name) == 0) {
      // argv[0] becomes "xssm-<tool>" so messages and created_by read the same as the executable.
      std::string prog = std::string("xssm-") + t.name;
      argv[1] = prog.data();
      return t.entry(argc - 1, argv + 1);
    }
  }
  std::fprintf(stderr, "xssm: error: unknown tool '%s' (see xssm --help)\n", argv[1]);
  return 2;
}

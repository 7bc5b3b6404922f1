#include "xssm/tasks/registry.hpp"

#include <cerrno>
#include <cstdlib>

#include "xssm/core/error.hpp"
#include "xssm/tasks/copy.hpp"
#include "xssm/tasks/formal.hpp"
#include "xssm/tasks/freqsort.hpp"
#include "xssm/tasks/mqar.hpp"
#include "xssm/tasks/noise.hpp"
#include "xssm/tasks/text.hpp"
#include "xssm/tasks/word.hpp"

namespace xssm::tasks {

void Options::set(const std::string& name, const std::string& value) {
  for (auto& it : items_)
    if (it.first == name) {
      it.second = value;
      return;
    }
  items_.emplace_back(name, value);
}

bool Options::has(const std::string& name) const {
  for (const auto& it : items_)
    if (it.first == name) return true;
  return false;
}

const std::string& Options::get(const std::string& name) const {
  for (const auto& it : items_)
    if (it.first == name) return it.second;
  throw UsageError(cat("--", name, " is required"));
}

std::int64_t Options::get_int(const std::string& name) const {
  const std::string& s = get(name);
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end || errno) throw UsageError(cat("--", name, " must be an integer, got '", s, "'"));
  return v;
}

std::uint64_t Options::get_u64(const std::string& name) const {
  const std::string& s = get(name);
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (s.empty() || s[0] == '-' || *end || errno)
    throw UsageError(cat("--", name, " must be a non-negative integer, got '", s, "'"));
  return v;
}

double Options::get_double(const std::string& name) const {
  const std::string& s = get(name);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end) throw UsageError(cat("--", name, " must be a number, got '", s, "'"));
  return v;
}

bool Options::get_bool(const std::string& name) const {
  const std::string& s = get(name);
  if (s == "1" || s == "true" || s == "yes" || s == "on") return true;
  if (s == "0" || s == "false" || s == "no" || s == "off") return false;
  throw UsageError(cat("--", name, " must be true or false, got '", s, "'"));
}

json::Value Options::to_json() const {
  json::Value o = json::Value::object();
  for (const auto& [k, s] : items_) {
    char* end = nullptr;
    errno = 0;
    const long long i = std::strtoll(s.c_str(), &end, 10);
    if (!s.empty() && !*end && errno == 0) {
      o[k] = i;
      continue;
    }
    const double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && !*end) o[k] = d;
    else if (s == "true" || s == "false") o[k] = s == "true";
    else o[k] = s;
  }
  return o;
}

namespace {

std::vector<TaskInfo> build() {
  std::vector<TaskInfo> t;
  t.push_back({"mqar", "multi-query associative recall (Zoology): recall the value bound to each queried key",
               "xssm-gen mqar --n 100000 --seq-len 256 --kv-pairs 16 -o mqar.h5",
               {{"seq-len", "64", "sequence length S (≥ 4·kv-pairs)"},
                {"vocab", "8192", "vocabulary V: keys in [1,V/2), values in [V/2,V), filler 0"},
                {"kv-pairs", "4", "key-value pairs K per example"},
                {"alpha", "0.01", "power-law exponent of the query positions"},
                {"random-fillers", "false", "fill unused positions with random tokens (Based/Mamba-2 variant)"}},
               [](const Options& o) {
                 MqarOptions m;
                 m.n = o.get_int("n");
                 m.seed = o.get_u64("seed");
                 m.seq_len = o.get_int("seq-len");
                 m.vocab = o.get_int("vocab");
                 m.kv_pairs = o.get_int("kv-pairs");
                 m.alpha = o.get_double("alpha");
                 m.random_fillers = o.get_bool("random-fillers");
                 return make_mqar(m);
               }});
  t.push_back({"word", "group word problems (Illusion of State): running product of group elements",
               "xssm-gen word --group A5 --seq-len 16 --n 10000 -o a5.h5",
               {{"group", "A5", "S5, A5, A4_x_Z5, Z60, Z2 (parity), any S<n>/A<n>/Z<n> product up to order 2520"},
                {"seq-len", "16", "sequence length S"}},
               [](const Options& o) {
                 WordOptions w;
                 w.n = o.get_int("n");
                 w.seed = o.get_u64("seed");
                 w.group = o.get("group");
                 w.seq_len = o.get_int("seq-len");
                 return make_word(w);
               }});
  std::string langs;
  for (const auto& l : formal_languages()) langs += (langs.empty() ? "" : ", ") + l.name;
  t.push_back({"formal", "formal languages of the xLSTM paper (Chomsky hierarchy): parity, mod arithmetic, …",
               "xssm-gen formal --lang parity --min-len 41 --max-len 256 --n 8192 -o parity_test.h5",
               {{"lang", "parity", langs},
                {"min-len", "3", "shortest content length"},
                {"max-len", "40", "longest content length"},
                {"seq-len", "0", "sequence length S (0: the smallest that fits --max-len)"}},
               [](const Options& o) {
                 FormalOptions f;
                 f.n = o.get_int("n");
                 f.seed = o.get_u64("seed");
                 f.lang = o.get("lang");
                 f.min_len = o.get_int("min-len");
                 f.max_len = o.get_int("max-len");
                 f.seq_len = o.get_int("seq-len");
                 return make_formal(f);
               }});
  t.push_back({"copy", "copy a random string after a separator (Repeat After Me)",
               "xssm-gen copy --min-len 5 --max-len 20 --n 10000 -o copy.h5",
               {{"min-len", "5", "shortest string"},
                {"max-len", "20", "longest string"},
                {"alphabet", "26", "letters A (vocab A+4)"},
                {"seq-len", "0", "sequence length S (0: 2·max-len + 3)"}},
               [](const Options& o) {
                 CopyOptions c;
                 c.n = o.get_int("n");
                 c.seed = o.get_u64("seed");
                 c.min_len = o.get_int("min-len");
                 c.max_len = o.get_int("max-len");
                 c.alphabet = o.get_int("alphabet");
                 c.seq_len = o.get_int("seq-len");
                 return make_copy(c);
               }});
  t.push_back({"freqsort", "sort the symbols of a long drifting sequence by decreasing frequency (infinity-former)",
               "xssm-gen freqsort --len 4000 --n 8000 -o sort.h5",
               {{"len", "1024", "length L of the sequence before SEP (S = L + symbols)"},
                {"symbols", "20", "alphabet size A (vocab A+2)"}},
               [](const Options& o) {
                 FreqsortOptions f;
                 f.n = o.get_int("n");
                 f.seed = o.get_u64("seed");
                 f.len = o.get_int("len");
                 f.symbols = o.get_int("symbols");
                 return make_freqsort(f);
               }});
  t.push_back({"noise", "i.i.d. random tokens or real values (memory-capacity probes)",
               "xssm-gen noise --real --seq-len 2000 --n 10 -o noise.h5",
               {{"seq-len", "1024", "sequence length S"},
                {"vocab", "16", "token vocabulary (token inputs)"},
                {"real", "false", "real-valued inputs in /inputs_real (N,S,F) instead of tokens"},
                {"features", "1", "F, values per position (with --real)"},
                {"dist", "uniform", "uniform ([-1,1)) | normal (with --real)"}},
               [](const Options& o) {
                 NoiseOptions z;
                 z.n = o.get_int("n");
                 z.seed = o.get_u64("seed");
                 z.seq_len = o.get_int("seq-len");
                 z.vocab = o.get_int("vocab");
                 z.real = o.get_bool("real");
                 z.features = o.get_int("features");
                 z.dist = o.get("dist");
                 return make_noise(z);
               }});
  t.push_back({"text", "byte-level windows of a text file (next-byte prediction)",
               "xssm-gen text --input data/text/kjv_genesis.txt --seq-len 256 -o text.h5",
               {{"input", "", "the text file (required)"},
                {"seq-len", "256", "window length S"}},
               [](const Options& o) {
                 TextOptions x;
                 x.n = o.get_int("n");
                 x.seed = o.get_u64("seed");
                 x.input = o.get("input");
                 x.seq_len = o.get_int("seq-len");
                 return make_text(x);
               }});
  return t;
}

}  // namespace

const std::vector<TaskInfo>& task_list() {
  static const std::vector<TaskInfo> k = build();
  return k;
}

const TaskInfo& find_task(const std::string& name) {
  std::string known;
  for (const auto& t : task_list()) {
    if (t.name == name) return t;
    known += (known.empty() ? "" : ", ") + t.name;
  }
  throw UsageError(cat("unknown task '", name, "' (known: ", known, ")"));
}

Options resolve(const TaskInfo& task, const Options& given) {
  Options out;
  // --n: text's 0 means "every window"; the others default to 1000 examples
  out.set("n", given.has("n") ? given.get("n") : task.name == "text" ? "0" : task.name == "noise" ? "100" : "1000");
  out.set("seed", given.has("seed") ? given.get("seed") : "0");
  for (const auto& spec : task.options) {
    if (given.has(spec.name)) out.set(spec.name, given.get(spec.name));
    else if (!spec.dflt.empty()) out.set(spec.name, spec.dflt);
  }
  for (const auto& [k, v] : given.items())
    if (!out.has(k)) throw UsageError(cat("--", k, " is not an option of task ", task.name));
  return out;
}

io::Dataset generate(const std::string& name, const Options& options) {
  const TaskInfo& t = find_task(name);
  return t.make(resolve(t, options));
}

}  // namespace xssm::tasks

// xssm-plot-data: plot any 1-D/2-D dataset of any xssm file (training curves under /log,
// metrics/1, probe/1) as PNG or SVG through gnuplot, or write it as TSV for other tools.
// Several files are overlaid; each series' legend comes from its file's model spec.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "cli.hpp"
#include "xssm/core/error.hpp"
#include "xssm/core/json.hpp"
#include "xssm/core/log.hpp"
#include "xssm/io/h5file.hpp"

namespace po = boost::program_options;
using namespace xssm;

namespace {

struct Series {
  std::string legend;
  std::vector<double> x, y;
};

struct Axes {
  std::string x_label, y_label;
};

std::string basename_of(const std::string& p) {
  if (p == "-") return "stdin";
  const size_t s = p.rfind('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

bool is_numeric(io::DType t) { return t != io::DType::String && t != io::DType::Other; }
bool is_float(io::DType t) { return t == io::DType::Float32 || t == io::DType::Float64; }

/// A numeric dataset as doubles (any element type), with a one-line error naming file and dataset.
Tensor<double> read_numeric(const io::H5File& f, const std::string& ds) {
  if (!f.exists(ds) || !f.is_dataset(ds)) f.fail(cat(ds, ": no such dataset (see xssm-plot-data --list ", f.path(), ")"));
  const io::DType t = f.dtype(ds);
  if (!is_numeric(t)) f.fail(cat(ds, ": cannot plot a ", io::dtype_name(t), " dataset"));
  if (is_float(t)) return f.read<double>(ds);
  return f.read<std::int64_t>(ds).cast<double>();
}

std::string attr_or(const io::H5File& f, const std::string& obj, const std::string& name, const std::string& dflt) {
  try {
    if (f.has_attr(obj, name)) return f.attr_string(obj, name);
  } catch (const Error&) {
  }
  return dflt;
}

/// The legend of a file: its model spec (root `model` JSON → "spec", or `config` → "model"/"spec").
std::string legend_of(const io::H5File& f) {
  auto from_json = [](const std::string& text) -> std::string {
    try {
      const json::Value v = json::parse(text);
      if (v.is_string()) return v.as_string();
      if (!v.is_object()) return "";
      if (const json::Value* s = v.find("spec"); s && s->is_string()) return s->as_string();
      if (const json::Value* m = v.find("model")) {
        if (m->is_string()) return m->as_string();
        if (m->is_object())
          if (const json::Value* s = m->find("spec"); s && s->is_string()) return s->as_string();
      }
    } catch (const Error&) {
    }
    return "";
  };
  const std::string model = attr_or(f, "/", "model", "");
  if (!model.empty()) {
    const std::string s = from_json(model);
    return s.empty() ? model : s;
  }
  const std::string s = from_json(attr_or(f, "/", "config", ""));
  return s.empty() ? basename_of(f.path()) : s;
}

/// The x values for a y dataset: --x, else the dataset named by y's `x` attribute, else a
/// sibling `step` dataset of the same length (training curves under /log), else 0..n−1.
std::vector<double> x_for(const io::H5File& f, const std::string& y_ds, const std::string& x_opt, Index n,
                          std::string& x_label) {
  std::string x_ds = x_opt;
  if (x_ds.empty()) x_ds = attr_or(f, y_ds, "x", "");
  if (x_ds.empty()) {
    const size_t slash = y_ds.rfind('/');
    const std::string step = (slash == std::string::npos ? std::string("/") : y_ds.substr(0, slash + 1)) + "step";
    if (step != y_ds && f.exists(step) && f.is_dataset(step) && f.shape(step) == Shape{n}) x_ds = step;
  }
  std::vector<double> x;
  if (x_ds.empty()) {
    for (Index i = 0; i < n; ++i) x.push_back(double(i));
    if (x_label.empty()) x_label = attr_or(f, y_ds, "x_label", "index");
    return x;
  }
  const Tensor<double> t = read_numeric(f, x_ds);
  if (t.rank() != 1 || t.dim(0) != n)
    f.fail(cat(x_ds, ": x has shape ", shape_str(t.shape()), ", expected (", n, ") to match ", y_ds));
  if (x_label.empty()) {
    x_label = attr_or(f, y_ds, "x_label", "");
    if (x_label.empty()) x_label = attr_or(f, x_ds, "y_label", x_ds);
    const std::string u = attr_or(f, x_ds, "units", "");
    if (!u.empty() && u != "1" && x_label.find('[') == std::string::npos && !x_opt.empty()) x_label += " [" + u + "]";
  }
  return std::vector<double>(t.begin(), t.end());
}

/// Every series of one file: a 1-D dataset is one series, a 2-D (n,k) dataset k series (columns).
void read_series(const std::string& path, const std::string& y_ds, const std::string& x_opt, std::vector<Series>& out,
                 Axes& axes) {
  const io::H5File f = io::H5File::open(path);
  const Tensor<double> y = read_numeric(f, y_ds);
  if (y.rank() < 1 || y.rank() > 2)
    f.fail(cat(y_ds, ": has shape ", shape_str(y.shape()), ", expected a 1-D or 2-D dataset"));
  const Index n = y.dim(0), k = y.rank() == 2 ? y.dim(1) : 1;
  const std::vector<double> x = x_for(f, y_ds, x_opt, n, axes.x_label);
  if (axes.y_label.empty()) {
    axes.y_label = attr_or(f, y_ds, "y_label", y_ds);
    const std::string u = attr_or(f, y_ds, "units", "");
    if (!u.empty() && u != "1") axes.y_label += " [" + u + "]";
  }
  const std::string legend = legend_of(f);
  for (Index j = 0; j < k; ++j) {
    Series s;
    s.legend = k > 1 ? cat(legend, " [", j, "]") : legend;
    s.x = x;
    for (Index i = 0; i < n; ++i) s.y.push_back(y[i * k + j]);
    out.push_back(std::move(s));
  }
}

std::string num(double v) {
  if (std::isnan(v)) return "nan";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

/// gnuplot's "index" layout: a comment header per series, two blank lines between series.
void write_tsv(std::ostream& o, const std::vector<Series>& series, const Axes& axes) {
  for (size_t i = 0; i < series.size(); ++i) {
    if (i) o << "\n\n";
    o << "# " << series[i].legend << "\n# " << axes.x_label << "\t" << axes.y_label << "\n";
    for (size_t j = 0; j < series[i].x.size(); ++j) o << num(series[i].x[j]) << "\t" << num(series[i].y[j]) << "\n";
  }
}

/// A gnuplot single-quoted string ('' is a quote inside).
std::string gq(const std::string& s) {
  std::string o = "'";
  for (char c : s) o += c == '\'' ? std::string("''") : std::string(1, c);
  return o + "'";
}

bool gnuplot_has_terminal(const std::string& name) {
  FILE* p = ::popen("gnuplot -e 'set terminal' 2>&1", "r");
  if (!p) return false;
  std::string text;
  char buf[4096];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, got);
  ::pclose(p);
  std::istringstream ls(text);
  std::string line;
  while (std::getline(ls, line)) {
    std::istringstream ws(line);
    std::string first;
    ws >> first;
    if (first == name) return true;
  }
  return false;
}

struct PlotStyle {
  bool logx = false, logy = false;
  std::string title;
  int width = 800, height = 500;
};

void write_plot(const std::string& out, const std::string& kind, const std::vector<Series>& series, const Axes& axes,
                const PlotStyle& st) {
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0)
    throw Error("gnuplot was not found on PATH (install gnuplot-nox, or write TSV with -o FILE.tsv)");
  const std::string tmpdir = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp";
  const std::string stem = cat(tmpdir, "/xssm-plot-data.", ::getpid());
  const std::string data = stem + ".tsv", script = stem + ".gp", partial = cat(out, ".tmp.", ::getpid());
  struct Cleanup {
    std::vector<std::string> files;
    ~Cleanup() {
      for (auto& f : files) std::remove(f.c_str());
    }
  } cleanup{{data, script, partial}};
  {
    std::ofstream d(data);
    write_tsv(d, series, axes);
    if (!d) throw Error(cat(data, ": cannot write the temporary data file"));
  }
  std::string term;
  if (kind == "png") term = gnuplot_has_terminal("pngcairo") ? "pngcairo" : "png";
  else term = "svg";
  std::ostringstream g;
  g << "set terminal " << term << " size " << st.width << "," << st.height
    << (term == "svg" ? " dynamic" : "") << " noenhanced\n";
  g << "set output " << gq(partial) << "\n";
  g << "set datafile separator '\\t'\nset datafile missing 'nan'\n";
  if (!st.title.empty()) g << "set title " << gq(st.title) << "\n";
  g << "set xlabel " << gq(axes.x_label) << "\nset ylabel " << gq(axes.y_label) << "\n";
  g << "set key top right\nset grid\n";
  if (st.logx) g << "set logscale x\n";
  if (st.logy) g << "set logscale y\n";
  g << "plot ";
  for (size_t i = 0; i < series.size(); ++i) {
    const bool points = series[i].x.size() <= 40;
    g << (i ? ", \\\n     " : "") << gq(data) << " index " << i << " using 1:2 with "
      << (points ? "linespoints" : "lines") << " lw 2 title " << gq(series[i].legend);
  }
  g << "\nset output\n";
  {
    std::ofstream s(script);
    s << g.str();
    if (!s) throw Error(cat(script, ": cannot write the temporary gnuplot script"));
  }
  const std::string cmd = cat("gnuplot ", gq(script), " 2>", gq(stem + ".err"));
  cleanup.files.push_back(stem + ".err");
  const int rc = std::system(cmd.c_str());
  if (rc != 0) {
    std::ifstream e(stem + ".err");
    std::string first;
    std::getline(e, first);
    while (first.empty() && std::getline(e, first)) {
    }
    throw Error(cat(out, ": gnuplot failed (", first, ")"));
  }
  if (std::rename(partial.c_str(), out.c_str()) != 0) throw Error(cat(out, ": cannot write the plot"));
}

void list_file(const std::string& path) {
  const io::H5File f = io::H5File::open(path);
  std::ostringstream o;
  o << path << " (" << attr_or(f, "/", "xssm_format", "no xssm_format") << ", " << legend_of(f) << ")\n";
  for (const std::string& ds : f.list_datasets("/")) {
    const io::DType t = f.dtype(ds);
    const Shape s = f.shape(ds);
    const bool plottable = is_numeric(t) && (s.size() == 1 || s.size() == 2);
    o << "  " << (plottable ? "" : "(") << ds << (plottable ? "" : ")") << "  " << shape_str(s) << " "
      << io::dtype_name(t);
    const std::string yl = attr_or(f, ds, "y_label", ""), u = attr_or(f, ds, "units", ""), x = attr_or(f, ds, "x", "");
    if (!yl.empty()) o << "  " << yl << (u.empty() || u == "1" ? "" : " [" + u + "]");
    if (!x.empty()) o << "  vs " << x;
    o << "\n";
  }
  std::cout << o.str();
}

int body(int argc, char** argv) {
  cli::ToolInfo info;
  info.name = "xssm-plot-data";
  info.purpose = "plot any 1-D/2-D dataset of xssm files (PNG, SVG through gnuplot; TSV)";
  info.usage = "xssm-plot-data FILE... --y DATASET [--x DATASET] [options] -o out.png|out.svg|out.tsv|-\n"
               "       xssm-plot-data --list FILE...";
  info.details =
      "Each FILE adds one series per column of DATASET (a 1-D dataset is one series), labelled with the\n"
      "file's model spec. The x values come from --x, else from DATASET's `x` attribute (probe/1,\n"
      "metrics/1), else from a sibling `step` dataset (training curves under /log), else 0..n-1.\n"
      "The output kind follows the extension of -o; `-o -` writes TSV to stdout.";
  info.examples = {
      "xssm-plot-data --list run.h5",
      "xssm-plot-data a.h5 b.h5 --y /log/loss --logy --title 'MQAR' -o loss.png",
      "xssm-probe run.h5 --data noise.h5 --probe capacity -o - | xssm-plot-data - --y /capacity/blocks/0/output/r2 -o -"};
  info.has_threads = false;

  std::vector<std::string> files;
  std::string y, x, out, title, format;
  bool logx = false, logy = false, list = false;
  int width = 800, height = 500;
  po::options_description opts("Options");
  opts.add_options()
      ("y", po::value<std::string>(&y), "dataset to plot (1-D, or 2-D: one series per column)")
      ("x", po::value<std::string>(&x)->default_value(""), "dataset of x values (default: see above)")
      ("output,o", po::value<std::string>(&out)->default_value(""), "out.png | out.svg | out.tsv | - (TSV to stdout)")
      ("format", po::value<std::string>(&format)->default_value(""), "png | svg | tsv (default: from the -o extension)")
      ("logx", po::bool_switch(&logx), "logarithmic x axis")
      ("logy", po::bool_switch(&logy), "logarithmic y axis")
      ("title", po::value<std::string>(&title)->default_value(""), "plot title")
      ("width", po::value<int>(&width)->default_value(800), "image width (pixels)")
      ("height", po::value<int>(&height)->default_value(500), "image height (pixels)")
      ("list", po::bool_switch(&list), "list the datasets of each FILE and exit");
  po::options_description hidden;
  hidden.add_options()("files", po::value<std::vector<std::string>>(&files), "input files");
  po::positional_options_description pos;
  pos.add("files", -1);
  po::variables_map vm;
  cli::Common common;
  if (!cli::parse(argc, argv, info, opts, hidden, pos, vm, common)) return cli::kExitOk;

  if (files.empty()) throw UsageError("no input FILE given");
  int stdin_uses = 0;
  for (const auto& f : files) stdin_uses += f == "-";
  if (stdin_uses > 1) throw UsageError("stdin (-) can be read only once");
  if (list) {
    for (const auto& f : files) list_file(f);
    return cli::kExitOk;
  }
  if (y.empty()) throw UsageError("--y DATASET is required (see --list FILE for what can be plotted)");
  cli::check_output_path(out);
  if (format.empty()) {
    const size_t dot = out.rfind('.');
    const std::string ext = out == "-" ? "tsv" : dot == std::string::npos ? "" : out.substr(dot + 1);
    if (ext == "png" || ext == "svg" || ext == "tsv") format = ext;
    else if (ext == "txt" || ext == "dat") format = "tsv";
    else throw UsageError(cat("-o ", out, ": cannot tell the output kind from the extension (use .png, .svg, .tsv or --format)"));
  }
  if (format != "png" && format != "svg" && format != "tsv")
    throw UsageError(cat("--format must be png, svg or tsv, got '", format, "'"));
  if (out == "-" && format != "tsv") throw UsageError("-o - writes TSV only (use a file name for PNG or SVG)");
  if (width < 16 || height < 16) throw UsageError("--width and --height must be ≥ 16");

  std::vector<Series> series;
  Axes axes;
  for (const auto& f : files) {
    const size_t before = series.size();
    read_series(f, y, x, series, axes);
    // Same spec twice: tell the files apart.
    for (size_t i = before; i < series.size(); ++i)
      for (size_t j = 0; j < before; ++j)
        if (series[j].legend == series[i].legend) {
          series[i].legend += " (" + basename_of(f) + ")";
          break;
        }
  }
  if (format == "tsv") {
    if (out == "-") {
      std::ostringstream o;
      write_tsv(o, series, axes);
      std::cout << o.str() << std::flush;
      if (!std::cout) throw Error("stdout: write failed");
    } else {
      const std::string partial = cat(out, ".tmp.", ::getpid());
      {
        std::ofstream o(partial);
        write_tsv(o, series, axes);
        if (!o) throw Error(cat(out, ": cannot write"));
      }
      if (std::rename(partial.c_str(), out.c_str()) != 0) throw Error(cat(out, ": cannot write"));
    }
  } else {
    write_plot(out, format, series, axes, PlotStyle{logx, logy, title, width, height});
  }
  log::verbose("wrote ", series.size(), " series to ", out);
  return cli::kExitOk;
}

}  // namespace

int plot_data_main(int argc, char** argv) { return cli::run("xssm-plot-data", argc, argv, body); }

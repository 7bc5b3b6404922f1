#include "xssm/probe/track.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "xssm/core/error.hpp"

namespace xssm::probe {

template <class T>
TrackResult track_probe(const Tensor<T>& features, const std::vector<Index>& positions,
                        const Tensor<std::int32_t>& labels, const RidgeOptions& opt) {
  if (features.rank() != 3 || features.dim(1) != Index(positions.size()))
    throw Error(cat("track probe: features ", shape_str(features.shape()), " for ", positions.size(), " positions"));
  if (labels.rank() != 2 || labels.dim(0) != features.dim(0))
    throw Error(cat("track probe: labels have shape ", shape_str(labels.shape()), ", expected (", features.dim(0), ",S)"));
  const Index N = features.dim(0), P = features.dim(1), F = features.dim(2);
  for (Index t : positions)
    if (t < 0 || t >= labels.dim(1)) throw Error(cat("track probe: position ", t, " outside labels of length ", labels.dim(1)));
  // Classes: the distinct non-negative label values, ascending.
  std::map<std::int32_t, int> cls;
  for (Index n = 0; n < N; ++n)
    for (Index t : positions)
      if (labels.at(n, t) >= 0) cls.emplace(labels.at(n, t), 0);
  if (cls.empty()) throw Error("track probe: no scored label at the chosen positions");
  int c = 0;
  for (auto& kv : cls) kv.second = c++;

  const auto X = features.mat(N * P, F);
  std::vector<int> y(static_cast<size_t>(N * P));
  std::vector<Index> seq(static_cast<size_t>(N * P));
  for (Index n = 0; n < N; ++n)
    for (Index p = 0; p < P; ++p) {
      const std::int32_t v = labels.at(n, positions[size_t(p)]);
      y[size_t(n * P + p)] = v >= 0 ? cls[v] : -1;
      seq[size_t(n * P + p)] = n;
    }
  const RidgeResult fit = ridge_classify(X, y, c, seq, opt);

  // Majority label per position among the training-and-validation rows (everything not tested).
  std::vector<char> is_test(size_t(N * P), 0);
  for (Index r : fit.test_rows) is_test[size_t(r)] = 1;
  std::vector<std::vector<Index>> freq(size_t(P), std::vector<Index>(size_t(c), 0));
  for (Index r = 0; r < N * P; ++r)
    if (!is_test[size_t(r)] && y[size_t(r)] >= 0) ++freq[size_t(r % P)][size_t(y[size_t(r)])];
  std::vector<int> majority(static_cast<size_t>(P));
  for (Index p = 0; p < P; ++p)
    majority[size_t(p)] = int(std::max_element(freq[size_t(p)].begin(), freq[size_t(p)].end()) - freq[size_t(p)].begin());

  TrackResult res;
  res.num_classes = c;
  res.lambda = fit.lambda.at(0);
  res.overall = fit.test_accuracy;
  std::vector<Index> right(size_t(P), 0), base(size_t(P), 0), total(size_t(P), 0);
  for (size_t i = 0; i < fit.test_rows.size(); ++i) {
    const Index p = fit.test_rows[i] % P;
    ++total[size_t(p)];
    right[size_t(p)] += fit.test_class[i] == fit.test_label[i];
    base[size_t(p)] += majority[size_t(p)] == fit.test_label[i];
  }
  for (Index p = 0; p < P; ++p) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    res.accuracy.push_back(total[size_t(p)] ? double(right[size_t(p)]) / double(total[size_t(p)]) : nan);
    res.chance.push_back(total[size_t(p)] ? double(base[size_t(p)]) / double(total[size_t(p)]) : nan);
  }
  return res;
}

template TrackResult track_probe<float>(const Tensor<float>&, const std::vector<Index>&, const Tensor<std::int32_t>&,
                                        const RidgeOptions&);
template TrackResult track_probe<double>(const Tensor<double>&, const std::vector<Index>&, const Tensor<std::int32_t>&,
                                         const RidgeOptions&);

}  // namespace xssm::probe

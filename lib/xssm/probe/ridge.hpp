// Closed-form ridge regression read-outs for probes, with λ chosen on held-out SEQUENCES.
//
// Rows of the feature matrix X (n,F) are samples; each row belongs to a sequence (seq_of_row).
// Sequences (never positions) are split by a seeded shuffle into train / valid / test, so a
// read-out is never scored on positions of a sequence it was fitted on. Features are
// standardised with the training rows' mean and standard deviation (constant features are
// dropped), targets centred with the training mean, and
//     W(λ) = (XᵀX + λ·n_train·I)⁻¹ XᵀY                     (primal, F ≤ n_train)
//          = Xᵀ (XXᵀ + λ·n_train·I)⁻¹ Y                     (dual,   F > n_train)
// Both are computed from one symmetric eigendecomposition (of XᵀX or XXᵀ), so the whole λ grid
// costs one factorisation: predictions are A·diag(1/(s+λ'))·B for fixed A, B. λ is chosen per
// target column (regression: largest validation r²) or jointly (classification: validation
// accuracy); the chosen read-out (fitted on the training rows) is then scored on the test rows
// only. No randomness except the seeded split; no threading inside, so results do not depend on
// the thread count.
#pragma once
#include <cstdint>
#include <vector>

#include "xssm/core/tensor.hpp"

namespace xssm::probe {

struct RidgeOptions {
  /// λ grid, relative to the (standardised) per-sample Gram matrix: λ' = λ·n_train.
  std::vector<double> lambdas = {1e-8, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0};
  double valid_fraction = 0.2;  // of the sequences, for choosing λ
  double test_fraction = 0.2;   // of the sequences, for the reported scores
  std::uint64_t seed = 0;       // the split
  bool standardize = true;
};

/// Role of every sequence: 0 train, 1 valid, 2 test (seeded shuffle; each role gets ≥ 1
/// sequence when there are ≥ 3). Throws xssm::Error for fewer than 3 sequences.
std::vector<std::int8_t> split_sequences(Index num_sequences, const RidgeOptions& opt);

struct RidgeResult {
  std::vector<Index> test_rows;   // rows of X scored (in row order)
  MatR<double> test_pred;         // (n_test, K) read-outs on the test rows (target units)
  MatR<double> test_target;       // (n_test, K) targets on the test rows
  std::vector<double> lambda;     // chosen λ per target column (classification: one value)
  std::vector<double> test_r2;    // regression: squared correlation per column on test rows
  std::vector<int> test_class;    // classification: predicted class index per test row
  std::vector<int> test_label;    // classification: true class index per test row
  double test_accuracy = 0;       // classification: fraction of test rows right
  Index num_features_used = 0;    // features left after dropping constant ones
};

/// Real targets Y (n,K): one read-out per column; scores = squared correlation on test rows.
/// (X: any Eigen row-major float or double matrix or map; no copy is made of it.)
template <class T>
RidgeResult ridge_regress_ref(const Eigen::Ref<const MatR<T>>& X, const MatR<double>& Y, const std::vector<Index>& seq_of_row,
                          const RidgeOptions& opt);

/// Class labels (n) in [0, num_classes) (negative = row not used): ridge on one-hot targets,
/// prediction = argmax of the read-outs; score = accuracy on test rows.
template <class T>
RidgeResult ridge_classify_ref(const Eigen::Ref<const MatR<T>>& X, const std::vector<int>& labels, int num_classes,
                           const std::vector<Index>& seq_of_row, const RidgeOptions& opt);

template <class Derived>
RidgeResult ridge_regress(const Eigen::MatrixBase<Derived>& X, const MatR<double>& Y,
                          const std::vector<Index>& seq_of_row, const RidgeOptions& opt) {
  return ridge_regress_ref<typename Derived::Scalar>(X.derived(), Y, seq_of_row, opt);
}
template <class Derived>
RidgeResult ridge_classify(const Eigen::MatrixBase<Derived>& X, const std::vector<int>& labels, int num_classes,
                           const std::vector<Index>& seq_of_row, const RidgeOptions& opt) {
  return ridge_classify_ref<typename Derived::Scalar>(X.derived(), labels, num_classes, seq_of_row, opt);
}

/// Squared Pearson correlation of two vectors (0 when either is constant).
double squared_correlation(const Eigen::Ref<const VecX<double>>& a, const Eigen::Ref<const VecX<double>>& b);

}  // namespace xssm::probe

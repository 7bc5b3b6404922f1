// Shape checks shared by the mLSTM forms.
#include "xssm/seq/mlstm.hpp"

namespace xssm::seq {

template <class T>
MlstmDims mlstm_dims(const Tensor<T>& q, const Tensor<T>& k, const Tensor<T>& v, const Tensor<T>& igate,
                     const Tensor<T>& fgate, const NoDeduce<MlstmState<T>>* state) {
  if (q.rank() != 4) throw Error(cat("mlstm: q has shape ", shape_str(q.shape()), ", expected (B,NH,S,DH)"));
  MlstmDims d{q.dim(0), q.dim(1), q.dim(2), q.dim(3)};
  expect_shape(k, q.shape(), "mlstm: k");
  expect_shape(v, q.shape(), "mlstm: v");
  const Index nbs = d.B * d.NH * d.S;
  auto gate_ok = [&](const Tensor<T>& g) {
    return g.size() == nbs && g.rank() >= 3 && g.dim(0) == d.B && g.dim(1) == d.NH && g.dim(2) == d.S;
  };
  if (!gate_ok(igate) || !gate_ok(fgate))
    throw Error(cat("mlstm: gate pre-activations have shapes ", shape_str(igate.shape()), " and ",
                    shape_str(fgate.shape()), ", expected (B,NH,S) or (B,NH,S,1) with (B,NH,S) = (", d.B, ",",
                    d.NH, ",", d.S, ")"));
  if (state) {
    expect_shape(state->C, {d.B, d.NH, d.DH, d.DH}, "mlstm: state C");
    if (state->n.size() != d.B * d.NH * d.DH)
      throw Error(cat("mlstm: state n has shape ", shape_str(state->n.shape()), ", expected (", d.B, ",", d.NH,
                      ",", d.DH, ")"));
    if (state->m.size() != d.B * d.NH)
      throw Error(cat("mlstm: state m has shape ", shape_str(state->m.shape()), ", expected (", d.B, ",", d.NH,
                      ")"));
  }
  return d;
}

template MlstmDims mlstm_dims(const Tensor<float>&, const Tensor<float>&, const Tensor<float>&, const Tensor<float>&,
                              const Tensor<float>&, const MlstmState<float>*);
template MlstmDims mlstm_dims(const Tensor<double>&, const Tensor<double>&, const Tensor<double>&,
                              const Tensor<double>&, const Tensor<double>&, const MlstmState<double>*);

}  // namespace xssm::seq

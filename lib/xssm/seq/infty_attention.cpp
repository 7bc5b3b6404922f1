// ∞-former long-term-memory attention mixer (see infty.hpp, docs/maths/infty.md).
#include <algorithm>
#include <cmath>

#include "xssm/core/parallel.hpp"
#include "xssm/nn/activations.hpp"
#include "xssm/seq/attention.hpp"
#include "xssm/seq/infty.hpp"

namespace xssm::seq {
namespace {

// x[:, pos:pos+len, :] of a (B,S,D) tensor.
template <class T>
Tensor<T> slice_time(const Tensor<T>& x, Index pos, Index len) {
  const Index B = x.dim(0), D = x.dim(2);
  Tensor<T> y({B, len, D});
  for (Index b = 0; b < B; ++b) std::copy(x.ptr(b, pos), x.ptr(b, pos) + len * D, y.ptr(b));
  return y;
}
template <class T>
void put_time(Tensor<T>& x, const Tensor<T>& part, Index pos) {
  const Index B = x.dim(0), len = part.dim(1), D = x.dim(2);
  for (Index b = 0; b < B; ++b) std::copy(part.ptr(b), part.ptr(b) + len * D, x.ptr(b, pos));
}

// Everything the attention over one memory computes, kept for the backward.
template <class T>
struct LtmFwd {
  Tensor<T> q, k, v;     // (B,NH,L,DH), (B,NH,N,DH) ×2
  Tensor<T> s;           // scores (B,NH,L,N)
  Tensor<T> a_mu, a_sig; // pre-activations (B,NH,L)
  Tensor<T> mu, sig;     // μ, σ² (B,NH,L)
  Tensor<T> r;           // E_p[ψ] (B,NH,L,N)
  Tensor<T> ctx;         // (B,L,NH·DH)
};

}  // namespace

template <class T>
InftyMemoryAttention<T>::InftyMemoryAttention(Index dim, Index num_heads, InftyConfig cfg)
    : proj_query(dim, dim, false), proj_key(dim, dim, false), proj_value(dim, dim, false), attn_out(dim, dim, false),
      mu(cfg.num_basis, 1, false), sigma(cfg.num_basis, 1, false), dim_(dim), nh_(num_heads), cfg_(std::move(cfg)),
      basis_(infty::Basis::gaussian(cfg_.num_basis, cfg_.basis_widths)) {
  if (dim <= 0 || num_heads <= 0 || dim % num_heads != 0)
    throw UsageError(cat("infty: dim ", dim, " must be a positive multiple of num_heads ", num_heads));
  if (cfg_.segment_len <= 0) throw UsageError(cat("infty: segment_len must be positive, got ", cfg_.segment_len));
  if (cfg_.num_samples <= 0) throw UsageError(cat("infty: num_samples must be positive, got ", cfg_.num_samples));
  if (cfg_.sticky_bins <= 0) throw UsageError(cat("infty: sticky_bins must be positive, got ", cfg_.sticky_bins));
  if (!(cfg_.tau > 0 && cfg_.tau < 1)) throw UsageError(cat("infty: tau must be in (0,1), got ", cfg_.tau));
}

template <class T>
void InftyMemoryAttention<T>::collect(const std::string& prefix, nn::ParamList<T>& out) {
  proj_query.collect(nn::join(prefix, "proj_query"), out);
  proj_key.collect(nn::join(prefix, "proj_key"), out);
  proj_value.collect(nn::join(prefix, "proj_value"), out);
  attn_out.collect(nn::join(prefix, "attn_out"), out);
  mu.collect(nn::join(prefix, "mu"), out);
  sigma.collect(nn::join(prefix, "sigma"), out);
}

template <class T>
void InftyMemoryAttention<T>::init(Rng& rng, Index num_blocks, Index /*block_index*/) {
  for (auto* l : {&proj_query, &proj_key, &proj_value, &attn_out, &mu, &sigma}) l->init_torch_default(rng);
  attn_out.weight.value.vec() *= T(1.0 / std::sqrt(2.0 * double(std::max<Index>(1, num_blocks))));
}

template <class T>
NamedTensors<T> InftyMemoryAttention<T>::initial_state(Index batch) const {
  NamedTensors<T> s;
  s.set("coef", Tensor<T>({batch, cfg_.num_basis, dim_}));
  s.set("filled", Tensor<T>({batch}));
  s.set("buffer", Tensor<T>({batch, 0, dim_}));
  s.set("density", Tensor<T>({batch, cfg_.sticky_bins}));
  return s;
}

// Forward of the LTM attention for queries x (B,L,D) over memory coefficients coef (B,N,D).
template <class T>
static void ltm_forward(const InftyMemoryAttention<T>& m, const Tensor<T>& x, const Tensor<T>& coef, LtmFwd<T>& f) {
  const Index B = x.dim(0), L = x.dim(1), NH = m.num_heads(), DH = m.dim() / NH, N = m.basis().size();
  const double sc = 1.0 / std::sqrt(double(DH));
  f.q = split_heads(m.proj_query.forward(x), NH);
  f.k = split_heads(m.proj_key.forward(coef), NH);  // K = B W_Kᵀ
  f.v = split_heads(m.proj_value.forward(coef), NH);
  f.s.resize({B, NH, L, N});
  f.r.resize({B, NH, L, N});
  for (auto* t : {&f.a_mu, &f.a_sig, &f.mu, &f.sig}) t->resize({B, NH, L});
  Tensor<T> z({B, NH, L, DH});
  const auto wmu = m.mu.weight.value.vec(), wsig = m.sigma.weight.value.vec();
  parallel_for(B * NH, [&](Index bh) {
    const Index b = bh / NH, h = bh % NH;
    MatMap<T> S(f.s.ptr(b, h), L, N), R(f.r.ptr(b, h), L, N);
    S.noalias() = (CMatMap<T>(f.q.ptr(b, h), L, DH) * CMatMap<T>(f.k.ptr(b, h), N, DH).transpose()) * T(sc);
    std::vector<double> r(static_cast<size_t>(N));
    for (Index t = 0; t < L; ++t) {
      // μ = sigmoid(w_μᵀ s), σ² = max(softplus(w_σᵀ s), σ²_min)  (paper eq. 9)
      const T am = S.row(t).dot(wmu.transpose()), as = S.row(t).dot(wsig.transpose());
      f.a_mu.at(b, h, t) = am;
      f.a_sig.at(b, h, t) = as;
      const double mu_t = nn::sigmoid(double(am));
      const double sig_t = std::max(nn::softplus(double(as)), m.config().min_sigma_sq);
      f.mu.at(b, h, t) = T(mu_t);
      f.sig.at(b, h, t) = T(sig_t);
      infty::gaussian_expectation(m.basis(), mu_t, sig_t, m.config().unit_interval, r.data());
      for (Index j = 0; j < N; ++j) R(t, j) = T(r[size_t(j)]);
    }
    // z = Vᵀ r: the expectation of the value signal under N(μ, σ²)  (paper eq. 10)
    MatMap<T>(z.ptr(b, h), L, DH).noalias() = R * CMatMap<T>(f.v.ptr(b, h), N, DH);
  });
  f.ctx = merge_heads(z);
}

template <class T>
Tensor<T> InftyMemoryAttention<T>::run(const Tensor<T>& x, NamedTensors<T>& state, bool keep) {
  if (x.rank() != 3 || x.dim(2) != dim_)
    throw Error(cat("infty: x has shape ", shape_str(x.shape()), ", expected (B,S,", dim_, ")"));
  const Index B = x.dim(0), S = x.dim(1), N = cfg_.num_basis, K = cfg_.sticky_bins;
  Tensor<T>& coef = state["coef"];
  Tensor<T>& filled = state["filled"];
  Tensor<T>& buffer = state["buffer"];
  Tensor<T>& density = state["density"];
  expect_shape(coef, {B, N, dim_}, "infty state coef");
  expect_shape(filled, {B}, "infty state filled");
  expect_shape(density, {B, K}, "infty state density");
  if (buffer.rank() != 3 || buffer.dim(0) != B || buffer.dim(2) != dim_ || buffer.dim(1) >= cfg_.segment_len)
    throw Error(cat("infty state buffer has shape ", shape_str(buffer.shape()), ", expected (", B, ",t<",
                    cfg_.segment_len, ",", dim_, ")"));
  Tensor<T> y({B, S, dim_});
  if (keep) {
    x_ = x;
    chunks_.clear();
    mu_.resize({B, nh_, S});
    sig_.resize({B, nh_, S});
  }
  Index pos = 0;
  while (pos < S) {
    const Index have = buffer.dim(1), len = std::min(S - pos, cfg_.segment_len - have);
    const Tensor<T> xc = slice_time(x, pos, len);
    LtmFwd<T> f;
    ltm_forward(*this, xc, coef, f);
    put_time(y, attn_out.forward(f.ctx), pos);
    for (Index b = 0; b < B; ++b) {
      std::vector<double> hist(static_cast<size_t>(K));
      for (Index h = 0; h < nh_; ++h)
        for (Index t = 0; t < len; ++t) {
          infty::accumulate_density(double(f.mu.at(b, h, t)), double(f.sig.at(b, h, t)), hist);
          if (keep) mu_.at(b, h, pos + t) = f.mu.at(b, h, t), sig_.at(b, h, pos + t) = f.sig.at(b, h, t);
        }
      for (Index k = 0; k < K; ++k) density.at(b, k) += T(hist[size_t(k)]);
    }
    if (keep) chunks_.push_back({pos, len, coef});
    // Append the chunk to the segment buffer; a full segment goes into the memory (detached).
    Tensor<T> grown({B, have + len, dim_});
    for (Index b = 0; b < B; ++b) {
      std::copy(buffer.ptr(b), buffer.ptr(b) + have * dim_, grown.ptr(b));
      std::copy(xc.ptr(b), xc.ptr(b) + len * dim_, grown.ptr(b, have));
    }
    buffer = std::move(grown);
    if (buffer.dim(1) == cfg_.segment_len) {
      for (Index b = 0; b < B; ++b) {
        const MatR<double> X = CMatMap<T>(buffer.ptr(b), cfg_.segment_len, dim_).template cast<double>();
        const MatR<double> old = CMatMap<T>(coef.ptr(b), N, dim_).template cast<double>();
        std::vector<double> hist(static_cast<size_t>(K));
        for (Index k = 0; k < K; ++k) hist[size_t(k)] = double(density.at(b, k));
        const auto points = cfg_.sticky ? infty::sticky_points(hist, cfg_.num_samples) : infty::uniform_points(cfg_.num_samples);
        const MatR<double> nc =
            infty::update_memory(basis_, filled[b] != T(0) ? &old : nullptr, points, X, cfg_.tau, cfg_.ridge);
        MatMap<T>(coef.ptr(b), N, dim_) = nc.template cast<T>();
        filled[b] = T(1);
      }
      buffer = Tensor<T>({B, 0, dim_});
      density.zero();
    }
    pos += len;
  }
  return y;
}

template <class T>
Tensor<T> InftyMemoryAttention<T>::forward(const Tensor<T>& x) {
  if (x.rank() != 3) throw Error(cat("infty: x has shape ", shape_str(x.shape()), ", expected (B,S,", dim_, ")"));
  NamedTensors<T> st = initial_state(x.dim(0));
  return run(x, st, true);
}

template <class T>
Tensor<T> InftyMemoryAttention<T>::forward_from(const Tensor<T>& x, NamedTensors<T>& state) {
  return run(x, state, true);
}

template <class T>
Tensor<T> InftyMemoryAttention<T>::step(const Tensor<T>& x_t, NamedTensors<T>& state) {
  if (x_t.rank() != 2 || x_t.dim(1) != dim_)
    throw Error(cat("infty step: x_t has shape ", shape_str(x_t.shape()), ", expected (B,", dim_, ")"));
  const Index B = x_t.dim(0);
  return run(x_t.reshaped({B, 1, dim_}), state, false).reshaped({B, dim_});
}

template <class T>
Tensor<T> InftyMemoryAttention<T>::backward(const Tensor<T>& dy) {
  if (x_.empty() && dy.size() != 0) throw Error("infty: backward called before forward");
  expect_shape(dy, x_.shape(), "infty: dy");
  const Index B = x_.dim(0), NH = nh_, DH = dim_ / nh_, N = cfg_.num_basis;
  const double sc = 1.0 / std::sqrt(double(DH));
  Tensor<T> dx(x_.shape());
  for (const Chunk& c : chunks_) {
    const Index L = c.len;
    const Tensor<T> xc = slice_time(x_, c.start, L);
    LtmFwd<T> f;
    ltm_forward(*this, xc, c.coef, f);
    const Tensor<T> dz = split_heads(attn_out.backward(f.ctx, slice_time(dy, c.start, L)), NH);
    Tensor<T> dq(f.q.shape()), dk(f.k.shape()), dv(f.v.shape());
    const auto wmu = mu.weight.value.vec(), wsig = sigma.weight.value.vec();
    // w_μ, w_σ gradients per (b,h), reduced in a fixed order afterwards.
    Tensor<T> dwmu({B * NH, N}), dwsig({B * NH, N});
    parallel_for(B * NH, [&](Index bh) {
      const Index b = bh / NH, h = bh % NH;
      CMatMap<T> S(f.s.ptr(b, h), L, N), R(f.r.ptr(b, h), L, N), dZ(dz.ptr(b, h), L, DH);
      CMatMap<T> V(f.v.ptr(b, h), N, DH), Q(f.q.ptr(b, h), L, DH), Kh(f.k.ptr(b, h), N, DH);
      MatMap<T>(dv.ptr(b, h), N, DH).noalias() = R.transpose() * dZ;  // dV = rᵀ dz
      const MatR<T> dR = dZ * V.transpose();                              // dr = dz Vᵀ
      MatR<T> dS(L, N);
      std::vector<double> r(static_cast<size_t>(N)), rm(static_cast<size_t>(N)), rs(static_cast<size_t>(N));
      for (Index t = 0; t < L; ++t) {
        const double mu_t = double(f.mu.at(b, h, t)), sig_t = double(f.sig.at(b, h, t));
        infty::gaussian_expectation(basis_, mu_t, sig_t, cfg_.unit_interval, r.data(), rm.data(), rs.data());
        double dmu = 0, dsig = 0;
        for (Index j = 0; j < N; ++j) dmu += double(dR(t, j)) * rm[size_t(j)], dsig += double(dR(t, j)) * rs[size_t(j)];
        const double as = double(f.a_sig.at(b, h, t));
        const double da_mu = dmu * mu_t * (1 - mu_t);
        // The clamp max(softplus, σ²_min) passes no gradient when it binds.
        const double da_sig = nn::softplus(as) >= cfg_.min_sigma_sq ? dsig * nn::softplus_grad(as) : 0.0;
        dS.row(t) = wmu.transpose() * T(da_mu) + wsig.transpose() * T(da_sig);
        VecMap<T>(dwmu.ptr(bh), N) += S.row(t).transpose() * T(da_mu);
        VecMap<T>(dwsig.ptr(bh), N) += S.row(t).transpose() * T(da_sig);
      }
      MatMap<T>(dq.ptr(b, h), L, DH).noalias() = (dS * Kh) * T(sc);
      MatMap<T>(dk.ptr(b, h), N, DH).noalias() = (dS.transpose() * Q) * T(sc);
    });
    for (Index bh = 0; bh < B * NH; ++bh) {
      mu.weight.grad.vec() += VecMap<T>(dwmu.ptr(bh), N);
      sigma.weight.grad.vec() += VecMap<T>(dwsig.ptr(bh), N);
    }
    proj_key.backward(c.coef, merge_heads(dk));
    proj_value.backward(c.coef, merge_heads(dv));
    put_time(dx, proj_query.backward(xc, merge_heads(dq)), c.start);
  }
  return dx;
}

template class InftyMemoryAttention<float>;
template class InftyMemoryAttention<double>;

}  // namespace xssm::seq

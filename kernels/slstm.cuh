// CUDA forward of the sLSTM recurrence (official vanilla backend), same maths and layouts as
// lib/xssm/seq/slstm.hpp: x (B,S,4H) gate-major [i f z o], R (NH,4DH,DH), b (4H),
// states (4,B,H) stacked (y,c,n,m). Reached only through seq::slstm_recurrent_fwd.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "common.cuh"

namespace xssm::cuda {

struct SlstmDims {
  int64_t batch = 0, length = 0, heads = 0, head_dim = 0;
};

/// Optional: state0 (nullptr = zeros), state_out, and the backward cache: states
/// (B,NH,S+1,4,DH) and pre (B,NH,S,4,DH) as seq::SlstmCache. first_branch (S) is an input
/// (device) in the device-pointer entry; zero_n (B·NH·S) receives "every n of the unit is 0
/// after step t" for the batch-wide branch check.
template <class T>
struct SlstmPtrs {
  const T *x = nullptr, *R = nullptr, *b = nullptr, *state0 = nullptr;
  const char* first_branch = nullptr;
  T *y = nullptr, *state_out = nullptr, *states = nullptr, *pre = nullptr;
  char* zero_n = nullptr;
};

/// Largest head dimension handled (one thread per gate row: 4·DH threads per block).
constexpr int64_t kSlstmMaxHeadDim = 64;

/// Forward only (no backward kernel yet): true when 1 ≤ head_dim ≤ 64, heads ≥ 1, batch·heads
/// fits the grid, and R_h (4·DH·DH) plus 8·DH state/pre-activation values fit the current
/// device's opt-in shared memory per block (double with DH = 64 needs 132 KiB: sm_80+).
bool slstm_supports(const SlstmDims& d, bool is_double);

/// Device pointers; asynchronous on `stream`. Runs all units with the given first_branch.
void slstm_fwd(const SlstmPtrs<float>& p, const SlstmDims& d, cudaStream_t stream = 0);
void slstm_fwd(const SlstmPtrs<double>& p, const SlstmDims& d, cudaStream_t stream = 0);

/// Host pointers (synchronous): copies in, runs, resolves the batch-wide "all n = 0" branch
/// exactly as the CPU does (rerun from the first step guessed wrong), copies y, state_out and
/// the cache back, and writes the branch taken per step to first_branch (host, S entries).
/// Device outputs carry NaN guard zones checked after each run (CudaError on a stray write).
void slstm_fwd_host(const SlstmPtrs<float>& p, const SlstmDims& d, char* first_branch);
void slstm_fwd_host(const SlstmPtrs<double>& p, const SlstmDims& d, char* first_branch);

}  // namespace xssm::cuda

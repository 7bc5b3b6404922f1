# Compile flags shared by every target, through one INTERFACE target (no global CMAKE_CXX_FLAGS).
add_library(xssm_flags INTERFACE)
target_compile_features(xssm_flags INTERFACE cxx_std_17)
target_compile_options(xssm_flags INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter>
  # Eigen: keep its internal GEMM single-threaded; xssm parallelises itself over fixed work items
  # so results do not depend on the thread count.
)
target_compile_definitions(xssm_flags INTERFACE EIGEN_DONT_PARALLELIZE)
if(XSSM_SANITIZE)
  target_compile_options(xssm_flags INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=${XSSM_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer>)
  target_link_options(xssm_flags INTERFACE -fsanitize=${XSSM_SANITIZE})
endif()
# Off by default so that binaries run on any x86-64 (STYLE.md 8.9); ON compiles Eigen's kernels
# for this machine's vector units (AVX2/FMA where present), several times faster on the CPU.
option(XSSM_NATIVE "Optimise for the build machine's CPU (-march=native)" OFF)
if(XSSM_NATIVE)
  target_compile_options(xssm_flags INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-march=native>)
endif()

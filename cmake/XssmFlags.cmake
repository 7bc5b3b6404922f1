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

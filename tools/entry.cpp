// The main() of every xssm-<tool> executable; XSSM_TOOL_ENTRY names the tool's <tool>_main.
#include "xssm/core/allocator.hpp"

int XSSM_TOOL_ENTRY(int argc, char** argv);
int main(int argc, char** argv) {
  xssm::keep_freed_memory();  // activations are re-allocated every step: keep them in the heap
  return XSSM_TOOL_ENTRY(argc, argv);
}

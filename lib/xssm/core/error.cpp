#include "xssm/core/error.hpp"

#include <exception>

namespace xssm {

void rethrow_with_context(const std::string& context) {
  try {
    throw;
  } catch (const UsageError& e) {
    throw UsageError(context + ": " + e.what());
  } catch (const Error& e) {
    throw Error(context + ": " + e.what());
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(context + ": " + e.what());
  }
}

}  // namespace xssm

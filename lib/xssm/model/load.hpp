// Building a model from an xssm checkpoint (checkpoint/1): the root attribute `model` holds the
// ModelConfig as JSON and /params/<name> the float32 parameters under their registry names.
#pragma once
#include <string>

#include "xssm/io/h5file.hpp"
#include "xssm/model/lm.hpp"

namespace xssm::model {

/// The ModelConfig stored in a checkpoint (checks xssm_format == "checkpoint/1").
ModelConfig read_model_config(const io::H5File& f);

/// Rebuild the model and load every /params tensor; throws xssm::Error naming the file and the
/// dataset for a missing, extra or mis-shaped parameter.
template <class T>
LanguageModel<T> load_model(const io::H5File& f);

/// Write every parameter as float32 under /params/<name>.
template <class T>
void write_params(io::H5File& f, const nn::ParamList<T>& params);
/// Read /params into an existing parameter list (same names and shapes).
template <class T>
void read_params(const io::H5File& f, nn::ParamList<T>& params);

}  // namespace xssm::model

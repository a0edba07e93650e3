// `odma serve --predictor-state FILE`: what a server's predictor learnt, kept across restarts.
//
// The state is a model file (.odmp, model_file.h: versioned and checksummed) holding the online-
// updated weights and the current coverage; its provenance names the served model it learnt
// from ("served:NAME") and how many completions it has seen. On start an existing state replaces
// the --predictor spec's model (the spec's @Q still sets the coverage, @auto still steers it,
// starting from the saved coverage); a missing file starts from the spec. A corrupt file, or one
// learnt serving another model, is an odma::Error naming the file: never a silent reset.
// Saving writes a temporary file and renames it over the old one (base/file_io.h).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "predict/predictor.h"

namespace odma::predict {

// The spec's predictor, with its model replaced by the state at `state` when that file exists.
// Throws odma::Error for a spec without a model (none, oracle, noisy) and for a bad state.
std::unique_ptr<Predictor> restore_predictor(const PredictorSpec& spec,
                                             const std::filesystem::path& state,
                                             const std::string& served_model);

void save_predictor_state(const Predictor& predictor, const std::filesystem::path& state,
                          const std::string& served_model);

}  // namespace odma::predict

#include "predict/predictor_state.h"

#include "base/error.h"

namespace odma::predict {
namespace {

std::string served_tag(const std::string& served_model) {
  return "served:" + served_model;
}

}  // namespace

std::unique_ptr<Predictor> restore_predictor(const PredictorSpec& spec,
                                             const std::filesystem::path& state,
                                             const std::string& served_model) {
  if (spec.kind != PredictorSpec::Kind::kModel && spec.kind != PredictorSpec::Kind::kBundled) {
    throw Error("--predictor-state " + state.string() + " needs a model predictor (--predictor " +
                spec.to_string() + " learns nothing)");
  }
  // The spec's model file is read only when there is no state to replace it.
  if (!std::filesystem::exists(state)) return make_serving_predictor(spec);
  PredictorModel saved = load_model(state);  // a defect throws, naming the file
  if (saved.provenance.dataset != served_tag(served_model)) {
    throw Error("--predictor-state " + state.string() + " was learnt " +
                (saved.provenance.dataset.starts_with("served:")
                     ? "serving '" + saved.provenance.dataset.substr(7) + "'"
                     : "from '" + saved.provenance.dataset + "', not by a server") +
                ", not serving '" + served_model +
                "': its lengths are another model's (remove it, or give another file)");
  }
  auto restored = std::make_unique<Predictor>(std::move(saved));
  apply_coverage(*restored, spec);
  return restored;
}

void save_predictor_state(const Predictor& predictor, const std::filesystem::path& state,
                          const std::string& served_model) {
  PredictorModel m = predictor.model();
  m.provenance.dataset = served_tag(served_model);
  m.provenance.index_space = "served";
  m.provenance.command = "odma serve (" + std::to_string(predictor.observations()) +
                         " completions observed since the last start)";
  quantize_weights(m.model);  // what load_model will read back
  save_model(m, state);
}

}  // namespace odma::predict

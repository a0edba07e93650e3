// Internal: one loader per shipped dataset (dataset.cpp dispatches and caches).
#pragma once

#include "workload/dataset.h"

namespace odma::workload::detail {

// Shipped files (relative to data_dir(); a ".gz" twin is found automatically).
inline constexpr const char* kAlpacaJson = "alpaca/alpaca_data_en.json";
inline constexpr const char* kAlpacaLengths = "lengths/alpaca.tsv";
inline constexpr const char* kVicunaLengths[] = {"alpaca/seqsched_vicuna7b_lengths_train10k.json",
                                                 "alpaca/seqsched_vicuna7b_lengths_val10k.json"};
inline constexpr const char* kNqJsonl = "nq/nq_open_oracle_long_answers.jsonl";
inline constexpr const char* kNqLengths = "lengths/nq_oracle.tsv";

// Vicuna-7B generated at most 512 tokens; a few source values (513, 514) count past the cap.
inline constexpr std::int32_t kVicunaCap = 512;

Dataset load_alpaca();
Dataset load_alpaca_vicuna(const Dataset& alpaca);
Dataset load_nq();

}  // namespace odma::workload::detail

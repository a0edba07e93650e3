// Workloads built from the shipped data: request sources, mixtures, drift schedules and arrival
// processes. `odma trace`, `odma simulate` and `odma bench` all build their traces here, so one
// (--seed, flags) pair always means the same requests in the same order at the same times.
//
// Glossary:
//   source    a named request population: a dataset ("alpaca", "alpaca-vicuna", "nq") restricted
//             to a split, or a shipped production trace ("azure-conv", "azure-code", "arxiv",
//             "mooncake-conv") that carries its own token counts (and, for Azure and Mooncake,
//             arrival times; Mooncake also prefix blocks, workload/prefix_blocks.h)
//   mixture   count requests drawn from several sources with weights w_i: exactly
//             round-by-largest-remainder(count · w_i / Σw) from source i, interleaved at random
//   drift     count requests in phases: phase k (of P) holds count/P requests (the first
//             count mod P phases one more) from its source, phases in order
//   arrivals  offline (all at 0), Poisson at RATE req/s (i.i.d. exponential gaps, first at 0), or
//             the inter-arrival pattern of an Azure trace replayed in request order
//
// Determinism: every random choice comes from SplitMix64 (splitmix64) seeded with --seed (no
// std:: distributions, whose output differs across standard libraries).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/rng.h"
#include "workload/dataset.h"
#include "workload/trace.h"

namespace odma::workload {

enum class AzureKind : std::uint8_t { kConv, kCode };

// The Azure LLM inference trace of 2023-11-16 (Splitwise): prompt = ContextTokens, output =
// GeneratedTokens, arrival = TIMESTAMP − the first row's TIMESTAMP; ids "azure-conv-<row>".
Trace azure_trace(AzureKind kind);

// Vidur's arXiv-summarization lengths (LLaMA-2 tokens): prompt = num_prefill_tokens, output =
// num_decode_tokens, all arrivals 0; ids "arxiv-<row>".
Trace arxiv_trace();

// Mooncake's conversation trace (FAST 2025; one hour of Kimi's chat service, 12,031 requests):
// prompt = input_length, output = output_length, arrival = (timestamp − the first row's) ms in
// seconds, prefix_blocks = hash_ids with block_tokens = kMooncakeBlockTokens; ids
// "mooncake-conv-<row>". Smaller blocks for a small machine: scale_blocks.
constexpr std::int32_t kMooncakeBlockTokens = 512;
Trace mooncake_trace();

// The same from text; `source` names it in errors ("<source>:<line> (<column>): ...").
Trace parse_azure_trace(const std::string& text, const std::string& source, AzureKind kind);
Trace parse_arxiv_trace(const std::string& text, const std::string& source);
// Mooncake JSONL: {"timestamp", "input_length", "output_length", "hash_ids"} per line, with
// ceil(input_length / 512) hash_ids; errors read "<source>:<line>: ...".
Trace parse_mooncake_trace(const std::string& text, const std::string& source);

// Names accepted as a source: dataset_names() then "azure-conv", "azure-code", "arxiv",
// "mooncake-conv".
std::vector<std::string> source_names();

// A source's requests in source order. `split` (nullopt = all) filters datasets by record index
// and the production traces by row index with the same rule (split_of). Throws odma::Error.
Trace source_trace(const std::string& source, std::optional<Split> split);

struct MixComponent {
  std::string source;
  double weight = 1.0;  // > 0; weights are normalised
};

// Parses "alpaca:0.7,nq:0.3" (a bare name means weight 1). Throws odma::Error on bad syntax,
// unknown source, non-positive weight or a repeated source.
std::vector<MixComponent> parse_mixture(const std::string& spec);

// `count` requests mixed as described above. Within a source, records are drawn without
// replacement in a seeded random order; if a source runs out it starts a fresh shuffled pass and
// ids of the repeats get a "#<pass>" suffix so ids stay unique. Arrivals are all 0.
Trace make_mixture(const std::vector<MixComponent>& components, std::size_t count,
                   std::optional<Split> split, std::uint64_t seed);

// `count` requests in phases, one per source, in the given order (see glossary). Within a phase,
// records are drawn as in make_mixture. Arrivals are all 0; request order is the phase order.
// Request index where each of `phases` phases of a `count`-request drift starts.
std::vector<std::size_t> drift_phase_starts(std::size_t phases, std::size_t count);
Trace make_drift(const std::vector<std::string>& phases, std::size_t count,
                 std::optional<Split> split, std::uint64_t seed);

// Arrival processes. They assign arrival_s in the trace's current request order, so that order
// (a drift's phases, a mixture's interleaving) is kept.
void apply_offline_arrivals(Trace& trace);
// Gaps ~ Exp(rate): the first request arrives at 0, mean gap 1/rate. Throws if rate ≤ 0 / not
// finite.
void apply_poisson_arrivals(Trace& trace, double rate, std::uint64_t seed);
// Request i arrives at pattern's i-th arrival (pattern sorted, relative to its first arrival);
// past the pattern's end it wraps around, each pass shifted by (pattern span + its mean gap).
// Throws if `pattern` is empty.
void apply_trace_arrivals(Trace& trace, const Trace& pattern);

// "offline" | "poisson:RATE" | "azure-conv" | "azure-code": one of the above. Throws odma::Error.
void apply_arrival_spec(Trace& trace, const std::string& spec, std::uint64_t seed);

}  // namespace odma::workload

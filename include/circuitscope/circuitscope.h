#pragma once
// circuitscope's C++ API: read a run folder, run a snapshot of its model with an activation cache,
// and address the cache by TransformerLens hook names. Link circuitscope::circuitscope
// (find_package(circuitscope) once installed); examples/top_attention.cpp is a complete program.
//
//   cs::run::RunDir run("demo/2l");                 // reads nothing yet
//   const cs::Config& cfg = run.config().model;     // config.json (a cs::Error when absent)
//   cs::run::Snapshot snap = run.snapshot("last");  // or run.snapshot(int64_t step)
//   std::unique_ptr<cs::data::Tokenizer> tok = run.tokenizer();
//
//   std::vector<int32_t> ids = {tok->bos_id()};     // encode() adds no BOS; documents start with one
//   for (int32_t id : tok->encode("the cat sat. the cat")) ids.push_back(id);
//
//   // One sequence (batch 1) of up to n_ctx tokens; `true` keeps the logits [B, T, d_vocab].
//   cs::Activations<float> acts(cfg, 1, int64_t(ids.size()), true);
//   acts.set_tokens(ids.data());     // or set_windows([B, T + 1]) to get the per-token loss too
//   cs::forward(snap.params, acts);
//
//   cs::HookTensor<float> p = acts.hook("blocks.1.attn.hook_pattern");  // shape [B, H, T, T]
//   // acts.logits, acts.pattern[layer], acts.z[layer], acts.resid[layer] are the buffers
//   // themselves (row-major, shapes in model/activations.h); acts.hook_names() lists the hooks;
//   // acts.head_result(snap.params, layer) computes blocks.{layer}.attn.hook_result.
//
// Parameters: snap.params["blocks.0.attn.W_Q"] points at a tensor named and shaped as in a
// TransformerLens state dict (snap.params.layout.views() lists names, shapes and offsets).
// Interventions (ablations, frozen patterns, path order) are data passed as forward's third
// argument (model/interventions.h). Every failure a user can cause throws cs::Error, whose message
// names the file, field or value on one line.
//
// The analyses are functions of loaded weights (and the run's evaluation data) that return structs
// with to_json() (the schema of the file the command line writes):
//
//   cs::analysis::ModelCircuits circuits(snap.params);   // folded weights, OV/QK spectra, OV(l, h)
//   cs::analysis::HeadsReport h = cs::analysis::heads(snap, run, circuits);       // heads.json
//   cs::analysis::JointAblation a = cs::analysis::ablate_heads(snap.params, run, {{1, 6}});
//   cs::analysis::IclResult icl = cs::analysis::run_icl(run);  // icl.json, with the run's ICL settings
//   cs::pipeline::Analyses all = cs::pipeline::analyze(run, {});  // every analysis, files written
#include "analysis/ablation_report.h"
#include "analysis/circuit_sources.h"
#include "analysis/circuits_report.h"
#include "analysis/heads_report.h"
#include "analysis/model_circuits.h"
#include "analysis/paths_report.h"
#include "analysis/probes_report.h"
#include "analysis/run_inputs.h"
#include "core/error.h"
#include "core/gemm.h"  // cs::set_num_threads: threads for the forward pass and its GEMMs
#include "data/eval_set.h"
#include "data/tokenizer.h"
#include "model/activations.h"
#include "model/config.h"
#include "model/forward.h"
#include "model/interventions.h"
#include "model/params.h"
#include "run/run_config.h"
#include "run/run_dir.h"
#include "pipeline/analyze.h"
#include "run/snapshot.h"

// Run folders and snapshots of the public API over run/run_dir.h.
#include "api/impl.h"

#include <string>
#include <utility>

#include "core/error.h"

namespace circuitscope {

Run::Run(const std::string& folder) : impl_(std::make_shared<const Impl>(Impl{cs::run::RunDir(folder)})) {}

const std::string& Run::folder() const { return impl_->dir.root(); }
std::string Run::name() const { return impl_->dir.name(); }
ModelConfig Run::config() const { return public_config(impl_->dir.config().model); }
std::vector<int64_t> Run::snapshot_steps() const { return impl_->dir.snapshot_steps(); }

Snapshot Run::snapshot(const std::string& which) const { return snapshot(impl_->dir.resolve_step(which)); }

Snapshot Run::snapshot(int64_t step) const {
  return Snapshot(std::make_shared<const Snapshot::Impl>(Snapshot::Impl{impl_->dir.snapshot(step)}));
}

Model Run::model(const std::string& which) const { return Model(*this, snapshot(which)); }
Model Run::model(int64_t step) const { return Model(*this, snapshot(step)); }

int64_t Snapshot::step() const { return impl_->snap.info.step; }
int64_t Snapshot::tokens() const { return impl_->snap.info.tokens; }
const std::string& Snapshot::run_id() const { return impl_->snap.info.run_id; }

std::vector<std::string> Snapshot::weight_names() const {
  std::vector<std::string> names;
  for (const cs::ParamView& v : impl_->snap.params.layout.views()) names.push_back(v.name);
  return names;
}

Tensor Snapshot::weight(const std::string& name) const {
  const cs::Params<float>& p = impl_->snap.params;
  CS_CHECK(p.layout.has(name), "the model has no weight named '" << name << "'");
  const cs::ParamView& v = p.layout.view(name);
  const float* data = p.ptr(v.offset);
  return Tensor{v.shape, std::vector<float>(data, data + v.numel)};
}

}  // namespace circuitscope

#include "zengen/nn/module.hpp"

#include <set>
#include <sstream>

#include "zengen/autograd/grad_mode.hpp"

namespace zengen::nn {

struct ModuleBase::State {
  NamedTensors parameters;
  NamedTensors buffers;
  std::vector<std::pair<std::string, std::shared_ptr<ModuleBase>>> children;
  bool training = true;
};

ModuleBase::ModuleBase() : state_(std::make_shared<State>()) {}

namespace {
void check_name(const std::string& name, const char* what) {
  ZENGEN_CHECK(!name.empty() && name.find('.') == std::string::npos, ValueError, "register_", what,
               ": name '", name, "' must be non-empty and contain no '.'");
}
}  // namespace

Tensor ModuleBase::register_parameter(std::string name, Tensor value) {
  check_name(name, "parameter");
  ZENGEN_CHECK(value.defined(), ValueError, "register_parameter: '", name, "' is undefined");
  ZENGEN_CHECK(value.is_leaf(), ValueError, "register_parameter: '", name,
               "' is the result of an operation; register a leaf (detach() it first)");
  for (const auto& [n, t] : state_->parameters)
    ZENGEN_CHECK(n != name, ValueError, "register_parameter: '", name, "' is already registered");
  // The registry and the caller's member share this very handle, so moving
  // or loading parameters in place reaches both.
  value.requires_grad_(true);
  state_->parameters.emplace_back(std::move(name), value);
  return value;
}

Tensor ModuleBase::register_buffer(std::string name, Tensor value) {
  check_name(name, "buffer");
  ZENGEN_CHECK(value.defined() && value.is_leaf() && !value.requires_grad(), ValueError, "register_buffer: '",
               name, "' must be a defined tensor that does not require grad");
  for (const auto& [n, t] : state_->buffers)
    ZENGEN_CHECK(n != name, ValueError, "register_buffer: '", name, "' is already registered");
  state_->buffers.emplace_back(std::move(name), value);
  return state_->buffers.back().second;
}

void ModuleBase::add_child(std::string name, std::shared_ptr<ModuleBase> child) {
  check_name(name, "module");
  for (const auto& [n, c] : state_->children)
    ZENGEN_CHECK(n != name, ValueError, "register_module: '", name, "' is already registered");
  ZENGEN_CHECK(child && child->state_ != state_, ValueError, "register_module: '", name,
               "' is the module itself or null");
  state_->children.emplace_back(std::move(name), std::move(child));
}

namespace {
template <typename Own>
void collect(const ModuleBase& m, const std::string& prefix, bool recurse, NamedTensors& out, Own own) {
  for (const auto& [name, t] : own(m)) out.emplace_back(prefix + name, t);
  if (!recurse) return;
  for (const auto& [name, child] : m.named_children()) collect(*child, prefix + name + ".", true, out, own);
}
}  // namespace

NamedTensors ModuleBase::named_parameters(bool recurse) const {
  NamedTensors out;
  collect(*this, "", recurse, out, [](const ModuleBase& m) { return m.state_->parameters; });
  return out;
}

std::vector<Tensor> ModuleBase::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [name, t] : named_parameters(recurse)) out.push_back(t);
  return out;
}

NamedTensors ModuleBase::named_buffers(bool recurse) const {
  NamedTensors out;
  collect(*this, "", recurse, out, [](const ModuleBase& m) { return m.state_->buffers; });
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<ModuleBase>>> ModuleBase::named_children() const {
  return state_->children;
}

std::map<std::string, Tensor> ModuleBase::state_dict() const {
  std::map<std::string, Tensor> out;
  for (auto& [name, t] : named_parameters()) out.emplace(name, t.detach());
  for (auto& [name, t] : named_buffers()) out.emplace(name, t.detach());
  return out;
}

void ModuleBase::load_state_dict(const std::map<std::string, Tensor>& state, bool strict,
                                 bool allow_dtype_conversion) {
  NamedTensors own = named_parameters();
  for (auto& entry : named_buffers()) own.push_back(entry);
  std::set<std::string> used;
  std::vector<std::string> missing, unexpected;  // (strict) described, in order
  // Check everything before changing anything, so a failed load leaves the
  // module as it was.
  for (const auto& [name, t] : own) {
    auto it = state.find(name);
    if (it == state.end()) {
      if (strict) missing.push_back(detail::concat("'", name, "' (shape ", t.shape(), ")"));
      continue;
    }
    const Tensor& v = it->second;
    ZENGEN_CHECK(v.defined(), ValueError, "load_state_dict: entry '", name, "' is undefined");
    ZENGEN_CHECK(v.shape() == t.shape(), ShapeError, "load_state_dict: entry '", name, "' has shape ", v.shape(),
                 " but the module expects ", t.shape());
    ZENGEN_CHECK(v.dtype() == t.dtype() || allow_dtype_conversion, DTypeError, "load_state_dict: entry '", name,
                 "' has dtype ", v.dtype(), " but the module has ", t.dtype());
    used.insert(name);
  }
  if (strict) {
    for (const auto& [name, v] : state)
      if (!used.count(name)) unexpected.push_back("'" + name + "'");
    // Every missing and unexpected name (the first few of each) in one message.
    auto list = [](const std::vector<std::string>& names, const char* one, const char* many) {
      constexpr std::size_t kShown = 5;
      std::string s = names.size() == 1 ? one : detail::concat(names.size(), " ", many);
      for (std::size_t i = 0; i < names.size() && i < kShown; ++i) s += (i ? ", " : " ") + names[i];
      if (names.size() > kShown) s += detail::concat(" and ", names.size() - kShown, " more");
      return s;
    };
    std::string problems;
    if (!missing.empty()) problems = list(missing, "missing entry", "missing entries");
    if (!unexpected.empty())
      problems += (problems.empty() ? "" : "; ") + list(unexpected, "unexpected entry", "unexpected entries") +
                  " (no such parameter or buffer)";
    ZENGEN_CHECK(problems.empty(), ValueError, "load_state_dict: ", problems,
                 " (the module has ", own.size(), " parameters and buffers, the state ", state.size(),
                 " entries; strict = false loads the entries both have)");
  }
  NoGradGuard no_grad;
  for (const auto& [name, t] : own)
    if (used.count(name)) t.copy_(state.at(name));
}

void ModuleBase::train(bool on) {
  state_->training = on;
  for (auto& [name, child] : state_->children) child->train(on);
}

bool ModuleBase::is_training() const { return state_->training; }

void ModuleBase::to(Device device) {
  for (auto& [name, t] : named_parameters())
    if (t.device() != device) t.set_data(t.detach().to(device));
  for (auto& [name, t] : named_buffers())
    if (t.device() != device) t.set_data(t.detach().to(device));
}

void ModuleBase::to(DType dtype) {
  ZENGEN_CHECK(is_floating(dtype), DTypeError, "Module::to: expected a floating dtype, got ", dtype);
  for (auto& [name, t] : named_parameters())
    if (t.dtype() != dtype) t.set_data(t.detach().to(dtype));
  for (auto& [name, t] : named_buffers())
    if (is_floating(t.dtype()) && t.dtype() != dtype) t.set_data(t.detach().to(dtype));
}

void ModuleBase::zero_grad() {
  for (auto& t : parameters()) t.zero_grad();
}

std::int64_t ModuleBase::num_parameters() const {
  std::int64_t n = 0;
  for (auto& t : parameters()) n += t.numel();
  return n;
}

namespace {
void print_tree(std::ostringstream& os, const ModuleBase& m, int indent) {
  os << m.describe();
  const auto children = m.named_children();
  if (children.empty()) return;
  os << "(\n";
  for (const auto& [name, child] : children) {
    os << std::string(static_cast<std::size_t>(indent + 2), ' ') << "(" << name << "): ";
    print_tree(os, *child, indent + 2);
    os << "\n";
  }
  os << std::string(static_cast<std::size_t>(indent), ' ') << ")";
}
}  // namespace

std::string ModuleBase::str() const {
  std::ostringstream os;
  print_tree(os, *this, 0);
  return os.str();
}

}  // namespace zengen::nn

// Internal: destroying graph nodes without recursion. A chain of N ops holds
// N nested shared pointers; releasing them one by one from a work list keeps
// the stack flat however long the chain is.
#pragma once

#include <memory>

namespace zengen::autograd {
class Node;
namespace detail {
void defer_release(std::shared_ptr<Node> node);
}
}  // namespace zengen::autograd

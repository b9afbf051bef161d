#pragma once
// A std::vector whose data starts on a cache line. Large vectors come from mmap with a 16-byte
// header in front, so their rows straddle lines; kernels that write whole lines (streaming
// stores) need the lines and the rows to coincide.
#include <cstddef>
#include <new>
#include <vector>

namespace cs {

template <class T>
struct LineAllocator {
  using value_type = T;
  static constexpr std::align_val_t kLine{64};
  LineAllocator() = default;
  template <class U>
  LineAllocator(const LineAllocator<U>&) {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), kLine)); }
  void deallocate(T* p, std::size_t) { ::operator delete(p, kLine); }
  template <class U>
  bool operator==(const LineAllocator<U>&) const { return true; }
};

template <class T>
using LineVector = std::vector<T, LineAllocator<T>>;

}  // namespace cs

// The entries of a fixed table that are in use, as a dense list in no order:
// add and remove in O(1) (each entry keeps its place in `live_pos`), and loops
// visit only the entries in use, never the whole table. The table must not move
// its entries while they are listed.
#pragma once

#include <cstddef>
#include <vector>

namespace sbcmon::util {

template <typename T>
class LiveList {
 public:
  // Room for n entries up front: add() then never allocates.
  void reserve(std::size_t n) {
    items_.reserve(n);
    scratch_.reserve(n);
  }

  void add(T& x) {
    x.live_pos = static_cast<decltype(x.live_pos)>(items_.size());
    items_.push_back(&x);
  }

  // `x` must be listed: the last entry takes its place.
  void remove(T& x) {
    T* last = items_.back();
    items_[x.live_pos] = last;
    last->live_pos = x.live_pos;
    items_.pop_back();
  }

  std::size_t size() const { return items_.size(); }
  T* operator[](std::size_t i) const { return items_[i]; }
  typename std::vector<T*>::const_iterator begin() const { return items_.begin(); }
  typename std::vector<T*>::const_iterator end() const { return items_.end(); }

  // A copy of the list as it is now, to walk while what a loop calls adds or
  // removes entries (look at each one's state before using it).
  const std::vector<T*>& snapshot() {
    scratch_.assign(items_.begin(), items_.end());
    return scratch_;
  }

 private:
  std::vector<T*> items_;
  std::vector<T*> scratch_;
};

}  // namespace sbcmon::util

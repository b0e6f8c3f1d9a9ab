// Fixed-capacity ring: storage is a member array (no heap), iteration is oldest
// first. Two policies for a full ring, chosen per call: push() drops the oldest
// (the sample history), try_push() refuses. GrowingQueue: the same bound for the
// Engine.IO outbound queue, with storage that follows what is queued.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

namespace sbcmon::util {

template <typename T, std::size_t N>
class Ring {
  static_assert(N >= 1, "a ring needs room for one element");

 public:
  // Two contiguous runs that together hold the contents oldest first.
  struct Segments {
    const T* first;
    std::size_t first_len;
    const T* second;
    std::size_t second_len;
  };

  // Elements the ring can hold.
  static constexpr std::size_t capacity() { return N; }
  // Elements held, at most N.
  std::size_t size() const { return size_; }
  // True when nothing has been pushed since construction/clear().
  bool empty() const { return size_ == 0; }
  // True when the next push() drops the oldest element.
  bool full() const { return size_ == N; }
  // Forgets every element (storage stays; nothing is freed).
  void clear() { head_ = size_ = 0; }

  // Appends a copy; when full the oldest element is dropped (the stated policy).
  void push(const T& v) {
    std::size_t slot = (head_ + size_) % N;
    data_[slot] = v;
    if (size_ < N) {
      ++size_;
    } else {
      head_ = (head_ + 1) % N;
    }
  }

  // Appends by move when there is room; false (nothing changed) when full.
  bool try_push(T&& v) {
    if (size_ == N) return false;
    data_[(head_ + size_) % N] = std::move(v);
    ++size_;
    return true;
  }

  // Removes and returns the oldest element; the ring must not be empty. The
  // slot is reset to T{} so it holds no resources.
  T pop_front() {
    T out = std::move(data_[head_]);
    data_[head_] = T{};
    head_ = (head_ + 1) % N;
    --size_;
    return out;
  }

  // Empties the ring and resets every held slot to T{} (frees what they own).
  void reset() {
    while (size_ > 0) pop_front();
    head_ = 0;
  }

  // i-th element, 0 = oldest; i must be < size().
  const T& operator[](std::size_t i) const { return data_[(head_ + i) % N]; }
  // Newest element; the ring must not be empty.
  const T& back() const { return (*this)[size_ - 1]; }

  // The contents as two runs (oldest part first) for encoders that walk raw arrays.
  Segments segments() const {
    std::size_t first_len = (head_ + size_ <= N) ? size_ : N - head_;
    return {data_.data() + head_, first_len, data_.data(), size_ - first_len};
  }

  // Calls f(element) oldest first for elements whose t_ms > since_ms.
  template <typename F>
  void for_each_since(std::int64_t since_ms, F&& f) const {
    for (std::size_t i = 0; i < size_; ++i) {
      const T& e = (*this)[i];
      if (e.t_ms > since_ms) f(e);
    }
  }

  class const_iterator {
   public:
    const_iterator(const Ring* r, std::size_t i) : r_(r), i_(i) {}
    const T& operator*() const { return (*r_)[i_]; }
    const T* operator->() const { return &(*r_)[i_]; }
    const_iterator& operator++() { ++i_; return *this; }
    bool operator!=(const const_iterator& o) const { return i_ != o.i_; }
    bool operator==(const const_iterator& o) const { return i_ == o.i_; }

   private:
    const Ring* r_;
    std::size_t i_;
  };
  // Oldest first.
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size_}; }

 private:
  std::array<T, N> data_{};
  std::size_t head_ = 0;  // index of the oldest element
  std::size_t size_ = 0;
};

// A FIFO of at most N elements whose storage starts at `Initial` slots and
// doubles only while a reader falls behind; reset() gives grown storage back. A
// session's queue then costs a few slots, not N, and still never holds more
// than N (try_push refuses: the caller's slow-client policy applies).
template <typename T, std::size_t N, std::size_t Initial = 8>
class GrowingQueue {
  static_assert(N >= 1 && Initial >= 1, "a queue needs room for one element");

 public:
  // Elements the queue can ever hold.
  static constexpr std::size_t capacity() { return N; }
  // Elements held.
  std::size_t size() const { return size_; }
  // Slots allocated now (<= N).
  std::size_t allocated() const { return cap_; }

  // Appends by move; false (nothing changed) when N are held.
  bool try_push(T&& v) {
    if (size_ == N) return false;
    if (size_ == cap_) grow();
    data_[(head_ + size_) % cap_] = std::move(v);
    ++size_;
    return true;
  }

  // Removes and returns the oldest element; the queue must not be empty. The
  // slot is reset to T{} so it holds no resources.
  T pop_front() {
    T out = std::move(data_[head_]);
    data_[head_] = T{};
    head_ = (head_ + 1) % cap_;
    --size_;
    return out;
  }

  // Empties the queue (freeing what its elements own); storage beyond `Initial`
  // slots is given back.
  void reset() {
    while (size_ > 0) pop_front();
    head_ = 0;
    if (cap_ > std::min(Initial, N)) {
      data_.reset();
      cap_ = 0;
    }
  }

  // i-th element, 0 = oldest; i must be < size().
  const T& operator[](std::size_t i) const { return data_[(head_ + i) % cap_]; }

 private:
  void grow() {
    const std::size_t n = cap_ == 0 ? std::min(Initial, N) : std::min(N, 2 * cap_);
    auto bigger = std::make_unique<T[]>(n);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = std::move(data_[(head_ + i) % cap_]);
    data_ = std::move(bigger);
    cap_ = n;
    head_ = 0;
  }

  std::unique_ptr<T[]> data_;
  std::size_t cap_ = 0;
  std::size_t head_ = 0;  // index of the oldest element
  std::size_t size_ = 0;
};

}  // namespace sbcmon::util

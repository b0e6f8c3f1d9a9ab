// The sample history: the figures the history message replays (encode_history's
// columns) of the last N samples, in storage sized once at start-up for the cores
// the board has, so a 4-core board does not carry room for kMaxCpus in every sample.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>

#include "sampler/sample.h"

namespace sbcmon::sampler {

// What the history keeps of one Sample besides its per-core figures (same units).
struct HistoryPoint {
  std::int64_t t_ms = 0;
  std::uint64_t seq = 0;
  std::uint64_t mem_used = 0, swap_used = 0;  // bytes; meaningful when *_valid
  double net_rx[kMaxIfaces];                  // bytes/s, Sample::nnet entries used
  double net_tx[kMaxIfaces];
  float total_pct = kAbsent;
  float load1 = kAbsent;
  float temp_c[kMaxTemps];   // Sample::ntemp entries used
  float disk_rd[kMaxDisks];  // bytes/s, Sample::ndisk entries used
  float disk_wr[kMaxDisks];
  std::uint16_t ntemp = 0, nnet = 0, ndisk = 0;
  bool mem_valid = false, swap_valid = false;
};
static_assert(std::is_trivially_copyable_v<HistoryPoint>, "points are copied by value");
static_assert(sizeof(HistoryPoint) <= 208 + 8 * kMaxDisks,
              "HistoryPoint grew: update the cost stated in Kconfig's SBCMON_HISTORY_LEN help");

// A ring of HistoryPoints plus two floats per core each (busy %, MHz). Full: push drops
// the oldest. Oldest first for i = 0 .. size()-1.
class History {
 public:
  // Room for `capacity` samples (>= 1) of `ncpu` cores (capped at kMaxCpus). The storage
  // is allocated and written here, once: a full history costs the memory a fresh one does.
  History(std::size_t capacity, std::size_t ncpu);

  // Samples the history can hold.
  std::size_t capacity() const { return capacity_; }
  // Cores kept per sample.
  std::size_t ncpu() const { return ncpu_; }
  // Samples held, at most capacity().
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Bytes of storage held (points and per-core figures).
  std::size_t bytes() const {
    return capacity_ * (sizeof(HistoryPoint) + 2 * ncpu_ * sizeof(float));
  }

  // Keeps what the history replays of `s`; when full the oldest sample is dropped.
  // Cores beyond s.ncpu read as absent. Never allocates.
  void push(const Sample& s);

  // Marks absent, in every sample held, the interfaces with net[i] and the disks with
  // disk[i] set: their slots now belong to another name. Walks the ring only when a
  // flag is set (rare: a full table gave a slot away).
  void forget(const bool (&net)[kMaxIfaces], const bool (&disk)[kMaxDisks]);

  // The i-th sample, 0 = oldest; i < size().
  const HistoryPoint& point(std::size_t i) const { return points_[slot(i)]; }
  // Its per-core busy % (ncpu() entries; NaN offline, baseline or not in the sample).
  const float* cpu_pct(std::size_t i) const { return &cpu_[slot(i) * 2 * ncpu_]; }
  // Its per-core clock in MHz (ncpu() entries; NaN when unknown).
  const float* freq_mhz(std::size_t i) const { return &cpu_[slot(i) * 2 * ncpu_ + ncpu_]; }

 private:
  std::size_t slot(std::size_t i) const { return (head_ + i) % capacity_; }

  std::size_t capacity_;
  std::size_t ncpu_;
  std::size_t head_ = 0;  // slot of the oldest sample
  std::size_t size_ = 0;
  std::unique_ptr<HistoryPoint[]> points_;
  std::unique_ptr<float[]> cpu_;  // per slot: ncpu busy %, then ncpu MHz
};

}  // namespace sbcmon::sampler

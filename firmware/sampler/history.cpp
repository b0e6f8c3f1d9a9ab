// The sample history ring (see history.h).
#include "sampler/history.h"

#include <algorithm>
#include <cstring>

namespace sbcmon::sampler {

// push() copies these arrays whole: they must match the Sample's.
static_assert(sizeof(HistoryPoint::temp_c) == sizeof(Sample::temp_c) &&
                  sizeof(HistoryPoint::net_rx) == sizeof(Sample::net_rx) &&
                  sizeof(HistoryPoint::net_tx) == sizeof(Sample::net_tx) &&
                  sizeof(HistoryPoint::disk_rd) == sizeof(Sample::disk_rd) &&
                  sizeof(HistoryPoint::disk_wr) == sizeof(Sample::disk_wr),
              "history arrays differ from the sample's");

History::History(std::size_t capacity, std::size_t ncpu)
    : capacity_(std::max<std::size_t>(capacity, 1)),
      ncpu_(std::min(ncpu, kMaxCpus)),
      // make_unique value-initializes: every page is written now, not as the ring fills.
      points_(std::make_unique<HistoryPoint[]>(capacity_)),
      cpu_(std::make_unique<float[]>(capacity_ * 2 * ncpu_)) {}

void History::push(const Sample& s) {
  const std::size_t at = (head_ + size_) % capacity_;
  if (size_ < capacity_) {
    ++size_;
  } else {
    head_ = (head_ + 1) % capacity_;
  }
  HistoryPoint& p = points_[at];
  p.t_ms = s.t_ms;
  p.seq = s.seq;
  p.mem_valid = s.mem_valid;
  p.mem_used = s.mem_used;
  p.swap_valid = s.swap_valid;
  p.swap_used = s.swap_used;
  p.total_pct = s.total_pct;
  p.load1 = s.load[0];
  p.ntemp = static_cast<std::uint16_t>(std::min<std::size_t>(s.ntemp, kMaxTemps));
  p.nnet = static_cast<std::uint16_t>(std::min<std::size_t>(s.nnet, kMaxIfaces));
  p.ndisk = static_cast<std::uint16_t>(std::min<std::size_t>(s.ndisk, kMaxDisks));
  std::memcpy(p.temp_c, s.temp_c, sizeof p.temp_c);
  std::memcpy(p.net_rx, s.net_rx, sizeof p.net_rx);
  std::memcpy(p.net_tx, s.net_tx, sizeof p.net_tx);
  std::memcpy(p.disk_rd, s.disk_rd, sizeof p.disk_rd);
  std::memcpy(p.disk_wr, s.disk_wr, sizeof p.disk_wr);
  float* pct = &cpu_[at * 2 * ncpu_];
  float* mhz = pct + ncpu_;
  for (std::size_t c = 0; c < ncpu_; ++c) {
    const bool have = c < s.ncpu;
    pct[c] = have ? s.cpu_pct[c] : kAbsent;
    mhz[c] = have ? s.freq_mhz[c] : kAbsent;
  }
}

void History::forget(const bool (&net)[kMaxIfaces], const bool (&disk)[kMaxDisks]) {
  if (std::none_of(std::begin(net), std::end(net), [](bool b) { return b; }) &&
      std::none_of(std::begin(disk), std::end(disk), [](bool b) { return b; })) {
    return;
  }
  for (std::size_t i = 0; i < size_; ++i) {
    HistoryPoint& p = points_[slot(i)];
    for (std::size_t k = 0; k < kMaxIfaces; ++k) {
      if (net[k]) p.net_rx[k] = p.net_tx[k] = kAbsentD;
    }
    for (std::size_t k = 0; k < kMaxDisks; ++k) {
      if (disk[k]) p.disk_rd[k] = p.disk_wr[k] = kAbsent;
    }
  }
}

}  // namespace sbcmon::sampler

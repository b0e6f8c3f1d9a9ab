// Hand-written JSON encoders for the wire contract (board, sample, history, seed
// server_response). They append to `out` and do not allocate when it has capacity.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "sampler/procs.h"
#include "sampler/sample.h"
#include "util/ring.h"

namespace sbcmon::sampler {

using util::Ring;

// Appends the board message. period_ms is the run-time interval; capacity the ring length.
void encode_board(const BoardInfo& board, std::uint32_t period_ms, std::size_t capacity,
                  std::string& out);

// Appends one sample; NaN/absent figures are null, temp/throttled are null when absent.
void encode_sample(const Sample& s, const BoardInfo& board, std::string& out);

// Appends the columnar history of the samples with t_ms > since_ms, oldest first, given
// as two contiguous runs (a ring's segments). Allocates only through `out` growing.
void encode_history(const Sample* first, std::size_t first_len, const Sample* second,
                    std::size_t second_len, const BoardInfo& board, std::uint32_t period_ms,
                    std::size_t capacity, std::int64_t since_ms, std::string& out);

// Same, straight from a ring; capacity is the ring's.
template <std::size_t N>
void encode_history(const Ring<Sample, N>& ring, const BoardInfo& board, std::uint32_t period_ms,
                    std::int64_t since_ms, std::string& out) {
  auto seg = ring.segments();
  encode_history(seg.first, seg.first_len, seg.second, seg.second_len, board, period_ms, N,
                 since_ms, out);
}

// Appends {"t":..,"seen":..,"untracked":..,"cpu":[rows],"rss":[rows]}; a row is
// {"pid","name","state","cpu","rss","uid","user"}: cpu is null on a process's first
// scan, user null when the uid is not in passwd.
void encode_processes(const ProcTop& top, std::string& out);

// Appends the Flask-SocketIO tutorial payload {"data":["MM:SS",[per-core %]],"count":n}
// with the sample's local time; absent cores are null.
void encode_seed(const Sample& s, std::uint64_t count, std::string& out);

}  // namespace sbcmon::sampler

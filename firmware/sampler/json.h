// Hand-written JSON encoders for the wire contract (board, sample, history, seed
// server_response). They append to `out` and do not allocate when it has capacity.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "sampler/history.h"
#include "sampler/procs.h"
#include "sampler/sample.h"

namespace sbcmon::sampler {

// Appends the board message. period_ms is the run-time interval; capacity the ring length.
void encode_board(const BoardInfo& board, std::uint32_t period_ms, std::size_t capacity,
                  std::string& out);

// Appends one sample; NaN/absent figures are null, temp/throttled are null when absent.
void encode_sample(const Sample& s, const BoardInfo& board, std::string& out);

// Appends the columnar history of the samples with t_ms > since_ms, oldest first;
// "capacity" is the history's. Allocates only through `out` growing.
void encode_history(const History& history, const BoardInfo& board, std::uint32_t period_ms,
                    std::int64_t since_ms, std::string& out);

// Appends {"t":..,"seen":..,"untracked":..,"cpu":[rows],"rss":[rows]}; a row is
// {"pid","name","state","cpu","rss","uid","user"}: cpu is null on a process's first
// scan, user null when the uid is not in passwd.
void encode_processes(const ProcTop& top, std::string& out);

// Appends `v` as every encoder here writes a figure: "%.*f" with `decimals` (0..6),
// trailing zeros trimmed to one decimal ("16.0", "52.67"), null for NaN/inf, no "-0".
void encode_number(double v, int decimals, std::string& out);

// Appends the Flask-SocketIO tutorial payload {"data":["MM:SS",[per-core %]],"count":n}
// with the sample's local time; absent cores are null.
void encode_seed(const Sample& s, std::uint64_t count, std::string& out);

}  // namespace sbcmon::sampler

// Build-time configuration as typed constants: the one place C++ reads Kconfig.
// The generated sbcmon_autoconf.h lives in the build tree (see CMakeLists.txt).
#pragma once

#include <cstddef>
#include <cstdint>

#include "sbcmon_autoconf.h"

namespace sbcmon::config {

inline constexpr const char* kBoard = CONFIG_SBCMON_BOARD;
inline constexpr int kBoardCores = CONFIG_SBCMON_BOARD_CORES;
inline constexpr int kHttpPort = CONFIG_SBCMON_HTTP_PORT;
inline constexpr const char* kBindAddress = CONFIG_SBCMON_BIND_ADDRESS;
inline constexpr std::size_t kMaxSessions = CONFIG_SBCMON_MAX_SESSIONS;
inline constexpr std::size_t kSessionQueueMax = CONFIG_SBCMON_SESSION_QUEUE_MAX;
inline constexpr std::uint32_t kHandshakesPerSecond = CONFIG_SBCMON_HANDSHAKES_PER_S;
inline constexpr std::size_t kMaxHeaderBytes = CONFIG_SBCMON_MAX_HEADER_BYTES;
inline constexpr std::size_t kMemoryBudget = std::size_t{CONFIG_SBCMON_MEMORY_BUDGET_KB} * 1024;
inline constexpr std::size_t kMaxConnections = CONFIG_SBCMON_MAX_CONNECTIONS;
inline constexpr std::size_t kSessionsPerAddr = CONFIG_SBCMON_SESSIONS_PER_ADDR;
inline constexpr std::size_t kUnjoinedPerAddr = CONFIG_SBCMON_UNJOINED_PER_ADDR;
inline constexpr std::uint32_t kPingIntervalMs = CONFIG_SBCMON_EIO_PING_INTERVAL_MS;
inline constexpr std::uint32_t kPingTimeoutMs = CONFIG_SBCMON_EIO_PING_TIMEOUT_MS;
inline constexpr std::size_t kMaxPayload = CONFIG_SBCMON_EIO_MAX_PAYLOAD;
inline constexpr std::uint32_t kConnectTimeoutMs = CONFIG_SBCMON_SIO_CONNECT_TIMEOUT_MS;
inline constexpr std::uint32_t kSamplePeriodMs = CONFIG_SBCMON_SAMPLE_PERIOD_MS;
inline constexpr std::size_t kHistoryLen = CONFIG_SBCMON_HISTORY_LEN;
inline constexpr std::size_t kMaxCpus = CONFIG_SBCMON_MAX_CPUS;

#ifdef CONFIG_SBCMON_TLS
inline constexpr bool kTls = true;
#else
inline constexpr bool kTls = false;
#endif
#ifdef CONFIG_SBCMON_ACCESS_TOKEN
inline constexpr bool kAccessToken = true;
#else
inline constexpr bool kAccessToken = false;
#endif

// Ranges are enforced by scripts/kconfig.py; these restate the assumptions the
// code relies on, so a hand-edited header cannot slip past them.
static_assert(kHttpPort > 0 && kHttpPort < 65536, "port out of range");
static_assert(kMaxCpus >= 1 && kMaxCpus <= 256, "max CPUs out of range");
static_assert(kBoardCores <= static_cast<int>(kMaxCpus),
              "the board has more cores than CONFIG_SBCMON_MAX_CPUS can show");
static_assert(kSamplePeriodMs >= 100 && kSamplePeriodMs <= 60000, "sample period out of range");
static_assert(kHistoryLen >= 10, "history too short to draw");
static_assert(kMaxSessions >= 1, "need at least one session");
static_assert(kMaxHeaderBytes >= 1024 && kMaxHeaderBytes <= 65535, "lws keeps header sizes in 16 bits");
static_assert(kMemoryBudget >= 256 * 1024, "memory budget below 256 KiB");
static_assert(kMemoryBudget / 4 * 3 >= kMaxPayload, "the budget's inbound share must fit one maxPayload message");
static_assert(kMaxConnections >= 16, "too few connections to serve a page");
static_assert(kPingTimeoutMs >= 100 && kPingIntervalMs >= 100, "heartbeat too fast");

}  // namespace sbcmon::config

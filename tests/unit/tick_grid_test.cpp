// The sample tick's grid: on time it advances one period; late by less than a period it
// keeps the grid; after a stall it skips what was missed, never firing twice in a row.
#include "util/tick_grid.h"

#include <gtest/gtest.h>

using sbcmon::util::next_tick;

TEST(TickGrid, OnTimeAdvancesOnePeriod) {
  EXPECT_EQ(next_tick(1000, 1000, 200), 1200u);
  EXPECT_EQ(next_tick(1000, 1003, 200), 1200u) << "a tick served a little late keeps the grid";
  EXPECT_EQ(next_tick(1000, 1199, 200), 1200u);
}

TEST(TickGrid, AStallSkipsTheMissedTicksInsteadOfBursting) {
  // Served 450 ms late at 200 ms: 1200 and 1400 are gone; the next is 1600, not now + 1.
  EXPECT_EQ(next_tick(1000, 1450, 200), 1600u);
  EXPECT_EQ(next_tick(1000, 1200, 200), 1400u) << "exactly on a missed point: the one after";
  for (std::uint64_t now = 1000; now < 5000; now += 37) {
    const std::uint64_t n = next_tick(1000, now, 200);
    EXPECT_GT(n, now);
    EXPECT_LE(n - now, 200u) << "never more than a period away";
    EXPECT_EQ((n - 1000) % 200, 0u) << "always on the grid";
  }
}

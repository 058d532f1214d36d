// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* clock.c: kernel timestamps (CLOCK_BOOTTIME ns) -> wall time. */
#include <time.h>
#include "agent.h"

int64_t boot_to_wall;

uint64_t clock_ns(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return t.tv_sec * 1000000000ull + t.tv_nsec;
}

void sync_clocks(void)
{
	uint64_t b1 = clock_ns(CLOCK_BOOTTIME), w = clock_ns(CLOCK_REALTIME), b2 = clock_ns(CLOCK_BOOTTIME);

	boot_to_wall = (int64_t)w - (int64_t)(b1 + (b2 - b1) / 2);
}

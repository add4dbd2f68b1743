#include "lib/mtime.h"

#include <time.h>

#include "lib/banned.h"

double
mtime_now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

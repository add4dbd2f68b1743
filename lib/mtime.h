/*
 * mtime.h: monotonic time, for deadlines and for measuring how long
 * something took. Never goes back when the wall clock is set.
 */
#ifndef SLUICE_MTIME_H
#define SLUICE_MTIME_H

/* Seconds since an arbitrary fixed point (CLOCK_MONOTONIC). */
double mtime_now(void);

#endif

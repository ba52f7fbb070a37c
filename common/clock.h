/*
 * clock.h — the one monotonic clock every timer in core/ and tui/ reads.
 */
#ifndef TAGCON_CLOCK_H
#define TAGCON_CLOCK_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC (never jumps with the wall clock). */
int64_t clock_ms(void);
/* Seconds on the same clock, with sub-millisecond precision. */
double clock_s(void);

#endif

/*
 * draw.h — the random choices of the random-library tests (postings,
 * scores): splitmix64 from a seed the test sets (its SEED, or the
 * environment's), so that a failing round can be run again.
 */
#ifndef TAGCON_DRAW_H
#define TAGCON_DRAW_H

#include <stdbool.h>
#include <stdint.h>

static uint64_t rng_state;

/* Uniform enough in [0, n) for choosing among a few cases. */
static inline unsigned
rnd(unsigned n)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (unsigned)((z ^ (z >> 31)) % n);
}

static inline bool
chance(unsigned pct)
{
	return rnd(100) < pct;
}

#endif

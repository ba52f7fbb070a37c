/*
 * health.h — what the scheduler knows about one Space, and when to try it.
 *
 * States (DESIGN.md §5): probing (not yet answered), ready, waking (asleep
 * or starting: poll until it runs), queue-full (503: retry soon),
 * rate-limited (429: wait Retry-After), failing (server errors, timeouts,
 * malformed answers, dropped streams: exponential backoff with jitter, then
 * one request as a probe — "half-open"), auth-failed and unusable (stop
 * using it until the user acts), disabled (by the user).  "busy" is ready
 * with every slot in flight.
 *
 * Pure logic, no I/O: times are milliseconds on the caller's clock, and the
 * jitter comes from the caller's seed, so tests replay exactly.
 */
#ifndef TAGCON_HEALTH_H
#define TAGCON_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/space/spaceerr.h"

enum health_state {
	HEALTH_PROBING,
	HEALTH_READY,
	HEALTH_WAKING,
	HEALTH_QUEUE_FULL,
	HEALTH_RATE_LIMITED,
	HEALTH_FAILING,
	HEALTH_AUTH_FAILED,
	HEALTH_UNUSABLE,
	HEALTH_DISABLED,
};

/* Backoff bounds. */
#define HEALTH_BACKOFF_BASE_MS 1000
#define HEALTH_BACKOFF_MAX_MS 60000
/* The longest wait a Space may ask for (Retry-After, a GPU quota's "try
 * again in"), or backoff may reach, unless health.max_wait_ms says less or
 * more (the max_wait setting). */
#define HEALTH_MAX_WAIT_MS (3600 * 1000)
#define HEALTH_WAKE_POLL_MS 5000
#define HEALTH_QUEUE_FULL_MS 2000
#define HEALTH_RATE_LIMIT_MS 10000

/* Recent answers kept for the latency figures. */
#define HEALTH_LATENCIES 32
/*
 * Hedging (DESIGN.md §5, "the tail"): a request in flight for longer than
 * HEDGE_FACTOR times its Space's 95th percentile latency, and never less
 * than HEDGE_FLOOR_MS, is late enough to send to an idle Space as well.
 * A Space with fewer than LATENCY_MIN answers is judged by every Space's.
 */
#define HEALTH_HEDGE_FACTOR 3
#define HEALTH_HEDGE_FLOOR_MS 2000
#define HEALTH_LATENCY_MIN 4

struct health {
	enum health_state state;
	int limit;         /* requests in flight at most (space_inflight) */
	int in_flight;
	int failures;      /* consecutive */
	int64_t next_try;  /* earliest time to send again (0: now) */
	bool probe_out;    /* the one half-open request is in flight */
	uint64_t rng;      /* jitter state */
	int64_t max_wait_ms; /* every wait is capped here (HEALTH_MAX_WAIT_MS by default) */
	unsigned latencies[HEALTH_LATENCIES]; /* of recent answers, ms, a ring */
	unsigned n_latencies;                 /* ever noted */
};

void health_init(struct health *h, int limit, uint64_t seed);
/* Cap every wait at ms (0: HEALTH_MAX_WAIT_MS). */
void health_set_max_wait(struct health *h, int64_t ms);

/* Whether a request may start now. */
bool health_can_send(const struct health *h, int64_t now);
/* Whether the Space can ever take work again without the user. */
bool health_usable(const struct health *h);

/* A request starts / ends well / ends with err. */
void health_on_send(struct health *h, int64_t now);
void health_on_success(struct health *h, int64_t now);
void health_on_error(struct health *h, enum spaceerr_class cls, long long retry_after_ms,
    int64_t now);
/* A request the scheduler stopped itself (taken back, or abandoned for a
 * faster copy elsewhere): it says nothing about the Space. */
void health_on_cancel(struct health *h);
void health_set_disabled(struct health *h, bool disabled);

/*
 * Whether an image whose request failed with cls has spent one of its
 * attempts.  Refusals that never reached the model (queue full, rate limit,
 * asleep, unreachable, auth) cost nothing: the image goes to another Space.
 */
bool health_costs_attempt(enum spaceerr_class cls);

/* An answer came after ms. */
void health_note_latency(struct health *h, unsigned ms);
/* How many recent latencies there are, and a copy of them into v (room for
 * HEALTH_LATENCIES). */
unsigned health_latencies(const struct health *h, unsigned *v);
/* Quantile q (0 to 1, nearest rank) of n latencies (v gets sorted); -1
 * when n is 0. */
double health_quantile(unsigned *v, unsigned n, double q);
/*
 * How long a request to h may stay in flight before a copy goes to another
 * Space, from h's own latencies or, with too few, from pooled_p95 (every
 * Space's 95th percentile, -1 unknown); -1 when nothing is known yet.
 */
int64_t health_hedge_after(const struct health *h, double pooled_p95);

/* "ready", "busy", "waking", "queue-full" ... as shown to people. */
const char *health_state_name(const struct health *h);

#endif

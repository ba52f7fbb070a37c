/* health.c — per-Space state machine with backoff and half-open probes. */
#include "core/batch/health.h"

#include <stdlib.h>
#include <string.h>

void
health_init(struct health *h, int limit, uint64_t seed)
{
	*h = (struct health){
		.state = HEALTH_PROBING,
		.limit = limit > 0 ? limit : 1,
		.rng = seed ? seed : 0x9e3779b97f4a7c15ull,
		.max_wait_ms = HEALTH_MAX_WAIT_MS,
	};
}

void
health_set_max_wait(struct health *h, int64_t ms)
{
	h->max_wait_ms = ms > 0 ? ms : HEALTH_MAX_WAIT_MS;
}

/* A wait, as asked for or worked out, within the ceiling: a peer saying
 * "Retry-After: 10 years" or "Try again in 99999:00:00" costs an hour. */
static int64_t
capped(const struct health *h, long long ms)
{
	return ms < 0 ? 0 : ms > h->max_wait_ms ? h->max_wait_ms : (int64_t)ms;
}

/* xorshift64*: enough randomness for jitter, reproducible for tests. */
static uint64_t
next_random(struct health *h)
{
	h->rng ^= h->rng >> 12;
	h->rng ^= h->rng << 25;
	h->rng ^= h->rng >> 27;
	return h->rng * 0x2545f4914f6cdd1dull;
}

/* d scaled by a random factor in [0.5, 1.5): spreads retries of many
 * clients so they do not hit a recovering Space at the same instant. */
static int64_t
jitter(struct health *h, int64_t d)
{
	return d / 2 + (int64_t)(next_random(h) % (uint64_t)(d > 0 ? d : 1));
}

static bool
waiting_state(enum health_state s)
{
	return s == HEALTH_WAKING || s == HEALTH_QUEUE_FULL || s == HEALTH_RATE_LIMITED ||
	    s == HEALTH_FAILING;
}

bool
health_usable(const struct health *h)
{
	return h->state != HEALTH_AUTH_FAILED && h->state != HEALTH_UNUSABLE &&
	    h->state != HEALTH_DISABLED;
}

bool
health_can_send(const struct health *h, int64_t now)
{
	if (!health_usable(h)) {
		return false;
	}
	if (waiting_state(h->state) || h->state == HEALTH_PROBING) {
		/* One request at a time until the Space proves itself. */
		return now >= h->next_try && !h->probe_out && h->in_flight == 0;
	}
	return h->in_flight < h->limit;
}

void
health_on_send(struct health *h, int64_t now)
{
	h->in_flight++;
	if (h->state != HEALTH_READY) {
		h->probe_out = true;
	}
}

static void
ended(struct health *h)
{
	if (h->in_flight > 0) {
		h->in_flight--;
	}
	h->probe_out = false;
}

void
health_on_cancel(struct health *h)
{
	ended(h);
}

void
health_on_success(struct health *h, int64_t now)
{
	ended(h);
	if (health_usable(h)) {
		h->state = HEALTH_READY;
	}
	h->failures = 0;
	h->next_try = 0;
}

static int64_t
backoff(struct health *h)
{
	int64_t d = HEALTH_BACKOFF_BASE_MS;
	for (int i = 1; i < h->failures && d < HEALTH_BACKOFF_MAX_MS; i++) {
		d *= 2;
	}
	if (d > HEALTH_BACKOFF_MAX_MS) {
		d = HEALTH_BACKOFF_MAX_MS;
	}
	return capped(h, jitter(h, d));
}

void
health_on_error(struct health *h, enum spaceerr_class cls, long long retry_after_ms,
    int64_t now)
{
	ended(h);
	if (!health_usable(h)) {
		return;
	}
	switch (cls) {
	case SPACEERR_NONE:
	case SPACEERR_CANCELLED:
		return;
	case SPACEERR_BAD_INPUT:
		/* The image's fault, not the Space's. */
		if (h->state != HEALTH_READY && h->state != HEALTH_PROBING) {
			h->state = HEALTH_READY;
		}
		return;
	case SPACEERR_AUTH:
		h->state = HEALTH_AUTH_FAILED;
		return;
	case SPACEERR_NOT_TAGGER:
	case SPACEERR_UNSUPPORTED:
		h->state = HEALTH_UNUSABLE;
		return;
	case SPACEERR_WAKING:
		h->state = HEALTH_WAKING;
		h->next_try = now + capped(h, jitter(h, HEALTH_WAKE_POLL_MS));
		return;
	case SPACEERR_QUEUE_FULL:
		h->state = HEALTH_QUEUE_FULL;
		h->next_try = now + capped(h, retry_after_ms > 0 ? retry_after_ms :
		    jitter(h, HEALTH_QUEUE_FULL_MS));
		return;
	case SPACEERR_RATE_LIMITED:
		h->state = HEALTH_RATE_LIMITED;
		h->next_try = now + capped(h, retry_after_ms > 0 ? retry_after_ms :
		    jitter(h, HEALTH_RATE_LIMIT_MS));
		return;
	default:
		h->failures++;
		h->state = HEALTH_FAILING;
		h->next_try = now + backoff(h);
		return;
	}
}

void
health_set_disabled(struct health *h, bool disabled)
{
	if (disabled) {
		h->state = HEALTH_DISABLED;
	} else if (h->state == HEALTH_DISABLED) {
		h->state = HEALTH_PROBING;
		h->next_try = 0;
		h->failures = 0;
	}
}

void
health_note_latency(struct health *h, unsigned ms)
{
	h->latencies[h->n_latencies++ % HEALTH_LATENCIES] = ms;
}

unsigned
health_latencies(const struct health *h, unsigned *v)
{
	unsigned n = h->n_latencies < HEALTH_LATENCIES ? h->n_latencies : HEALTH_LATENCIES;
	memcpy(v, h->latencies, n * sizeof *v);
	return n;
}

static int
cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return x < y ? -1 : x > y;
}

double
health_quantile(unsigned *v, unsigned n, double q)
{
	if (n == 0) {
		return -1;
	}
	qsort(v, n, sizeof *v, cmp_unsigned);
	unsigned rank = (unsigned)(q * n + 0.999999);
	return v[rank > 0 ? (rank <= n ? rank : n) - 1 : 0];
}

int64_t
health_hedge_after(const struct health *h, double pooled_p95)
{
	unsigned v[HEALTH_LATENCIES];
	unsigned n = health_latencies(h, v);
	double p95 = n >= HEALTH_LATENCY_MIN ? health_quantile(v, n, 0.95) : pooled_p95;
	if (p95 < 0) {
		return -1;
	}
	int64_t after = (int64_t)(HEALTH_HEDGE_FACTOR * p95);
	return after > HEALTH_HEDGE_FLOOR_MS ? after : HEALTH_HEDGE_FLOOR_MS;
}

bool
health_costs_attempt(enum spaceerr_class cls)
{
	switch (cls) {
	case SPACEERR_SERVER_ERROR:
	case SPACEERR_TIMEOUT:
	case SPACEERR_MALFORMED:
	case SPACEERR_DROPPED:
	case SPACEERR_BAD_INPUT:
		return true;
	default:
		return false;
	}
}

const char *
health_state_name(const struct health *h)
{
	static const char *const names[] = {
		"probing", "ready", "waking", "queue-full", "rate-limited", "failing",
		"auth-failed", "unusable", "disabled",
	};
	if (h->state == HEALTH_READY && h->in_flight >= h->limit) {
		return "busy";
	}
	return names[h->state];
}

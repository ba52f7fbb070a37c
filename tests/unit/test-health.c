/* test-health.c — the per-Space state machine, replayed on a fake clock. */
#include "core/batch/health.h"
#include "tests/unit/check.h"

static void
test_ready_and_busy(void)
{
	struct health h;
	health_init(&h, 2, 1);
	CHECK_STR(health_state_name(&h), "probing");
	/* Until it answers, one request at a time. */
	CHECK(health_can_send(&h, 0));
	health_on_send(&h, 0);
	CHECK(!health_can_send(&h, 0));
	health_on_success(&h, 10);
	CHECK_STR(health_state_name(&h), "ready");
	health_on_send(&h, 10);
	CHECK(health_can_send(&h, 10));
	health_on_send(&h, 10);
	CHECK(!health_can_send(&h, 10));
	CHECK_STR(health_state_name(&h), "busy");
	health_on_success(&h, 20);
	CHECK(health_can_send(&h, 20));
}

static void
test_backoff(void)
{
	struct health h;
	health_init(&h, 2, 7);
	int64_t now = 0;
	for (int i = 1; i <= 8; i++) {
		health_on_send(&h, now);
		health_on_error(&h, SPACEERR_SERVER_ERROR, -1, now);
		CHECK_STR(health_state_name(&h), "failing");
		int64_t wait = h.next_try - now;
		/* base·2^(n-1), jittered to [0.5, 1.5), capped at the max. */
		int64_t nominal = 1000;
		for (int k = 1; k < i && nominal < HEALTH_BACKOFF_MAX_MS; k++) {
			nominal *= 2;
		}
		nominal = nominal > HEALTH_BACKOFF_MAX_MS ? HEALTH_BACKOFF_MAX_MS : nominal;
		CHECK(wait >= nominal / 2 && wait < nominal * 3 / 2);
		CHECK(!health_can_send(&h, now + wait - 1));
		/* Half-open: exactly one probe when the wait is over. */
		CHECK(health_can_send(&h, now + wait));
		now += wait;
	}
	health_on_send(&h, now);
	CHECK(!health_can_send(&h, now));
	health_on_success(&h, now + 5);
	CHECK_STR(health_state_name(&h), "ready");
	CHECK_INT(h.failures, 0);
}

static void
test_refusals(void)
{
	struct health h;
	health_init(&h, 2, 3);
	health_on_success(&h, 0);
	health_on_send(&h, 0);
	health_on_error(&h, SPACEERR_RATE_LIMITED, 7000, 100);
	CHECK_STR(health_state_name(&h), "rate-limited");
	CHECK_INT(h.next_try, 7100); /* Retry-After honoured exactly */
	CHECK(!health_can_send(&h, 7099));
	CHECK(health_can_send(&h, 7100));

	health_on_send(&h, 7100);
	health_on_error(&h, SPACEERR_QUEUE_FULL, -1, 7200);
	CHECK_STR(health_state_name(&h), "queue-full");
	CHECK(h.next_try >= 7200 + HEALTH_QUEUE_FULL_MS / 2);

	health_on_send(&h, 20000);
	health_on_error(&h, SPACEERR_WAKING, -1, 20000);
	CHECK_STR(health_state_name(&h), "waking");
	CHECK(health_usable(&h));

	/* An image the Space refused is not the Space's fault. */
	health_init(&h, 2, 3);
	health_on_success(&h, 0);
	health_on_send(&h, 0);
	health_on_error(&h, SPACEERR_BAD_INPUT, -1, 1);
	CHECK_STR(health_state_name(&h), "ready");

	health_on_send(&h, 2);
	health_on_error(&h, SPACEERR_AUTH, -1, 3);
	CHECK_STR(health_state_name(&h), "auth-failed");
	CHECK(!health_usable(&h));
	CHECK(!health_can_send(&h, 1000000));
	/* Later answers of requests still in flight change nothing. */
	health_on_success(&h, 4);
	CHECK_STR(health_state_name(&h), "auth-failed");

	health_init(&h, 1, 3);
	health_on_error(&h, SPACEERR_NOT_TAGGER, -1, 0);
	CHECK_STR(health_state_name(&h), "unusable");
	health_set_disabled(&h, true);
	CHECK_STR(health_state_name(&h), "disabled");
	health_set_disabled(&h, false);
	CHECK_STR(health_state_name(&h), "probing");
	CHECK(health_can_send(&h, 0));
}

/* A request the scheduler stopped frees its slot and says nothing of the
 * Space: a probe taken back lets the next one go. */
static void
test_cancel(void)
{
	struct health h;
	health_init(&h, 2, 5);
	health_on_send(&h, 0);
	CHECK(!health_can_send(&h, 0));
	health_on_cancel(&h);
	CHECK_STR(health_state_name(&h), "probing");
	CHECK(health_can_send(&h, 0));
	health_on_success(&h, 1);
	health_on_send(&h, 1);
	health_on_send(&h, 1);
	CHECK_STR(health_state_name(&h), "busy");
	health_on_cancel(&h);
	CHECK_STR(health_state_name(&h), "ready");
	CHECK_INT(h.in_flight, 1);
	CHECK_INT(h.failures, 0);
}

/* Every wait a peer can ask for, and backoff, stops at the ceiling. */
static void
test_ceiling(void)
{
	struct health h;
	health_init(&h, 2, 11);
	health_on_send(&h, 0);
	/* Retry-After: 10 hours; a GPU quota's "Try again in 99999:00:00". */
	health_on_error(&h, SPACEERR_RATE_LIMITED, 10LL * 3600 * 1000, 0);
	CHECK_INT(h.next_try, HEALTH_MAX_WAIT_MS);
	health_on_send(&h, h.next_try);
	health_on_error(&h, SPACEERR_RATE_LIMITED, 99999LL * 3600 * 1000, 5);
	CHECK_INT(h.next_try, 5 + HEALTH_MAX_WAIT_MS);
	health_on_send(&h, h.next_try);
	health_on_error(&h, SPACEERR_QUEUE_FULL, 1LL << 60, 7);
	CHECK_INT(h.next_try, 7 + HEALTH_MAX_WAIT_MS);

	/* The max_wait setting, lower: Retry-After, backoff and waking too. */
	health_init(&h, 2, 13);
	health_set_max_wait(&h, 3000);
	health_on_send(&h, 0);
	health_on_error(&h, SPACEERR_RATE_LIMITED, 7000, 0);
	CHECK_INT(h.next_try, 3000);
	int64_t now = 3000;
	for (int i = 0; i < 10; i++) {
		health_on_send(&h, now);
		health_on_error(&h, SPACEERR_SERVER_ERROR, -1, now);
		CHECK(h.next_try - now <= 3000);
		now = h.next_try;
	}
	health_on_send(&h, now);
	health_on_error(&h, SPACEERR_WAKING, -1, now);
	CHECK(h.next_try - now <= 3000);
	/* A wait shorter than the ceiling is kept as asked. */
	health_set_max_wait(&h, 0);
	CHECK_INT(h.max_wait_ms, HEALTH_MAX_WAIT_MS);
	health_on_send(&h, now);
	health_on_error(&h, SPACEERR_RATE_LIMITED, 7000, now);
	CHECK_INT(h.next_try, now + 7000);
}

int
main(void)
{
	test_ready_and_busy();
	test_cancel();
	test_ceiling();
	test_backoff();
	test_refusals();
	CHECK(health_costs_attempt(SPACEERR_DROPPED));
	CHECK(health_costs_attempt(SPACEERR_TIMEOUT));
	CHECK(!health_costs_attempt(SPACEERR_QUEUE_FULL));
	CHECK(!health_costs_attempt(SPACEERR_RATE_LIMITED));
	CHECK(!health_costs_attempt(SPACEERR_WAKING));
	CHECK(!health_costs_attempt(SPACEERR_UNREACHABLE));
	CHECK(!health_costs_attempt(SPACEERR_AUTH));
	return check_done();
}

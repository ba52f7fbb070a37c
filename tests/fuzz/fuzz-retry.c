/*
 * fuzz-retry.c — libFuzzer target for the waits a Space names: the
 * Retry-After header (net.c's retry_after_ms, reached the way tagcon
 * reaches it: a real HTTP answer over loopback to net_request_get) and a
 * ZeroGPU quota message's "Try again in H:MM:SS" (spaceerr.c's
 * zerogpu_wait, through spaceerr_from_run), with the messages
 * spaceerr_from_http and spaceerr_from_run make of what came.
 *
 * Input: byte 0 picks the path; the rest is
 *   0-1: a Retry-After value (to the first CR, LF or NUL) in a 429 or 503
 *        answer from a loopback server this target runs in a thread;
 *   2:   a failed run's message (spaceerr_from_run);
 *   3:   a quota message built around "Try again in" with the wait from
 *        bytes 1-3 and the rest after it, whose wait must come out exact;
 *   4-7: an HTTP error body (spaceerr_from_http, the status, the header's
 *        wait and what was sent from byte 0 and 1).
 *
 * Checks: a wait is -1 (none) or a number of milliseconds from 0 to the
 * cap (net.h's NET_DEFAULT_MAX_WAIT_MS); Retry-After in seconds is exactly
 * that, an HTTP date is the time until it (0 when past), either at most the
 * cap (a number too large to read is the cap), anything else is -1; only a RATE_LIMITED run
 * error has a wait; every message is one line with no control characters
 * and no Hugging Face token (hf_ and 20 letters or digits) nor "Bearer"
 * value left in it.
 *
 *   meson setup build-fuzz -Dfuzz=true ... && ninja -C build-fuzz
 *   build-fuzz/tests/fuzz/fuzz-retry -max_total_time=60 tests/fuzz/corpus/retry
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <glib.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/space/net.h"
#include "core/space/spaceerr.h"

_Noreturn static void
fail(const char *why, const char *input, const char *out)
{
	fprintf(stderr, "fuzz-retry: %s\n  input: \"%s\"\n  got:   \"%s\"\n", why, input,
	    out != NULL ? out : "(null)");
	abort();
}

/* ---- the loopback server: one answer per connection ---- */

static int listen_fd = -1, port;
static pthread_mutex_t answer_lock = PTHREAD_MUTEX_INITIALIZER;
static char *answer;

static void *
serve(void *unused)
{
	(void)unused;
	for (;;) {
		int c = accept(listen_fd, NULL, NULL);
		if (c < 0) {
			continue;
		}
		char req[8192];
		size_t n = 0;
		ssize_t k;
		while (n < sizeof req - 1 && (k = read(c, req + n, sizeof req - 1 - n)) > 0) {
			n += (size_t)k;
			req[n] = '\0';
			if (strstr(req, "\r\n\r\n") != NULL) {
				break;
			}
		}
		pthread_mutex_lock(&answer_lock);
		size_t len = answer != NULL ? strlen(answer) : 0;
		for (size_t off = 0; off < len && (k = write(c, answer + off, len - off)) > 0;) {
			off += (size_t)k;
		}
		pthread_mutex_unlock(&answer_lock);
		close(c);
	}
	return NULL;
}

static void
start_server(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    listen(listen_fd, 16) != 0 || getsockname(listen_fd, (struct sockaddr *)&a, &len)) {
		perror("fuzz-retry: loopback server");
		abort();
	}
	port = ntohs(a.sin_port);
	pthread_t t;
	pthread_create(&t, NULL, serve, NULL);
	pthread_detach(t);
}

static void
on_done(struct net_request *req, void *arg)
{
	(void)req;
	*(bool *)arg = true;
}

/* Retry-After as net.c gives it for an answer carrying value. */
static long long
fetch_retry_after(int status, const char *name, const char *value, int *got_status)
{
	static struct net *net;
	if (net == NULL) {
		start_server();
		net = net_create(&(struct net_opts){.connect_timeout_ms = 2000,
			.idle_timeout_ms = 3000, .deadline_ms = 4000});
	}
	pthread_mutex_lock(&answer_lock);
	free(answer);
	answer = g_strdup_printf("HTTP/1.1 %d Wait\r\n%s%s\r\nContent-Length: 0\r\n"
	    "Connection: close\r\n\r\n", status, name, value);
	pthread_mutex_unlock(&answer_lock);
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/config", port);
	struct net_request *req = net_request_get(url, "GET /config");
	bool done = false;
	net_start(net, req, on_done, &done);
	while (!done) {
		net_poll(net, 1000, NULL, 0);
	}
	if (net_request_failure(req) != NET_OK) {
		fail("the loopback answer failed", value, net_request_error(req));
	}
	*got_status = net_request_status(req);
	long long ms = net_request_retry_after(req);
	net_request_destroy(req);
	return ms;
}

/* What Retry-After: value means (RFC 9110 §10.2.3) under net.h's cap:
 * delta-seconds, or the time until an HTTP date (0 when past), at most
 * NET_DEFAULT_MAX_WAIT_MS (a number too large to read is that too); -1 for
 * anything else. */
static long long
expected_wait(const char *value, time_t before)
{
	const long long max = NET_DEFAULT_MAX_WAIT_MS;
	const char *v = value + strspn(value, " \t");
	if (*v >= '0' && *v <= '9') {
		size_t digits = strspn(v, "0123456789"), zeros = strspn(v, "0");
		if (v[digits + strspn(v + digits, " \t")] != '\0') {
			return -1;
		}
		if (digits - zeros > 15) {
			return max;
		}
		long long s = atoll(v + (zeros == digits ? zeros - 1 : zeros));
		return s > max / 1000 ? max : s * 1000;
	}
	time_t when = curl_getdate(v, NULL);
	if (when == (time_t)-1) {
		return -1;
	}
	if (when <= before) {
		return 0;
	}
	return (long long)when - before > max / 1000 ? max : ((long long)when - before) * 1000;
}

static void
retry_after(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"Retry-After: ", "retry-after:", "RETRY-AFTER:  "};
	char value[512];
	size_t n = 0;
	for (size_t i = 1; i < size && n < sizeof value - 1; i++) {
		if (data[i] == '\r' || data[i] == '\n' || data[i] == '\0') {
			break;
		}
		value[n++] = (char)data[i];
	}
	value[n] = '\0';
	const char *name = names[(data[0] >> 1) % 3];
	int status = data[0] & 1 ? 503 : 429, got;
	time_t before = time(NULL);
	long long ms = fetch_retry_after(status, name, value, &got);
	time_t after = time(NULL);
	/* on_header reads lines of 13 to 255 bytes: name, value, CR LF. */
	bool read = strlen(name) + n + 2 < 256;
	long long want = read ? expected_wait(value, before) : -1;
	char got_text[64];
	snprintf(got_text, sizeof got_text, "%lld ms (status %d)", ms, got);
	if (got != status || ms < -1 || ms > NET_DEFAULT_MAX_WAIT_MS) {
		fail("a wait below -1 or above the cap, or the wrong status", value, got_text);
	}
	if (want > 0 && !g_ascii_isdigit(value[strspn(value, " \t")])) {
		/* An HTTP date: the clock moved between the two readings. */
		long long slack = ((long long)after - before + 1) * 1000;
		if (ms < want - slack || ms > want) {
			fail("not the time until that date", value, got_text);
		}
	} else if (ms != want) {
		fail("not the wait Retry-After gives", value, got_text);
	}
}

/* ---- messages ---- */

static void
check_message(const char *input, const struct spaceerr *err)
{
	const char *m = err->message;
	if (m == NULL || err->cls == SPACEERR_NONE || err->retry_after_ms < -1) {
		fail("no message, no class or a wait below -1", input, m);
	}
	for (const unsigned char *p = (const unsigned char *)m; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			fail("a control character in the message", input, m);
		}
	}
	for (const char *p = m; (p = strstr(p, "hf_")) != NULL; p++) {
		size_t k = 0;
		while (g_ascii_isalnum(p[3 + k])) {
			k++;
		}
		if (k >= 20) {
			fail("a Hugging Face token left in the message", input, m);
		}
	}
	for (const char *p = m; (p = strcasestr(p, "bearer ")) != NULL; p++) {
		if ((p == m || !g_ascii_isalnum(p[-1])) &&
		    strspn(p + 7, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
		    "-._~+/=") >= 8) {
			fail("a Bearer value left in the message", input, m);
		}
	}
}

static void
run_error(const char *msg)
{
	struct spaceerr err = SPACEERR_INIT;
	spaceerr_from_run(&err, msg);
	check_message(msg, &err);
	if (err.cls != SPACEERR_RATE_LIMITED && err.retry_after_ms != -1) {
		fail("a wait on an error that is no rate limit", msg, err.message);
	}
	spaceerr_fini(&err);
}

/* A ZeroGPU quota message with a known wait, then the input's tail. */
static void
quota(const uint8_t *data, size_t size)
{
	if (size < 4) {
		return;
	}
	int h = data[1] % 24, m = data[2] % 60, s = data[3] % 60;
	char *msg = g_strdup_printf("ZeroGPU quota exceeded: You have exceeded your GPU quota "
	    "(60s requested vs. 12s left). Try again in %d:%02d:%02d.%.*s", h, m, s,
	    (int)(size - 4), (const char *)data + 4);
	struct spaceerr err = SPACEERR_INIT;
	spaceerr_from_run(&err, msg);
	check_message(msg, &err);
	long long want = ((long long)h * 3600 + m * 60 + s) * 1000;
	if (strstr(msg, "No GPU") == NULL && strstr(msg, "ot found") == NULL &&
	    (err.cls != SPACEERR_RATE_LIMITED || err.retry_after_ms != want)) {
		fail("not the wait the quota message names", msg, err.message);
	}
	spaceerr_fini(&err);
	g_free(msg);
}

static void
http_error(const uint8_t *data, size_t size, const char *body, size_t len)
{
	static const int statuses[] = {400, 401, 403, 404, 408, 413, 422, 429, 500, 502, 503, 504};
	static const char *const types[] = {NULL, "application/json", "text/html; charset=utf-8",
		"text/plain"};
	int status = statuses[(data[0] >> 3) % (sizeof statuses / sizeof statuses[0])];
	long long wait = size > 1 && data[1] < 0x40 ? (long long)data[1] * 1000 : -1;
	int creds = size > 1 ? data[1] & 0xf : 0;
	struct spaceerr err = SPACEERR_INIT;
	spaceerr_from_http(&err, status, types[data[0] & 3], body, len, wait, creds);
	check_message(body, &err);
	if (err.http_status != status || err.retry_after_ms != wait) {
		fail("the status or the wait changed on the way", body, err.message);
	}
	spaceerr_fini(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1) {
		return 0;
	}
	char *text = malloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 8) {
	case 0:
	case 1:
		retry_after(data, size);
		break;
	case 2:
		run_error(text);
		break;
	case 3:
		quota(data, size);
		break;
	default:
		/* After the byte of what was sent. */
		if (size > 1) {
			http_error(data, size, text + 1, size - 2);
		}
		break;
	}
	free(text);
	return 0;
}

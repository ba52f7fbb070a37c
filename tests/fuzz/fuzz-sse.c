/*
 * fuzz-sse.c — libFuzzer target for the SSE reader (core/sse.c).
 *
 * The first two input bytes pick the event bound and the chunk size; the
 * rest is the stream, fed in those chunks.  Checks: no crash, no read out of
 * bounds, every event within the bound and NUL terminated, and the same
 * events whatever the chunking.
 *
 * Build by hand (coverage in the reader itself):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I. \
 *       tests/fuzz/fuzz-sse.c core/sse.c db/xalloc.c -o fuzz-sse
 *   ./fuzz-sse -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/space/sse.h"

struct digest {
	size_t max;
	size_t events;
	uint64_t hash;
};

static bool
on_event(void *arg, const char *type, const char *data, size_t len, const char *id)
{
	struct digest *d = arg;
	if (len > d->max || data[len] != '\0' || strlen(type) > d->max || strlen(id) > d->max) {
		abort();
	}
	d->events++;
	for (size_t i = 0; i < len; i++) {
		d->hash = d->hash * 31 + (unsigned char)data[i];
	}
	for (const char *p = type; *p != '\0'; p++) {
		d->hash = d->hash * 37 + (unsigned char)*p;
	}
	return true;
}

/* Feed in chunks of size step (0: all at once). */
static bool
run(const uint8_t *data, size_t size, size_t max, size_t step, struct digest *d)
{
	memset(d, 0, sizeof *d);
	d->max = max;
	struct sse *sse = sse_create(max, on_event, d);
	bool ok = true;
	char *cause = NULL;
	for (size_t off = 0; ok && off < size; off += step ? step : size) {
		size_t n = step && size - off > step ? step : size - off;
		ok = sse_feed(sse, (const char *)data + off, n, &cause);
		free(cause);
		cause = NULL;
	}
	if (sse_bytes(sse) > size) {
		abort();
	}
	sse_destroy(sse);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2) {
		return 0;
	}
	size_t max = 8 + (size_t)data[0] * 16;
	size_t step = 1 + data[1] % 17;
	struct digest whole, chunked;
	bool ok1 = run(data + 2, size - 2, max, 0, &whole);
	bool ok2 = run(data + 2, size - 2, max, step, &chunked);
	/* Chunking may only change where an oversized event is noticed. */
	if (ok1 && ok2 && (whole.events != chunked.events || whole.hash != chunked.hash)) {
		abort();
	}
	return 0;
}

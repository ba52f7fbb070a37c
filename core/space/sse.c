/*
 * sse.c — WHATWG event-stream parsing over arbitrary chunks.
 *
 * Hand-written because no maintained C library parses SSE incrementally;
 * the rules are short (html.spec.whatwg.org, "Event stream
 * interpretation").  Bytes accumulate in a line buffer until a line end;
 * each complete line updates the pending event.
 */
#include "core/space/sse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

struct buf {
	char *s;
	size_t len;
	size_t cap;
};

struct sse {
	size_t max;
	sse_event_cb cb;
	void *arg;

	struct buf line;
	struct buf type;
	struct buf data;
	struct buf id;
	bool seen_data; /* a data line arrived, even an empty one */
	bool after_cr;  /* the last byte was CR: a following LF belongs to it */
	bool bom_done;
	size_t fed;
};

/* Append n bytes, keeping the buffer NUL terminated. */
static void
buf_add(struct buf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1) {
			cap *= 2;
		}
		b->s = xrealloc(b->s, cap);
		b->cap = cap;
	}
	if (n > 0) {
		memcpy(b->s + b->len, p, n);
	}
	b->len += n;
	b->s[b->len] = '\0';
}

static void
buf_set(struct buf *b, const char *p, size_t n)
{
	b->len = 0;
	buf_add(b, p, n);
}

struct sse *
sse_create(size_t max_event, sse_event_cb cb, void *arg)
{
	struct sse *sse = xcalloc(1, sizeof *sse);
	sse->max = max_event;
	sse->cb = cb;
	sse->arg = arg;
	buf_set(&sse->id, "", 0);
	return sse;
}

void
sse_destroy(struct sse *sse)
{
	if (sse == NULL) {
		return;
	}
	free(sse->line.s);
	free(sse->type.s);
	free(sse->data.s);
	free(sse->id.s);
	free(sse);
}

size_t
sse_bytes(const struct sse *sse)
{
	return sse->fed;
}

/* Blank line: hand over the pending event, if it has data. */
static bool
dispatch(struct sse *sse)
{
	bool go_on = true;
	if (sse->seen_data) {
		buf_add(&sse->data, "", 0);
		/* Every data line added a '\n'; the last one is not part of it. */
		size_t n = sse->data.len > 0 ? sse->data.len - 1 : 0;
		sse->data.s[n] = '\0';
		const char *type = sse->type.len > 0 ? sse->type.s : "message";
		go_on = sse->cb(sse->arg, type, sse->data.s, n, sse->id.s);
	}
	sse->data.len = 0;
	sse->type.len = 0;
	sse->seen_data = false;
	return go_on;
}

/* One complete line (without its end). */
static bool
field(struct sse *sse, const char *s, size_t n, char **cause)
{
	if (n == 0) {
		return dispatch(sse);
	}
	if (s[0] == ':') {
		return true;
	}
	const char *colon = memchr(s, ':', n);
	size_t nlen = colon ? (size_t)(colon - s) : n;
	const char *v = colon ? colon + 1 : s + n;
	size_t vlen = (size_t)(s + n - v);
	if (vlen > 0 && v[0] == ' ') {
		v++;
		vlen--;
	}
	if (nlen == 5 && memcmp(s, "event", 5) == 0) {
		buf_set(&sse->type, v, vlen);
	} else if (nlen == 4 && memcmp(s, "data", 4) == 0) {
		buf_add(&sse->data, v, vlen);
		buf_add(&sse->data, "\n", 1);
		sse->seen_data = true;
	} else if (nlen == 2 && memcmp(s, "id", 2) == 0 && memchr(v, '\0', vlen) == NULL) {
		buf_set(&sse->id, v, vlen);
	}
	if (sse->type.len + sse->data.len > sse->max || sse->id.len > sse->max) {
		if (cause != NULL) {
			*cause = xasprintf("event larger than %zu bytes", sse->max);
		}
		return false;
	}
	return true;
}

/* Bytes of one line so far; false when the line alone is over the bound. */
static bool
add_line(struct sse *sse, const char *p, size_t n, char **cause)
{
	if (sse->line.len + n > sse->max) {
		if (cause != NULL) {
			*cause = xasprintf("event larger than %zu bytes", sse->max);
		}
		return false;
	}
	buf_add(&sse->line, p, n);
	return true;
}

static size_t
skip_bom(struct sse *sse, const char *buf, size_t len)
{
	static const char bom[] = "\xef\xbb\xbf";
	/* The BOM may itself be split: collect up to 3 bytes first. */
	size_t have = sse->line.len, take = 0;
	while (have + take < 3 && take < len && buf[take] == bom[have + take]) {
		take++;
	}
	if (have + take == 3) {
		sse->line.len = 0;
		sse->bom_done = true;
		return take;
	}
	if (take == len) {
		buf_add(&sse->line, buf, take); /* maybe more BOM next time */
		return take;
	}
	sse->bom_done = true; /* not a BOM: what was held back is content */
	return 0;
}

bool
sse_feed(struct sse *sse, const char *buf, size_t len, char **cause)
{
	if (cause != NULL) {
		*cause = NULL;
	}
	sse->fed += len;
	size_t i = sse->bom_done ? 0 : skip_bom(sse, buf, len);
	while (i < len) {
		if (sse->after_cr && buf[i] == '\n') {
			i++;
		}
		sse->after_cr = false;
		size_t j = i;
		while (j < len && buf[j] != '\n' && buf[j] != '\r') {
			j++;
		}
		if (!add_line(sse, buf + i, j - i, cause)) {
			return false;
		}
		if (j == len) {
			break;
		}
		sse->after_cr = buf[j] == '\r';
		bool ok = field(sse, sse->line.s, sse->line.len, cause);
		sse->line.len = 0;
		if (!ok) {
			return false;
		}
		i = j + 1;
	}
	return true;
}

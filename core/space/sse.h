/*
 * sse.h — incremental Server-Sent Events reader.
 *
 * Follows the WHATWG "event stream interpretation": lines end in CR, LF or
 * CRLF (also when a CRLF is split between two chunks); a leading BOM is
 * skipped; "field: value" with one optional space after the colon; lines
 * starting with ':' are comments; "event" sets the type, "data" lines are
 * joined with '\n', "id" sets the last event id (kept across events),
 * "retry" and unknown fields are ignored; a blank line dispatches the event
 * unless no data line was seen.  An event cut off by the end of the stream
 * is discarded, as the standard says.
 *
 * Memory is bounded: a line or an event (type + data) longer than max_event
 * bytes is an error, whatever the chunking.
 */
#ifndef TAGCON_SSE_H
#define TAGCON_SSE_H

#include <stdbool.h>
#include <stddef.h>

struct sse;

/*
 * One event: type ("message" when the stream named none), data (NUL
 * terminated, len bytes, may contain NULs), the last event id ("" if none).
 * Return false to stop reading: sse_feed then fails with *cause NULL.
 */
typedef bool (*sse_event_cb)(void *arg, const char *type, const char *data, size_t len,
    const char *id);

struct sse *sse_create(size_t max_event, sse_event_cb cb, void *arg);
void sse_destroy(struct sse *sse);

/*
 * Feed the next len bytes of the stream; events complete in them are
 * delivered before this returns.  False when an event is too large (*cause
 * says so) or when the callback stopped the reader (*cause NULL); the reader
 * must not be fed again after that.
 */
bool sse_feed(struct sse *sse, const char *buf, size_t len, char **cause);

/* Total bytes fed so far. */
size_t sse_bytes(const struct sse *sse);

#endif

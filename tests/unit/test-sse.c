/* test-sse.c — the event-stream reader against the WHATWG rules, fed in
 * every possible chunking. */
#include <stdlib.h>
#include <string.h>

#include "core/space/sse.h"
#include "tests/unit/check.h"

/* Events rendered as "type|data|id;" for comparison. */
struct log {
	char text[8192];
	int stop_after; /* stop the reader after this many events (0: never) */
	int count;
};

static bool
on_event(void *arg, const char *type, const char *data, size_t len, const char *id)
{
	struct log *l = arg;
	size_t n = strlen(l->text);
	snprintf(l->text + n, sizeof l->text - n, "%s|%.*s|%s;", type, (int)len, data, id);
	l->count++;
	return l->stop_after == 0 || l->count < l->stop_after;
}

/* Feed text split at every position into two and three chunks, and byte
 * by byte; every way must give want. */
static void
check_stream(const char *text, const char *want)
{
	size_t n = strlen(text);
	for (size_t cut = 0; cut <= n; cut++) {
		struct log l = {0};
		struct sse *sse = sse_create(1 << 16, on_event, &l);
		CHECK(sse_feed(sse, text, cut, NULL));
		CHECK(sse_feed(sse, text + cut, n - cut, NULL));
		if (strcmp(l.text, want) != 0) {
			fprintf(stderr, "    cut %zu: got \"%s\", want \"%s\"\n", cut, l.text, want);
			CHECK(0);
		}
		sse_destroy(sse);
	}
	struct log l = {0};
	struct sse *sse = sse_create(1 << 16, on_event, &l);
	for (size_t i = 0; i < n; i++) {
		sse_feed(sse, text + i, 1, NULL);
	}
	CHECK_STR(l.text, want);
	sse_destroy(sse);
}

static void
test_whatwg(void)
{
	/* Gradio /call frames. */
	check_stream("event: heartbeat\ndata: null\n\nevent: complete\ndata: [1,2]\n\n",
	    "heartbeat|null|;complete|[1,2]|;");
	/* /queue/data: data only. */
	check_stream("data: {\"msg\":\"estimation\"}\n\n", "message|{\"msg\":\"estimation\"}|;");
	/* Multi-line data joined by \n, no space after the colon, CR and CRLF ends. */
	check_stream("data:a\r\ndata: b\rdata:  c\n\n", "message|a\nb\n c|;");
	/* Comments, unknown fields, retry, a field with no colon. */
	check_stream(": hello\nretry: 10\nfoo: bar\ndata\n\n", "message||;");
	/* id persists, event type resets, empty id clears. */
	check_stream("id: 7\nevent: x\ndata: 1\n\ndata: 2\n\nid\ndata: 3\n\n",
	    "x|1|7;message|2|7;message|3|;");
	/* No data: nothing dispatched; blank lines alone do nothing. */
	check_stream("event: lonely\n\n\n\n", "");
	/* Leading BOM is skipped once; a second one is content. */
	check_stream("\xef\xbb\xbf" "data: x\n\n", "message|x|;");
	check_stream("\xef\xbb\xbf\xef\xbb\xbf" "data: x\n\n", "");
	/* An unfinished event at the end is discarded. */
	check_stream("data: complete\n\ndata: cut off", "message|complete|;");
	/* CR then LF in the next chunk is one line end, not two. */
	check_stream("data: a\r\n\r\n", "message|a|;");
	/* "data:" with an empty value still counts as data. */
	check_stream("data:\n\n", "message||;");
}

static void
test_bounds(void)
{
	struct log l = {0};
	char *cause = NULL;
	struct sse *sse = sse_create(16, on_event, &l);
	CHECK(sse_feed(sse, "data: 0123456789\n\n", 18, &cause));
	CHECK_STR(l.text, "message|0123456789|;");
	/* A line longer than the bound, however it is chunked. */
	CHECK(sse_feed(sse, "data: 0123456", 13, &cause));
	CHECK(!sse_feed(sse, "789abcdef", 9, &cause));
	CHECK(cause != NULL && strstr(cause, "larger than 16") != NULL);
	free(cause);
	sse_destroy(sse);

	/* Many short data lines adding up past the bound. */
	sse = sse_create(16, on_event, &l);
	cause = NULL;
	bool ok = true;
	for (int i = 0; i < 10 && ok; i++) {
		ok = sse_feed(sse, "data: abc\n", 10, &cause);
	}
	CHECK(!ok);
	CHECK(cause != NULL);
	free(cause);
	sse_destroy(sse);

	/* Comments are lines too: a huge one is refused, not buffered. */
	sse = sse_create(16, on_event, &l);
	cause = NULL;
	CHECK(!sse_feed(sse, ": a very long comment line\n", 27, &cause));
	free(cause);
	CHECK_INT(sse_bytes(sse), 27);
	sse_destroy(sse);
}

static void
test_stop(void)
{
	struct log l = {.stop_after = 1};
	char *cause = (char *)"untouched";
	struct sse *sse = sse_create(1024, on_event, &l);
	const char *text = "data: 1\n\ndata: 2\n\n";
	CHECK(!sse_feed(sse, text, strlen(text), &cause));
	CHECK(cause == NULL);
	CHECK_STR(l.text, "message|1|;");
	sse_destroy(sse);
	sse_destroy(NULL);
}

/* NUL bytes inside data are passed through with their length. */
static bool
on_nul(void *arg, const char *type, const char *data, size_t len, const char *id)
{
	*(size_t *)arg = len;
	return true;
}

int
main(void)
{
	test_whatwg();
	test_bounds();
	test_stop();
	size_t len = 0;
	struct sse *sse = sse_create(64, on_nul, &len);
	CHECK(sse_feed(sse, "data: a\0b\n\n", 11, NULL));
	CHECK_INT(len, 3);
	sse_destroy(sse);
	return check_done();
}

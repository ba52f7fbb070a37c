/* test-spaceerr.c — HTTP answers and a stream's error events to error
 * classes (as every Gradio from 4.x to 6.x words them), safe messages with no
 * trace of a token, and the hub's and A1111's small answers. */
#include <stdlib.h>
#include <string.h>

#include "core/batch/health.h"
#include "core/space/a1111.h"
#include "core/space/gradio.h"
#include "core/space/hub.h"
#include "core/space/spaceerr.h"
#include "core/tag/answer.h"
#include "common/xalloc.h"
#include "tests/unit/check.h"

static void
http(int status, const char *ctype, const char *body, int creds, enum spaceerr_class want,
    const char *text)
{
	struct spaceerr err = SPACEERR_INIT;
	spaceerr_from_http(&err, status, ctype, body, body ? strlen(body) : 0, -1, creds);
	CHECK_INT(err.cls, want);
	CHECK_INT(err.http_status, status);
	CHECK(err.message != NULL && strstr(err.message, text) != NULL);
	if (err.message == NULL || strstr(err.message, text) == NULL) {
		fprintf(stderr, "    %d: \"%s\" lacks \"%s\"\n", status, err.message, text);
	}
	spaceerr_fini(&err);
}

static void
test_http(void)
{
	http(503, "application/json", "{\"detail\":\"Queue is full. Max size is 10 and size is 10.\"}",
	    0, SPACEERR_QUEUE_FULL, "queue full (HTTP 503: Queue is full. Max size is 10");
	http(503, "text/html", "<!DOCTYPE html><html>sleeping</html>", 0, SPACEERR_WAKING,
	    "HTML page");
	http(503, NULL, "  <html>", 0, SPACEERR_WAKING, "not running yet");
	http(503, "application/json", "{\"detail\":\"Queue is stopped.\"}", false,
	    SPACEERR_SERVER_ERROR, "Queue is stopped.");
	http(500, "application/json", "{\"error\":\"Internal Server Error\"}", false,
	    SPACEERR_SERVER_ERROR, "Internal Server Error");
	http(502, "text/html", "<html>bad gateway</html>", 0, SPACEERR_SERVER_ERROR, "HTTP 502");
	/* Gradio >= 6.15's Node proxy while Python starts: a Space waking. */
	http(502, "text/plain", "Bad Gateway", 0, SPACEERR_WAKING,
	    "Space starting (HTTP 502: Bad Gateway)");
	http(502, NULL, "Bad Gateway\n", 0, SPACEERR_WAKING, "Space starting");
	http(502, "application/json", "{\"detail\":\"Bad Gateway\"}", 0, SPACEERR_SERVER_ERROR,
	    "server error (HTTP 502: Bad Gateway)");
	http(502, "text/plain", "upstream connect error", 0, SPACEERR_SERVER_ERROR,
	    "server error (HTTP 502: upstream connect error)");
	http(502, "text/plain", "", 0, SPACEERR_SERVER_ERROR, "server error (HTTP 502)");
	http(429, "text/plain", "Too Many Requests", 0, SPACEERR_RATE_LIMITED,
	    "Too Many Requests");
	struct spaceerr e2 = SPACEERR_INIT;
	spaceerr_from_http(&e2, 429, NULL, "", 0, 2500, 0);
	CHECK_STR(e2.message, "rate limited (HTTP 429); retry in 3 s");
	CHECK_INT(e2.retry_after_ms, 2500);
	spaceerr_fini(&e2);
	http(401, "text/html", "<html>401</html>", 0, SPACEERR_AUTH, "needs a valid token");
	http(401, "text/html", "<html>401</html>", SPACEERR_SENT_TOKEN, SPACEERR_AUTH,
	    "token refused");
	http(403, "text/html", "<html>403</html>", SPACEERR_SENT_TOKEN, SPACEERR_AUTH,
	    "token refused (HTTP 403)");
	http(401, NULL, "{\"detail\":\"Incorrect username or password\"}", SPACEERR_BASIC_AUTH,
	    SPACEERR_AUTH, "needs a user name and password (HTTP 401: Incorrect username or "
	    "password); write them in the URL");
	http(401, NULL, "{}", SPACEERR_BASIC_AUTH | SPACEERR_SENT_BASIC, SPACEERR_AUTH,
	    "user name or password refused (HTTP 401)");
	http(422, "application/json", "{\"detail\":[{\"type\":\"missing\",\"msg\":\"Field required\"}]}",
	    0, SPACEERR_BAD_INPUT, "Field required");
	http(413, NULL, "", 0, SPACEERR_BAD_INPUT, "too large");
	http(404, "application/json", "{\"detail\":\"Not Found\"}", 0, SPACEERR_NOT_TAGGER,
	    "not found");
	http(302, NULL, "", 0, SPACEERR_MALFORMED, "HTTP 302");
	/* Server text is one safe line, shortened. */
	char body[2000];
	memset(body, 'x', sizeof body);
	memcpy(body, "{\"detail\":\"\x1b[31mred\\nline two ", 30);
	strcpy(body + sizeof body - 4, "\"}");
	struct spaceerr err = SPACEERR_INIT;
	spaceerr_from_http(&err, 400, NULL, body, strlen(body), -1, 0);
	CHECK_INT(err.cls, SPACEERR_BAD_INPUT);
	CHECK(strchr(err.message, '\x1b') == NULL);
	CHECK(strchr(err.message, '\n') == NULL);
	CHECK(strlen(err.message) < 300);
	CHECK(strstr(err.message, "…") != NULL);
	spaceerr_fini(&err);
}

static void
test_run(void)
{
	struct spaceerr err = SPACEERR_INIT;
	spaceerr_from_run(&err, "You have exceeded your free GPU quota (60s requested vs. 12s left). "
	    "Try again in 0:12:34");
	CHECK_INT(err.cls, SPACEERR_RATE_LIMITED);
	CHECK_INT(err.retry_after_ms, (12 * 60 + 34) * 1000LL);
	spaceerr_from_run(&err, "No GPU was available after 60s");
	CHECK_INT(err.cls, SPACEERR_QUEUE_FULL);
	spaceerr_from_run(&err, "Value: x is not in the list of choices: [...]");
	CHECK_INT(err.cls, SPACEERR_BAD_INPUT);
	spaceerr_from_run(&err, "404: Session not found.");
	CHECK_INT(err.cls, SPACEERR_CANCELLED);
	spaceerr_from_run(&err, "Server stopped unexpectedly.");
	CHECK_INT(err.cls, SPACEERR_SERVER_ERROR);
	CHECK_STR(err.message, "the Space failed (Server stopped unexpectedly.)");
	spaceerr_prefix(&err, "GET /x");
	CHECK_STR(err.message, "GET /x: the Space failed (Server stopped unexpectedly.)");
	struct spaceerr copy = SPACEERR_INIT;
	spaceerr_copy(&copy, &err);
	CHECK_STR(copy.message, err.message);
	spaceerr_fini(&copy);
	spaceerr_fini(&err);

	spaceerr_set(&err, SPACEERR_AUTH, "echoed hf_SECRETsecret and hf_SECRETsecret again");
	spaceerr_redact(&err, "hf_SECRETsecret");
	CHECK_STR(err.message, "echoed [token] and [token] again");
	spaceerr_redact(&err, NULL);
	spaceerr_fini(&err);
	spaceerr_fini(NULL);

	CHECK(spaceerr_space_fatal(SPACEERR_AUTH));
	CHECK(spaceerr_space_fatal(SPACEERR_NOT_TAGGER));
	CHECK(!spaceerr_space_fatal(SPACEERR_WAKING));
	CHECK(spaceerr_image_fault(SPACEERR_BAD_INPUT));
	CHECK(!spaceerr_image_fault(SPACEERR_TIMEOUT));
	CHECK_STR(spaceerr_class_name(SPACEERR_QUEUE_FULL), "queue-full");
	CHECK_STR(spaceerr_class_name((enum spaceerr_class)99), "unknown");
	char *q = spaceerr_quote("a\tb\n\nc  ", 8);
	CHECK_STR(q, "a b c");
	free(q);
}

/* What the scheduler does with a class (core/batch/health.c): whether the
 * Space stays ready and whether the image spends an attempt. */
static void
scheduled(enum spaceerr_class cls, bool ready, bool costs)
{
	struct health h;
	health_init(&h, 2, 1);
	health_on_send(&h, 0);
	health_on_success(&h, 1);
	health_on_send(&h, 2);
	health_on_error(&h, cls, -1, 3);
	CHECK(health_can_send(&h, 3) == ready);
	if (ready) {
		CHECK_STR(health_state_name(&h), "ready");
	}
	CHECK(health_costs_attempt(cls) == costs);
}

/* The event is gone: 5.x and 6.x say "404: Not Found", 4.x "Session not
 * found"; the request goes again at no cost to the Space or the image. */
static void
test_event_gone(void)
{
	static const char *const gone[] = {
		"404: Not Found", "404: Session not found.", "404: Not found", NULL,
	};
	struct spaceerr err = SPACEERR_INIT;
	for (int i = 0; gone[i] != NULL; i++) {
		spaceerr_from_run(&err, gone[i]);
		CHECK_INT(err.cls, SPACEERR_CANCELLED);
		CHECK(strstr(err.message, "no longer has this request") != NULL);
		CHECK(strstr(err.message, gone[i]) != NULL);
		CHECK_INT(err.retry_after_ms, -1);
		scheduled(err.cls, true, false);
	}
	/* A run's own failure that happens to mention a 404 is the Space's. */
	spaceerr_from_run(&err, "Error: 404 Client Error: Not Found for url: https://x/model.onnx");
	CHECK_INT(err.cls, SPACEERR_SERVER_ERROR);
	scheduled(SPACEERR_SERVER_ERROR, false, true);
	spaceerr_fini(&err);
}

/* ZeroGPU's words, raw and as Gradio >= 6.13's error objects give them
 * ("Title: text"). */
static void
test_zerogpu(void)
{
	static const struct {
		const char *msg;
		enum spaceerr_class cls;
		long long wait_ms;
	} cases[] = {
		{"ZeroGPU quota exceeded: You have exceeded your free ZeroGPU quota (120s requested "
		    "vs. 44s left). Try again in 23:14:07.", SPACEERR_RATE_LIMITED,
		    (23 * 3600 + 14 * 60 + 7) * 1000LL},
		{"You have exceeded your GPU quota (12s left vs. 60s requested). Sign-up on Hugging "
		    "Face to get more quotas or retry in 0:05:00", SPACEERR_RATE_LIMITED, 300000},
		{"You have exceeded your GPU quota (0s left vs. 60s requested). Please retry in "
		    "1 day, 2:03:04", SPACEERR_RATE_LIMITED, ((26 * 60 + 3) * 60 + 4) * 1000LL},
		{"ZeroGPU quota exceeded", SPACEERR_RATE_LIMITED, -1},
		/* Fields a peer makes huge (fuzz-retry's crash): no overflow. */
		{"You have exceeded your GPU quota. Try again in 0:99999999:00.",
		    SPACEERR_RATE_LIMITED, 99999999LL * 60 * 1000},
		{"You have exceeded your GPU quota. Try again in 0:9999999999:00.",
		    SPACEERR_RATE_LIMITED, -1},
		{"No GPU is currently available", SPACEERR_QUEUE_FULL, -1},
		{"Error: No GPU is currently available for you after 60s", SPACEERR_QUEUE_FULL, -1},
		{"ZeroGPU quota exceeded: No GPU was available after 60s", SPACEERR_QUEUE_FULL, -1},
	};
	struct spaceerr err = SPACEERR_INIT;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		spaceerr_from_run(&err, cases[i].msg);
		CHECK_INT(err.cls, cases[i].cls);
		CHECK_INT(err.retry_after_ms, cases[i].wait_ms);
	}
	spaceerr_fini(&err);
}

/* One SSE text through the /call stream reader: the class it ends with. */
static enum spaceerr_class
stream_class(const char *sse, long long *wait_ms, char **message)
{
	struct gradio_stream *st = gradio_stream_create(0.05);
	struct spaceerr err = SPACEERR_INIT;
	struct answer *a = NULL;
	gradio_stream_feed(st, sse, strlen(sse));
	CHECK(!gradio_stream_result(st, &a, &err));
	answer_destroy(a);
	gradio_stream_destroy(st);
	enum spaceerr_class cls = err.cls;
	*wait_ms = err.retry_after_ms;
	*message = err.message;
	err.message = NULL;
	spaceerr_fini(&err);
	return cls;
}

/* The stream's "error" event as each Gradio sends it. */
static void
test_error_events(void)
{
	static const struct {
		const char *sse;
		enum spaceerr_class cls;
		long long wait_ms;
		const char *text;
	} cases[] = {
		/* 5.x, 6.x: an unknown or expired event (then the connection drops). */
		{"event: error\ndata: \"404: Not Found\"\n\n", SPACEERR_CANCELLED, -1,
		    "no longer has this request, expired or lost in a restart (404: Not Found)"},
		/* 4.x, likewise. */
		{"event: heartbeat\ndata: null\n\nevent: error\ndata: \"404: Session not found.\"\n\n",
		    SPACEERR_CANCELLED, -1, "restart (404: Session not found.)"},
		/* 4.20 - 6.12: a failed run. */
		{"event: error\ndata: null\n\n", SPACEERR_SERVER_ERROR, -1, "(no details)"},
		/* >= 6.13: the whole error object. */
		{"event: error\ndata: {\"error\": null}\n\n", SPACEERR_SERVER_ERROR, -1,
		    "(no details)"},
		{"event: error\ndata: {\"error\": \"boom\", \"visible\": true}\n\n",
		    SPACEERR_SERVER_ERROR, -1, "the Space failed (boom)"},
		{"event: error\ndata: {\"error\": \"You have exceeded your free ZeroGPU quota (60s "
		    "requested vs. 12s left). Try again in 0:12:34.\", \"duration\": 10, \"visible\": "
		    "true, \"title\": \"ZeroGPU quota exceeded\"}\n\n", SPACEERR_RATE_LIMITED,
		    (12 * 60 + 34) * 1000LL, "GPU quota exhausted (ZeroGPU quota exceeded: You"},
		{"event: error\ndata: {\"error\": \"No GPU is currently available\", \"duration\": 10, "
		    "\"visible\": true, \"title\": \"Error\"}\n\n", SPACEERR_QUEUE_FULL, -1,
		    "no GPU available (Error: No GPU is currently available)"},
		{"event: error\ndata: {\"error\": \"Value: x is not in the list of choices: []\", "
		    "\"visible\": false, \"title\": null}\n\n", SPACEERR_BAD_INPUT, -1,
		    "input refused (Value: x"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		long long wait;
		char *msg;
		CHECK_INT(stream_class(cases[i].sse, &wait, &msg), cases[i].cls);
		CHECK_INT(wait, cases[i].wait_ms);
		CHECK(msg != NULL && strstr(msg, cases[i].text) != NULL);
		if (msg == NULL || strstr(msg, cases[i].text) == NULL) {
			fprintf(stderr, "    \"%s\" lacks \"%s\"\n", msg, cases[i].text);
		}
		free(msg);
	}
}

/* Whether any 6 consecutive characters of secret are in text. */
static bool
leaks(const char *text, const char *secret)
{
	size_t n = strlen(secret);
	for (size_t i = 0; i + 6 <= n; i++) {
		char piece[7];
		memcpy(piece, secret + i, 6);
		piece[6] = '\0';
		if (strstr(text, piece) != NULL) {
			return true;
		}
	}
	return false;
}

/* An error body that echoes the request, the token straddling the 200th
 * character where a quote is cut (issue 12: 32 of 39 characters leaked). */
static char *
echo_body(const char *before, const char *token, const char *after)
{
	static const char lead[] = "Request refused; here it is: ";
	char pad[200];
	size_t n = 180 - (sizeof lead - 1) - strlen(before);
	memset(pad, '.', n);
	pad[n] = '\0';
	return xasprintf("%s%s%s%s%s", lead, pad, before, token, after);
}

static void
redacted(struct spaceerr *err, const char *secret, const char *shape)
{
	spaceerr_redact(err, secret);
	CHECK(err->message != NULL && !leaks(err->message, secret));
	CHECK(err->message != NULL && strstr(err->message, shape) != NULL);
	if (err->message == NULL || leaks(err->message, secret) ||
	    strstr(err->message, shape) == NULL) {
		fprintf(stderr, "    \"%s\" (want \"%s\", no piece of %s)\n", err->message, shape,
		    secret);
	}
}

static void
test_redact_before_cut(void)
{
	const char *hf = "hf_GhIjKlMnOpQrStUvWxYzgHiJkLmNoPqRsTuV";
	const char *other = "Zq9-not-an-hf-token-but-a-secret-XyZw";
	struct spaceerr err = SPACEERR_INIT;
	/* In an HTTP error body, JSON or not, and in a run's error event. */
	char *body = echo_body("'authorization': 'Bearer ", hf, "', 'host': 'x'");
	char *json = xasprintf("{\"detail\": \"%s\"}", body);
	spaceerr_from_http(&err, 500, "application/json", json, strlen(json), -1, 0);
	CHECK(!leaks(err.message, hf));
	redacted(&err, hf, "'Bearer [token]', 'host'");
	spaceerr_from_http(&err, 500, "text/plain", body, strlen(body), -1, 0);
	redacted(&err, hf, "'Bearer [token]', 'host'");
	spaceerr_from_run(&err, body);
	redacted(&err, hf, "'Bearer [token]', 'host'");
	free(json);
	free(body);
	/* Any Authorization value, a bare Hugging Face token. */
	body = echo_body("Authorization: ", hf, "");
	spaceerr_from_run(&err, body);
	redacted(&err, hf, "Authorization: [token]");
	free(body);
	body = echo_body("token=", hf, "&x=1");
	spaceerr_from_run(&err, body);
	redacted(&err, hf, "token=[token]");
	free(body);
	/* A secret of no known shape: its head before the cut's "…". */
	body = echo_body("key ", other, " end");
	spaceerr_from_run(&err, body);
	CHECK(leaks(err.message, other));
	redacted(&err, other, "key [token]…");
	free(body);
	spaceerr_fini(&err);
}

/* The shapes a credential takes in outside text, and what is not one. */
static void
test_credential_shapes(void)
{
	static const char *const kept[][2] = {
		{"Authorization: Basic dXNlcjpwYXNzd29yZA==", "Authorization: Basic [token]"},
		{"{\\\"authorization\\\": \\\"Bearer abc.def\\\"}",
		    "{\\\"authorization\\\": \\\"Bearer [token]\\\"}"},
		{"AUTHORIZATION=xyz; path=/", "AUTHORIZATION=[token]; path=/"},
		{"authorization: hf_GhIjKlMnOpQrStUvWxYzgHiJkL more", "authorization: [token] more"},
		{"Authorization:\n  Bearer\r\n abc123", "Authorization: Bearer [token]"},
		{"Bearer\nabcdefgh", "Bearer [token]"},
		{"bearer  abc/+=-_.~z, next", "bearer [token], next"},
		/* Not credentials: left alone. */
		{"hf_transfer and hf_hub_download", "hf_transfer and hf_hub_download"},
		{"Authorization required", "Authorization required"},
		{"subbearer x, bearer", "subbearer x, bearer"},
	};
	for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
		char *q = spaceerr_quote(kept[i][0], strlen(kept[i][0]));
		CHECK_STR(q, kept[i][1]);
		free(q);
	}
	/* Bytes after a NUL still count. */
	char nul[] = "a\0Bearer hf_GhIjKlMnOpQrStUvWxYzgHiJkLmNo";
	char *q = spaceerr_quote(nul, sizeof nul - 1);
	CHECK_STR(q, "a\\x00Bearer [token]");
	free(q);
}

static void
test_hub(void)
{
	struct spaceerr err = SPACEERR_INIT;
	char *s = NULL;
	const char *host = "{\"subdomain\":\"o-n\",\"host\":\"https://o-n.hf.space\"}";
	CHECK(hub_parse_host(host, strlen(host), &s, &err));
	CHECK_STR(s, "https://o-n.hf.space");
	free(s);
	CHECK(!hub_parse_host("{}", 2, &s, &err));
	CHECK_INT(err.cls, SPACEERR_MALFORMED);
	const char *rt = "{\"stage\":\"SLEEPING\",\"hardware\":{\"current\":null}}";
	CHECK(hub_parse_stage(rt, strlen(rt), &s, &err));
	CHECK_STR(s, "SLEEPING");
	CHECK_INT(hub_stage_kind(s), HUB_STAGE_WAKING);
	hub_stage_error(&err, s);
	CHECK_INT(err.cls, SPACEERR_WAKING);
	CHECK(strstr(err.message, "SLEEPING") != NULL);
	free(s);
	CHECK(!hub_parse_stage("{\"stage\":\"\\u001b[2J\"}", 20, &s, &err));
	CHECK_INT(hub_stage_kind("RUNNING"), HUB_STAGE_READY);
	CHECK_INT(hub_stage_kind("RUNNING_APP_STARTING"), HUB_STAGE_READY);
	CHECK_INT(hub_stage_kind("APP_STARTING"), HUB_STAGE_WAKING);
	CHECK_INT(hub_stage_kind("PAUSED"), HUB_STAGE_BROKEN);
	CHECK_INT(hub_stage_kind("RUNTIME_ERROR"), HUB_STAGE_BROKEN);
	CHECK_INT(hub_stage_kind("NEW_THING"), HUB_STAGE_UNKNOWN);
	hub_stage_error(&err, "PAUSED");
	CHECK_INT(err.cls, SPACEERR_UNSUPPORTED);
	spaceerr_fini(&err);
	setenv("HF_ENDPOINT", "http://127.0.0.1:9/", 1);
	char *url = hub_space_url("o/n", "runtime", NULL);
	CHECK_STR(url, "http://127.0.0.1:9/api/spaces/o/n/runtime");
	free(url);
	unsetenv("HF_ENDPOINT");
}

static void
test_a1111(void)
{
	struct spaceerr err = SPACEERR_INIT;
	char **models = NULL;
	size_t n = 0;
	const char *list = "{\"models\":[\"wd14-vit-v2\",\"wd14-swinv2-v2\",\"wd-swinv2-tagger-v3\","
	    "7,\"bad\\u0007\"]}";
	CHECK(a1111_parse_models(list, strlen(list), &models, &n, &err));
	CHECK_INT(n, 3);
	CHECK_STR(a1111_pick_model(models, n, "wd14-vit-v2", &err), "wd14-vit-v2");
	CHECK_STR(a1111_pick_model(models, n, "SmilingWolf/wd-swinv2-tagger-v3", &err),
	    "wd-swinv2-tagger-v3");
	CHECK_STR(a1111_pick_model(models, n, "SmilingWolf/wd-v1-4-swinv2-tagger-v2", &err),
	    "wd14-swinv2-v2");
	CHECK(a1111_pick_model(models, n, "SmilingWolf/wd-eva02-large-tagger-v3", &err) == NULL);
	CHECK_INT(err.cls, SPACEERR_BAD_INPUT);
	a1111_free_models(models, n);
	CHECK(!a1111_parse_models("<html>", 6, &models, &n, &err));
	CHECK_INT(err.cls, SPACEERR_NOT_TAGGER);
	char *body = a1111_interrogate_body("\xff\xd8\xff", 3, "wd14-vit-v2", 0.05);
	CHECK_STR(body, "{\"image\":\"/9j/\",\"model\":\"wd14-vit-v2\",\"threshold\":0.05}");
	free(body);
	spaceerr_fini(&err);
}

int
main(void)
{
	test_http();
	test_run();
	test_event_gone();
	test_zerogpu();
	test_error_events();
	test_redact_before_cut();
	test_credential_shapes();
	test_hub();
	test_a1111();
	return check_done();
}

/* test-spaceerr.c — HTTP answers to error classes, safe messages, and the
 * hub's and A1111's small answers. */
#include <stdlib.h>
#include <string.h>

#include "core/space/a1111.h"
#include "core/space/hub.h"
#include "core/space/spaceerr.h"
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
	CHECK_INT(err.cls, SPACEERR_DROPPED);
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
	test_hub();
	test_a1111();
	return check_done();
}

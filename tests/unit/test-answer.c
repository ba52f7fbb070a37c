/* test-answer.c — every answer shape of space-protocol.md, good and bad. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/tag/answer.h"
#include "tests/unit/check.h"

static struct answer *
gradio_ok(const char *json, double floor)
{
	char *cause = NULL;
	struct answer *a = NULL;
	bool ok = answer_parse_gradio(json, strlen(json), floor, &a, &cause);
	CHECK(ok);
	if (!ok) {
		fprintf(stderr, "    cause: %s\n", cause);
	}
	free(cause);
	return a;
}

/* Must fail, with a cause containing want. */
static void
gradio_bad(const char *json, const char *want)
{
	char *cause = NULL;
	struct answer *a = (struct answer *)1;
	CHECK(!answer_parse_gradio(json, strlen(json), 0.05, &a, &cause));
	CHECK(a == NULL);
	CHECK(cause != NULL && strstr(cause, want) != NULL);
	if (cause == NULL || strstr(cause, want) == NULL) {
		fprintf(stderr, "    cause \"%s\", want \"%s\"\n", cause ? cause : "(null)", want);
	}
	free(cause);
}

static const struct answer_prediction *
find(const struct answer *a, const char *name)
{
	for (size_t i = 0; i < a->count; i++) {
		if (strcmp(a->predictions[i].name, name) == 0) {
			return &a->predictions[i];
		}
	}
	return NULL;
}

#define RATINGS "{\"label\":\"general\",\"confidences\":[{\"label\":\"general\",\"confidence\":0.7}," \
	"{\"label\":\"sensitive\",\"confidence\":0.25},{\"label\":\"questionable\",\"confidence\":0.04}," \
	"{\"label\":\"explicit\",\"confidence\":0.01}]}"

/* A complete event's data as the Space sends it (§1.3, §2.4, §2.7). */
static void
test_complete(void)
{
	const char *json = "[\"1girl, solo, long hair, star \\\\(symbol\\\\)\"," RATINGS ","
	    "{\"label\":\"hatsune miku\",\"confidences\":[{\"label\":\"hatsune miku\","
	    "\"confidence\":0.97},{\"label\":\"rem (re:zero)\",\"confidence\":0.03}]},"
	    "{\"label\":\"1girl\",\"confidences\":[{\"label\":\"1girl\",\"confidence\":0.99},"
	    "{\"label\":\"solo\",\"confidence\":0.9},{\"label\":\"long hair\",\"confidence\":0.8},"
	    "{\"label\":\"star (symbol)\",\"confidence\":0.5},{\"label\":\"^_^\",\"confidence\":0.3},"
	    "{\"label\":\"(o)_(o)\",\"confidence\":0.06},{\"label\":\"blush\",\"confidence\":0.049}]}]";
	struct answer *a = gradio_ok(json, 0.05);
	if (a == NULL) {
		return;
	}
	CHECK_INT(a->rating_mask, 0xf);
	CHECK(ANSWER_HAS_RATINGS(a));
	CHECK_NEAR(a->ratings[RATING_G], 0.7, 1e-12);
	CHECK_NEAR(a->ratings[RATING_E], 0.01, 1e-12);
	CHECK_INT(answer_rating_top(a), RATING_G);
	CHECK_INT(a->ncharacter, 1); /* rem 0.03 < floor */
	CHECK_INT(a->ngeneral, 6);   /* blush 0.049 < floor */
	CHECK_INT(a->count, 4 + 1 + 6);
	/* Order: ratings g s q e, characters, general by score. */
	CHECK_STR(a->predictions[0].name, "general");
	CHECK_STR(a->predictions[3].name, "explicit");
	CHECK_INT(a->predictions[3].category, ANSWER_RATING);
	CHECK_STR(a->predictions[4].name, "hatsune_miku");
	CHECK_INT(a->predictions[4].category, ANSWER_CHARACTER);
	CHECK_STR(a->predictions[5].name, "1girl");
	CHECK_STR(a->predictions[7].name, "long_hair");
	CHECK_STR(a->predictions[8].name, "star_(symbol)");
	CHECK_STR(a->predictions[9].name, "^_^");
	CHECK_STR(a->predictions[10].name, "(o)_(o)");
	CHECK(find(a, "blush") == NULL);
	CHECK(!a->uncategorised);
	answer_destroy(a);
}

/* Empty Labels {} (nothing above threshold), and a bare {"label":…}. */
static void
test_empty(void)
{
	struct answer *a = gradio_ok("[\"\"," RATINGS ",{},{}]", 0.05);
	if (a != NULL) {
		CHECK_INT(a->count, 4);
		CHECK_INT(a->ngeneral, 0);
		CHECK_INT(a->ncharacter, 0);
		answer_destroy(a);
	}
	a = gradio_ok("[\"\",{},{},{\"label\":\"x\"}]", 0.05);
	if (a != NULL) {
		CHECK_INT(a->count, 0);
		CHECK_INT(a->rating_mask, 0);
		CHECK_INT(answer_rating_top(a), -1);
		answer_destroy(a);
	}
	/* Ties in the rating: first in g, s, q, e order wins. */
	a = gradio_ok("[\"\",{\"confidences\":[{\"label\":\"explicit\",\"confidence\":0.5},"
	    "{\"label\":\"sensitive\",\"confidence\":0.5}]},{},{}]", 0.05);
	if (a != NULL) {
		CHECK_INT(a->rating_mask, (1 << RATING_S) | (1 << RATING_E));
		CHECK_INT(answer_rating_top(a), RATING_S);
		CHECK(!ANSWER_HAS_RATINGS(a));
		answer_destroy(a);
	}
}

static void
test_malformed(void)
{
	/* The fake Space's four malformed variants. */
	gradio_bad("[\"long hair, solo\", {\"label\": \"general\", \"confid", "not valid JSON");
	gradio_bad("[\"long hair, solo\", {\"label\": \"general\", \"confidences\": []}]",
	    "not the 4 outputs");
	gradio_bad("{\"data\": \"not a list of outputs\"}", "not the 4 outputs");
	gradio_bad("[\"long hair\", {\"label\": \"general\", \"confidences\": {\"general\": 0.9}},"
	    " {}, {}]", "not a list");
	gradio_bad("null", "not the 4 outputs");
	gradio_bad("[\"\",{},{},[]]", "not a Label");
	gradio_bad("[\"\",{},{},{\"confidences\":[{\"label\":\"a\",\"confidence\":\"0.5\"}]}]",
	    "not a number");
	gradio_bad("[\"\",{},{},{\"confidences\":[{\"label\":\"a\"}]}]", "not a number");
	gradio_bad("[\"\",{},{},{\"confidences\":[{\"label\":\"a\",\"confidence\":1.5}]}]",
	    "out of range");
	gradio_bad("[\"\",{},{},{\"confidences\":[{\"label\":\"a\",\"confidence\":-0.1}]}]",
	    "out of range");
	gradio_bad("[\"\",{},{},{\"confidences\":[{\"label\":\"a\",\"confidence\":NaN}]}]",
	    "not valid JSON");
	gradio_bad("[\"\",{},{},{\"confidences\":[{\"label\":\"a\",\"confidence\":1e999}]}]",
	    "out of range");
	gradio_bad("[\"\",{},{},{\"confidences\":[{\"confidence\":0.5}]}]", "no label");
	gradio_bad("[\"\",{},{},{\"confidences\":[{\"label\":\"\",\"confidence\":0.5}]}]",
	    "bad tag name");
	gradio_bad("[\"\",{},{},{\"confidences\":[{\"label\":\"a\\u001b[2J\",\"confidence\":0.5}]}]",
	    "bad tag name");
	/* Twice: same Label, across Labels, and written once with a space. */
	gradio_bad("[\"\",{},{},{\"confidences\":[{\"label\":\"a\",\"confidence\":0.5},"
	    "{\"label\":\"a\",\"confidence\":0.4}]}]", "twice");
	gradio_bad("[\"\",{},{\"confidences\":[{\"label\":\"long hair\",\"confidence\":0.5}]},"
	    "{\"confidences\":[{\"label\":\"long_hair\",\"confidence\":0.4}]}]", "twice");
	gradio_bad("[\"\",{\"confidences\":[{\"label\":\"general\",\"confidence\":0.5},"
	    "{\"label\":\"general\",\"confidence\":0.4}]},{},{}]", "twice");
	gradio_bad("[\"\",{\"confidences\":[{\"label\":\"nsfw\",\"confidence\":0.5}]},{},{}]",
	    "unknown rating");
	/* A duplicate below the floor is still a broken answer. */
	gradio_bad("[\"\",{},{},{\"confidences\":[{\"label\":\"a\",\"confidence\":0.01},"
	    "{\"label\":\"a\",\"confidence\":0.01}]}]", "twice");
}

static void
test_bounds(void)
{
	/* More than ANSWER_MAX_TAGS entries in one Label. */
	size_t n = ANSWER_MAX_TAGS + 1;
	char *json = malloc(n * 48 + 64), *p = json;
	p += sprintf(p, "[\"\",{},{},{\"confidences\":[");
	for (size_t i = 0; i < n; i++) {
		p += sprintf(p, "%s{\"label\":\"t%zu\",\"confidence\":0.5}", i ? "," : "", i);
	}
	sprintf(p, "]}]");
	gradio_bad(json, "more than");
	free(json);
	/* Too many JSON values, refused before cJSON builds a tree. */
	n = ANSWER_MAX_NODES + 10;
	json = malloc(2 * n + 8);
	p = json;
	*p++ = '[';
	for (size_t i = 0; i < n; i++) {
		*p++ = '1';
		*p++ = ',';
	}
	strcpy(p, "1]");
	gradio_bad(json, "too many values");
	free(json);
	CHECK(!answer_json_too_big("[\"a,b,c,d\"]", 11, 2));
	CHECK(answer_json_too_big("[1,2,3]", 7, 2));
	CHECK(!answer_json_too_big("[\"\\\",,,,\"]", 10, 2));
}

static void
test_queue(void)
{
	char *cause = NULL, *run_error = NULL;
	struct answer *a = NULL;
	const char *ok = "{\"msg\":\"process_completed\",\"event_id\":\"e1\",\"output\":{\"data\":"
	    "[\"\"," RATINGS ",{},{\"label\":\"solo\",\"confidences\":[{\"label\":\"solo\","
	    "\"confidence\":0.9}]}],\"is_generating\":false,\"duration\":0.41},\"success\":true}";
	CHECK(answer_parse_queue(ok, strlen(ok), 0.05, &a, &run_error, &cause));
	CHECK(a != NULL && a->ngeneral == 1);
	CHECK(run_error == NULL);
	answer_destroy(a);
	const char *fail = "{\"msg\":\"process_completed\",\"event_id\":\"e1\",\"output\":"
	    "{\"error\":\"boom\",\"title\":\"Error\",\"visible\":true,\"duration\":null},"
	    "\"success\":false,\"title\":\"Error\"}";
	CHECK(answer_parse_queue(fail, strlen(fail), 0.05, &a, &run_error, &cause));
	CHECK(a == NULL);
	CHECK_STR(run_error, "Error: boom");
	free(run_error);
	const char *fail_null = "{\"msg\":\"process_completed\",\"output\":{\"error\":null},"
	    "\"success\":false}";
	CHECK(answer_parse_queue(fail_null, strlen(fail_null), 0.05, &a, &run_error, &cause));
	CHECK_STR(run_error, "no details");
	free(run_error);
	const char *other = "{\"msg\":\"heartbeat\"}";
	CHECK(!answer_parse_queue(other, strlen(other), 0.05, &a, &run_error, &cause));
	CHECK(cause != NULL);
	free(cause);
}

static void
check_error(const char *data, const char *want)
{
	char *msg = answer_error_message(data, strlen(data));
	CHECK_STR(msg, want);
	free(msg);
}

/* Gradio "error" event data in every form (§2.4). */
static void
test_error_event(void)
{
	check_error("null", NULL);                                          /* 4.20-6.12 */
	check_error("\"Server stopped unexpectedly.\"", "Server stopped unexpectedly.");
	check_error("{\"error\":null}", NULL);                              /* 6.13 plain */
	check_error("{\"error\":\"Out of memory\",\"duration\":10,\"visible\":true,\"title\":null}",
	    "Out of memory");                                               /* 6.13 gr.Error */
	check_error("{\"error\":\"Out of memory\",\"duration\":null,\"visible\":true,"
	    "\"title\":\"Error\"}", "Error: Out of memory");
	check_error("not json at all", "not json at all");
	check_error("", NULL);
	check_error("42", NULL);
}

static struct answer *
a1111_ok(const char *json)
{
	char *cause = NULL;
	struct answer *a = NULL;
	CHECK(answer_parse_a1111(json, strlen(json), 0.35, &a, &cause));
	if (cause != NULL) {
		fprintf(stderr, "    cause: %s\n", cause);
	}
	free(cause);
	return a;
}

static void
test_a1111(void)
{
	/* toriato: flat, raw underscored names, ratings among the tags. */
	struct answer *a = a1111_ok("{\"caption\":{\"general\":0.91,\"sensitive\":0.08,"
	    "\"questionable\":0.01,\"explicit\":0.0,\"1girl\":0.99,\"long_hair\":0.9,"
	    "\"hatsune_miku\":0.95,\"^_^\":0.4,\"blush\":0.2}}");
	if (a != NULL) {
		CHECK(a->uncategorised);
		CHECK(ANSWER_HAS_RATINGS(a));
		CHECK_NEAR(a->ratings[RATING_G], 0.91, 1e-12);
		CHECK_INT(a->ngeneral, 4); /* miku cannot be told from general; blush < floor */
		CHECK_INT(a->ncharacter, 0);
		CHECK(find(a, "long_hair") != NULL);
		CHECK(find(a, "^_^") != NULL);
		CHECK(find(a, "blush") == NULL);
		answer_destroy(a);
	}
	/* picobyte: nested. */
	a = a1111_ok("{\"caption\":{\"tag\":{\"1girl\":0.99,\"solo\":0.5},\"rating\":{\"general\":"
	    "0.6,\"sensitive\":0.3,\"questionable\":0.05,\"explicit\":0.05}}}");
	if (a != NULL) {
		CHECK(!a->uncategorised);
		CHECK(ANSWER_HAS_RATINGS(a));
		CHECK_INT(a->ngeneral, 2);
		answer_destroy(a);
	}
	/* DeepDanbooru says "safe". */
	a = a1111_ok("{\"caption\":{\"tag\":{},\"rating\":{\"safe\":0.9,\"questionable\":0.1,"
	    "\"explicit\":0.0}}}");
	if (a != NULL) {
		CHECK_INT(a->rating_mask, 0xd);
		answer_destroy(a);
	}
	char *cause = NULL;
	const char *bad[] = {"{\"caption\": {\"general\": 0.9, \"1girl", "{\"caption\":[]}", "[]",
	    "{\"caption\":{\"a\":\"x\"}}", "{\"caption\":{\"tag\":{\"a\":2},\"rating\":{}}}",
	    "{\"caption\":{\"tag\":{},\"rating\":{\"weird\":0.5}}}", NULL};
	for (int i = 0; bad[i] != NULL; i++) {
		CHECK(!answer_parse_a1111(bad[i], strlen(bad[i]), 0.35, &a, &cause));
		CHECK(a == NULL && cause != NULL);
		free(cause);
		cause = NULL;
	}
}

int
main(void)
{
	test_complete();
	test_empty();
	test_malformed();
	test_bounds();
	test_queue();
	test_error_event();
	test_a1111();
	CHECK_STR(rating_name(RATING_Q), "questionable");
	CHECK_INT(rating_letter(RATING_E), 'e');
	answer_destroy(NULL);
	return check_done();
}

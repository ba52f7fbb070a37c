/*
 * fuzz-answer.c — libFuzzer target for every parser of a Space's answers:
 * the Gradio outputs, /queue/data messages, A1111 answers, "error" event
 * data (core/answer.c), /config, /upload and /call answers
 * (core/gradio.c), hub answers (core/hub.c), A1111 model lists
 * (core/a1111.c) and HTTP error bodies (core/spaceerr.c).
 *
 * The first input byte picks the parser and the score floor; the rest is
 * the answer.  A parsed answer is checked against its documented
 * invariants (scores in [0, 1], ratings first, groups sorted, no name
 * twice, counts consistent).
 *
 * Build by hand (coverage in the parsers themselves):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -I. \
 *       $(pkg-config --cflags libcjson glib-2.0 libcurl) tests/fuzz/fuzz-answer.c \
 *       core/answer.c core/tagname.c core/gradio.c core/sse.c core/spaceurl.c \
 *       core/spaceerr.c core/sanitize.c core/hub.c core/a1111.c db/xalloc.c \
 *       $(pkg-config --libs libcjson glib-2.0 libcurl) -o fuzz-answer
 *   ./fuzz-answer -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/space/a1111.h"
#include "core/tag/answer.h"
#include "core/space/gradio.h"
#include "core/space/hub.h"
#include "core/space/spaceerr.h"

static void
check(const struct answer *a, double floor)
{
	size_t ng = 0, nc = 0;
	for (size_t i = 0; i < a->count; i++) {
		const struct answer_prediction *p = &a->predictions[i];
		if (!(p->score >= 0.0 && p->score <= 1.0) || p->name == NULL || *p->name == '\0') {
			abort();
		}
		if (p->category != ANSWER_RATING && p->score < floor) {
			abort();
		}
		ng += p->category == ANSWER_GENERAL;
		nc += p->category == ANSWER_CHARACTER;
		if (i > 0) {
			const struct answer_prediction *q = &a->predictions[i - 1];
			if (q->category == ANSWER_GENERAL && p->category != ANSWER_GENERAL) {
				abort(); /* ratings, characters, then general */
			}
			if (q->category == p->category && p->category != ANSWER_RATING &&
			    q->score < p->score) {
				abort();
			}
		}
		for (size_t j = 0; j < i; j++) {
			if (p->category != ANSWER_RATING && a->predictions[j].category != ANSWER_RATING &&
			    strcmp(a->predictions[j].name, p->name) == 0) {
				abort();
			}
		}
	}
	if (ng != a->ngeneral || nc != a->ncharacter || a->rating_mask > 0xf) {
		abort();
	}
}

static void
parse_answers(int which, const char *text, size_t len, double floor)
{
	struct answer *a = NULL;
	char *cause = NULL, *run_error = NULL;
	bool ok = false;
	switch (which) {
	case 0:
		ok = answer_parse_gradio(text, len, floor, &a, &cause);
		break;
	case 1:
		ok = answer_parse_queue(text, len, floor, &a, &run_error, &cause);
		break;
	case 2:
		ok = answer_parse_a1111(text, len, floor, &a, &cause);
		break;
	default:
		free(answer_error_message(text, len));
		return;
	}
	if (ok && a != NULL) {
		check(a, floor);
	}
	if (!ok && (cause == NULL || a != NULL)) {
		abort();
	}
	answer_destroy(a);
	free(cause);
	free(run_error);
}

static void
parse_protocol(int which, const char *text, size_t len)
{
	struct spaceerr err = SPACEERR_INIT;
	struct gradio_config *cfg = NULL;
	char *s = NULL, **models = NULL;
	size_t n = 0;
	switch (which) {
	case 4:
		if (gradio_config_parse(text, len, &cfg, &err)) {
			gradio_config_models(cfg, &n);
			gradio_config_offers(cfg, "SmilingWolf/wd-swinv2-tagger-v3");
		}
		gradio_config_destroy(cfg);
		break;
	case 5:
		gradio_parse_upload(text, len, &s, &err);
		break;
	case 6:
		gradio_parse_event_id(text, len, &s, &err);
		break;
	case 7:
		hub_parse_stage(text, len, &s, &err);
		break;
	case 8:
		if (a1111_parse_models(text, len, &models, &n, &err)) {
			a1111_pick_model(models, n, "SmilingWolf/wd-v1-4-vit-tagger-v2", &err);
		}
		a1111_free_models(models, n);
		break;
	default:
		spaceerr_from_http(&err, 400 + (int)(len % 200), NULL, text, len, -1, 0);
		break;
	}
	free(s);
	spaceerr_fini(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1) {
		return 0;
	}
	int which = data[0] % 10;
	double floor = (data[0] / 10) / 25.0;
	/* NUL-terminated copy: some callers hand cJSON C strings. */
	char *text = malloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (which < 4) {
		parse_answers(which, text, size - 1, floor);
	} else {
		parse_protocol(which, text, size - 1);
	}
	free(text);
	return 0;
}

/*
 * fuzz-xmp.c — libFuzzer target for the XMP merge: export_xmp()
 * (core/tag/export-xmp.c) adding a few tags to an arbitrary existing
 * sidecar's dc:subject bag.
 *
 * Input: byte 0 the options (bit 0 spaces, bit 1 rating label, bit 2
 * rated, bits 3-4 the top rating), byte 1 which tags of a fixed pool go in
 * (one bit each); the rest is the sidecar text (up to a NUL).
 *
 * Checks, where dc:subject is the first "<dc:subject" element of the
 * sidecar (its start tag to the end of its first "</dc:subject>", or a
 * self-closing start tag):
 *  - NULL comes with a cause, a text without one;
 *  - the merge changes only bytes inside that element, or, with none in the
 *    sidecar, only inserts, and then exactly one "<dc:subject" and one
 *    "</dc:subject>" more; with one, as many "</dc:subject>" as before;
 *  - merging the same tags into the result again changes nothing (every
 *    tag written is found again) when the result's dc:subject start and
 *    end tags pair up and its items are plain (an item left open,
 *    "<rdf:li>x</rdf:l", swallows the next one, and an unclosed
 *    "<dc:subject>" takes the end tag of the one the merge added: then
 *    each merge adds tags once more);
 *  - the new packet (no sidecar) takes the same merge unchanged.
 *
 *   meson setup build-fuzz -Dfuzz=true ... && ninja -C build-fuzz
 *   build-fuzz/tests/fuzz/fuzz-xmp -max_total_time=60 tests/fuzz/corpus/xmp
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tag/export.h"

static const char *const pool[] = {
	"1girl", "long_hair", "hatsune_miku", "saber_(fate)", "^_^", "r&b<\"x\">'",
	"smile", "black_hair",
};

static size_t
count(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, needle)) != NULL; p++) {
		n++;
	}
	return n;
}

/* The first dc:subject element of s as [*start, *end); false if none. */
static bool
subject_span(const char *s, size_t *start, size_t *end)
{
	static const char open[] = "<dc:subject", close[] = "</dc:subject>";
	for (const char *p = s; (p = strstr(p, open)) != NULL; p++) {
		char c = p[sizeof open - 1];
		if (c != '>' && c != '/' && c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			continue;
		}
		const char *gt = strchr(p, '>');
		const char *e = gt == NULL ? NULL : gt[-1] == '/' ? gt + 1 : strstr(gt, close);
		if (e == NULL) {
			return false;
		}
		*start = (size_t)(p - s);
		*end = (size_t)(e - s) + (gt[-1] == '/' ? 0 : sizeof close - 1);
		return true;
	}
	return false;
}

_Noreturn static void
fail(const char *why, const char *existing, const char *out)
{
	fprintf(stderr, "fuzz-xmp: %s\n--- sidecar:\n%s\n--- merged:\n%s\n", why, existing,
	    out != NULL ? out : "(null)");
	abort();
}

/* Check that out only changes existing inside its dc:subject. */
static void
check_merge(const char *existing, const char *out)
{
	size_t ne = strlen(existing), no = strlen(out), min = ne < no ? ne : no;
	size_t pre = 0, suf = 0;
	while (pre < min && existing[pre] == out[pre]) {
		pre++;
	}
	while (suf < min - pre && existing[ne - 1 - suf] == out[no - 1 - suf]) {
		suf++;
	}
	if (pre == ne && no == ne) {
		return; /* nothing added */
	}
	size_t start, end;
	if (subject_span(existing, &start, &end)) {
		if (pre < start || ne - suf > end) {
			fail("changed text outside dc:subject", existing, out);
		}
		if (count(out, "</dc:subject>") != count(existing, "</dc:subject>")) {
			fail("a </dc:subject> came or went", existing, out);
		}
	} else {
		if (ne - suf != pre) {
			fail("changed the text of a sidecar without dc:subject", existing, out);
		}
		if (count(out, "</dc:subject>") != count(existing, "</dc:subject>") + 1 ||
		    count(out, "<dc:subject") != count(existing, "<dc:subject") + 1) {
			fail("not one new dc:subject", existing, out);
		}
	}
}

static char *
merge(const struct export_item *item, const struct export_opts *o, const char *existing)
{
	char *cause = NULL;
	char *out = export_xmp(item, o, existing, &cause);
	if ((out == NULL) == (cause == NULL)) {
		fail(out == NULL ? "NULL without a cause" : "a cause with a text", existing, out);
	}
	free(cause);
	return out;
}

/* Whether text's dc:subject start and end tags pair up, one element at a
 * time (a start tag that closes itself is a whole element). */
static bool
paired_subjects(const char *text)
{
	static const char open[] = "<dc:subject", close[] = "</dc:subject>";
	int depth = 0;
	for (const char *p = text; (p = strchr(p, '<')) != NULL; p++) {
		if (strncmp(p, close, sizeof close - 1) == 0) {
			depth--;
		} else if (strncmp(p, open, sizeof open - 1) == 0 && p[sizeof open - 1] != '\0' &&
		    strchr(">/ \t\n\r", p[sizeof open - 1]) != NULL) {
			const char *gt = strchr(p, '>');
			depth += gt == NULL || gt[-1] != '/';
		}
		if (depth < 0 || depth > 1) {
			return false;
		}
	}
	return depth == 0;
}

/* Whether text's dc:subject elements pair up and every "<rdf:li" in the
 * first is a plain item: its start
 * tag, text without markup, "</rdf:li>".  Only then is a second merge
 * sure to find every tag the first one wrote (an item left open swallows
 * the next one). */
static bool
plain_items(const char *text)
{
	size_t start, end;
	if (!subject_span(text, &start, &end) || !paired_subjects(text)) {
		return false;
	}
	const char *stop = text + end;
	for (const char *p = text + start; (p = strstr(p, "<rdf:li")) != NULL && p < stop; p++) {
		const char *gt = strchr(p, '>');
		const char *lt = gt != NULL ? strchr(gt, '<') : NULL;
		if (lt == NULL || lt >= stop || strncmp(lt, "</rdf:li>", 9) != 0) {
			return false;
		}
	}
	return true;
}

static void
check_again(const struct export_item *item, const struct export_opts *o, const char *text)
{
	if (!plain_items(text)) {
		return;
	}
	char *again = merge(item, o, text);
	if (again == NULL || strcmp(again, text) != 0) {
		fail("merging the same tags again changed it", text, again);
	}
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2) {
		return 0;
	}
	struct export_tag tags[sizeof pool / sizeof pool[0]];
	size_t n = 0;
	for (size_t i = 0; i < sizeof pool / sizeof pool[0]; i++) {
		if (data[1] & (1u << i)) {
			tags[n++] = (struct export_tag){(char *)pool[i], DB_CAT_GENERAL, 0.5f,
				EXPORT_AUTO, false};
		}
	}
	struct export_item item = {
		.hit = {.id = 1, .path = "/lib/a.png", .rating = -1},
		.model = "m", .rated = (data[0] & 4) != 0, .tags = tags, .n_tags = n,
	};
	item.rating[(data[0] >> 3) & 3] = 0.9f;
	struct export_opts o = {.format = EXPORT_XMP, .mode = EXPORT_APPEND,
		.spaces = (data[0] & 1) != 0, .rating_tag = (data[0] & 2) != 0};

	char *existing = malloc(size - 1);
	memcpy(existing, data + 2, size - 2);
	existing[size - 2] = '\0';
	char *out = merge(&item, &o, existing);
	if (out != NULL) {
		check_merge(existing, out);
		check_again(&item, &o, out);
	}
	free(out);
	free(existing);

	char *packet = merge(&item, &o, NULL);
	check_again(&item, &o, packet);
	free(packet);
	return 0;
}

/*
 * fuzz-caption.c — libFuzzer target for caption parsing:
 * import_caption_tags() (core/tag/import.c) on an arbitrary text with an
 * arbitrary separator.
 *
 * Input: byte 0 picks the separator: one of those people use ("," ", " ";"
 * "|" " " "\n") or, from 0x80 on, the first line of the input (up to 8
 * bytes); byte 1 picks the export options of the round trip; the rest is
 * the caption text (up to a NUL).
 *
 * Checks: every tag is a canonical tag name (tagname_from_space() gives it
 * back unchanged: not empty, at most TAGNAME_MAX bytes, valid UTF-8, no
 * blank or control character), none is a rating label, none comes twice;
 * and with a usual separator, the tags exported as a caption
 * (export_caption() with that separator, escaped) read back the same, in
 * the same order.
 *
 *   meson setup build-fuzz -Dfuzz=true ... && ninja -C build-fuzz
 *   build-fuzz/tests/fuzz/fuzz-caption -max_total_time=60 tests/fuzz/corpus/caption
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rating.h"
#include "core/tag/export.h"
#include "core/tag/import.h"
#include "core/tag/tagname.h"

static const char *const usual[] = {",", ", ", " , ", ";", "|", " ", "\n", " | "};
#define N_USUAL (sizeof usual / sizeof usual[0])

_Noreturn static void
fail(const char *why, const char *tag)
{
	fprintf(stderr, "fuzz-caption: %s: \"%s\"\n", why, tag);
	abort();
}

static void
check_tags(char **tags, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *t = tags[i];
		if (t == NULL || *t == '\0' || strlen(t) > TAGNAME_MAX) {
			fail("empty or too long", t != NULL ? t : "(null)");
		}
		for (const unsigned char *p = (const unsigned char *)t; *p != '\0'; p++) {
			if (*p <= 0x20 || *p == 0x7f) {
				fail("a blank or control character", t);
			}
		}
		char *c = tagname_from_space(t);
		if (c == NULL || strcmp(c, t) != 0) {
			fail("not canonical", t);
		}
		free(c);
		if (rating_from_label(t) >= 0 && strcmp(t, "safe") != 0) {
			fail("a rating label", t);
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(tags[j], t) == 0) {
				fail("twice", t);
			}
		}
	}
}

/* Export the tags as a caption with sep and read it back. */
static void
round_trip(char **tags, size_t n, const char *sep, int flags)
{
	/* The separator trimmed, as import reads it. */
	const char *s = sep + strspn(sep, " \t\r\n");
	size_t k = strlen(s);
	while (k > 0 && strchr(" \t\r\n", s[k - 1]) != NULL) {
		k--;
	}
	struct export_tag *et = calloc(n + 1, sizeof *et);
	for (size_t i = 0; i < n; i++) {
		/* A tag holding the separator cannot come back whole. */
		if (k > 0 && memmem(tags[i], strlen(tags[i]), s, k) != NULL) {
			free(et);
			return;
		}
		/* Blanks at a display form's ends are trimmed away. */
		size_t len = strlen(tags[i]);
		if ((flags & 1) && (tags[i][0] == '_' || tags[i][len - 1] == '_')) {
			free(et);
			return;
		}
		et[i] = (struct export_tag){tags[i], DB_CAT_GENERAL, -1.0f, EXPORT_MANUAL, false};
	}
	struct export_item item = {.hit = {.path = "/a.png", .rating = -1}, .model = "m",
		.tags = et, .n_tags = n};
	struct export_opts o = {.format = EXPORT_TXT, .separator = sep, .escape = true,
		.spaces = (flags & 1) != 0 && k > 0};
	char *caption = export_caption(&item, &o);
	size_t m;
	char **back = import_caption_tags(caption, sep, &m);
	if (m != n) {
		fprintf(stderr, "fuzz-caption: %zu tags read back as %zu from \"%s\"\n", n, m,
		    caption);
		abort();
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(back[i], tags[i]) != 0) {
			fprintf(stderr, "fuzz-caption: \"%s\" read back as \"%s\" from \"%s\"\n",
			    tags[i], back[i], caption);
			abort();
		}
	}
	import_tags_free(back, m);
	free(caption);
	free(et);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2) {
		return 0;
	}
	char *text = malloc(size - 1);
	memcpy(text, data + 2, size - 2);
	text[size - 2] = '\0';
	char sep[9] = "";
	bool usual_sep = data[0] < 0x80;
	if (usual_sep) {
		strcpy(sep, usual[data[0] % N_USUAL]);
	} else {
		size_t k = strcspn(text, "\n");
		memcpy(sep, text, k < 8 ? k : 8);
	}
	size_t n;
	char **tags = import_caption_tags(text, sep, &n);
	check_tags(tags, n);
	if (usual_sep) {
		round_trip(tags, n, sep, data[1]);
	}
	import_tags_free(tags, n);
	free(text);
	return 0;
}

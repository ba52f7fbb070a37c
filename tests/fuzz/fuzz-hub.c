/*
 * fuzz-hub.c — libFuzzer target for the hub's answers (core/space/hub.c):
 * hub_parse_host() on a /host answer, then what the client does with the
 * host it names (space_take_host: spaceurl_token_host(), then
 * spaceurl_set_base() on a page URL), and hub_parse_stage() on a /runtime
 * answer.
 *
 * Input: byte 0 picks the route (even: host, odd: stage); the rest is the
 * answer's body.  $HF_ENDPOINT is the default hub.
 *
 * Checks: a parsed host is a non-empty string and err untouched; a refused
 * answer leaves *host NULL with a MALFORMED error naming the hub; a host
 * the token may go to is https and a *.hf.space or huggingface.co host; a
 * base set from a host is http(s) and free of blanks and controls.  A
 * stage is 1 to 41 upper-case letters and underscores, and names a kind.
 *
 *   meson setup build-fuzz -Dfuzz=true ... && ninja -C build-fuzz
 *   build-fuzz/tests/fuzz/fuzz-hub -max_total_time=60 tests/fuzz/corpus/hub
 */
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/space/hub.h"
#include "core/space/spaceurl.h"

_Noreturn static void
fail(const char *why, const char *s)
{
	fprintf(stderr, "fuzz-hub: %s: \"%s\"\n", why, s != NULL ? s : "(null)");
	abort();
}

static void
check_refused(const char *value, const struct spaceerr *err)
{
	if (value != NULL || err->cls != SPACEERR_MALFORMED || err->message == NULL ||
	    strstr(err->message, "hub") == NULL) {
		fail("a refusal without its error", err->message);
	}
}

/* Whether url's host (libcurl's reading) may have the token. */
static bool
token_worthy(const char *url)
{
	CURLU *h = curl_url();
	char *scheme = NULL, *host = NULL;
	bool ok = false;
	if (curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		size_t n = strlen(host);
		ok = strcasecmp(scheme, "https") == 0 &&
		    ((n > 9 && strcasecmp(host + n - 9, ".hf.space") == 0) ||
		    strcasecmp(host, "huggingface.co") == 0);
	}
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(h);
	return ok;
}

static void
check_base(const char *base)
{
	if (base == NULL ||
	    (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0)) {
		fail("a base that is no http(s) URL", base);
	}
	for (const unsigned char *p = (const unsigned char *)base; *p != '\0'; p++) {
		if (*p <= 0x20 || *p == 0x7f) {
			fail("a blank or control in the base", base);
		}
	}
}

static void
take_host(const char *body, size_t len)
{
	struct spaceerr err = SPACEERR_INIT;
	char *host = NULL;
	if (!hub_parse_host(body, len, &host, &err)) {
		check_refused(host, &err);
		spaceerr_fini(&err);
		return;
	}
	if (host == NULL || *host == '\0' || err.cls != SPACEERR_NONE || err.message != NULL) {
		fail("a host with an error, or none", host);
	}
	if (spaceurl_token_host(host)) {
		if (!token_worthy(host)) {
			fail("the token may go to it", host);
		}
		char *cause = NULL;
		struct spaceurl *u = spaceurl_create("https://huggingface.co/spaces/owner/name",
		    &cause);
		if (u == NULL) {
			fail("the page URL is refused", cause);
		}
		if (spaceurl_set_base(u, host, &cause)) {
			check_base(spaceurl_base(u));
			if (!spaceurl_token_ok(u)) {
				fail("a token host set as base may not have the token", host);
			}
		} else if (cause == NULL) {
			fail("set_base refused without a cause", host);
		}
		free(cause);
		spaceurl_destroy(u);
	}
	free(host);
}

static void
take_stage(const char *body, size_t len)
{
	struct spaceerr err = SPACEERR_INIT;
	char *stage = NULL;
	if (!hub_parse_stage(body, len, &stage, &err)) {
		check_refused(stage, &err);
		spaceerr_fini(&err);
		return;
	}
	size_t n = stage != NULL ? strlen(stage) : 0;
	if (n == 0 || n > 41 || strspn(stage, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != n ||
	    err.cls != SPACEERR_NONE) {
		fail("not a stage name", stage);
	}
	enum hub_stage_kind kind = hub_stage_kind(stage);
	if (kind != HUB_STAGE_READY) {
		hub_stage_error(&err, stage);
		if (err.message == NULL || strstr(err.message, stage) == NULL ||
		    (err.cls != SPACEERR_WAKING && err.cls != SPACEERR_UNSUPPORTED)) {
			fail("a stage error that does not name it", stage);
		}
	}
	spaceerr_fini(&err);
	free(stage);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	if (!init) {
		unsetenv("HF_ENDPOINT");
		init = true;
	}
	if (size < 1) {
		return 0;
	}
	/* A NUL-terminated copy, as net.c hands bodies over. */
	char *body = malloc(size);
	memcpy(body, data + 1, size - 1);
	body[size - 1] = '\0';
	if (data[0] % 2 == 0) {
		take_host(body, size - 1);
	} else {
		take_stage(body, size - 1);
	}
	free(body);
	return 0;
}

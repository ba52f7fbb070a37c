/*
 * fuzz-spaceurl.c — libFuzzer target for Space URL parsing
 * (core/space/spaceurl.c): spaceurl_create(), spaceurl_set_base() with a
 * host a hub might name, spaceurl_token_host() and spaceurl_is_secure().
 *
 * Input: byte 0 picks $HF_ENDPOINT (unset, huggingface.co, a loopback test
 * hub, a mirror); then the URL as configured, a newline, and the host a
 * hub names (both up to a NUL).
 *
 * Checks: a refusal has a one-line cause, which shows a URL holding an '@'
 * only up to its first ':'; a parsed URL has a text and (once known) a
 * base that are http(s) URLs free of blanks and controls, of its kind (a
 * page has a valid OWNER/NAME and no base yet, an hf.space base is https,
 * an a1111+ text masks the password), and its text parses again to the
 * same URL (unless its host has percent-escapes: see check_again); set_base leaves an http(s) base or refuses with a cause; a URL
 * the token may go to is one fit to carry it (https, or loopback under a
 * loopback hub) on a *.hf.space or the hub's own host.
 *
 *   meson setup build-fuzz -Dfuzz=true ... && ninja -C build-fuzz
 *   build-fuzz/tests/fuzz/fuzz-spaceurl -max_total_time=60 tests/fuzz/corpus/spaceurl
 */
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/space/spaceurl.h"

static const char *const endpoints[] = {
	NULL, "https://huggingface.co", "http://127.0.0.1:8089", "https://hf-mirror.com/",
};

_Noreturn static void
fail(const char *why, const char *input, const char *s)
{
	fprintf(stderr, "fuzz-spaceurl: %s: \"%s\" (input \"%s\")\n", why, s != NULL ? s : "(null)",
	    input);
	abort();
}

static bool
printable(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p <= 0x20 || *p == 0x7f) {
			return false;
		}
	}
	return true;
}

static bool
one_line(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			return false;
		}
	}
	return true;
}

static bool
http_url(const char *s)
{
	return s != NULL && (strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0) &&
	    printable(s);
}

/* libCurl's reading of url: scheme and host (curl_free them), or false. */
static bool
scheme_host(const char *url, char **scheme, char **host)
{
	CURLU *h = curl_url();
	*scheme = *host = NULL;
	bool ok = curl_url_set(h, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_SCHEME, scheme, 0) == CURLUE_OK &&
	    curl_url_get(h, CURLUPART_HOST, host, 0) == CURLUE_OK;
	curl_url_cleanup(h);
	if (!ok) {
		curl_free(*scheme);
		curl_free(*host);
	}
	return ok;
}

static bool
ends_with_nocase(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && strcasecmp(s + n - k, suffix) == 0;
}

static bool
loopback(const char *host)
{
	return strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 ||
	    strncmp(host, "127.", 4) == 0;
}

/* The refusal of text: one line, an '@' URL shown only up to its ':'. */
static void
check_refused(const char *input, const char *cause)
{
	if (cause == NULL || !one_line(cause)) {
		fail("a refusal without a one-line cause", input, cause);
	}
	const char *t = input + strspn(input, " \t");
	size_t k = strcspn(t, ":");
	bool plain = true;
	for (size_t i = 0; i < k; i++) {
		plain &= t[i] > 0x20 && t[i] < 0x7f && t[i] != '\\';
	}
	if (strchr(t, '@') != NULL && plain && k < 120 &&
	    (strncmp(cause, t, k) != 0 || strncmp(cause + k, ": ", 2) != 0)) {
		fail("a URL with an '@' shown past its first ':'", input, cause);
	}
}

static void
check_a1111(const char *input, const struct spaceurl *u)
{
	const char *text = spaceurl_text(u), *userpwd = spaceurl_userpwd(u);
	if (strncmp(text, "a1111+http", 10) != 0) {
		fail("an a1111 text without its prefix", input, text);
	}
	if (userpwd == NULL) {
		return;
	}
	const char *auth = strstr(text, "://") + 3;
	size_t n = strcspn(auth, "/");
	const char *pass = strchr(userpwd, ':') + 1;
	char *shown = strndup(auth, n);
	char *bare = malloc(strlen(pass) + 3);
	sprintf(bare, ":%s@", pass);
	if (strstr(shown, ":****@") == NULL ||
	    (strcmp(pass, "****") != 0 && strstr(shown, bare) != NULL)) {
		fail("an a1111 text that shows its password", input, text);
	}
	free(bare);
	free(shown);
}

static void
check_kind(const char *input, const struct spaceurl *u)
{
	const char *text = spaceurl_text(u), *base = spaceurl_base(u), *repo = spaceurl_repo(u);
	char *scheme, *host;
	switch (spaceurl_kind(u)) {
	case SPACEURL_HUB_PAGE:
		if (base != NULL || repo == NULL || !spaceurl_valid_repo(repo) || !http_url(text)) {
			fail("a page without a repo, or with a base", input, text);
		}
		return;
	case SPACEURL_HF_SPACE:
		if (!http_url(base) || strncmp(base, "https://", 8) != 0 ||
		    !scheme_host(base, &scheme, &host)) {
			fail("an hf.space base that is not https", input, base);
		}
		if (!ends_with_nocase(host, ".hf.space")) {
			fail("an hf.space base on another host", input, base);
		}
		curl_free(scheme);
		curl_free(host);
		break;
	case SPACEURL_GRADIO:
		if (spaceurl_userpwd(u) != NULL) {
			fail("a Gradio URL with a password", input, text);
		}
		break;
	case SPACEURL_A1111:
		check_a1111(input, u);
		return;
	default:
		fail("no kind", input, text);
	}
	if (!http_url(base) || !http_url(text)) {
		fail("a base or text that is no http(s) URL", input, base);
	}
}

/* The text of a parsed URL parses again to the same (not yet for a host
 * written with percent-escapes: libcurl decodes them, so the text holds
 * the host decoded once, "%2564" as "%64", which the next parse decodes
 * again; and "1%37.1" comes out as 17.1, which the next parse widens to
 * 17.0.0.1). */
static void
check_again(const char *input, const struct spaceurl *u)
{
	const char *authority = strchr(input, ':');
	if (authority != NULL) {
		authority += 1 + strspn(authority + 1, "/\\");
		if (memchr(authority, '%', strcspn(authority, "/\\?#")) != NULL) {
			return;
		}
	}
	char *cause = NULL;
	struct spaceurl *v = spaceurl_create(spaceurl_text(u), &cause);
	const char *b1 = spaceurl_base(u), *b2 = v != NULL ? spaceurl_base(v) : NULL;
	if (v == NULL || spaceurl_kind(v) != spaceurl_kind(u) ||
	    strcmp(spaceurl_text(v), spaceurl_text(u)) != 0 || (b1 == NULL) != (b2 == NULL) ||
	    (b1 != NULL && strcmp(b1, b2) != 0)) {
		fail("its text does not parse to the same URL", input,
		    v != NULL ? spaceurl_text(v) : cause);
	}
	free(cause);
	spaceurl_destroy(v);
}

static void
check_token_host(const char *url, const char *hub)
{
	if (!spaceurl_token_host(url)) {
		return;
	}
	char *scheme, *host, *hscheme = NULL, *hhost = NULL;
	if (!spaceurl_is_secure(url) || !scheme_host(url, &scheme, &host)) {
		fail("the token may go to an insecure URL", url, url);
	}
	if (hub == NULL) {
		hub = "https://huggingface.co";
	}
	scheme_host(hub, &hscheme, &hhost);
	bool hub_loop = loopback(hhost);
	bool ok = (loopback(host) && hub_loop) ||
	    (strcasecmp(scheme, "https") == 0 &&
	    (ends_with_nocase(host, ".hf.space") || strcasecmp(host, hhost) == 0));
	if (!ok) {
		fail("the token may go to a host that is not the hub's nor an hf.space one", url,
		    host);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(hscheme);
	curl_free(hhost);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int current = -1;
	if (size < 1) {
		return 0;
	}
	int e = data[0] % (int)(sizeof endpoints / sizeof endpoints[0]);
	if (e != current) {
		if (endpoints[e] != NULL) {
			setenv("HF_ENDPOINT", endpoints[e], 1);
		} else {
			unsetenv("HF_ENDPOINT");
		}
		current = e;
	}
	char *text = malloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	char *nl = strchr(text, '\n');
	const char *named = nl != NULL ? nl + 1 : "";
	if (nl != NULL) {
		*nl = '\0';
	}

	char *cause = NULL;
	struct spaceurl *u = spaceurl_create(text, &cause);
	if (u == NULL) {
		check_refused(text, cause);
	} else {
		if (cause != NULL || !printable(spaceurl_text(u))) {
			fail("a URL with a cause, or a text with blanks", text, spaceurl_text(u));
		}
		check_kind(text, u);
		check_again(text, u);
		char *why = NULL;
		char *before = spaceurl_base(u) ? strdup(spaceurl_base(u)) : NULL;
		if (spaceurl_set_base(u, named, &why)) {
			if (!http_url(spaceurl_base(u)) || why != NULL) {
				fail("set_base left no http(s) base", named, spaceurl_base(u));
			}
		} else if (why == NULL || !one_line(why) || (before == NULL) !=
		    (spaceurl_base(u) == NULL) || (before && strcmp(before, spaceurl_base(u)))) {
			fail("set_base refused without a cause, or changed the base", named, why);
		}
		if (spaceurl_token_ok(u) && !spaceurl_token_host(spaceurl_base(u))) {
			fail("token_ok for a base token_host refuses", text, spaceurl_base(u));
		}
		free(before);
		free(why);
		spaceurl_destroy(u);
	}
	free(cause);
	check_token_host(text, endpoints[e]);
	check_token_host(named, endpoints[e]);
	free(text);
	return 0;
}

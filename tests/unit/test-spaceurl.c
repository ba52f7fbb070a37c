/* test-spaceurl.c — the accepted URL forms, normalisation, refusals. */
#include <stdlib.h>
#include <string.h>

#include "core/space/spaceurl.h"
#include "tests/unit/check.h"

static void
check_ok(const char *in, enum spaceurl_kind kind, const char *text, const char *base,
    const char *repo)
{
	char *cause = NULL;
	struct spaceurl *u = spaceurl_create(in, &cause);
	CHECK(u != NULL);
	if (u == NULL) {
		fprintf(stderr, "    %s: %s\n", in, cause);
		free(cause);
		return;
	}
	CHECK_INT(spaceurl_kind(u), kind);
	CHECK_STR(spaceurl_text(u), text);
	CHECK_STR(spaceurl_base(u), base);
	CHECK_STR(spaceurl_repo(u), repo);
	spaceurl_destroy(u);
}

static void
check_bad(const char *in, const char *want)
{
	char *cause = NULL;
	struct spaceurl *u = spaceurl_create(in, &cause);
	CHECK(u == NULL);
	CHECK(cause != NULL && strstr(cause, want) != NULL);
	/* Every refusal lists the accepted forms, on one line. */
	CHECK(cause != NULL && strstr(cause, "huggingface.co/spaces/OWNER/NAME") != NULL);
	CHECK(cause != NULL && strchr(cause, '\n') == NULL);
	if (cause != NULL && strstr(cause, want) == NULL) {
		fprintf(stderr, "    %s: \"%s\" lacks \"%s\"\n", in, cause, want);
	}
	free(cause);
	spaceurl_destroy(u);
}

static void
test_forms(void)
{
	check_ok("https://huggingface.co/spaces/SmilingWolf/wd-tagger", SPACEURL_HUB_PAGE,
	    "https://huggingface.co/spaces/SmilingWolf/wd-tagger", NULL, "SmilingWolf/wd-tagger");
	check_ok("  http://HuggingFace.co/spaces/a_b/c.d/?logs=container#x \n", SPACEURL_HUB_PAGE,
	    "https://huggingface.co/spaces/a_b/c.d", NULL, "a_b/c.d");
	check_ok("https://www.huggingface.co/spaces/o/n", SPACEURL_HUB_PAGE,
	    "https://huggingface.co/spaces/o/n", NULL, "o/n");
	check_ok("https://SmilingWolf-WD-Tagger.hf.space/", SPACEURL_HF_SPACE,
	    "https://smilingwolf-wd-tagger.hf.space", "https://smilingwolf-wd-tagger.hf.space", NULL);
	check_ok("http://x-y.hf.space", SPACEURL_HF_SPACE, "https://x-y.hf.space",
	    "https://x-y.hf.space", NULL);
	/* fuzz-spaceurl: http's explicit 443 became https's default, written
	 * out, and the text parsed to another one without it. */
	check_ok("http://oe.hf.space:443/", SPACEURL_HF_SPACE, "https://oe.hf.space",
	    "https://oe.hf.space", NULL);
	check_ok("http://oe.hf.space:8443/", SPACEURL_HF_SPACE, "https://oe.hf.space:8443",
	    "https://oe.hf.space:8443", NULL);
	check_ok("http://127.0.0.1:7860/", SPACEURL_GRADIO, "http://127.0.0.1:7860",
	    "http://127.0.0.1:7860", NULL);
	check_ok("HTTPS://Tagger.Example.org:443/apps/wd//", SPACEURL_GRADIO,
	    "https://tagger.example.org/apps/wd", "https://tagger.example.org/apps/wd", NULL);
	check_ok("http://[::1]:8080/a/../b", SPACEURL_GRADIO, "http://[::1]:8080/b",
	    "http://[::1]:8080/b", NULL);
	check_ok("a1111+http://192.168.1.5:7860", SPACEURL_A1111, "a1111+http://192.168.1.5:7860",
	    "http://192.168.1.5:7860", NULL);
	check_ok("A1111+HTTPS://gpu.lan:7860/", SPACEURL_A1111, "a1111+https://gpu.lan:7860",
	    "https://gpu.lan:7860", NULL);
}

static void
test_refused(void)
{
	/* A host with a percent-escape would read as another host each time. */
	check_bad("https://hugg%2564.co/x", "percent-escape");
	check_bad("http://1%37.1:8", "percent-escape");
	check_bad("https://o-n%2ehf.space", "percent-escape");
	check_bad("", "empty");
	check_bad("huggingface.co/spaces/a/b", "not a URL");
	check_bad("ftp://example.org/x", "not an http");
	check_bad("a1111+ftp://example.org", "not an http");
	check_bad("https://huggingface.co/SmilingWolf/wd-tagger", "Space page");
	check_bad("https://huggingface.co/spaces/only-owner", "Space page");
	check_bad("https://huggingface.co/spaces/a/b/c", "Space page");
	check_bad("https://huggingface.co/spaces/a/b%20c", "Space page");
	check_bad("https://huggingface.co/spaces/a/..", "Space page");
	check_bad("https://user:secret@example.org/", "only for a1111");
	check_bad("http://exa mple.org/", "not a URL");
	/* A refused URL with a password is not echoed back. */
	char *cause = NULL;
	CHECK(spaceurl_create("ftp://u:hunter2@example.org", &cause) == NULL);
	CHECK(cause != NULL && strstr(cause, "hunter2") == NULL);
	free(cause);
}

static void
test_a1111_auth(void)
{
	char *cause = NULL;
	struct spaceurl *u = spaceurl_create("a1111+http://me:s3cret@gpu.lan:7860", &cause);
	CHECK(u != NULL);
	if (u != NULL) {
		CHECK_STR(spaceurl_userpwd(u), "me:s3cret");
		CHECK_STR(spaceurl_text(u), "a1111+http://me:****@gpu.lan:7860");
		CHECK_STR(spaceurl_base(u), "http://gpu.lan:7860");
		CHECK(!spaceurl_token_ok(u));
		spaceurl_destroy(u);
	}
	/* A user name is sent decoded and shown as written: a decoded blank
	 * never reaches the text (fuzz-spaceurl's crash-user-blank). */
	u = spaceurl_create("a1111+http://d%2070+x:p%40ss@gpu.lan", &cause);
	CHECK(u != NULL);
	if (u != NULL) {
		CHECK_STR(spaceurl_userpwd(u), "d 70+x:p@ss");
		CHECK_STR(spaceurl_text(u), "a1111+http://d%2070+x:****@gpu.lan");
		spaceurl_destroy(u);
	}
	check_bad("a1111+http://a%3Ab:pw@gpu.lan", "user name");
	check_bad("a1111+http://a%0Ab:pw@gpu.lan", "user name");
}

static void
test_hub(void)
{
	char *cause = NULL;
	unsetenv("HF_ENDPOINT");
	char *hub = spaceurl_hub_endpoint(&cause);
	CHECK_STR(hub, "https://huggingface.co");
	free(hub);
	setenv("HF_ENDPOINT", "http://127.0.0.1:5555/", 1);
	hub = spaceurl_hub_endpoint(&cause);
	CHECK_STR(hub, "http://127.0.0.1:5555");
	free(hub);
	/* The page form on the test hub's own host. */
	check_ok("http://127.0.0.1:5555/spaces/o/n", SPACEURL_HUB_PAGE,
	    "http://127.0.0.1:5555/spaces/o/n", NULL, "o/n");
	check_ok("http://127.0.0.1:5556/spaces/o/n", SPACEURL_GRADIO,
	    "http://127.0.0.1:5556/spaces/o/n", "http://127.0.0.1:5556/spaces/o/n", NULL);
	setenv("HF_ENDPOINT", "not a url", 1);
	CHECK(spaceurl_hub_endpoint(&cause) == NULL);
	CHECK(cause != NULL && strstr(cause, "HF_ENDPOINT") != NULL);
	free(cause);
	unsetenv("HF_ENDPOINT");
}

/* Where the token may go, whatever a hub answers (DESIGN.md §5). */
static void
test_token_hosts(void)
{
	unsetenv("HF_ENDPOINT");
	CHECK(spaceurl_token_host("https://o-n.hf.space"));
	CHECK(spaceurl_token_host("https://O-N.HF.SPACE/x"));
	CHECK(spaceurl_token_host("https://huggingface.co/api/spaces/o/n/host"));
	CHECK(!spaceurl_token_host("http://o-n.hf.space"));       /* not https */
	CHECK(!spaceurl_token_host("https://hf.space"));          /* no Space name */
	CHECK(!spaceurl_token_host("https://o-n.hf.space.evil.org"));
	CHECK(!spaceurl_token_host("https://evilhf.space"));
	CHECK(!spaceurl_token_host("https://huggingface.co.evil.org"));
	CHECK(!spaceurl_token_host("https://huggingface.co:8443/x")); /* another port */
	CHECK(!spaceurl_token_host("http://127.0.0.1:9"));        /* loopback, hub not */
	CHECK(!spaceurl_token_host("not a url"));
	CHECK(!spaceurl_token_host("https://o-n%2ehf.space"));
	/* A plain-http hub off loopback gets no token, and neither does any host
	 * it names but *.hf.space. */
	setenv("HF_ENDPOINT", "http://hub.example.org", 1);
	CHECK(!spaceurl_token_host("http://hub.example.org/api/spaces/o/n/host"));
	CHECK(!spaceurl_token_host("https://hub.example.org/api/spaces/o/n/host"));
	CHECK(!spaceurl_token_host("https://attacker.example.net"));
	CHECK(!spaceurl_token_host("http://127.0.0.1:9"));
	CHECK(spaceurl_token_host("https://o-n.hf.space"));
	setenv("HF_ENDPOINT", "https://hub.example.org", 1);
	CHECK(spaceurl_token_host("https://hub.example.org/api/spaces/o/n/host"));
	CHECK(!spaceurl_token_host("https://attacker.example.net"));
	setenv("HF_ENDPOINT", "http://127.0.0.1:8", 1);
	CHECK(spaceurl_token_host("http://127.0.0.1:8/api"));
	CHECK(spaceurl_token_host("http://127.0.0.1:9"));
	CHECK(!spaceurl_token_host("https://attacker.example.net"));
	unsetenv("HF_ENDPOINT");
}

static void
test_resolve(void)
{
	char *cause = NULL;
	struct spaceurl *u = spaceurl_create("https://huggingface.co/spaces/o/n", &cause);
	CHECK(!spaceurl_token_ok(u)); /* no host yet */
	CHECK(!spaceurl_set_base(u, "javascript:alert(1)", &cause));
	free(cause);
	CHECK(spaceurl_set_base(u, "https://o-n.hf.space/", &cause));
	CHECK_STR(spaceurl_base(u), "https://o-n.hf.space");
	CHECK(spaceurl_token_ok(u));
	CHECK(spaceurl_set_base(u, "http://evil.example.org", &cause));
	CHECK(!spaceurl_token_ok(u)); /* plain http off loopback: no token */
	CHECK(spaceurl_set_base(u, "https://evil.example.org", &cause));
	CHECK(!spaceurl_token_ok(u)); /* https, but not *.hf.space nor the hub */
	CHECK(spaceurl_set_base(u, "http://127.0.0.1:9", &cause));
	CHECK(!spaceurl_token_ok(u)); /* loopback, while the hub is not */
	setenv("HF_ENDPOINT", "http://127.0.0.1:8", 1);
	CHECK(spaceurl_token_ok(u)); /* a test's hub on loopback: its Spaces may be too */
	unsetenv("HF_ENDPOINT");
	spaceurl_destroy(u);

	u = spaceurl_create("https://o-n.hf.space", &cause);
	CHECK(spaceurl_repo(u) == NULL);
	CHECK(!spaceurl_set_repo(u, "not a repo"));
	CHECK(spaceurl_set_repo(u, "O/n"));
	CHECK_STR(spaceurl_repo(u), "O/n");
	CHECK(spaceurl_token_ok(u));
	spaceurl_destroy(u);

	u = spaceurl_create("http://localhost:7860", &cause);
	CHECK(!spaceurl_token_ok(u)); /* a self-hosted app never gets the HF token */
	spaceurl_destroy(u);
	CHECK(spaceurl_is_secure("https://x.org"));
	CHECK(spaceurl_is_secure("http://127.0.0.1:1"));
	CHECK(spaceurl_is_secure("http://[::1]:1"));
	CHECK(!spaceurl_is_secure("http://127.evil.org"));
	CHECK(!spaceurl_is_secure("http://10.0.0.1"));
	CHECK(spaceurl_valid_repo("a-b_c.d/E.f"));
	CHECK(!spaceurl_valid_repo("a/b/c"));
	CHECK(!spaceurl_valid_repo("/b"));
	CHECK(!spaceurl_valid_repo("a/"));
	CHECK(!spaceurl_valid_repo("../b"));
	spaceurl_destroy(NULL);
}

int
main(void)
{
	unsetenv("HF_ENDPOINT");
	test_forms();
	test_refused();
	test_a1111_auth();
	test_hub();
	test_token_hosts();
	test_resolve();
	return check_done();
}

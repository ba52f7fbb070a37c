/*
 * test-export.c — the renderings of an export item (caption, JSON, XMP new
 * and merged), where files go, atomic writes, and caption parsing for
 * import.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/tag/export.h"
#include "core/tag/import.h"
#include "common/xalloc.h"
#include "tests/unit/check.h"
#include "tests/unit/tmpdir.h"

static struct export_tag tags[] = {
	{"hatsune_miku", DB_CAT_CHARACTER, 0.97f, EXPORT_AUTO, false},
	{"1girl", DB_CAT_GENERAL, 0.99f, EXPORT_AUTO, false},
	{"long_hair", DB_CAT_GENERAL, 0.8f, EXPORT_MANUAL, false},
	{"saber_(fate)", DB_CAT_GENERAL, -1.0f, EXPORT_MANUAL, false},
	{"^_^", DB_CAT_GENERAL, 0.5f, EXPORT_SUGGESTED, false},
	{"r&b<\"x\">", DB_CAT_USER, -1.0f, EXPORT_MANUAL, false},
};

static struct export_item
item(void)
{
	struct export_item it = {
		.hit = {.id = 1, .path = "/lib/a/girl.one.png", .width = 60, .height = 80,
			.orientation = DB_ORIENT_PORTRAIT, .rating = 0},
		.model = "m", .rated = true, .rating = {0.1f, 0.7f, 0.1f, 0.1f},
		.tags = tags, .n_tags = sizeof tags / sizeof tags[0],
	};
	return it;
}

static void
test_caption(void)
{
	struct export_item it = item();
	struct export_opts o = {.format = EXPORT_TXT};
	char *c = export_caption(&it, &o);
	CHECK_STR(c, "hatsune_miku, 1girl, long_hair, saber_(fate), ^_^, r&b<\"x\">");
	free(c);
	o = (struct export_opts){.spaces = true, .escape = true, .rating_tag = true,
		.separator = " | "};
	c = export_caption(&it, &o);
	CHECK_STR(c, "sensitive | hatsune miku | 1girl | long hair | saber \\(fate\\) | ^_^ | "
	    "r&b<\"x\">");
	free(c);
	it.rated = false;
	it.n_tags = 0;
	c = export_caption(&it, &o);
	CHECK_STR(c, "");
	free(c);
}

static void
test_json(void)
{
	struct export_item it = item();
	cJSON *j = export_json(&it);
	char *s = cJSON_PrintUnformatted(j);
	CHECK(strstr(s, "\"path\":\"/lib/a/girl.one.png\"") != NULL);
	CHECK(strstr(s, "\"rating\":{\"label\":\"s\",\"scores\":{\"general\":") != NULL);
	CHECK(strstr(s, "{\"tag\":\"saber_(fate)\",\"category\":\"general\",\"source\":\"manual\","
	    "\"score\":null,\"pinned\":false}") != NULL);
	CHECK(strstr(s, "\"source\":\"suggested\"") != NULL);
	CHECK(strstr(s, "\"hash\":null") != NULL);
	free(s);
	cJSON_Delete(j);
}

static void
test_targets(void)
{
	struct export_item it = item();
	struct export_opts o = {.format = EXPORT_TXT};
	char *t = export_target(&it, &o, "/lib");
	CHECK_STR(t, "/lib/a/girl.one.txt");
	free(t);
	o.format = EXPORT_XMP;
	t = export_target(&it, &o, "/lib");
	CHECK_STR(t, "/lib/a/girl.one.png.xmp");
	free(t);
	o.out = "/out";
	t = export_target(&it, &o, "/lib");
	CHECK_STR(t, "/out/a/girl.one.png.xmp");
	free(t);
	o.format = EXPORT_TXT;
	t = export_target(&it, &o, NULL);
	CHECK_STR(t, "/out/lib/a/girl.one.txt");
	free(t);
	it.hit.path = "/lib/.hidden";
	o.out = NULL;
	t = export_target(&it, &o, "/lib");
	CHECK_STR(t, "/lib/.hidden.txt");
	free(t);
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++) {
		n++;
	}
	return n;
}

static void
test_xmp(void)
{
	struct export_item it = item();
	struct export_opts o = {.format = EXPORT_XMP, .rating_tag = true};
	char *x = export_xmp(&it, &o, NULL, NULL);
	CHECK(strncmp(x, "<?xpacket begin=", 16) == 0);
	CHECK(strstr(x, "<rdf:li>sensitive</rdf:li>") != NULL);
	CHECK(strstr(x, "<rdf:li>r&amp;b&lt;&quot;x&quot;&gt;</rdf:li>") != NULL);
	CHECK_INT(count(x, "<rdf:li>"), 7);
	CHECK(strstr(x, "<?xpacket end=\"w\"?>") != NULL);
	/* Merging: what is there stays, what is missing comes. */
	const char *old = "<x:xmpmeta><rdf:RDF><rdf:Description a=\"1\"><dc:subject><rdf:Bag>"
	    "<rdf:li>1girl</rdf:li><rdf:li>long hair</rdf:li><rdf:li>a &amp; b</rdf:li>"
	    "</rdf:Bag></dc:subject><other/></rdf:Description></rdf:RDF></x:xmpmeta>";
	char *m = export_xmp(&it, &o, old, NULL);
	CHECK(m != NULL && strncmp(m, "<x:xmpmeta><rdf:RDF><rdf:Description a=\"1\">", 43) == 0);
	CHECK_INT(count(m, "<rdf:li>1girl</rdf:li>"), 1);
	CHECK_INT(count(m, "long_hair"), 0);
	CHECK_INT(count(m, "<rdf:li>"), 3 + 5);
	CHECK(strstr(m, "<other/></rdf:Description>") != NULL);
	char *again = export_xmp(&it, &o, m, NULL);
	CHECK_STR(again, m);
	free(again);
	free(m);
	m = export_xmp(&it, &o, "<a><rdf:Description x=\"y\"></rdf:Description></a>", NULL);
	CHECK(m != NULL && strstr(m, "<dc:subject xmlns:dc=\"http://purl.org/dc/elements/1.1/\">")
	    != NULL && strstr(m, "</dc:subject>\n  </rdf:Description></a>") != NULL);
	free(m);
	m = export_xmp(&it, &o, "<dc:subject><rdf:Bag/></dc:subject>", NULL);
	CHECK(m != NULL && count(m, "<rdf:li>") == 7 && count(m, "</rdf:Bag>") == 1);
	free(m);
	char *cause = NULL;
	CHECK(export_xmp(&it, &o, "<not xmp/>", &cause) == NULL && cause != NULL);
	free(cause);
	CHECK(export_xmp(&it, &o, "<dc:subject><rdf:Bag><rdf:li>x", NULL) == NULL);
	/* Only dc:subject's own bag: never a Bag of another property after it. */
	const char *seq = "<rdf:Description><dc:subject><rdf:Seq><rdf:li>x</rdf:li></rdf:Seq>"
	    "</dc:subject><lr:hierarchicalSubject><rdf:Bag><rdf:li>a|b</rdf:li></rdf:Bag>"
	    "</lr:hierarchicalSubject></rdf:Description>";
	CHECK(export_xmp(&it, &o, seq, &cause) == NULL && cause != NULL);
	free(cause);
	const char *later = "<rdf:Description><lr:hierarchicalSubject><rdf:Bag><rdf:li>a|b</rdf:li>"
	    "</rdf:Bag></lr:hierarchicalSubject><dc:subjectX/><dc:subject><rdf:Bag><rdf:li>x"
	    "</rdf:li></rdf:Bag></dc:subject></rdf:Description>";
	m = export_xmp(&it, &o, later, NULL);
	CHECK(m != NULL && strncmp(m, later, strstr(later, "<dc:subject>") - later) == 0);
	CHECK(m != NULL && count(strstr(m, "<dc:subject>"), "<rdf:li>") == 8);
	free(m);
	/* An item left open never swallows the next one: "sensitive" is there
	 * once, so it is not added again (fuzz-xmp's regress-open-item). */
	const char *open_item = "<dc:subject><rdf:Bag><rdf:li>1girl<rdf:li>sensitive</rdf:li>"
	    "<rdf:li/></rdf:Bag></dc:subject>";
	m = export_xmp(&it, &o, open_item, NULL);
	CHECK(m != NULL && count(m, "sensitive") == 1 && count(m, "<rdf:li>1girl</rdf:li>") == 1);
	free(m);
	free(x);
}

static void
test_write(void)
{
	const char *p = tmppath("w/cap.txt");
	char *cause = NULL;
	CHECK(!export_write_file(p, "x", 1, &cause));
	CHECK(cause != NULL && strstr(cause, "w/cap.txt") != NULL);
	free(cause);
	CHECK(mkdir(tmppath("w"), 0755) == 0);
	CHECK(export_write_file(p, "hello\n", 6, &cause));
	CHECK(export_write_file(p, "bye\n", 4, &cause));
	FILE *f = fopen(p, "r");
	char buf[16] = "";
	CHECK(f != NULL && fgets(buf, sizeof buf, f) != NULL);
	CHECK_STR(buf, "bye\n");
	fclose(f);
	struct stat st;
	CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == (0666 & ~umask(022)));
	char *cmd = xasprintf("test $(ls -A '%s' | wc -l) -eq 1", tmppath("w"));
	CHECK(system(cmd) == 0);
	free(cmd);
}

static void
test_caption_parse(void)
{
	size_t n;
	char **t = import_caption_tags("long hair, saber \\(fate\\),  1girl ,,general, long_hair,"
	    " ^_^\n", NULL, &n);
	CHECK_INT(n, 4);
	if (n == 4) {
		CHECK_STR(t[0], "long_hair");
		CHECK_STR(t[1], "saber_(fate)");
		CHECK_STR(t[2], "1girl");
		CHECK_STR(t[3], "^_^");
	}
	import_tags_free(t, n);
	t = import_caption_tags("a b\tc\n\nd", " ", &n);
	CHECK_INT(n, 4);
	import_tags_free(t, n);
	t = import_caption_tags("a | b|c", " | ", &n);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_STR(t[2], "c");
	}
	import_tags_free(t, n);
	t = import_caption_tags("", NULL, &n);
	CHECK_INT(n, 0);
	import_tags_free(t, n);
	t = import_caption_tags("ok, bad\x01tag, \xff\xfe", NULL, &n);
	CHECK_INT(n, 1);
	import_tags_free(t, n);
}

int
main(void)
{
	test_caption();
	test_json();
	test_targets();
	test_xmp();
	test_write();
	test_caption_parse();
	return check_done();
}

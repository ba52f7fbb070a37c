/* test-sanitize.c — outside text made harmless; the allocator's helpers. */
#include <stdlib.h>
#include <string.h>

#include "core/sanitize.h"
#include "common/xalloc.h"
#include "tests/unit/check.h"

static void
same(const char *in, const char *want)
{
	char *got = sanitize_str(in);
	CHECK_STR(got, want);
	free(got);
}

int
main(void)
{
	same("plain name.jpg", "plain name.jpg");
	same("日本語 ^_^ (o)_(o)", "日本語 ^_^ (o)_(o)");
	same("a\nb\tc\rd", "a\\nb\\tc\\rd");
	same("\033[31mred\033[0m", "\\e[31mred\\e[0m");
	same("del\x7f", "del\\x7f");
	same("csi\xc2\x9b" "2J", "csi\\u{9b}2J");
	same("rtl\xe2\x80\xae" "evil", "rtl\\u{202e}evil");
	same("caf\xe9" ".png", "caf\\xe9.png");
	same("cut\xe6\x97", "cut\\xe6\\x97");
	char *n = sanitize_dup("a\0b", 3);
	CHECK_STR(n, "a\\x00b");
	free(n);
	char *u = sanitize_utf8("caf\xe9\n");
	CHECK_STR(u, "caf\\xe9\n");
	free(u);

	/* JSON: DEL, C1 and bidi controls as \u escapes, the rest as is. */
	char *j = sanitize_json("{\"p\":\"a\x7f b\xc2\x9b c\xe2\x80\xae d\xe2\x81\xa6 \xe6\x97\xa5 \\n\"}");
	CHECK_STR(j, "{\"p\":\"a\\u007f b\\u009b c\\u202e d\\u2066 \xe6\x97\xa5 \\n\"}");
	free(j);
	j = sanitize_json("{\"p\":\"caf\xe9.png\"}");
	CHECK_STR(j, "{\"p\":\"caf\\\\xe9.png\"}");
	free(j);
	/* A path in JSON: "path" alone when UTF-8 (lossless), else the readable
	 * form and "path_b64" with the exact bytes. */
	CHECK(sanitize_is_utf8("\xe6\x97\xa5 \x1b\n", 6));
	CHECK(!sanitize_is_utf8("caf\xe9", 4));
	CHECK(!sanitize_is_utf8("\xc0\xaf", 2));         /* overlong '/' */
	CHECK(!sanitize_is_utf8("\xed\xa0\x80", 3));     /* U+D800 */
	CHECK(!sanitize_is_utf8("\xe2\x82", 2));         /* cut short */
	cJSON *o = cJSON_CreateObject();
	sanitize_json_add_path(o, "path", "/a/new\nline \xe2\x80\xae.jpg");
	sanitize_json_add_path(o, "dir", "/caf\xe9");
	char *t = cJSON_PrintUnformatted(o);
	CHECK_STR(t, "{\"path\":\"/a/new\\nline \xe2\x80\xae.jpg\",\"dir\":\"/caf\\\\xe9\","
	    "\"dir_b64\":\"L2NhZuk=\"}");
	free(t);
	cJSON_Delete(o);

	char *url = sanitize_url("https://bob:s3cret@hooks.example.org/x?y=1");
	CHECK_STR(url, "https://***@hooks.example.org/x?y=1");
	free(url);
	url = sanitize_url("http://hooks.example.org/a@b");
	CHECK_STR(url, "http://hooks.example.org/a@b");
	free(url);
	CHECK(sanitize_harmful(0x9b) && sanitize_harmful(0x202e) && sanitize_harmful(0x7f));
	CHECK(!sanitize_harmful(0xe9) && !sanitize_harmful('a'));

	char *s = xasprintf("%d-%s", 42, "x");
	CHECK_STR(s, "42-x");
	free(s);
	s = xstrndup("abcdef", 3);
	CHECK_STR(s, "abc");
	free(s);
	int *arr = xreallocarray(NULL, 10, sizeof *arr);
	arr[9] = 1;
	free(arr);
	return check_done();
}

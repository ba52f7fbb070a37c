/* test-tagname.c — Space names to canonical Danbooru names and back. */
#include <stdlib.h>
#include <string.h>

#include "core/tag/tagname.h"
#include "tests/unit/check.h"

static void
check_from(const char *in, const char *want)
{
	char *got = tagname_from_space(in);
	CHECK_STR(got, want);
	free(got);
}

static void
check_display(const char *in, int flags, const char *want)
{
	char *got = tagname_display(in, flags);
	CHECK_STR(got, want);
	free(got);
}

/* All 19 kaomoji of space-protocol.md §1.3 survive both ways. */
static void
test_kaomoji(void)
{
	static const char *const faces[] = {"0_0", "(o)_(o)", "+_+", "+_-", "._.", "<o>_<o>",
	    "<|>_<|>", "=_=", ">_<", "3_3", "6_9", ">_o", "@_@", "^_^", "o_o", "u_u", "x_x",
	    "|_|", "||_||", NULL};
	int n = 0;
	for (const char *const *f = faces; *f != NULL; f++, n++) {
		CHECK(tagname_is_kaomoji(*f));
		check_from(*f, *f);
		check_display(*f, TAGNAME_SPACES, *f);
	}
	CHECK_INT(n, 19);
	CHECK(!tagname_is_kaomoji("long_hair"));
	CHECK(!tagname_is_kaomoji("o o"));
	check_display("(o)_(o)", TAGNAME_SPACES | TAGNAME_ESCAPE, "\\(o\\)_\\(o\\)");
}

int
main(void)
{
	check_from("long hair", "long_hair");
	/* C1 and bidi controls are no part of a tag (they drive terminals). */
	check_from("csi\xc2\x9b" "2J", NULL);
	check_from("rtl\xe2\x80\xae" "evil", NULL);
	check_from("iso\xe2\x81\xa6" "late", NULL);
	check_from("del\x7f", NULL);
	check_from("caf\xc3\xa9", "caf\xc3\xa9");
	check_from("long_hair", "long_hair");
	check_from("  looking at viewer ", "looking_at_viewer");
	check_from("star (symbol)", "star_(symbol)");
	check_from("jeanne d'arc alter (fate)", "jeanne_d'arc_alter_(fate)");
	check_from("rem (re:zero)", "rem_(re:zero)");
	check_from(":d", ":d");
	check_from("", NULL);
	check_from("   ", NULL);
	check_from("bad\nname", NULL);
	check_from("bad\x1b[31m", NULL);
	check_from("\xff\xfe", NULL);
	char *big = malloc(TAGNAME_MAX + 2);
	memset(big, 'a', TAGNAME_MAX + 1);
	big[TAGNAME_MAX + 1] = '\0';
	check_from(big, NULL);
	big[TAGNAME_MAX] = '\0';
	check_from(big, big);
	free(big);
	test_kaomoji();

	char *u = tagname_unescape("star \\(symbol\\), 1girl");
	CHECK_STR(u, "star (symbol), 1girl");
	free(u);
	u = tagname_unescape("back\\slash \\");
	CHECK_STR(u, "back\\slash \\");
	free(u);

	check_display("star_(symbol)", 0, "star_(symbol)");
	check_display("star_(symbol)", TAGNAME_SPACES, "star (symbol)");
	check_display("star_(symbol)", TAGNAME_ESCAPE, "star_\\(symbol\\)");
	check_display("star_(symbol)", TAGNAME_SPACES | TAGNAME_ESCAPE, "star \\(symbol\\)");
	check_display("^_^", TAGNAME_SPACES | TAGNAME_ESCAPE, "^_^");
	return check_done();
}

/*
 * test-termcap.c — the terminal's answers (tui/termcap.c) as bytes: what
 * xterm -ti vt340, kitty, tmux and a terminal that answers nothing write,
 * cut anywhere, with keys typed among them.
 */
#include <stdbool.h>
#include <string.h>

#include "tests/unit/check.h"
#include "tui/termcap.h"

static bool
feed(struct termcap *tc, const char *s, bool *kitty, bool *sixel)
{
	memset(tc, 0, sizeof *tc);
	*kitty = *sixel = false;
	return termcap_parse_replies(tc, s, (int)strlen(s), kitty, sixel);
}

static void
test_answers(void)
{
	struct termcap tc;
	bool kitty, sixel;
	/* xterm -ti vt340: no kitty reply, the cell size, DA1 with 4. */
	CHECK(feed(&tc, "\033[6;13;6t\033[?63;1;2;4;6;9;15;22c", &kitty, &sixel));
	CHECK(sixel && !kitty);
	CHECK_INT(tc.cell_w, 6);
	CHECK_INT(tc.cell_h, 13);
	CHECK_INT(tc.n_typed, 0);
	/* kitty: OK to image 31, DA1 without 4. */
	CHECK(feed(&tc, "\033_Gi=31;OK\033\\\033[6;20;10t\033[?62;c", &kitty, &sixel));
	CHECK(kitty && !sixel);
	/* An error to the query is no kitty; nor an OK for another image. */
	feed(&tc, "\033_Gi=31;EINVAL:bad\033\\\033[?62c", &kitty, &sixel);
	CHECK(!kitty);
	feed(&tc, "\033_Gi=7;OK\033\\\033[?62c", &kitty, &sixel);
	CHECK(!kitty);
	/* tmux: DA1 only. */
	CHECK(feed(&tc, "\033[?1;2c", &kitty, &sixel));
	CHECK(!kitty && !sixel);
	/* 4 as part of a larger number is not sixel. */
	feed(&tc, "\033[?64;44c", &kitty, &sixel);
	CHECK(!sixel);
}

static void
test_partial(void)
{
	struct termcap tc;
	bool kitty, sixel;
	/* Cut in the middle: not done, nothing made up. */
	CHECK(!feed(&tc, "\033[?63;1;2;4", &kitty, &sixel));
	CHECK(!feed(&tc, "\033_Gi=31;O", &kitty, &sixel));
	CHECK(!kitty);
	CHECK(!feed(&tc, "", &kitty, &sixel));
	CHECK(!feed(&tc, "\033", &kitty, &sixel));
	/* Huge numbers are capped, not overflowed. */
	feed(&tc, "\033[6;99999999999999999999;99999999999999999999t\033[?62c", &kitty, &sixel);
	CHECK(tc.cell_w <= 100000 && tc.cell_h <= 100000);
	/* More parameters than kept. */
	char many[400] = "\033[?";
	for (int i = 0; i < 60; i++) {
		strcat(many, "1;");
	}
	strcat(many, "4c");
	CHECK(feed(&tc, many, &kitty, &sixel));
}

static void
test_typed(void)
{
	struct termcap tc;
	bool kitty, sixel;
	/* Keys that came before, between and after the answers are kept in order. */
	CHECK(feed(&tc, "r\033[6;20;10tx\033[?62;4c\r", &kitty, &sixel));
	CHECK_INT(tc.n_typed, 3);
	CHECK(memcmp(tc.typed, "rx\r", 3) == 0);
	/* An arrow key is typed, not an answer. */
	feed(&tc, "\033[A\033[?62c", &kitty, &sixel);
	CHECK_INT(tc.n_typed, 3);
	CHECK(memcmp(tc.typed, "\033[A", 3) == 0);
}

static void
test_names(void)
{
	enum termcap_proto p = TERMCAP_SYMBOLS;
	bool automatic;
	CHECK(termcap_proto_parse("auto", &p, &automatic) && automatic);
	CHECK(termcap_proto_parse("kitty", &p, &automatic) && !automatic && p == TERMCAP_KITTY);
	CHECK(termcap_proto_parse("iterm", &p, &automatic) && p == TERMCAP_ITERM);
	CHECK(!termcap_proto_parse("Sixel", &p, &automatic));
	CHECK_STR(termcap_proto_name(TERMCAP_SIXEL), "sixel");
}

int
main(void)
{
	test_answers();
	test_partial();
	test_typed();
	test_names();
	return check_done();
}

/*
 * test-query.c — the query language: every construct parses to the tree
 * it means, and every error names its column and what was expected.
 */
#include <stdlib.h>
#include <string.h>

#include "core/tag/query.h"
#include "db/search.h"
#include "tests/unit/check.h"

/* text parses (relative folders from /home/u) and formats as want. */
static void
ok(const char *text, const char *want)
{
	struct search_node *n = NULL;
	char *cause = NULL;
	bool parsed = query_parse(text, "/home/u", &n, &cause, NULL);
	if (!check_(parsed, text, __FILE__, __LINE__)) {
		fprintf(stderr, "    query %s: %s\n", text, cause);
		free(cause);
		return;
	}
	char *got = query_format(n);
	if (!check_(strcmp(got, want) == 0, text, __FILE__, __LINE__)) {
		fprintf(stderr, "    query %s: got %s, want %s\n", text, got, want);
	}
	free(got);
	search_node_destroy(n);
}

/* text fails at column col with a message containing what. */
static void
bad(const char *text, int col, const char *what)
{
	struct search_node *n = NULL;
	char *cause = NULL;
	int got_col = 0;
	bool parsed = query_parse(text, NULL, &n, &cause, &got_col);
	if (!check_(!parsed && n == NULL, text, __FILE__, __LINE__)) {
		char *f = query_format(n);
		fprintf(stderr, "    query %s parsed as %s\n", text, f);
		free(f);
		search_node_destroy(n);
		return;
	}
	char prefix[32];
	snprintf(prefix, sizeof prefix, "column %d: ", col);
	bool good = got_col == col && strncmp(cause, prefix, strlen(prefix)) == 0 &&
	    strstr(cause, what) != NULL;
	if (!check_(good, text, __FILE__, __LINE__)) {
		fprintf(stderr, "    query %s: got \"%s\" (column %d), want column %d and \"%s\"\n",
		    text, cause, got_col, col, what);
	}
	free(cause);
}

static void
test_basics(void)
{
	ok("", "(all)");
	ok("  \t ", "(all)");
	ok("1girl", "1girl");
	ok("1girl solo", "(and 1girl solo)");
	ok("1girl solo -monochrome rating:g orientation:portrait",
	    "(and 1girl solo (not monochrome) (rating g) (orientation portrait))");
	ok("--a", "a");
	ok("---a", "(not a)");
	ok("\"long hair\"", "long_hair");
	ok("long_hair", "long_hair");
	ok("  long_hair  ", "long_hair");
	ok("\"-_-\"", "-_-");
	ok("\"a \\\"q\\\" b\"", "a_\"q\"_b");
	ok("hair*", "hair*");
	ok("*", "*");
	ok("tag:rating:g", "rating:g");
	ok("tag:\"long hair\"", "long_hair");
}

static void
test_or_and_groups(void)
{
	ok("a | b", "(or a b)");
	ok("a|b", "(or a b)");
	ok("a b | c", "(or (and a b) c)");
	ok("a | b c", "(or a (and b c))");
	ok("a (b | c)", "(and a (or b c))");
	ok("(a | b) -(c d)", "(and (or a b) (not (and c d)))");
	ok("( a | b )", "(or a b)");
	ok("((a))", "a");
	ok("(solo)", "solo");
	ok("a | b | c", "(or a b c)");
	ok("(a | b) | c", "(or a b c)");
	ok("(a b) c", "(and a b c)");
	ok("~a ~b c", "(and c (or a b))");
	ok("~a", "a");
	ok("x ~a ~(b c) -d", "(and x (not d) (or a (and b c)))");
}

static void
test_tags_with_syntax(void)
{
	ok("saber_(fate)", "saber_(fate)");
	ok("(saber_(fate) | rin)", "(or saber_(fate) rin)");
	ok("(saber_(fate))", "saber_(fate)");
	ok("(o)_(o)", "(o)_(o)");
	ok("a (o)_(o)", "(and a (o)_(o))");
	ok(":d", ":d");
	ok(":)", ":)");
	ok("re:zero", "re:zero");
	ok("|_|", "|_|");
	ok(":|", ":|");
	ok("<|>_<|>", "<|>_<|>");
	ok("a ||_|| b", "(and a ||_|| b)");
	ok("^_^", "^_^");
	ok("(\":)\" | smile)", "(or :) smile)");
}

static void
test_namespaces(void)
{
	ok("rating:g,s", "(rating g s)");
	ok("rating:g|s", "(rating g s)");
	ok("rating:explicit,Questionable", "(rating q e)");
	ok("Rating:G", "(rating g)");
	ok("rating:unrated", "(rating unrated)");
	ok("-rating:e", "(not (rating e))");
	ok("orientation:landscape,square", "(orientation landscape square)");
	/* The bare words are the orientation; quoted or tag: they are the tag. */
	ok("rating:g,s landscape", "(and (rating g s) (orientation landscape))");
	ok("Portrait | square", "(or (orientation portrait) (orientation square))");
	ok("-square", "(not (orientation square))");
	ok("\"landscape\" tag:portrait", "(and landscape portrait)");
	ok("landscape_view unknown", "(and landscape_view unknown)");
	ok("state:new|tagged|committed|failed|missing",
	    "(state new tagged committed failed missing)");
	ok("source:auto|manual", "(source auto manual)");
	ok("character:hatsune_miku", "(character hatsune_miku)");
	ok("character:\"hatsune miku\"", "(character hatsune_miku)");
	ok("suggested:cat_ears", "(suggested cat_ears)");
	ok("suggested:cat*", "(suggested cat*)");
	ok("suggested:a|b", "(or (suggested a) b)");
	ok("score:1girl>0.8", "(score 1girl > 0.8)");
	ok("score:1girl>=0.8", "(score 1girl >= 0.8)");
	ok("score:1girl<0.2", "(score 1girl < 0.2)");
	ok("score:1girl<=.5", "(score 1girl <= 0.5)");
	ok("score:1girl=1", "(score 1girl = 1)");
	ok("score:>_<>0.5", "(score >_< > 0.5)");
	ok("score:=_=>=0.5", "(score =_= >= 0.5)");
	ok("score:\"long hair>0.5\"", "(score long_hair > 0.5)");
	ok("width:>=1920", "(width >= 1920)");
	ok("height:<1080", "(height < 1080)");
	ok("width:1920", "(width = 1920)");
	ok("width:100..200", "(width 100..200)");
	ok("size:>2mb", "(size > 2.09715e+06)");
	ok("size:1k", "(size = 1024)");
	ok("size:10B", "(size = 10)");
	ok("size:1kb..1GiB", "(size 1024..1.07374e+09)");
	ok("folder:/srv/img/", "(folder /srv/img)");
	ok("folder:/a/./b/../c//d", "(folder /a/c/d)");
	ok("folder:/", "(folder /)");
	ok("folder:/..", "(folder /)");
	ok("folder:pics", "(folder /home/u/pics)");
	ok("folder:\"/my photos/x\"", "(folder /my photos/x)");
	ok("folder:/a|b", "(folder /a|b)");
	ok("model:SmilingWolf/*", "(model SmilingWolf/*)");
	ok("path:2023/trip", "(path 2023/trip)");
	ok("path:\"my photos\"", "(path my photos)");
	ok("-path:.tmp", "(not (path .tmp))");
}

static void
test_errors(void)
{
	bad("1girl solo |", 13, "expected a tag or '(' after '|'");
	bad("a | )", 5, "expected a tag or '(' after '|'");
	bad("| a", 1, "expected a tag or '(' before '|'");
	bad("a )", 3, "unexpected ')'");
	bad(")", 1, "unexpected ')'");
	bad("(a b", 5, "expected ')' to close the '(' at column 1");
	bad("x (a | (b c)", 13, "to close the '(' at column 3");
	bad("()", 2, "inside the parentheses");
	bad("a -", 4, "expected a tag or '(' after '-'");
	bad("a - b", 4, "expected a tag or '(' after '-'");
	bad("-~a", 2, "expected a tag or '(' after '-'");
	bad("a ~ b", 4, "expected a tag or '(' after '~'");
	bad("a ~", 4, "expected a tag or '(' after '~'");
	bad("a ~|b", 4, "expected a tag or '(' after '~'");
	bad("rating:x", 8, "unknown rating 'x' (use g, general, s, sensitive, q");
	bad("rating:g,x", 10, "unknown rating 'x'");
	bad("rating:g,", 10, "expected a value for rating:");
	bad("rating:", 8, "expected a value after 'rating:'");
	bad("a orientation:up", 15, "unknown orientation 'up'");
	bad("state:done", 7, "unknown state 'done'");
	bad("source:robot", 8, "unknown source");
	bad("width:>abc", 8, "expected a number");
	bad("width:", 7, "expected a value after 'width:'");
	bad("width:1..", 7, "expected a number");
	bad("width:-5", 7, "expected a number");
	bad("width:1e9", 7, "expected a number");
	bad("width:nan", 7, "expected a number");
	bad("size:2xb", 6, "expected a number with an optional unit");
	bad("height:1.2.3", 8, "expected a number");
	bad("score:1girl", 12, "expected a comparison");
	bad("score:>0.5", 7, "expected a tag before the comparison");
	bad("score:a>x", 10, "expected a comparison");
	bad("\"abc", 1, "unterminated quote");
	bad("a \"b\"c", 6, "after the closing quote");
	bad("\"\"", 2, "is not a tag name");
	bad("folder:pics", 8, "absolute path");
	bad("a\x01b", 1, "is not a tag name");
	bad("\xff\xfe", 1, "is not a tag name");
	/* Columns count characters, not bytes. */
	bad("ä ö |", 6, "after '|'");
	bad("日本 (", 5, "expected a tag or '(' before the end");
}

static void
test_limits(void)
{
	char deep[400] = "";
	for (int i = 0; i < 100; i++) {
		strcat(deep, "(");
	}
	strcat(deep, "a");
	bad(deep, 17, "too deeply nested");
	char nots[400] = "";
	for (int i = 0; i < 100; i++) {
		strcat(nots, "-");
	}
	strcat(nots, "a");
	bad(nots, 17, "too deeply nested");
	char *many = malloc(4 * 300 + 1);
	many[0] = '\0';
	for (int i = 0; i < 300; i++) {
		strcat(many, "ab ");
	}
	bad(many, 3 * 256 + 1, "too many terms");
	free(many);
	char name[300];
	memset(name, 'x', 299);
	name[299] = '\0';
	bad(name, 1, "is not a tag name");
}

static void
test_word_at(void)
{
	size_t a, b;
	const char *q = "1girl -long_ha rating:g suggested:cat_e (fox";
	CHECK(query_word_at(q, 3, &a, &b));
	CHECK_INT(a, 0);
	CHECK_INT(b, 5);
	CHECK(query_word_at(q, 14, &a, &b));
	CHECK_INT(a, 7);
	CHECK_INT(b, 14);
	CHECK(!query_word_at(q, 22, &a, &b)); /* inside rating:g */
	CHECK(query_word_at(q, 38, &a, &b));
	CHECK_INT(a, 34);
	CHECK_INT(b, 39);
	CHECK(query_word_at(q, strlen(q), &a, &b));
	CHECK_INT(a, 41);
	CHECK(!query_word_at(q, 1000, &a, &b));
	/* Values of the list namespaces. */
	const char *ns = NULL;
	q = "1girl rating:g,sen -state:ta orientation:";
	CHECK(query_choice_at(q, 14, &ns, &a, &b)); /* after "rating:g" */
	CHECK_STR(ns, "rating");
	CHECK_INT(a, 13);
	CHECK_INT(b, 14);
	CHECK(query_choice_at(q, 18, &ns, &a, &b)); /* "sen" */
	CHECK_INT(a, 15);
	CHECK_INT(b, 18);
	CHECK(query_choice_at(q, 28, &ns, &a, &b)); /* -state:ta */
	CHECK_STR(ns, "state");
	CHECK_INT(a, 26);
	CHECK(query_choice_at(q, strlen(q), &ns, &a, &b));
	CHECK_STR(ns, "orientation");
	CHECK_INT(a, strlen(q));
	CHECK(!query_choice_at(q, 3, &ns, &a, &b));           /* a tag */
	CHECK(!query_choice_at("folder:/x", 9, &ns, &a, &b)); /* not a list */
	CHECK(!query_choice_at(q, 1000, &ns, &a, &b));
	CHECK_STR(query_choice("rating", 1), "general");
	CHECK_STR(query_choice("source", 1), "manual");
	CHECK(query_choice("source", 2) == NULL);
	CHECK(query_choice("folder", 0) == NULL);
}

int
main(void)
{
	test_basics();
	test_or_and_groups();
	test_tags_with_syntax();
	test_namespaces();
	test_errors();
	test_limits();
	test_word_at();
	return check_done();
}

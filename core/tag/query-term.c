/*
 * query-term.c — one word of a query as a search node: tags, namespaces,
 * numbers, sizes, folders; and the tree written back as an S-expression.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <strings.h>

#include "common/rating.h"
#include "core/tag/query-private.h"
#include "core/tag/query.h"
#include "core/tag/tagname.h"
#include "db/predictions.h"
#include "common/xalloc.h"

struct choice {
	const char *name;
	unsigned bit;
};

/* rating: letters and names from common/rating.h, then "unrated". */
static struct choice rating_table[2 * RATING_COUNT + 2];

static const struct choice *
rating_choices(void)
{
	static gsize ready;
	static char letters[RATING_COUNT][2];
	if (g_once_init_enter(&ready)) {
		size_t k = 0;
		for (int r = 0; r < RATING_COUNT; r++) {
			letters[r][0] = rating_letter(r);
			rating_table[k++] = (struct choice){letters[r], (unsigned)r};
			rating_table[k++] = (struct choice){rating_name(r), (unsigned)r};
		}
		rating_table[k++] = (struct choice){"unrated", 4}; /* SEARCH_UNRATED */
		rating_table[k] = (struct choice){NULL, 0};
		g_once_init_leave(&ready, 1);
	}
	return rating_table;
}
static const struct choice orientation_choices[] = {
	{"unknown", 0}, {"landscape", 1}, {"portrait", 2}, {"square", 3}, {NULL, 0},
};
static const struct choice state_choices[] = {
	{"new", 0}, {"tagged", 1}, {"committed", 2}, {"failed", 3}, {"missing", 4}, {NULL, 0},
};
static const struct choice source_choices[] = {{"auto", 0}, {"manual", 1}, {NULL, 0}};

static struct search_node *
tag_node(struct parser *p, enum search_kind kind, const char *raw, bool pattern, int col,
    int vcol)
{
	char *name = tagname_from_space(raw);
	if (name == NULL) {
		query_fail(p, vcol, "'%s' is not a tag name (empty, too long, not UTF-8 or with "
		    "control characters)", raw);
		return NULL;
	}
	struct search_node *n = search_node_create(kind, col, name);
	n->pattern = pattern && strchr(name, '*') != NULL;
	free(name);
	return n;
}

static const char *
choice_list(const struct choice *c, char *buf, size_t size)
{
	buf[0] = '\0';
	for (; c->name != NULL; c++) {
		size_t k = strlen(buf);
		snprintf(buf + k, size - k, "%s%s", k ? ", " : "", c->name);
	}
	return buf;
}

/* "g,s" or "g|s": a set of bits from the choices. */
static struct search_node *
list_node(struct parser *p, enum search_kind kind, const char *ns, const char *v, int col,
    int vcol, const struct choice *choices)
{
	struct search_node *n = search_node_create(kind, col, NULL);
	const char *item = v;
	for (;;) {
		size_t k = strcspn(item, ",|");
		int icol = vcol + query_column(v, (size_t)(item - v)) - 1;
		const struct choice *c = choices;
		while (c->name != NULL && (strlen(c->name) != k || strncasecmp(item, c->name, k))) {
			c++;
		}
		if (c->name == NULL) {
			char list[160];
			if (k == 0) {
				query_fail(p, icol, "expected a value for %s: (%s)", ns,
				    choice_list(choices, list, sizeof list));
			} else {
				query_fail(p, icol, "unknown %s '%.*s' (use %s)", ns, (int)k, item,
				    choice_list(choices, list, sizeof list));
			}
			search_node_destroy(n);
			return NULL;
		}
		n->set |= 1u << c->bit;
		if (item[k] == '\0') {
			return n;
		}
		item += k + 1;
	}
}

/* A decimal number (no sign, exponent, inf or nan) with an optional size
 * unit; false when s[0..n) is not one. */
static bool
number(const char *s, size_t n, bool units, double *x)
{
	size_t i = 0, digits = 0;
	while (i < n && (isdigit((unsigned char)s[i]) || s[i] == '.')) {
		digits += isdigit((unsigned char)s[i]) != 0;
		i++;
	}
	if (digits == 0 || memchr(s, '.', i) != memrchr(s, '.', i)) {
		return false;
	}
	char *copy = xstrndup(s, i);
	*x = strtod(copy, NULL);
	free(copy);
	if (i == n) {
		return isfinite(*x);
	}
	static const struct { const char *u; double f; } unit[] = {
		{"b", 1}, {"k", 1024}, {"kb", 1024}, {"kib", 1024}, {"m", 1048576},
		{"mb", 1048576}, {"mib", 1048576}, {"g", 1073741824.0}, {"gb", 1073741824.0},
		{"gib", 1073741824.0},
	};
	for (size_t u = 0; units && u < sizeof unit / sizeof unit[0]; u++) {
		if (strlen(unit[u].u) == n - i && strncasecmp(s + i, unit[u].u, n - i) == 0) {
			*x *= unit[u].f;
			return isfinite(*x);
		}
	}
	return false;
}

/* The comparison operator at s, its length in *len. */
static enum search_cmp
comparison(const char *s, size_t *len)
{
	static const struct { const char *op; enum search_cmp cmp; } ops[] = {
		{">=", SEARCH_GE}, {"<=", SEARCH_LE}, {">", SEARCH_GT}, {"<", SEARCH_LT},
		{"=", SEARCH_EQ},
	};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		if (strncmp(s, ops[i].op, strlen(ops[i].op)) == 0) {
			*len = strlen(ops[i].op);
			return ops[i].cmp;
		}
	}
	*len = 0;
	return SEARCH_EQ;
}

/* width:>=1920, size:<2mb, height:100..200 */
static struct search_node *
number_node(struct parser *p, enum search_kind kind, const char *ns, const char *v, int col,
    int vcol)
{
	struct search_node *n = search_node_create(kind, col, NULL);
	bool units = kind == SEARCH_SIZE;
	size_t oplen;
	n->cmp = comparison(v, &oplen);
	const char *num = v + oplen;
	const char *dots = oplen == 0 ? strstr(num, "..") : NULL;
	bool ok;
	if (dots != NULL) {
		n->cmp = SEARCH_RANGE;
		ok = number(num, (size_t)(dots - num), units, &n->lo) &&
		    number(dots + 2, strlen(dots + 2), units, &n->hi);
	} else {
		ok = number(num, strlen(num), units, &n->lo);
	}
	if (!ok) {
		query_fail(p, vcol + (int)oplen, "expected a number%s for %s: (as in %s:>=1920 or "
		    "%s:%s)", units ? " with an optional unit (b, kb, mb, gb)" : "", ns, ns, ns,
		    units ? "100kb..2mb" : "1000..2000");
		search_node_destroy(n);
		return NULL;
	}
	return n;
}

/* score:TAG>0.8 — the operator is the last one before a trailing number,
 * so tags such as ">_<" keep their own '>' and '<'. */
static struct search_node *
score_node(struct parser *p, const char *v, bool quoted, int col, int vcol)
{
	size_t n = strlen(v), k = n;
	while (k > 0 && (isdigit((unsigned char)v[k - 1]) || v[k - 1] == '.')) {
		k--;
	}
	size_t opat = k;
	if (opat > 0 && v[opat - 1] == '=' && opat > 1 && (v[opat - 2] == '<' ||
	    v[opat - 2] == '>')) {
		opat -= 2;
	} else if (opat > 0 && strchr("<>=", v[opat - 1]) != NULL) {
		opat -= 1;
	}
	double x;
	if (opat == k || opat == 0 || !number(v + k, n - k, false, &x)) {
		query_fail(p, opat == 0 && opat != k ? vcol : vcol + query_column(v, opat) - 1,
		    opat == 0 && opat != k ? "expected a tag before the comparison of score:"
		    : "expected a comparison for score: (as in score:TAG>0.8)");
		return NULL;
	}
	char *tag = xstrndup(v, opat);
	struct search_node *node = tag_node(p, SEARCH_SCORE, tag, !quoted, col, vcol);
	free(tag);
	if (node != NULL) {
		size_t oplen;
		node->cmp = comparison(v + opat, &oplen);
		node->lo = x;
	}
	return node;
}

/* Lexical clean-up of an absolute path: no "//", ".", ".." or trailing '/'. */
static char *
normal_path(const char *path)
{
	char *out = xmalloc(strlen(path) + 2);
	size_t n = 0;
	const char *s = path;
	while (*s != '\0') {
		while (*s == '/') {
			s++;
		}
		size_t k = strcspn(s, "/");
		if (k == 0 || (k == 1 && s[0] == '.')) {
			s += k;
			continue;
		}
		if (k == 2 && s[0] == '.' && s[1] == '.') {
			while (n > 0 && out[--n] != '/') {
			}
			s += k;
			continue;
		}
		out[n++] = '/';
		memcpy(out + n, s, k);
		n += k;
		s += k;
	}
	if (n == 0) {
		out[n++] = '/';
	}
	out[n] = '\0';
	return out;
}

static struct search_node *
folder_node(struct parser *p, const char *v, int col, int vcol)
{
	char *joined;
	if (v[0] == '/') {
		joined = xstrdup(v);
	} else if (p->cwd != NULL) {
		joined = xasprintf("%s/%s", p->cwd, v);
	} else {
		query_fail(p, vcol, "folder: needs an absolute path");
		return NULL;
	}
	char *norm = normal_path(joined);
	struct search_node *n = search_node_create(SEARCH_FOLDER, col, norm);
	free(norm);
	free(joined);
	return n;
}

static struct search_node *
ns_term(struct parser *p, const struct token *t, int col, int vcol)
{
	const char *ns = query_namespaces[query_namespace_of(t->text, strlen(t->text))].name;
	const char *v = t->text + t->ns_len;
	bool pat = !t->vquoted;
	if (*v == '\0') {
		query_fail(p, vcol, "expected a value after '%s:'", ns);
		return NULL;
	}
	struct search_node *n = NULL;
	if (strcmp(ns, "tag") == 0 || strcmp(ns, "character") == 0) {
		n = tag_node(p, SEARCH_TAG, v, pat, col, vcol);
		if (n != NULL && ns[0] == 'c') {
			n->category = DB_CAT_CHARACTER;
		}
	} else if (strcmp(ns, "suggested") == 0) {
		n = tag_node(p, SEARCH_SUGGESTED, v, pat, col, vcol);
	} else if (strcmp(ns, "score") == 0) {
		n = score_node(p, v, t->vquoted, col, vcol);
	} else if (strcmp(ns, "rating") == 0) {
		n = list_node(p, SEARCH_RATING, ns, v, col, vcol, rating_choices());
	} else if (strcmp(ns, "orientation") == 0) {
		n = list_node(p, SEARCH_ORIENTATION, ns, v, col, vcol, orientation_choices);
	} else if (strcmp(ns, "state") == 0) {
		n = list_node(p, SEARCH_STATE, ns, v, col, vcol, state_choices);
	} else if (strcmp(ns, "source") == 0) {
		n = list_node(p, SEARCH_SOURCE, ns, v, col, vcol, source_choices);
	} else if (strcmp(ns, "folder") == 0) {
		n = folder_node(p, v, col, vcol);
	} else if (strcmp(ns, "model") == 0) {
		n = search_node_create(SEARCH_MODEL, col, v);
		n->pattern = pat && strchr(v, '*') != NULL;
	} else if (strcmp(ns, "path") == 0) {
		n = search_node_create(SEARCH_PATH, col, v);
	} else {
		enum search_kind k = ns[0] == 'w' ? SEARCH_WIDTH : ns[0] == 'h' ? SEARCH_HEIGHT
		    : SEARCH_SIZE;
		n = number_node(p, k, ns, v, col, vcol);
	}
	return n;
}

/* landscape, portrait or square (not "unknown": too common a word to take). */
static bool
orientation_word(const char *w)
{
	for (const struct choice *c = orientation_choices + 1; c->name != NULL; c++) {
		if (strcasecmp(w, c->name) == 0) {
			return true;
		}
	}
	return false;
}

struct search_node *
query_term(struct parser *p, const struct token *t)
{
	int col = query_column(p->text, t->at);
	int vcol = query_column(p->text, t->val_at);
	/* A bare orientation word is the orientation (the README's "rating:g,s
	 * landscape"); the tag of that name is tag:landscape or "landscape". */
	if (!t->quoted && t->ns_len == 0 && orientation_word(t->text)) {
		return list_node(p, SEARCH_ORIENTATION, "orientation", t->text, col, vcol,
		    orientation_choices);
	}
	if (t->quoted || t->ns_len == 0) {
		return tag_node(p, SEARCH_TAG, t->text, !t->quoted, col, vcol);
	}
	return ns_term(p, t, col, vcol);
}

/* ---- formatting and completion ------------------------------------------ */

static void
append(char **s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
append(char **s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *more = xvasprintf(fmt, ap);
	va_end(ap);
	char *joined = xasprintf("%s%s", *s, more);
	free(more);
	free(*s);
	*s = joined;
}

static void
format_set(char **s, const char *name, unsigned set, const struct choice *c)
{
	append(s, "(%s", name);
	for (unsigned bit = 0; bit < 8; bit++) {
		const struct choice *k = c;
		while (k->name != NULL && k->bit != bit) {
			k++;
		}
		if (k->name != NULL && (set & (1u << bit))) {
			append(s, " %s", k->name);
		}
	}
	append(s, ")");
}

static void
format_cmp(char **s, const struct search_node *n)
{
	static const char *const ops[] = {"=", "<", "<=", ">", ">="};
	if (n->cmp == SEARCH_RANGE) {
		append(s, " %g..%g)", n->lo, n->hi);
	} else {
		append(s, " %s %g)", ops[n->cmp], n->lo);
	}
}

static void
format_node(char **s, const struct search_node *n)
{
	static const char *const names[] = {
		[SEARCH_ALL] = "all", [SEARCH_AND] = "and", [SEARCH_OR] = "or",
		[SEARCH_NOT] = "not", [SEARCH_SUGGESTED] = "suggested", [SEARCH_SCORE] = "score",
		[SEARCH_FOLDER] = "folder", [SEARCH_MODEL] = "model", [SEARCH_WIDTH] = "width",
		[SEARCH_HEIGHT] = "height", [SEARCH_SIZE] = "size", [SEARCH_PATH] = "path",
	};
	switch (n->kind) {
	case SEARCH_TAG:
		append(s, n->category == DB_CAT_CHARACTER ? "(character %s)" : "%s", n->text);
		return;
	case SEARCH_RATING: format_set(s, "rating", n->set, rating_choices()); return;
	case SEARCH_ORIENTATION: format_set(s, "orientation", n->set, orientation_choices); return;
	case SEARCH_STATE: format_set(s, "state", n->set, state_choices); return;
	case SEARCH_SOURCE: format_set(s, "source", n->set, source_choices); return;
	default:
		break;
	}
	append(s, "(%s", names[n->kind]);
	if (n->text != NULL) {
		append(s, " %s", n->text);
	}
	if (n->kind == SEARCH_SCORE || n->kind == SEARCH_WIDTH || n->kind == SEARCH_HEIGHT ||
	    n->kind == SEARCH_SIZE) {
		format_cmp(s, n);
		return;
	}
	for (size_t i = 0; i < n->n_kids; i++) {
		append(s, " ");
		format_node(s, n->kids[i]);
	}
	append(s, ")");
}

char *
query_format(const struct search_node *node)
{
	char *s = xstrdup("");
	format_node(&s, node);
	return s;
}

bool
query_word_at(const char *text, size_t cursor, size_t *start, size_t *end)
{
	size_t len = strlen(text);
	if (cursor > len) {
		return false;
	}
	size_t a = cursor, b = cursor;
	while (a > 0 && !query_is_blank(text[a - 1]) && text[a - 1] != '(' && text[a - 1] != '|') {
		a--;
	}
	while (b < len && !query_is_blank(text[b]) && text[b] != '|') {
		b++;
	}
	while (a < b && (text[a] == '-' || text[a] == '~' || text[a] == '(')) {
		a++;
	}
	int ns = query_namespace_of(text + a, b - a);
	if (ns >= 0) {
		if (query_namespaces[ns].value != NS_TAGLIKE) {
			return false;
		}
		a += strlen(query_namespaces[ns].name) + 1;
	}
	if (a > cursor) {
		return false;
	}
	*start = a;
	*end = b;
	return true;
}

static const struct choice *
choices_of(const char *ns)
{
	const struct {
		const char *ns;
		const struct choice *c;
	} table[] = {
		{"rating", rating_choices()}, {"orientation", orientation_choices},
		{"state", state_choices}, {"source", source_choices},
	};
	for (size_t i = 0; ns != NULL && i < sizeof table / sizeof table[0]; i++) {
		if (strcasecmp(ns, table[i].ns) == 0) {
			return table[i].c;
		}
	}
	return NULL;
}

const char *
query_choice(const char *ns, size_t i)
{
	const struct choice *c = choices_of(ns);
	for (size_t k = 0; c != NULL && c[k].name != NULL; k++) {
		if (k == i) {
			return c[k].name;
		}
	}
	return NULL;
}

bool
query_choice_at(const char *text, size_t cursor, const char **ns, size_t *start, size_t *end)
{
	size_t len = strlen(text);
	if (cursor > len) {
		return false;
	}
	size_t a = cursor, b = cursor;
	while (a > 0 && !query_is_blank(text[a - 1]) && text[a - 1] != '(') {
		a--;
	}
	while (a < cursor && (text[a] == '-' || text[a] == '~')) {
		a++;
	}
	int k = query_namespace_of(text + a, cursor - a);
	if (k < 0 || query_namespaces[k].value != NS_LIST) {
		return false;
	}
	*ns = query_namespaces[k].name;
	size_t v = a + strlen(*ns) + 1;
	if (v > cursor) {
		return false;
	}
	/* The item: back to the last ',' or '|' of the value, on to the next. */
	size_t i = cursor;
	while (i > v && text[i - 1] != ',' && text[i - 1] != '|') {
		i--;
	}
	while (b < len && !query_is_blank(text[b]) && text[b] != ',' && text[b] != '|' &&
	    text[b] != ')') {
		b++;
	}
	*start = i;
	*end = b;
	return true;
}

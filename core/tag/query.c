/*
 * query.c — the query language: a lexer that knows which parentheses and
 * bars belong to tags, and a recursive-descent parser (see query.h).
 *
 *   query   := or | (nothing)
 *   or      := and ('|' and)*
 *   and     := ('~'? unary)+            ~ terms gather into one OR
 *   unary   := '-' unary | primary
 *   primary := '(' or ')' | word
 */
#include "core/tag/query.h"
#include "core/tag/query-private.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tag/tagname.h"
#include "db/predictions.h"
#include "common/xalloc.h"

struct lexer {
	const char *s;
	size_t len;
	size_t pos;
	int depth;
	struct token *toks;
	size_t n;
	char *cause;
	size_t err_at;
};

const struct query_namespace query_namespaces[] = {
	{"tag", NS_TAGLIKE}, {"character", NS_TAGLIKE}, {"suggested", NS_TAGLIKE},
	{"score", NS_TAGLIKE}, {"rating", NS_LIST}, {"orientation", NS_LIST},
	{"state", NS_LIST}, {"source", NS_LIST}, {"folder", NS_TEXT}, {"model", NS_TEXT},
	{"width", NS_TEXT}, {"height", NS_TEXT}, {"size", NS_TEXT}, {"path", NS_TEXT},
	{NULL, NS_TEXT},
};

int
query_namespace_of(const char *word, size_t n)
{
	const char *colon = memchr(word, ':', n);
	if (colon == NULL) {
		return -1;
	}
	size_t k = (size_t)(colon - word);
	for (int i = 0; query_namespaces[i].name != NULL; i++) {
		const char *name = query_namespaces[i].name;
		if (strlen(name) == k && strncasecmp(word, name, k) == 0) {
			return i;
		}
	}
	return -1;
}

const char *
query_namespace_name(size_t i)
{
	size_t n = sizeof query_namespaces / sizeof query_namespaces[0] - 1;
	return i < n ? query_namespaces[i].name : NULL;
}

bool
query_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void
lex_fail(struct lexer *lx, size_t at, const char *what)
{
	if (lx->cause == NULL) {
		lx->cause = xstrdup(what);
		lx->err_at = at;
	}
}

static void
emit(struct lexer *lx, enum tok_kind kind, size_t at, char *text)
{
	lx->toks = xreallocarray(lx->toks, lx->n + 1, sizeof *lx->toks);
	lx->toks[lx->n++] = (struct token){.kind = kind, .at = at, .text = text};
}

static size_t
word_end(const struct lexer *lx, size_t from)
{
	while (from < lx->len && !query_is_blank(lx->s[from])) {
		from++;
	}
	return from;
}

static int
balance(const char *s, size_t n)
{
	int b = 0;
	for (size_t i = 0; i < n; i++) {
		b += (s[i] == '(') - (s[i] == ')');
	}
	return b;
}

/* Whether the '(' that starts w (length n) opens a group: it is alone,
 * unmatched within w, or matched by a ')' followed only by more ')'. */
static bool
opens_group(const char *w, size_t n)
{
	if (n == 1 || w[1] == '"') {
		return true;
	}
	int d = 0;
	for (size_t i = 0; i < n; i++) {
		d += (w[i] == '(') - (w[i] == ')');
		if (d == 0) {
			for (size_t k = i + 1; k < n; k++) {
				if (w[k] != ')') {
					return false;
				}
			}
			char *copy = xstrndup(w, i + 1);
			bool kaomoji = tagname_is_kaomoji(copy);
			free(copy);
			return !kaomoji;
		}
	}
	return true;
}

static bool
has_alnum(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (isalnum((unsigned char)s[i])) {
			return true;
		}
	}
	return false;
}

/* Whether a '|' inside this word separates terms: not in kaomoji such as
 * "|_|" or ":|", which have no letter or digit. */
static bool
bar_splits(const char *w, size_t n)
{
	char *copy = xstrndup(w, n);
	bool kaomoji = tagname_is_kaomoji(copy);
	free(copy);
	return !kaomoji && has_alnum(w, n) && memchr(w, '|', n) != NULL;
}

/* A quoted string starting at lx->s[at] == '"'; returns the text, sets
 * *end past the closing quote. */
static char *
lex_quoted(struct lexer *lx, size_t at, size_t *end)
{
	char *out = xmalloc(lx->len - at + 1), *q = out;
	size_t i = at + 1;
	for (; i < lx->len && lx->s[i] != '"'; i++) {
		if (lx->s[i] == '\\' && i + 1 < lx->len && (lx->s[i + 1] == '"' ||
		    lx->s[i + 1] == '\\')) {
			i++;
		}
		*q++ = lx->s[i];
	}
	*q = '\0';
	if (i >= lx->len) {
		lex_fail(lx, at, "unterminated quote (a '\"' is missing)");
		free(out);
		return NULL;
	}
	*end = i + 1;
	if (*end < lx->len && !query_is_blank(lx->s[*end]) && lx->s[*end] != ')' &&
	    lx->s[*end] != '|') {
		lex_fail(lx, *end, "expected a blank, '|' or ')' after the closing quote");
		free(out);
		return NULL;
	}
	return out;
}

static void
emit_word(struct lexer *lx, size_t at, const char *w, size_t n, size_t ns_len)
{
	emit(lx, TOK_WORD, at, xstrndup(w, n));
	lx->toks[lx->n - 1].ns_len = ns_len;
	lx->toks[lx->n - 1].val_at = at + ns_len;
}

/* A word in [at, end): trailing ')' that close open groups come off, and
 * bars split it into terms where they are not part of a tag. */
static void
lex_word(struct lexer *lx, size_t at, size_t end)
{
	const char *w = lx->s + at;
	size_t n = end - at;
	int closers = 0;
	while (lx->depth - closers > 0 && n > 0 && w[n - 1] == ')' && balance(w, n) < 0) {
		n--;
		closers++;
	}
	int ns = query_namespace_of(w, n);
	size_t ns_len = ns >= 0 ? strlen(query_namespaces[ns].name) + 1 : 0;
	if ((ns < 0 || query_namespaces[ns].value == NS_TAGLIKE) && bar_splits(w, n)) {
		size_t start = 0;
		for (size_t i = 0; i <= n; i++) {
			if (i == n || w[i] == '|') {
				if (i > start) {
					size_t pl = start == 0 ? ns_len : 0;
					emit_word(lx, at + start, w + start, i - start, pl);
				}
				if (i < n) {
					emit(lx, TOK_OR, at + i, NULL);
				}
				start = i + 1;
			}
		}
	} else {
		emit_word(lx, at, w, n, ns_len);
	}
	for (int i = 0; i < closers; i++) {
		emit(lx, TOK_RPAREN, at + n + (size_t)i, NULL);
		lx->depth--;
	}
}

/* "ns:"value" — a namespace with a quoted value. */
static bool
lex_ns_quoted(struct lexer *lx, size_t at)
{
	size_t end = word_end(lx, at);
	int ns = query_namespace_of(lx->s + at, end - at);
	if (ns < 0) {
		return false;
	}
	size_t ns_len = strlen(query_namespaces[ns].name) + 1;
	if (at + ns_len >= lx->len || lx->s[at + ns_len] != '"') {
		return false;
	}
	size_t qend;
	char *value = lex_quoted(lx, at + ns_len, &qend);
	if (value != NULL) {
		char *text = xasprintf("%.*s%s", (int)ns_len, lx->s + at, value);
		emit(lx, TOK_WORD, at, text);
		lx->toks[lx->n - 1].ns_len = ns_len;
		lx->toks[lx->n - 1].val_at = at + ns_len + 1;
		lx->toks[lx->n - 1].vquoted = true;
		free(value);
	}
	lx->pos = value != NULL ? qend : lx->len;
	return true;
}

/* One step at lx->pos (not a blank): an operator, a quoted word or a word. */
static void
lex_one(struct lexer *lx)
{
	size_t at = lx->pos;
	char c = lx->s[at];
	size_t end = word_end(lx, at);
	if (c == '(' && opens_group(lx->s + at, end - at)) {
		emit(lx, TOK_LPAREN, at, NULL);
		lx->depth++;
		lx->pos++;
	} else if (c == ')') {
		emit(lx, TOK_RPAREN, at, NULL);
		lx->depth--;
		lx->pos++;
	} else if (c == '|' && (end - at == 1 || bar_splits(lx->s + at, end - at))) {
		emit(lx, TOK_OR, at, NULL);
		lx->pos++;
	} else if (c == '-' || c == '~') {
		emit(lx, c == '-' ? TOK_NOT : TOK_TILDE, at, NULL);
		lx->pos++;
	} else if (c == '"') {
		size_t qend;
		char *text = lex_quoted(lx, at, &qend);
		if (text != NULL) {
			emit(lx, TOK_WORD, at, text);
			lx->toks[lx->n - 1].quoted = true;
			lx->toks[lx->n - 1].val_at = at + 1;
		}
		lx->pos = text != NULL ? qend : lx->len;
	} else if (!lex_ns_quoted(lx, at)) {
		lex_word(lx, at, end);
		lx->pos = end;
	}
}

static void
lex(struct lexer *lx)
{
	while (lx->cause == NULL) {
		while (lx->pos < lx->len && query_is_blank(lx->s[lx->pos])) {
			lx->pos++;
		}
		if (lx->pos >= lx->len) {
			break;
		}
		lex_one(lx);
	}
	emit(lx, TOK_END, lx->len, NULL);
}

/* ---- parser ------------------------------------------------------------ */

int
query_column(const char *text, size_t at)
{
	int col = 1;
	for (size_t i = 0; i < at && text[i] != '\0'; i++) {
		col += ((unsigned char)text[i] & 0xc0) != 0x80;
	}
	return col;
}

static void vfail(struct parser *p, int col, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
vfail(struct parser *p, int col, const char *fmt, va_list ap)
{
	if (p->cause == NULL) {
		p->cause = xvasprintf(fmt, ap);
		p->err_col = col;
	}
}

/* Record the first error, at a column or at a byte offset of the text. */
static void
fail(struct parser *p, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

void
query_fail(struct parser *p, int col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(p, col, fmt, ap);
	va_end(ap);
}

static void
fail(struct parser *p, size_t at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(p, query_column(p->text, at), fmt, ap);
	va_end(ap);
}

static const struct token *
peek(const struct parser *p)
{
	return &p->toks[p->i];
}

static const struct token *
next(struct parser *p)
{
	const struct token *t = &p->toks[p->i];
	if (t->kind != TOK_END) {
		p->i++;
	}
	return t;
}

static bool
starts_term(enum tok_kind k, bool tilde_ok)
{
	return k == TOK_WORD || k == TOK_LPAREN || k == TOK_NOT || (tilde_ok && k == TOK_TILDE);
}

static struct search_node *parse_or(struct parser *p);
static struct search_node *parse_unary(struct parser *p);

/* Append kid to a node of kind, flattening nested nodes of the same kind. */
static void
join(struct search_node *into, struct search_node *kid)
{
	if (kid->kind == into->kind) {
		for (size_t i = 0; i < kid->n_kids; i++) {
			search_node_add(into, kid->kids[i]);
		}
		kid->n_kids = 0;
		search_node_destroy(kid);
	} else {
		search_node_add(into, kid);
	}
}

static struct search_node *
single_or(struct search_node *n)
{
	if ((n->kind == SEARCH_AND || n->kind == SEARCH_OR) && n->n_kids == 1) {
		struct search_node *kid = n->kids[0];
		n->n_kids = 0;
		search_node_destroy(n);
		return kid;
	}
	return n;
}

static const char *
what_is(const struct token *t)
{
	switch (t->kind) {
	case TOK_RPAREN: return "')'";
	case TOK_OR: return "'|'";
	case TOK_END: return "the end of the query";
	default: return "this";
	}
}

static struct search_node *
parse_primary(struct parser *p)
{
	const struct token *t = next(p);
	if (t->kind == TOK_WORD) {
		if (++p->terms > QUERY_MAX_TERMS) {
			fail(p, t->at, "too many terms (at most %d)", QUERY_MAX_TERMS);
			return NULL;
		}
		return query_term(p, t);
	}
	/* t is '(' : starts_term() let nothing else through. */
	if (++p->depth > QUERY_MAX_DEPTH) {
		fail(p, t->at, "too deeply nested (at most %d levels)", QUERY_MAX_DEPTH);
		return NULL;
	}
	if (peek(p)->kind == TOK_RPAREN) {
		fail(p, peek(p)->at, "expected a tag or '(' inside the parentheses");
		return NULL;
	}
	struct search_node *e = parse_or(p);
	if (e != NULL && peek(p)->kind != TOK_RPAREN) {
		fail(p, peek(p)->at, "expected ')' to close the '(' at column %d, not %s",
		    query_column(p->text, t->at), what_is(peek(p)));
		search_node_destroy(e);
		return NULL;
	}
	next(p);
	p->depth--;
	return e;
}

static struct search_node *
parse_unary(struct parser *p)
{
	const struct token *t = peek(p);
	if (t->kind != TOK_NOT) {
		return parse_primary(p);
	}
	next(p);
	if (!starts_term(peek(p)->kind, false) || peek(p)->at != t->at + 1) {
		fail(p, t->at + 1, "expected a tag or '(' after '-'");
		return NULL;
	}
	if (++p->depth > QUERY_MAX_DEPTH) {
		fail(p, t->at, "too deeply nested (at most %d levels)", QUERY_MAX_DEPTH);
		return NULL;
	}
	struct search_node *kid = parse_unary(p);
	p->depth--;
	if (kid == NULL) {
		return NULL;
	}
	if (kid->kind == SEARCH_NOT) {
		/* --a is a. */
		struct search_node *inner = kid->kids[0];
		kid->n_kids = 0;
		search_node_destroy(kid);
		return inner;
	}
	struct search_node *n = search_node_create(SEARCH_NOT, query_column(p->text, t->at), NULL);
	search_node_add(n, kid);
	return n;
}

static struct search_node *
parse_and(struct parser *p)
{
	const struct token *first = peek(p);
	if (first->kind == TOK_RPAREN && p->depth == 0) {
		fail(p, first->at, "unexpected ')' (no '(' is open)");
		return NULL;
	}
	if (!starts_term(first->kind, true)) {
		fail(p, first->at, "expected a tag or '(' before %s", what_is(first));
		return NULL;
	}
	int col = query_column(p->text, first->at);
	struct search_node *all = search_node_create(SEARCH_AND, col, NULL);
	struct search_node *any = NULL;
	while (p->cause == NULL && starts_term(peek(p)->kind, true)) {
		bool tilde = peek(p)->kind == TOK_TILDE;
		if (tilde) {
			size_t at = next(p)->at;
			if (!starts_term(peek(p)->kind, false) || peek(p)->at != at + 1) {
				fail(p, at + 1, "expected a tag or '(' after '~'");
				break;
			}
		}
		int kcol = query_column(p->text, peek(p)->at);
		struct search_node *kid = parse_unary(p);
		if (kid == NULL) {
			break;
		}
		if (tilde) {
			any = any != NULL ? any : search_node_create(SEARCH_OR, kcol, NULL);
			join(any, kid);
		} else {
			join(all, kid);
		}
	}
	if (any != NULL) {
		join(all, single_or(any));
	}
	if (p->cause != NULL) {
		search_node_destroy(all);
		return NULL;
	}
	return single_or(all);
}

static struct search_node *
parse_or(struct parser *p)
{
	struct search_node *left = parse_and(p);
	if (left == NULL || peek(p)->kind != TOK_OR) {
		return left;
	}
	struct search_node *n = search_node_create(SEARCH_OR, left->column, NULL);
	join(n, left);
	while (peek(p)->kind == TOK_OR) {
		next(p);
		if (!starts_term(peek(p)->kind, true)) {
			fail(p, peek(p)->at, "expected a tag or '(' after '|'");
			search_node_destroy(n);
			return NULL;
		}
		struct search_node *right = parse_and(p);
		if (right == NULL) {
			search_node_destroy(n);
			return NULL;
		}
		join(n, right);
	}
	return n;
}

static void
tokens_free(struct token *toks, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(toks[i].text);
	}
	free(toks);
}

bool
query_parse(const char *text, const char *cwd, struct search_node **out, char **cause,
    int *column)
{
	*out = NULL;
	struct lexer lx = {.s = text, .len = strlen(text)};
	lex(&lx);
	struct parser p = {.text = text, .cwd = cwd, .toks = lx.toks, .cause = lx.cause,
		.err_col = query_column(text, lx.err_at)};
	struct search_node *root = NULL;
	if (p.cause == NULL) {
		if (peek(&p)->kind == TOK_END) {
			root = search_node_create(SEARCH_ALL, 1, NULL);
		} else if ((root = parse_or(&p)) != NULL && peek(&p)->kind != TOK_END) {
			fail(&p, peek(&p)->at, "unexpected ')' (no '(' is open)");
			search_node_destroy(root);
			root = NULL;
		}
	}
	tokens_free(lx.toks, lx.n);
	if (p.cause != NULL) {
		search_node_destroy(root);
		if (column != NULL) {
			*column = p.err_col;
		}
		if (cause != NULL) {
			*cause = xasprintf("column %d: %s", p.err_col, p.cause);
		}
		free(p.cause);
		return false;
	}
	*out = root;
	return true;
}


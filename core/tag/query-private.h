/*
 * query-private.h — what the parser (query.c) and the term builder
 * (query-term.c) share; never included outside them.
 */
#ifndef TAGCON_QUERY_PRIVATE_H
#define TAGCON_QUERY_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include "db/search.h"

enum tok_kind { TOK_WORD, TOK_LPAREN, TOK_RPAREN, TOK_OR, TOK_NOT, TOK_TILDE, TOK_END };

struct token {
	enum tok_kind kind;
	size_t at;      /* byte offset in the text */
	char *text;     /* WORD: the word, quotes removed */
	bool quoted;    /* WORD: the whole word was quoted: a literal tag */
	size_t ns_len;  /* WORD: length of "ns:" when a namespace leads it */
	bool vquoted;   /* WORD: the namespace's value was quoted */
	size_t val_at;  /* WORD: byte offset of the value */
};

struct parser {
	const char *text;
	const char *cwd;
	struct token *toks;
	size_t i;
	int depth;
	int terms;
	char *cause;  /* the first error, or NULL */
	int err_col;
};

/* What a namespace's value is: a tag (where '|' splits terms), a list of
 * choices (where '|' separates choices), or text taken whole. */
enum ns_value { NS_TAGLIKE, NS_LIST, NS_TEXT };

struct query_namespace {
	const char *name;
	enum ns_value value;
};

extern const struct query_namespace query_namespaces[];

/* The index in query_namespaces of the namespace word[0..n) starts with
 * ("rating:..."), or -1. */
int query_namespace_of(const char *word, size_t n);
bool query_is_blank(char c);
/* 1-based column, in characters, of byte offset at. */
int query_column(const char *text, size_t at);
/* Record the first error of the parse, at a column. */
void query_fail(struct parser *p, int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The tree of one word token, or NULL after query_fail. */
struct search_node *query_term(struct parser *p, const struct token *t);

#endif

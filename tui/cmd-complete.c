/*
 * cmd-complete.c — tagcon complete: what a shell may offer for the last word
 * of a command line, for the bash, zsh and fish scripts in completions/.
 *
 * The commands' options and arguments are read from their synopses (the
 * cmd_entry usage strings, split by help_synopses()), so a new option is
 * completed the day it is documented; settings and their values come from
 * core/settings.c; tag names from the library, by a prefix range on the
 * tags table's name index (db_browse_tags), so a library of a million
 * images answers as fast as an empty one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "core/library.h"
#include "core/preset.h"
#include "core/settings.h"
#include "core/tag/query.h"
#include "core/tag/rules.h"
#include "core/tag/tagname.h"
#include "db/browse.h"
#include "db/db.h"
#include "tui/cli.h"
#include "tui/help.h"
#include "tui/out.h"

static int exec_complete(struct cli *cli, int argc, char **argv);

const struct cmd_entry cmd_complete_entry = {
	.name = "complete",
	.usage = "[--shell bash|zsh|fish] -- WORD...\n"
	    "       tagcon complete --list commands|settings",
	.help = "completions of a command line's last word, for shell scripts",
	.exec = exec_complete,
	.light = true,
};

/* At most this many tag names per completion: a shell shows no more. */
enum { MAX_TAGS = 200, MAX_ITEMS = 24, MAX_OPTS = 48, MAX_SYN = 12 };

/* One word of a synopsis: a literal ("list", "pause|resume") or a
 * placeholder ("DIR", "+TAG"). */
struct item {
	char *text;
	bool optional;
	bool repeat;
};

/* An option, and what its value is ("DIR", "g|s|q|e"), NULL for a flag. */
struct opt {
	char *name;
	char *value;
};

struct grammar {
	const struct cmd_entry *cmd;
	struct opt opts[MAX_OPTS];
	size_t n_opts;
	struct item seq[MAX_SYN][MAX_ITEMS];
	size_t n_items[MAX_SYN];
	size_t n_seq;
};

struct comp {
	struct cli *cli;
	const char *cur;
	bool fish;
	const char *kind; /* what the shell adds: "files", "dirs" or "none" */
	char **out;
	char **desc; /* fish only: shown beside the completion */
	size_t n, cap;
};

static void
add(struct comp *c, const char *word, const char *desc)
{
	if (strncmp(word, c->cur, strlen(c->cur)) != 0) {
		return;
	}
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->out[i], word) == 0) {
			return;
		}
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->out = xreallocarray(c->out, c->cap, sizeof *c->out);
		c->desc = xreallocarray(c->desc, c->cap, sizeof *c->desc);
	}
	c->out[c->n] = xstrdup(word);
	c->desc[c->n++] = c->fish && desc != NULL ? xstrdup(desc) : NULL;
}

/* ---- reading synopses ---------------------------------------------------- */

static bool
is_option(const char *w)
{
	/* "--x", "-0", "-0|--null"; not "--" (the end of options), "-TAG" nor "+TAG" */
	return w[0] == '-' && w[1] != '\0' && ((w[1] == '-' && w[2] != '\0') || w[2] == '\0' ||
	    w[2] == '|');
}

static void
add_opt(struct grammar *g, const char *name, const char *value)
{
	for (size_t i = 0; i < g->n_opts; i++) {
		if (strcmp(g->opts[i].name, name) == 0) {
			return;
		}
	}
	if (g->n_opts < MAX_OPTS) {
		g->opts[g->n_opts++] = (struct opt){xstrdup(name), value ? xstrdup(value) : NULL};
	}
}

/* "--a|-b|--c" or "--max-rating" with "g|s|q|e|--all-ratings": flags
 * and the option taking the members that are no option. */
static void
read_option(struct grammar *g, const char *w, const char *next)
{
	char *copy = xstrdup(w);
	char *save = NULL;
	bool single = strchr(w, '|') == NULL;
	for (char *m = strtok_r(copy, "|", &save); m != NULL; m = strtok_r(NULL, "|", &save)) {
		char *value = NULL;
		if (single && next != NULL && !is_option(next)) {
			/* The value's members that are options are flags of their own. */
			char *v = xstrdup(next), *s2 = NULL;
			value = xstrdup("");
			for (char *x = strtok_r(v, "|", &s2); x; x = strtok_r(NULL, "|", &s2)) {
				if (is_option(x)) {
					add_opt(g, x, NULL);
				} else {
					char *j = xasprintf("%s%s%s", value, *value ? "|" : "", x);
					free(value);
					value = j;
				}
			}
			free(v);
		}
		add_opt(g, m, value);
		free(value);
	}
	free(copy);
}

/* A synopsis's words, brackets taken off: how deep each was, and in which
 * group; "[+TAG]..." becomes the word "+TAG...". */
struct words {
	char *w[64];
	int depth[64];
	int group[64];
	size_t n;
};

static void
tokenize(const char *s, struct words *t)
{
	int depth = 0, group = 0, groups[16] = {0};
	t->n = 0;
	while (*s != '\0' && t->n < 64) {
		if (*s == ' ') {
			s++;
		} else if (*s == '[') {
			depth = depth < 15 ? depth + 1 : 15;
			groups[depth] = ++group;
			s++;
		} else if (*s == ']') {
			bool rep = strncmp(s + 1, "...", 3) == 0;
			for (size_t k = 0; rep && k < t->n; k++) {
				if (t->group[k] == groups[depth] && t->w[k][0] != '-') {
					char *r = xasprintf("%s...", t->w[k]);
					free(t->w[k]);
					t->w[k] = r;
				}
			}
			depth = depth > 0 ? depth - 1 : 0;
			s += rep ? 4 : 1;
		} else {
			size_t len = strcspn(s, " []");
			t->depth[t->n] = depth;
			t->group[t->n] = depth > 0 ? groups[depth] : 0;
			t->w[t->n++] = xstrndup(s, len);
			s += len;
		}
	}
}

/* One synopsis: its options into g->opts (an option's value is the next
 * word of its group), its positional words into a new sequence. */
static void
read_synopsis(void *ud, const char *syn)
{
	struct grammar *g = ud;
	if (g->n_seq == MAX_SYN) {
		return;
	}
	struct item *seq = g->seq[g->n_seq];
	size_t n = 0;
	struct words t;
	tokenize(syn, &t);
	for (size_t k = 0; k < t.n; k++) {
		const char *w = t.w[k];
		if (is_option(w)) {
			bool has_value = k + 1 < t.n && t.group[k + 1] == t.group[k] &&
			    t.depth[k + 1] == t.depth[k] && !is_option(t.w[k + 1]) &&
			    strchr(w, '|') == NULL;
			read_option(g, w, has_value ? t.w[k + 1] : NULL);
			k += has_value;
		} else if (n < MAX_ITEMS && strcmp(w, "--") != 0) {
			size_t len = strlen(w);
			bool rep = len > 3 && strcmp(w + len - 3, "...") == 0;
			seq[n++] = (struct item){xstrndup(w, rep ? len - 3 : len), t.depth[k] > 0, rep};
		}
	}
	for (size_t k = 0; k < t.n; k++) {
		free(t.w[k]);
	}
	g->n_items[g->n_seq++] = n;
}

static void
grammar_fini(struct grammar *g)
{
	for (size_t i = 0; i < g->n_opts; i++) {
		free(g->opts[i].name);
		free(g->opts[i].value);
	}
	for (size_t s = 0; s < g->n_seq; s++) {
		for (size_t i = 0; i < g->n_items[s]; i++) {
			free(g->seq[s][i].text);
		}
	}
}

static const struct opt *
find_opt(const struct grammar *g, const char *name)
{
	for (size_t i = 0; i < g->n_opts; i++) {
		if (strcmp(g->opts[i].name, name) == 0) {
			return &g->opts[i];
		}
	}
	return NULL;
}

/* ---- what a word can be ---------------------------------------------------- */

static void
add_tag(void *ud, const char *name, enum db_category category)
{
	struct comp *c = ud;
	static const char *const cats[] = {"general", "character", "rating"};
	add(c, name, (unsigned)category < 3 ? cats[category] : NULL);
}

/* Tag names starting with what follows prefix_len bytes of the word, each
 * after those bytes ("-" for edit's -TAG, "tag:" ...). */
struct prefixed {
	struct comp *c;
	const char *before;
	size_t n;
};

static void
add_prefixed(void *ud, const char *name, enum db_category category)
{
	struct prefixed *p = ud;
	char *w = xasprintf("%.*s%s", (int)p->n, p->before, name);
	add_tag(p->c, w, category);
	free(w);
}

static struct db *
library(struct comp *c)
{
	/* Completion never creates a library: no file, no tags. */
	if (c->cli->db == NULL) {
		char *path = library_db_path(c->cli->db_flag);
		if (access(path, R_OK) == 0) {
			char *cause = NULL;
			c->cli->db = db_open(path, &cause);
			free(cause);
		}
		free(path);
	}
	return c->cli->db;
}

static void
tags(struct comp *c, size_t skip)
{
	char *prefix = tagname_from_space(c->cur + skip);
	if (prefix == NULL && c->cur[skip] == '\0') {
		prefix = xstrdup("");
	}
	struct db *db = prefix != NULL ? library(c) : NULL;
	if (db != NULL) {
		struct prefixed p = {c, c->cur, skip};
		db_browse_tags(db, prefix, MAX_TAGS, add_prefixed, &p);
	}
	free(prefix);
}

/* One query word: a choice of rating: and the like, a namespace, a tag. */
static void
query(struct comp *c)
{
	const char *text = c->cur, *ns;
	size_t cursor = strlen(text), start, end;
	if (query_choice_at(text, cursor, &ns, &start, &end)) {
		for (size_t i = 0; query_choice(ns, i) != NULL; i++) {
			char *w = xasprintf("%.*s%s", (int)start, text, query_choice(ns, i));
			add(c, w, NULL);
			free(w);
		}
		return;
	}
	if (!query_word_at(text, cursor, &start, &end)) {
		start = strspn(text, "-~(");
		if (text[start] != '\0') {
			return;
		}
	}
	const char *typed = text + start;
	if (strpbrk(typed, "*\":") != NULL) {
		return;
	}
	bool bare = start == 0 || strchr(" \t(|-~", text[start - 1]) != NULL;
	for (size_t i = 0; bare && query_namespace_name(i) != NULL; i++) {
		char *w = xasprintf("%.*s%s:", (int)start, text, query_namespace_name(i));
		add(c, w, "namespace");
		free(w);
	}
	tags(c, start);
}

static void
settings(struct comp *c, const char *const *only)
{
	size_t n;
	const struct setting_def *t = settings_table(&n);
	for (size_t i = 0; i < n; i++) {
		bool in = only == NULL;
		for (const char *const *k = only; k != NULL && *k != NULL; k++) {
			in = in || strcmp(*k, t[i].name) == 0;
		}
		if (in) {
			add(c, t[i].name, t[i].help);
		}
	}
}

static void
setting_values(struct comp *c, const char *name)
{
	const struct setting_def *d = settings_find(name);
	if (d == NULL) {
		return;
	}
	const char *const *list = d->choices;
	static const char *const bools[] = {"true", "false", NULL};
	if (d->type == SETTING_BOOL) {
		list = bools;
	} else if (strcmp(name, "model") == 0) {
		list = settings_known_models;
	} else if (d->type == SETTING_PATH) {
		c->kind = "dirs";
	}
	for (; list != NULL && *list != NULL; list++) {
		add(c, *list, NULL);
	}
}

static void
add_preset(void *ud, const char *name, const char *keys)
{
	add(ud, name, keys);
}

static void
presets(struct comp *c)
{
	struct db *db = library(c);
	if (db != NULL) {
		preset_each(db, add_preset, c);
	}
}

/* A literal alternation ("pause|resume") or a placeholder ("DIR", "+TAG");
 * prev is the word before (the setting a VALUE is for). */
static void
offer(struct comp *c, const char *spec, const char *cmd, const char *prev)
{
	if (spec[0] == '+' || (spec[0] == '-' && spec[1] != '-')) {
		if (c->cur[0] == spec[0]) {
			tags(c, 1);
		}
		return;
	}
	if (spec[0] >= 'a' && spec[0] <= 'z') {
		char *copy = xstrdup(spec), *save = NULL;
		for (char *m = strtok_r(copy, "|", &save); m; m = strtok_r(NULL, "|", &save)) {
			add(c, m, NULL);
		}
		free(copy);
	} else if (strcmp(spec, "DIR") == 0) {
		c->kind = "dirs";
	} else if (strcmp(spec, "PATH") == 0 || strcmp(spec, "FILE") == 0) {
		c->kind = "files";
	} else if (strcmp(spec, "QUERY") == 0 && strncmp(c->cur, "--", 2) != 0) {
		query(c);
	} else if (strcmp(spec, "TAG") == 0 || strcmp(spec, "PATTERN") == 0 ||
	    strcmp(spec, "FROM") == 0 || strcmp(spec, "TO") == 0) {
		tags(c, 0);
	} else if (strcmp(spec, "NAME") == 0) {
		if (strcmp(cmd, "config") == 0) {
			settings(c, NULL);
		} else {
			presets(c);
		}
	} else if (strcmp(spec, "KEY") == 0) {
		settings(c, strcmp(cmd, "rules") == 0 ? rules_override_keys : NULL);
	} else if (strcmp(spec, "VALUE") == 0 && prev != NULL) {
		setting_values(c, prev);
	} else if (strcmp(spec, "M") == 0) {
		setting_values(c, "model");
	}
}

/* ---- where the word is ------------------------------------------------------ */

static bool
literal_matches(const char *spec, const char *word)
{
	size_t n = strlen(word);
	for (const char *m = spec; *m != '\0';) {
		size_t k = strcspn(m, "|");
		if (k == n && strncmp(m, word, n) == 0) {
			return true;
		}
		m += k + (m[k] == '|');
	}
	return false;
}

static bool
item_matches(const struct item *it, const char *word)
{
	const char *t = it->text;
	if (t[0] >= 'a' && t[0] <= 'z') {
		return literal_matches(t, word);
	}
	if (t[0] == '+' || t[0] == '-') {
		return word[0] == t[0];
	}
	return true;
}

/*
 * Offer what can stand at position k of words, items[i..] being what may
 * match words[j..]; taken: items[i] repeats and matched once already (so it
 * may end here).
 */
static void
walk(struct comp *c, const struct grammar *g, const struct item *items, size_t n, size_t i,
    char **words, size_t j, size_t k, bool taken)
{
	if (i == n) {
		return;
	}
	const struct item *it = &items[i];
	if (j == k) {
		offer(c, it->text, g->cmd->name, k > 0 ? words[k - 1] : NULL);
	} else if (item_matches(it, words[j])) {
		walk(c, g, items, n, i + !it->repeat, words, j + 1, k, it->repeat);
	}
	if (it->optional || taken) {
		walk(c, g, items, n, i + 1, words, j, k, false);
	}
}

static void
options(struct comp *c, const struct grammar *g)
{
	for (size_t i = 0; i < g->n_opts; i++) {
		add(c, g->opts[i].name, g->opts[i].value);
	}
	add(c, "--help", NULL);
}

/* The words after the command: options skipped, the last one completed. */
static void
command_words(struct comp *c, const struct cmd_entry *e, char **w, size_t n)
{
	struct grammar g = {.cmd = e};
	help_synopses(e, read_synopsis, &g);
	char **pos = xcalloc(n + 1, sizeof *pos);
	size_t np = 0;
	bool only_pos = false;
	for (size_t i = 0; i + 1 < n; i++) {
		const struct opt *o = only_pos ? NULL : find_opt(&g, w[i]);
		if (!only_pos && strcmp(w[i], "--") == 0) {
			only_pos = true;
		} else if (o != NULL) {
			if (o->value != NULL && i + 2 == n) {
				offer(c, o->value, e->name, NULL);
				goto out;
			}
			i += o->value != NULL;
		} else if (only_pos || strncmp(w[i], "--", 2) != 0) {
			pos[np++] = w[i];
		}
	}
	if (!only_pos && c->cur[0] == '-' && (c->cur[1] == '-' || c->cur[1] == '\0' ||
	    c->cur[1] == '0')) {
		options(c, &g);
	}
	pos[np] = (char *)c->cur;
	for (size_t s = 0; s < g.n_seq; s++) {
		walk(c, &g, g.seq[s], g.n_items[s], 0, pos, 0, np, false);
	}
out:
	free(pos);
	grammar_fini(&g);
}

/* The whole line: global options, the command, its words. */
static void
complete_line(struct comp *c, char **w, size_t n)
{
	size_t i = 0;
	for (; i + 1 < n && w[i][0] == '-'; i++) {
		if (strcmp(w[i], "--db") == 0 || strcmp(w[i], "--theme") == 0 ||
		    strcmp(w[i], "--preset") == 0) {
			if (i + 2 == n) {
				if (w[i][2] == 'd') {
					c->kind = "files";
				} else if (w[i][2] == 't') {
					setting_values(c, "theme");
				} else {
					presets(c);
				}
				return;
			}
			if (w[i][2] == 'd') {
				c->cli->db_flag = w[i + 1];
			}
			i++;
		} else if (strncmp(w[i], "--db=", 5) == 0) {
			c->cli->db_flag = w[i] + 5;
		}
	}
	if (i + 1 == n) {
		if (c->cur[0] == '-') {
			static const char *const global[] = {"--db", "--theme", "--preset", "--help",
				"--version", NULL};
			for (const char *const *g = global; *g != NULL; g++) {
				add(c, *g, NULL);
			}
			return;
		}
		for (const struct cmd_entry *const *e = cli_commands(); *e != NULL; e++) {
			add(c, (*e)->name, (*e)->help);
		}
		add(c, "help", "the help of a command");
		c->kind = "dirs"; /* the console's DIRs */
		return;
	}
	if (strcmp(w[i], "help") == 0) {
		for (const struct cmd_entry *const *e = cli_commands(); i + 2 == n && *e; e++) {
			add(c, (*e)->name, (*e)->help);
		}
		return;
	}
	const struct cmd_entry *e = cli_find_command(w[i]);
	if (e != NULL) {
		command_words(c, e, w + i + 1, n - i - 1);
	} else {
		c->kind = "dirs";
	}
}

/* ---- tables for the man page ---------------------------------------------- */

static void
list_synopsis(void *ud, const char *syn)
{
	printf("%s\t%s\n", (const char *)ud, syn);
}

static int
list(const char *what)
{
	if (strcmp(what, "commands") == 0) {
		for (const struct cmd_entry *const *e = cli_commands(); *e != NULL; e++) {
			help_synopses(*e, list_synopsis, (void *)(*e)->name);
		}
		return EXIT_OK;
	}
	if (strcmp(what, "settings") != 0) {
		out_error("complete: --list: '%s' is not commands or settings", what);
		return EXIT_USAGE;
	}
	size_t n;
	const struct setting_def *t = settings_table(&n);
	for (size_t i = 0; i < n; i++) {
		printf("%s\t%s\t%s\t%g\t%g\t", t[i].name, settings_type_name(t[i].type), t[i].def,
		    t[i].min, t[i].max);
		for (const char *const *k = t[i].choices; k != NULL && *k != NULL; k++) {
			printf("%s%s", k == t[i].choices ? "" : ",", *k);
		}
		printf("\t%s\n", t[i].help);
	}
	return EXIT_OK;
}

static int
exec_complete(struct cli *cli, int argc, char **argv)
{
	struct comp c = {.cli = cli, .kind = "none"};
	int i = 0;
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--list") == 0 && i + 1 < argc) {
			return list(argv[i + 1]);
		} else if (strcmp(argv[i], "--shell") == 0 && i + 1 < argc) {
			c.fish = strcmp(argv[++i], "fish") == 0;
		} else {
			out_error("complete: unknown option '%s'", argv[i]);
			return cli_usage(&cmd_complete_entry);
		}
	}
	if (i + 1 >= argc) {
		return cli_usage(&cmd_complete_entry);
	}
	char **w = argv + i + 1;
	size_t n = (size_t)(argc - i - 1);
	c.cur = w[n - 1];
	complete_line(&c, w, n);
	printf("%s\n", c.kind);
	for (size_t k = 0; k < c.n; k++) {
		/* Tags hold no control characters (refused on the way in), yet a
		 * completion is pasted into a command line: one line each, safe. */
		out_safe(stdout, c.out[k]);
		if (c.desc[k] != NULL) {
			putchar('\t');
			out_safe(stdout, c.desc[k]);
		}
		putchar('\n');
		free(c.out[k]);
		free(c.desc[k]);
	}
	free(c.out);
	free(c.desc);
	return EXIT_OK;
}

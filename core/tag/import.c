/* import.c — caption files become manual committed tags. */
#include "core/tag/import.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/tag/tagname.h"
#include "db/db.h"
#include "db/predictions.h"
#include "db/review.h"
#include "db/search.h"
#include "common/xalloc.h"

#define MAX_CAPTION (1u << 20)

static bool
rating_label(const char *tag)
{
	return rating_from_label(tag) >= 0 && strcmp(tag, "safe") != 0;
}

static char *
trimmed(const char *s, size_t n)
{
	while (n > 0 && strchr(" \t\r\n", *s) != NULL) {
		s++;
		n--;
	}
	while (n > 0 && strchr(" \t\r\n", s[n - 1]) != NULL) {
		n--;
	}
	return xstrndup(s, n);
}

/* The names of a caption, each once: a set beside the array keeps a
 * caption of 60k tags linear. */
struct names {
	char **v;
	size_t n;
	size_t cap;
	GHashTable *seen; /* borrows v's strings */
};

static void
add_name(struct names *names, char *piece)
{
	char *plain = tagname_unescape(piece);
	char *c = tagname_from_space(plain);
	free(plain);
	if (c == NULL || rating_label(c) || g_hash_table_contains(names->seen, c)) {
		free(c);
		return;
	}
	if (names->n == names->cap) {
		names->cap = names->cap ? names->cap * 2 : 16;
		names->v = xreallocarray(names->v, names->cap, sizeof *names->v);
	}
	names->v[names->n++] = c;
	g_hash_table_add(names->seen, c);
}

/* Length of the piece at p: up to the separator, or the next blank when
 * the separator is blank. */
static size_t
piece_len(const char *p, const char *sep)
{
	if (*sep == '\0') {
		return strcspn(p, " \t\r\n");
	}
	const char *at = strstr(p, sep);
	return at != NULL ? (size_t)(at - p) : strlen(p);
}

char **
import_caption_tags(const char *text, const char *separator, size_t *n)
{
	const char *given = separator != NULL ? separator : ",";
	char *sep = trimmed(given, strlen(given));
	size_t skip = *sep != '\0' ? strlen(sep) : 1;
	struct names names = {.seen = g_hash_table_new(g_str_hash, g_str_equal)};
	for (const char *p = text; *p != '\0';) {
		size_t k = piece_len(p, sep);
		char *piece = trimmed(p, k);
		if (*piece != '\0') {
			add_name(&names, piece);
		}
		free(piece);
		p += k;
		p += *p != '\0' ? skip : 0;
	}
	g_hash_table_destroy(names.seen);
	free(sep);
	*n = names.n;
	return names.v;
}

void
import_tags_free(char **tags, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(tags[i]);
	}
	free(tags);
}

struct image {
	int64_t id;
	char *path;
};

struct list {
	struct image *v;
	size_t n;
};

static bool
collect(void *ud, const struct search_hit *h)
{
	struct list *l = ud;
	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	l->v[l->n++] = (struct image){h->id, xstrdup(h->path)};
	return true;
}

/* The caption file of an image: its name with the extension replaced. */
static char *
caption_path(const char *path, const char *ext)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash != NULL ? slash + 1 : path;
	const char *dot = strrchr(base, '.');
	size_t stem = dot != NULL && dot != base ? (size_t)(dot - path) : strlen(path);
	return xasprintf("%.*s%s", (int)stem, path, ext);
}

/* The caption's text, NULL when there is none (*err set on a real error). */
static char *
read_caption(const char *path, char **err)
{
	*err = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT) {
			*err = xasprintf("%s: %s", path, strerror(errno));
		}
		return NULL;
	}
	struct stat st;
	char *text = NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_CAPTION) {
		*err = xasprintf("%s: not a caption file (not regular, or over 1 MiB)", path);
	} else {
		text = xmalloc((size_t)st.st_size + 1);
		ssize_t k = read(fd, text, (size_t)st.st_size);
		if (k < 0) {
			*err = xasprintf("%s: %s", path, strerror(errno));
			free(text);
			text = NULL;
		} else {
			text[k] = '\0';
		}
	}
	close(fd);
	return text;
}

/* The image's accepted tags, as a set. */
static void
add_accepted(void *ud, const struct db_decision *d)
{
	if (d->verdict == DB_ACCEPTED) {
		g_hash_table_add(ud, xstrdup(d->tag));
	}
}

/* The changes one caption makes; false on a database error. */
static bool
import_one(struct db *db, const struct image *img, char **tags, size_t n_tags,
    const struct import_opts *o, struct import_counts *c)
{
	GHashTable *have = g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL);
	if (!db_image_decisions(db, img->id, add_accepted, have)) {
		g_hash_table_destroy(have);
		return false;
	}
	struct db_review_change *ch = xcalloc(n_tags + 1, sizeof *ch);
	size_t n = 0;
	for (size_t i = 0; i < n_tags; i++) {
		if (!g_hash_table_contains(have, tags[i])) {
			ch[n++] = (struct db_review_change){tags[i], DB_CAT_USER, DB_REVIEW_ACCEPT,
				DB_SOURCE_MANUAL};
		}
	}
	bool ok = true;
	if (n == 0) {
		c->unchanged++;
	} else if (o->dry_run || (ok = db_review_commit(db, img->id, ch, n))) {
		c->images++;
		c->tags += (int64_t)n;
	}
	g_hash_table_destroy(have);
	free(ch);
	return ok;
}

static void
report(const struct import_opts *o, struct import_counts *c, const char *path, char *why)
{
	c->failed++;
	if (o->on_error != NULL) {
		o->on_error(o->ud, path, why);
	}
	free(why);
}

static bool
import_list(struct db *db, const struct list *l, const struct import_opts *o,
    struct import_counts *c)
{
	for (size_t i = 0; i < l->n; i++) {
		char *cap = caption_path(l->v[i].path, o->extension != NULL ? o->extension : ".txt");
		char *err, *text = read_caption(cap, &err);
		bool ok = true;
		if (text == NULL && err == NULL) {
			c->no_caption++;
		} else if (text == NULL) {
			report(o, c, cap, err);
		} else {
			size_t n;
			char **tags = import_caption_tags(text, o->separator, &n);
			ok = import_one(db, &l->v[i], tags, n, o, c);
			import_tags_free(tags, n);
		}
		free(text);
		free(cap);
		if (!ok) {
			return false;
		}
	}
	return true;
}

bool
import_run(struct db *db, const char *folder, const struct import_opts *o,
    struct import_counts *counts, char **cause)
{
	memset(counts, 0, sizeof *counts);
	struct search_node *q = search_node_create(folder != NULL ? SEARCH_FOLDER : SEARCH_ALL, 1,
	    folder);
	struct search_opts so;
	search_opts_init(&so, NULL);
	struct list l = {0};
	/* The list first: writes never run under an open read of images. */
	bool ok = db_search_each(db, q, &so, collect, &l) && import_list(db, &l, o, counts);
	if (!ok && cause != NULL) {
		*cause = xstrdup(db_errmsg(db));
	}
	for (size_t i = 0; i < l.n; i++) {
		free(l.v[i].path);
	}
	free(l.v);
	search_node_destroy(q);
	return ok;
}

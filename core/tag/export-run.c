/*
 * export-run.c — the file side of export: where each caption or sidecar
 * goes, atomic writes, keep/replace/append, and the run over a query.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/sanitize.h"
#include "core/tag/export-private.h"
#include "core/tag/export.h"
#include "core/tag/tagname.h"
#include "db/db.h"
#include "db/images.h"
#include "common/xalloc.h"

/* Sidecars and captions are small; anything bigger is not one. */
#define MAX_EXISTING (16u << 20)

char *
export_target(const struct export_item *item, const struct export_opts *o, const char *root)
{
	const char *path = item->hit.path;
	char *name;
	if (o->format == EXPORT_XMP) {
		name = xasprintf("%s.xmp", path);
	} else {
		const char *slash = strrchr(path, '/');
		const char *dot = strrchr(slash != NULL ? slash + 1 : path, '.');
		size_t stem = dot != NULL && dot != (slash != NULL ? slash + 1 : path) ?
		    (size_t)(dot - path) : strlen(path);
		name = xasprintf("%.*s.txt", (int)stem, path);
	}
	if (o->out == NULL) {
		return name;
	}
	/* Mirror the image's place below its root under the output directory. */
	size_t r = root != NULL ? strlen(root) : 0;
	const char *rel = name + 1;
	if (r > 1 && strncmp(name, root, r) == 0 && name[r] == '/') {
		rel = name + r + 1;
	}
	char *out = xasprintf("%s/%s", o->out, rel);
	free(name);
	return out;
}

static bool
fail_errno(char **cause, const char *what, const char *path)
{
	if (cause != NULL) {
		*cause = xasprintf("%s: %s: %s", path, what, errno == ELOOP ?
		    "a symbolic link: not followed, refused" : strerror(errno));
	}
	return false;
}

static mode_t
file_mode(void)
{
	mode_t mask = umask(0);
	umask(mask);
	return 0666 & ~mask;
}

/*
 * Where a file is written: an open directory and a name in it.  Every
 * read and write goes through the directory's descriptor with O_NOFOLLOW,
 * so a symlink planted where tagcon writes is refused, never followed
 * (DESIGN.md §9), and below --out no folder may be a symlink either.
 */
struct place {
	int dir;
	const char *name; /* in path */
	const char *path; /* for messages */
};

/* mkdir -p dir; what fails shows when dir is opened. */
static void
make_dirs(const char *dir)
{
	char *d = xstrdup(dir);
	for (char *p = d + 1; *p != '\0'; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(d, 0777);
			*p = '/';
		}
	}
	mkdir(d, 0777);
	free(d);
}

/* Open the folder of path (the image's own folder, or --out itself as
 * given); below is the part of path under --out, or NULL. */
static bool
place_open(struct place *pl, const char *path, const char *below, char **cause)
{
	const char *slash = strrchr(path, '/');
	*pl = (struct place){.dir = -1, .name = slash != NULL ? slash + 1 : path, .path = path};
	size_t top = below != NULL ? (size_t)(below - path) - 1 : slash != NULL ?
	    (size_t)(slash - path) : 0;
	char *dir = top > 0 ? xstrndup(path, top) : xstrdup(slash == path ? "/" : ".");
	if (below != NULL) {
		make_dirs(dir); /* --out itself, as the person named it */
	}
	pl->dir = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pl->dir < 0) {
		fail_errno(cause, "open its folder", path);
	}
	/* Each folder below --out: made when missing, entered without following. */
	for (const char *p = below; pl->dir >= 0 && p != NULL && p < pl->name;) {
		const char *end = strchr(p, '/');
		char *part = xstrndup(p, (size_t)(end - p));
		char *at = xstrndup(path, (size_t)(end - path));
		int next = -1;
		if (mkdirat(pl->dir, part, 0777) != 0 && errno != EEXIST) {
			fail_errno(cause, "mkdir", at);
		} else if ((next = openat(pl->dir, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC)) < 0) {
			/* O_DIRECTORY says ENOTDIR of a link: say which it is. */
			struct stat st;
			if (errno == ENOTDIR && fstatat(pl->dir, part, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(st.st_mode)) {
				errno = ELOOP;
			}
			fail_errno(cause, "open folder", at);
		}
		free(at);
		close(pl->dir);
		pl->dir = next;
		free(part);
		p = end + 1;
	}
	free(dir);
	return pl->dir >= 0;
}

static void
place_close(struct place *pl)
{
	if (pl->dir >= 0) {
		close(pl->dir);
	}
	pl->dir = -1;
}

/* A new temporary file beside the place's name: its name in *tmp. */
static int
place_temp(const struct place *pl, char **tmp)
{
	for (int tries = 0; tries < 16; tries++) {
		uint32_t r[2];
		if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
			return -1;
		}
		*tmp = xasprintf(".%s.tagcon-%08x%08x", pl->name, r[0], r[1]);
		int fd = openat(pl->dir, *tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0600);
		if (fd >= 0 || errno != EEXIST) {
			if (fd < 0) {
				free(*tmp);
				*tmp = NULL;
			}
			return fd;
		}
		free(*tmp);
	}
	*tmp = NULL;
	return -1;
}

static bool
write_all(int fd, const char *data, size_t n)
{
	for (size_t done = 0; done < n;) {
		ssize_t k = write(fd, data + done, n - done);
		if (k < 0 && errno == EINTR) {
			continue;
		}
		if (k <= 0) {
			return false;
		}
		done += (size_t)k;
	}
	return true;
}

/* fsync, permissions, close and rename a finished temporary file over the
 * place's name (renameat replaces a link there; it never follows one). */
static bool
place_commit(const struct place *pl, int fd, char *tmp, bool ok, char **cause)
{
	ok = ok && fsync(fd) == 0 && fchmod(fd, file_mode()) == 0;
	ok = close(fd) == 0 && ok;
	ok = ok && renameat(pl->dir, tmp, pl->dir, pl->name) == 0;
	if (!ok) {
		fail_errno(cause, "write", pl->path);
		unlinkat(pl->dir, tmp, 0);
	}
	free(tmp);
	return ok;
}

/* Write data in place of the file, atomically. */
static bool
place_write(const struct place *pl, const char *data, size_t n, char **cause)
{
	char *tmp;
	int fd = place_temp(pl, &tmp);
	if (fd < 0) {
		return fail_errno(cause, "create", pl->path);
	}
	return place_commit(pl, fd, tmp, write_all(fd, data, n), cause);
}

bool
export_write_file(const char *path, const char *data, size_t n, char **cause)
{
	struct place pl;
	bool ok = place_open(&pl, path, NULL, cause) && place_write(&pl, data, n, cause);
	place_close(&pl);
	return ok;
}

/* The whole file (new string), NULL with *missing when absent; a symlink
 * is an error, not followed. */
static char *
place_read(const struct place *pl, bool *missing, char **cause)
{
	*missing = false;
	int fd = openat(pl->dir, pl->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		*missing = errno == ENOENT;
		return *missing ? NULL : (fail_errno(cause, "read", pl->path), NULL);
	}
	struct stat st;
	char *data = NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_EXISTING) {
		errno = fstat(fd, &st) != 0 ? errno : S_ISREG(st.st_mode) ? EFBIG : EISDIR;
		fail_errno(cause, "read", pl->path);
	} else {
		data = xmalloc((size_t)st.st_size + 1);
		ssize_t k = read(fd, data, (size_t)st.st_size);
		if (k < 0) {
			fail_errno(cause, "read", pl->path);
			free(data);
			data = NULL;
		} else {
			data[k] = '\0';
		}
	}
	close(fd);
	return data;
}

/* The separator without its blanks ("," of ", "); "" splits on blanks. */
static char *
separator_core(const char *sep)
{
	while (*sep == ' ' || *sep == '\t') {
		sep++;
	}
	size_t n = strlen(sep);
	while (n > 0 && (sep[n - 1] == ' ' || sep[n - 1] == '\t' || sep[n - 1] == '\n')) {
		n--;
	}
	return xstrndup(sep, n);
}

static char *
trim(char *s)
{
	while (*s != '\0' && strchr(" \t\r\n", *s) != NULL) {
		s++;
	}
	size_t n = strlen(s);
	while (n > 0 && strchr(" \t\r\n", s[n - 1]) != NULL) {
		s[--n] = '\0';
	}
	return s;
}

/* Canonical names of the tags in a caption (NULL for pieces that are no
 * tag name). */
static char **
caption_tags(const char *text, const char *sep, size_t *n)
{
	char *core = separator_core(sep), *copy = xstrdup(text);
	char **names = NULL;
	*n = 0;
	for (char *p = copy; p != NULL;) {
		char *end;
		size_t skip = 1;
		if (*core != '\0') {
			end = strstr(p, core);
			skip = strlen(core);
		} else {
			end = p + strcspn(p, " \t\r\n");
			end = *end != '\0' ? end : NULL;
		}
		if (end != NULL) {
			*end = '\0';
		}
		char *piece = trim(p);
		if (*piece != '\0') {
			names = xreallocarray(names, *n + 1, sizeof *names);
			names[(*n)++] = export_canonical(piece);
		}
		p = end != NULL ? end + skip : NULL;
	}
	free(core);
	free(copy);
	return names;
}

static char *
append_shown(char *line, const char *sep, const char *shown)
{
	char *more = xasprintf("%s%s%s", line, *line != '\0' ? sep : "", shown);
	free(line);
	return more;
}

/* The caption file's new text: ours, or existing with the tags it lacks. */
static char *
caption_text(const struct export_item *item, const struct export_opts *o, const char *existing)
{
	const char *sep = o->separator != NULL ? o->separator : ", ";
	if (existing == NULL) {
		char *line = export_caption(item, o);
		char *out = xasprintf("%s\n", line);
		free(line);
		return out;
	}
	size_t n_have;
	char **have = caption_tags(existing, sep, &n_have);
	char *copy = xstrdup(existing);
	char *line = xstrdup(trim(copy));
	free(copy);
	const char *label = o->rating_tag ? export_rating_label(item) : NULL;
	if (label != NULL && !export_has(have, n_have, label)) {
		line = append_shown(line, sep, label);
	}
	int flags = (o->spaces ? TAGNAME_SPACES : 0) | (o->escape ? TAGNAME_ESCAPE : 0);
	for (size_t i = 0; i < item->n_tags; i++) {
		if (!export_has(have, n_have, item->tags[i].tag)) {
			char *shown = tagname_display(item->tags[i].tag, flags);
			line = append_shown(line, sep, shown);
			free(shown);
		}
	}
	for (size_t i = 0; i < n_have; i++) {
		free(have[i]);
	}
	free(have);
	char *out = xasprintf("%s\n", line);
	free(line);
	return out;
}

/* ---- the run ------------------------------------------------------------------- */

struct run {
	struct db *db;
	const struct rules *rules;
	const char *model;
	const struct export_opts *o;
	struct export_counts *counts;
	char **roots;
	size_t n_roots;
	FILE *stream;    /* jsonl */
	char *cause;     /* a database error: the run stops */
};

static void
add_root(void *ud, int64_t id, const char *path)
{
	struct run *r = ud;
	r->roots = xreallocarray(r->roots, r->n_roots + 1, sizeof *r->roots);
	r->roots[r->n_roots++] = xstrdup(path);
}

/* The longest root that holds path. */
static const char *
root_of(const struct run *r, const char *path)
{
	const char *best = NULL;
	for (size_t i = 0; i < r->n_roots; i++) {
		size_t n = strlen(r->roots[i]);
		if (strncmp(path, r->roots[i], n) == 0 && path[n] == '/' &&
		    (best == NULL || n > strlen(best))) {
			best = r->roots[i];
		}
	}
	return best;
}

static void
failed(struct run *r, const char *path, char *why)
{
	r->counts->failed++;
	if (r->o->on_error != NULL) {
		r->o->on_error(r->o->ud, path, why != NULL ? why : "failed");
	}
	free(why);
}

/* Write one caption or sidecar as the mode says. */
static void
write_file(struct run *r, const struct export_item *item)
{
	const struct export_opts *o = r->o;
	char *target = export_target(item, o, root_of(r, item->hit.path)), *cause = NULL;
	bool missing = false;
	char *existing = NULL, *text = NULL;
	struct place pl;
	if (!place_open(&pl, target, o->out != NULL ? target + strlen(o->out) + 1 : NULL,
	    &cause) || ((existing = place_read(&pl, &missing, &cause)) == NULL && !missing)) {
		failed(r, target, cause);
	} else if (existing != NULL && o->mode == EXPORT_KEEP) {
		r->counts->kept++;
	} else {
		const char *base = o->mode == EXPORT_APPEND ? existing : NULL;
		text = o->format == EXPORT_XMP ? export_xmp(item, o, base, &cause)
		    : caption_text(item, o, base);
		if (text == NULL) {
			failed(r, target, cause);
		} else if (existing != NULL && strcmp(text, existing) == 0) {
			r->counts->kept++;
		} else if (place_write(&pl, text, strlen(text), &cause)) {
			r->counts->written++;
		} else {
			failed(r, target, cause);
		}
	}
	place_close(&pl);
	free(text);
	free(existing);
	free(target);
}

static bool
export_one(void *ud, const struct search_hit *hit)
{
	struct run *r = ud;
	struct export_item item;
	if (!export_item_load(r->db, r->rules, r->model, hit, r->o->include_suggested, &item,
	    &r->cause)) {
		return false;
	}
	if (r->o->format == EXPORT_JSONL) {
		cJSON *j = export_json(&item);
		char *line = cJSON_PrintUnformatted(j);
		char *safe = sanitize_json(line);
		fprintf(r->stream, "%s\n", safe);
		free(safe);
		free(line);
		cJSON_Delete(j);
		r->counts->written++;
	} else if (item.n_tags == 0 && !(r->o->rating_tag && item.rated)) {
		r->counts->empty++;
	} else {
		write_file(r, &item);
	}
	export_item_fini(&item);
	return true;
}

/*
 * jsonl into a file, as --mode says: keep refuses an existing file,
 * replace writes a temporary one renamed at the end, append adds lines.
 * Never through a symlink.
 */
struct sink {
	struct place pl;
	char *tmp;  /* replace: the temporary file's name */
	int fd;
};

static bool
open_stream(struct run *r, struct sink *k)
{
	*k = (struct sink){.pl = {.dir = -1}, .fd = -1};
	if (r->o->out == NULL) {
		r->stream = r->o->stream != NULL ? r->o->stream : stdout;
		return true;
	}
	if (!place_open(&k->pl, r->o->out, NULL, &r->cause)) {
		return false;
	}
	struct stat st;
	bool exists = fstatat(k->pl.dir, k->pl.name, &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (exists && S_ISLNK(st.st_mode)) {
		errno = ELOOP;
		return fail_errno(&r->cause, "write", r->o->out);
	}
	if (exists && r->o->mode == EXPORT_KEEP) {
		r->cause = xasprintf("%s: exists (--mode replace or --mode append to write it)",
		    r->o->out);
		return false;
	}
	k->fd = r->o->mode == EXPORT_APPEND ? openat(k->pl.dir, k->pl.name, O_WRONLY | O_APPEND |
	    O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, file_mode()) : place_temp(&k->pl, &k->tmp);
	r->stream = k->fd >= 0 ? fdopen(dup(k->fd), "w") : NULL;
	if (r->stream == NULL) {
		fail_errno(&r->cause, "create", r->o->out);
		if (k->fd >= 0) {
			close(k->fd);
			k->fd = -1;
		}
		if (k->tmp != NULL) {
			unlinkat(k->pl.dir, k->tmp, 0);
			free(k->tmp);
			k->tmp = NULL;
		}
		return false;
	}
	return true;
}

static bool
close_stream(struct run *r, struct sink *k, bool ok)
{
	if (k->fd < 0) {
		bool flushed = r->stream == NULL || fflush(r->stream) == 0;
		place_close(&k->pl);
		return ok && flushed;
	}
	ok = fclose(r->stream) == 0 && ok;
	if (!ok && r->cause == NULL) {
		fail_errno(&r->cause, "write", r->o->out);
	}
	if (k->tmp != NULL) {
		ok = place_commit(&k->pl, k->fd, k->tmp, ok, r->cause == NULL ? &r->cause : NULL);
	} else {
		ok = fsync(k->fd) == 0 && ok;
		close(k->fd);
	}
	place_close(&k->pl);
	return ok;
}

bool
export_run(struct db *db, const struct search_node *q, const struct search_opts *so,
    const struct rules *rules, const struct export_opts *o, struct export_counts *counts,
    char **cause)
{
	struct run r = {.db = db, .rules = rules, .model = so->model, .o = o, .counts = counts};
	memset(counts, 0, sizeof *counts);
	struct sink sink = {.pl = {.dir = -1}, .fd = -1};
	bool ok = db_roots_each(db, add_root, &r);
	if (!ok) {
		r.cause = xstrdup(db_errmsg(db));
	} else if (o->format != EXPORT_JSONL || open_stream(&r, &sink)) {
		ok = db_search_each(db, q, so, export_one, &r) && r.cause == NULL;
		if (!ok && r.cause == NULL) {
			r.cause = xstrdup(db_errmsg(db));
		}
		if (o->format == EXPORT_JSONL) {
			ok = close_stream(&r, &sink, ok);
		}
	} else {
		place_close(&sink.pl);
		ok = false;
	}
	for (size_t i = 0; i < r.n_roots; i++) {
		free(r.roots[i]);
	}
	free(r.roots);
	if (cause != NULL) {
		*cause = r.cause;
	} else {
		free(r.cause);
	}
	return ok;
}

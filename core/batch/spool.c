/* spool.c — answers waiting for the database, in a file beside it. */
#include "core/batch/spool.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "core/batch/results.h"
#include "core/tag/answer.h"
#include "db/db.h"
#include "db/images.h"
#include "db/predictions.h"
#include "db/queue.h"

/* A line longer than this is not one of ours (the largest answer of a WD
 * model is ~11k tags, under 1 MiB as JSON). */
#define MAX_LINE (8 * 1024 * 1024)

char *
spool_path(const char *db_path)
{
	return xasprintf("%s-unstored.jsonl", db_path);
}

static void
hex(char out[33], const uint8_t hash[16])
{
	for (int i = 0; i < 16; i++) {
		snprintf(out + 2 * i, 3, "%02x", hash[i]);
	}
}

static bool
unhex(const char *s, uint8_t hash[16])
{
	if (s == NULL || strlen(s) != 32) {
		return false;
	}
	for (int i = 0; i < 16; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1) {
			return false;
		}
		hash[i] = (uint8_t)v;
	}
	return true;
}

static char *
entry_line(const struct spool_entry *e)
{
	char h[33];
	hex(h, e->hash);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "hash", h);
	cJSON_AddNumberToObject(o, "image", (double)e->image_id);
	cJSON_AddStringToObject(o, "path", e->path);
	cJSON_AddStringToObject(o, "model", e->model);
	if (e->space != NULL) {
		cJSON_AddStringToObject(o, "space", e->space);
	}
	cJSON_AddNumberToObject(o, "floor", e->floor);
	cJSON_AddNumberToObject(o, "width", e->width);
	cJSON_AddNumberToObject(o, "height", e->height);
	cJSON_AddNumberToObject(o, "at", (double)time(NULL));
	cJSON_AddItemToObject(o, "ratings", cJSON_CreateDoubleArray(e->answer->ratings,
	    RATING_COUNT));
	cJSON_AddNumberToObject(o, "rating_mask", e->answer->rating_mask);
	cJSON *tags = cJSON_AddArrayToObject(o, "tags");
	for (size_t i = 0; i < e->answer->count; i++) {
		const struct answer_prediction *p = &e->answer->predictions[i];
		cJSON *t = cJSON_CreateArray();
		cJSON_AddItemToArray(t, cJSON_CreateString(p->name));
		cJSON_AddItemToArray(t, cJSON_CreateNumber(p->category));
		cJSON_AddItemToArray(t, cJSON_CreateNumber(p->score));
		cJSON_AddItemToArray(tags, t);
	}
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	char *line = xasprintf("%s\n", text);
	free(text);
	return line;
}

/* The answer of a line's "ratings", "rating_mask" and "tags", or NULL. */
static struct answer *
line_answer(const cJSON *o)
{
	const cJSON *ratings = cJSON_GetObjectItem(o, "ratings");
	const cJSON *tags = cJSON_GetObjectItem(o, "tags");
	if (cJSON_GetArraySize(ratings) != RATING_COUNT || !cJSON_IsArray(tags)) {
		return NULL;
	}
	struct answer *a = xcalloc(1, sizeof *a);
	for (int r = 0; r < RATING_COUNT; r++) {
		a->ratings[r] = cJSON_GetNumberValue(cJSON_GetArrayItem(ratings, r));
		a->ratings[r] = a->ratings[r] == a->ratings[r] ? a->ratings[r] : 0; /* NaN */
	}
	a->rating_mask = (unsigned)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "rating_mask"));
	a->predictions = xcalloc((size_t)cJSON_GetArraySize(tags) + 1, sizeof *a->predictions);
	const cJSON *t;
	cJSON_ArrayForEach(t, tags) {
		const char *name = cJSON_GetStringValue(cJSON_GetArrayItem(t, 0));
		const cJSON *cat = cJSON_GetArrayItem(t, 1), *score = cJSON_GetArrayItem(t, 2);
		if (name == NULL || !cJSON_IsNumber(cat) || !cJSON_IsNumber(score) ||
		    cat->valueint < ANSWER_GENERAL || cat->valueint > ANSWER_RATING) {
			answer_destroy(a);
			return NULL;
		}
		struct answer_prediction *p = &a->predictions[a->count++];
		p->name = xstrdup(name);
		p->category = (enum answer_category)cat->valueint;
		p->score = score->valuedouble;
		a->ngeneral += p->category == ANSWER_GENERAL;
		a->ncharacter += p->category == ANSWER_CHARACTER;
	}
	return a;
}

/* One line to fn; false when it is not an entry. */
static bool
parse_line(const char *line, void (*fn)(void *ud, const struct spool_entry *e), void *ud)
{
	cJSON *o = cJSON_Parse(line);
	struct spool_entry e = {
		.path = cJSON_GetStringValue(cJSON_GetObjectItem(o, "path")),
		.model = cJSON_GetStringValue(cJSON_GetObjectItem(o, "model")),
		.space = cJSON_GetStringValue(cJSON_GetObjectItem(o, "space")),
		.image_id = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "image")),
		.floor = cJSON_GetNumberValue(cJSON_GetObjectItem(o, "floor")),
		.width = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "width")),
		.height = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "height")),
		.at = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "at")),
	};
	struct answer *a = NULL;
	bool ok = o != NULL && e.path != NULL && e.model != NULL &&
	    unhex(cJSON_GetStringValue(cJSON_GetObjectItem(o, "hash")), e.hash) &&
	    (a = line_answer(o)) != NULL;
	if (ok) {
		e.width = e.width > 0 ? e.width : 0;
		e.height = e.height > 0 ? e.height : 0;
		e.answer = a;
		fn(ud, &e);
	}
	answer_destroy(a);
	cJSON_Delete(o);
	return ok;
}

/* The spool opened and locked for writing, the very file at its path (a
 * remover may have renamed a new one into place while this one waited for
 * the lock); -1 with *cause. */
static int
open_locked(const char *path, int flags, char **cause)
{
	for (int tries = 0; tries < 100; tries++) {
		int fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			*cause = xasprintf("%s: %s", path, strerror(errno));
			return -1;
		}
		struct stat held, now;
		if (flock(fd, LOCK_EX) == 0 && fstat(fd, &held) == 0 && stat(path, &now) == 0 &&
		    held.st_ino == now.st_ino && held.st_dev == now.st_dev) {
			return fd;
		}
		close(fd);
	}
	*cause = xasprintf("%s: keeps being replaced", path);
	return -1;
}

static bool
write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, s, n);
		if (k < 0 && errno == EINTR) {
			continue;
		}
		if (k <= 0) {
			return false;
		}
		s += k;
		n -= (size_t)k;
	}
	return true;
}

bool
spool_add(const char *db_path, const struct spool_entry *e, char **cause)
{
	char *path = spool_path(db_path);
	int fd = open_locked(path, O_WRONLY | O_APPEND | O_CREAT, cause);
	char *line = fd >= 0 ? entry_line(e) : NULL;
	bool ok = fd >= 0 && write_all(fd, line, strlen(line)) && fsync(fd) == 0;
	if (fd >= 0 && !ok) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
	}
	if (fd >= 0) {
		close(fd);
	}
	free(line);
	free(path);
	return ok;
}

/* The whole file of fd (NUL-terminated), or NULL. */
static char *
read_all(int fd)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size > MAX_LINE * 64) {
		return NULL;
	}
	char *buf = xmalloc((size_t)st.st_size + 1);
	size_t n = 0;
	ssize_t k;
	while (n < (size_t)st.st_size && (k = read(fd, buf + n, (size_t)st.st_size - n)) > 0) {
		n += (size_t)k;
	}
	buf[n] = '\0';
	return buf;
}

struct keep {
	const uint8_t *hash;
	const char *model;
	bool drop; /* the line being looked at is the one removed */
};

static void
match(void *ud, const struct spool_entry *e)
{
	struct keep *k = ud;
	k->drop = memcmp(e->hash, k->hash, 16) == 0 && strcmp(e->model, k->model) == 0;
}

/* text without the lines of k's content and model. */
static char *
filtered(char *text, struct keep *k)
{
	GString *out = g_string_new(NULL);
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		k->drop = false;
		if (parse_line(line, match, k) && !k->drop) {
			g_string_append_printf(out, "%s\n", line);
		}
	}
	return g_string_free(out, FALSE);
}

/* rest replaces the file at path (held by fd, locked): through a new file,
 * or by removing it when nothing is left. */
static bool
replace(const char *path, const char *rest, char **cause)
{
	if (*rest == '\0') {
		return unlink(path) == 0 || errno == ENOENT ||
		    (*cause = xasprintf("%s: %s", path, strerror(errno)), false);
	}
	char *tmp = xasprintf("%s.new", path);
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	bool ok = fd >= 0 && write_all(fd, rest, strlen(rest)) && fsync(fd) == 0;
	ok = (fd >= 0 && close(fd) == 0 && ok) && rename(tmp, path) == 0;
	if (!ok) {
		*cause = xasprintf("%s: %s", tmp, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return ok;
}

bool
spool_remove(const char *db_path, const uint8_t hash[16], const char *model, char **cause)
{
	char *path = spool_path(db_path);
	struct stat st;
	if (lstat(path, &st) != 0) {
		free(path);
		return true; /* nothing kept */
	}
	int fd = open_locked(path, O_RDONLY, cause);
	bool ok = false;
	char *text = fd >= 0 ? read_all(fd) : NULL;
	if (text != NULL) {
		struct keep k = {.hash = hash, .model = model};
		char *rest = filtered(text, &k);
		ok = replace(path, rest, cause);
		g_free(rest);
	} else if (fd >= 0) {
		*cause = xasprintf("%s: cannot read it", path);
	}
	free(text);
	if (fd >= 0) {
		close(fd); /* the lock goes with it, after the new file is in place */
	}
	free(path);
	return ok;
}

bool
spool_each(const char *db_path, void (*fn)(void *ud, const struct spool_entry *e), void *ud,
    char **cause)
{
	char *path = spool_path(db_path);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		bool none = errno == ENOENT;
		if (!none) {
			*cause = xasprintf("%s: %s", path, strerror(errno));
		}
		free(path);
		return none;
	}
	char *text = read_all(fd);
	close(fd);
	free(path);
	char *save = NULL;
	for (char *line = text != NULL ? strtok_r(text, "\n", &save) : NULL; line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		parse_line(line, fn, ud);
	}
	free(text);
	return true;
}

/* --- the next run ------------------------------------------------------- */

struct replay {
	struct db *db;
	volatile sig_atomic_t *stop;
	GArray *stored; /* struct spool_key of what went in (or is gone) */
	int64_t n;
	char *error;
};

struct spool_key {
	uint8_t hash[16];
	char *model;
};

/* The image e is for, 0 when its content is gone or answered since. */
static bool
replay_target(struct db *db, const struct spool_entry *e, int64_t *id)
{
	struct db_tagged t;
	bool found = false;
	if (!db_queue_image_of(db, e->hash, id) || (*id != 0 &&
	    !db_image_tagged(db, *id, e->model, &t, &found))) {
		return false;
	}
	if (found) {
		*id = t.tagged_at > e->at ? 0 : *id;
		db_tagged_fini(&t);
	}
	return true;
}

static bool
replay_store(struct db *db, const struct spool_entry *e, bool *gone)
{
	int64_t id;
	if (!replay_target(db, e, &id)) {
		return false;
	}
	*gone = id == 0;
	return id == 0 || (results_store(db, id, e->model, e->floor, e->space, e->answer) &&
	    (e->width <= 0 || db_image_set_dims(db, id, e->width, e->height)));
}

static void
replay_one(void *ud, const struct spool_entry *e)
{
	struct replay *r = ud;
	bool gone = false;
	while (r->error == NULL && !replay_store(r->db, e, &gone)) {
		if (!db_busy(r->db)) {
			r->error = xasprintf("cannot store the answer kept for %s: %s", e->path,
			    db_errmsg(r->db));
		} else if (r->stop != NULL && *r->stop) {
			r->error = xasprintf("stopped while the database was busy; the answer "
			    "for %s stays kept", e->path);
		} else {
			g_usleep(G_USEC_PER_SEC);
		}
	}
	if (r->error == NULL) {
		struct spool_key k = {.model = xstrdup(e->model)};
		memcpy(k.hash, e->hash, sizeof k.hash);
		g_array_append_val(r->stored, k);
		r->n += !gone;
	}
}

bool
spool_replay(struct db *db, const char *db_path, volatile sig_atomic_t *stop,
    int64_t *stored, char **cause)
{
	struct replay r = {.db = db, .stop = stop,
		.stored = g_array_new(FALSE, FALSE, sizeof(struct spool_key))};
	bool ok = spool_each(db_path, replay_one, &r, cause);
	for (guint i = 0; i < r.stored->len; i++) {
		struct spool_key *k = &g_array_index(r.stored, struct spool_key, i);
		char *why = NULL;
		if (ok && !spool_remove(db_path, k->hash, k->model, &why)) {
			if (r.error == NULL) {
				r.error = why;
			} else {
				free(why);
			}
		}
		free(k->model);
	}
	g_array_free(r.stored, TRUE);
	*stored = r.n;
	if (ok && r.error != NULL) {
		*cause = r.error;
		ok = false;
	}
	return ok;
}

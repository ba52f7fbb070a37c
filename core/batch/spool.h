/*
 * spool.h — answers the library could not take yet, kept in a file beside
 * it so that none received is ever thrown away (DESIGN.md §9).
 *
 * A batch stores every answer as it arrives.  When the database stays
 * locked past its busy timeout (another process holds a write transaction)
 * or a write fails, the answer goes here first, then waits in memory for
 * the lock; a runner stopped or killed meanwhile leaves it here, and the
 * next run stores it before it sends anything.
 *
 * The file is "DB-unstored.jsonl", one JSON object per answer, appended
 * under flock and fsync'd; removing entries rewrites it through a new file
 * renamed into place.  It is never followed through a symlink, and is made
 * mode 0600.  Several processes (a runner, `tagcon tag` beside it) may add
 * to it at once.
 */
#ifndef TAGCON_SPOOL_H
#define TAGCON_SPOOL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct answer;
struct db;

struct spool_entry {
	uint8_t hash[16];   /* the content answered for */
	int64_t image_id;   /* an image that held it (a hint: the hash decides) */
	const char *path;
	const char *model;
	const char *space;  /* may be NULL */
	double floor;
	int width, height;  /* the original's, 0 when not to be filled in */
	int64_t at;         /* unix time it was received (spool_add sets it) */
	const struct answer *answer;
};

/* The spool file of the database at db_path (new string). */
char *spool_path(const char *db_path);

/* Keep e; false with *cause when the file cannot be written. */
bool spool_add(const char *db_path, const struct spool_entry *e, char **cause);

/* Forget the entries of this content and model (stored now). */
bool spool_remove(const char *db_path, const uint8_t hash[16], const char *model, char **cause);

/*
 * Every entry, in the order kept, to fn (the entry and its answer are
 * borrowed for the call).  Lines that do not parse are skipped.  True with
 * nothing done when there is no file.
 */
bool spool_each(const char *db_path, void (*fn)(void *ud, const struct spool_entry *e),
    void *ud, char **cause);

/*
 * Store every entry (the next run, holding the runner lock, before it
 * lists its work), then forget it.  An entry whose content is gone, or has
 * a newer answer from its model, is forgotten unstored.  While the database
 * is busy it waits and tries again, until *stop (may be NULL) is set.
 * *stored counts what went in.  False with *cause when the database
 * refuses a write for another reason, or a stop came first.
 */
bool spool_replay(struct db *db, const char *db_path, volatile sig_atomic_t *stop,
    int64_t *stored, char **cause);

#endif

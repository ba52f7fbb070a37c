/*
 * runlock.h — one batch runner per database.
 *
 * An flock() on DBPATH.lock: the kernel releases it when the holder dies,
 * kill -9 included, so a crash never leaves a stale lock behind.  The
 * holder writes "pid host" into the file so that a second runner can say
 * who is already at work.
 */
#ifndef TAGCON_RUNLOCK_H
#define TAGCON_RUNLOCK_H

struct runlock;

/*
 * Take the lock for the database at db_path.  NULL when another process
 * holds it (*cause: "held by pid 1234 on host") or on error.
 */
struct runlock *runlock_acquire(const char *db_path, char **cause);
void runlock_release(struct runlock *lock);

/* Who holds the lock now: a new "pid host" string, or NULL when free. */
char *runlock_holder(const char *db_path);

#endif

/*
 * scan-private.h — what the two halves of a scan share: scan.c walks and
 * reads (no transaction open), scan-write.c writes what was read in short
 * transactions, each checking that what it writes is still true.
 */
#ifndef TAGCON_SCAN_PRIVATE_H
#define TAGCON_SCAN_PRIVATE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "core/image/probe.h"
#include "core/image/scan.h"
#include "db/images.h"

/* The queue is written after this many files or once its oldest entry is
 * this old, whichever comes first: a first scan of 100k files commits a
 * few times a second, each transaction a few milliseconds long. */
#define BATCH 500
#define BATCH_MS 100
/* Before reading a file this large (tens of milliseconds at least), write
 * what is queued, so that it shows while the long read goes on. */
#define BIG_READ (16 << 20)
/* The least time between two transactions: another writer's busy handler
 * polls every millisecond and must find the lock free once. */
#define BREATH_MS 2

struct known {
	int64_t id;
	int64_t size;
	int64_t mtime_ns;
	enum db_state state;
	bool has_hash;
	bool seen;
	bool recheck; /* a failure that may turn out otherwise now */
	uint8_t hash[DB_HASH_LEN];
	char *path;
};

struct pending {
	char *path;
	struct stat st;
};

/* One write waiting in the queue. */
enum entry_kind {
	ENTRY_READ,   /* a file that was read: record what it holds */
	ENTRY_BACK,   /* the file of a missing image is back, unchanged (not read) */
	ENTRY_BROKEN, /* named like an image, but cannot even be stat'ed */
	ENTRY_GONE,   /* a known image whose file the walk did not find */
};

struct entry {
	enum entry_kind kind;
	char *path;
	struct probe_result r; /* ENTRY_READ */
	struct known *twin;    /* ENTRY_READ: a gone image of this walk with the same content */
	char *error;           /* ENTRY_BROKEN */
	int64_t id;            /* ENTRY_GONE: the row the walk expects at path */
	int64_t size;          /* ENTRY_BACK, ENTRY_GONE: its size and mtime then */
	int64_t mtime_ns;
	bool dropped;          /* the file system no longer bears it out: nothing to write */
	int64_t image_id;      /* out: the row written or found there, 0 when none */
};

struct scan {
	struct db *db;
	const struct scan_opts *opts;
	struct scan_stats *stats;
	int64_t root_id;
	/* A new path may take over any missing image with its content, not
	 * only one of this walk (a single file: tagcon watch, tagcon tag). */
	bool any_missing;
	GHashTable *known;   /* path -> struct known */
	GHashTable *folders; /* folder path -> int64 id */
	GPtrArray *fresh;    /* struct pending: paths not in the library */
	GPtrArray *bad_dirs; /* directories that could not be listed */
	GPtrArray *queue;    /* struct entry: read, not yet written */
	int64_t queued_at;   /* when the oldest entry of the queue was read */
	int64_t committed_at;
	/* Reports made while writing wait for the commit: the callback may
	 * block (a terminal scrolled back, a full pipe) with no lock held. */
	bool writing;
	GPtrArray *reports;
	bool db_failed;
};

/* scan.c */
struct entry *scan_entry_new(enum entry_kind kind, const char *path);
void scan_entry_free(gpointer p);
/* A one-line report (sanitised); held back while a transaction is open. */
void scan_warn(struct scan *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand the held reports to the caller's warn callback. */
void scan_report(struct scan *s);

/* scan-write.c */
/* Write the entries of q in one transaction (each checked against the
 * file and its row as they are now). */
void scan_write_entries(struct scan *s, GPtrArray *q);
/* Write the queue now, or when BATCH entries or BATCH_MS have gathered. */
void scan_flush(struct scan *s);
void scan_flush_if_due(struct scan *s);
/* Queue e (taken) for writing. */
void scan_enqueue(struct scan *s, struct entry *e);

#endif

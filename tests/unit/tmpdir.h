/*
 * tmpdir.h — a fresh temporary directory per test, removed at exit.
 */
#ifndef TAGCON_TMPDIR_H
#define TAGCON_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char tmpdir_path[256];

static inline void
tmpdir_cleanup(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir_path);
	if (system(cmd) != 0) {
		fprintf(stderr, "could not remove %s\n", tmpdir_path);
	}
}

/* Create the directory once and return its path. */
static inline const char *
tmpdir(void)
{
	if (tmpdir_path[0] == '\0') {
		const char *base = getenv("TMPDIR");
		snprintf(tmpdir_path, sizeof tmpdir_path, "%s/tagcon-test-XXXXXX",
		    base != NULL ? base : "/tmp");
		if (mkdtemp(tmpdir_path) == NULL) {
			perror("mkdtemp");
			exit(2);
		}
		atexit(tmpdir_cleanup);
	}
	return tmpdir_path;
}

/* A path inside the temporary directory (static buffer rotation). */
static inline const char *
tmppath(const char *name)
{
	static char bufs[8][512];
	static int k;
	char *b = bufs[k++ % 8];
	snprintf(b, 512, "%s/%s", tmpdir(), name);
	return b;
}

#endif

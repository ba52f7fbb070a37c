/* library.c — where the database lives. */
#include "core/library.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/sanitize.h"
#include "db/db.h"
#include "common/xalloc.h"

char *
library_db_path(const char *flag)
{
	if (flag != NULL && *flag != '\0') {
		return xstrdup(flag);
	}
	const char *env = getenv("TAGCON_DB");
	if (env != NULL && *env != '\0') {
		return xstrdup(env);
	}
	const char *data = getenv("XDG_DATA_HOME");
	if (data != NULL && *data == '/') {
		return xasprintf("%s/tagcon/tagcon.db", data);
	}
	const char *home = getenv("HOME");
	return xasprintf("%s/.local/share/tagcon/tagcon.db", home != NULL ? home : ".");
}

/* mkdir -p of the directory part of path. */
static bool
make_parents(const char *path, char **cause)
{
	char *dir = xstrdup(path);
	bool ok = true;
	for (char *p = dir + 1; *p && ok; p++) {
		if (*p != '/') {
			continue;
		}
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			char *safe = sanitize_str(dir);
			*cause = xasprintf("%s: cannot create directory: %s", safe, strerror(errno));
			free(safe);
			ok = false;
		}
		*p = '/';
	}
	free(dir);
	return ok;
}

struct db *
library_open(const char *flag, char **cause)
{
	char *path = library_db_path(flag);
	struct db *db = NULL;
	if (make_parents(path, cause)) {
		db = db_open(path, cause);
	}
	free(path);
	return db;
}

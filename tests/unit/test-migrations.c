/*
 * test-migrations.c — a database left at every earlier schema version is
 * carried forward to the newest, keeping what it held.
 */
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/images.h"
#include "db/settings.h"
#include "tests/unit/check.h"
#include "tests/unit/tmpdir.h"

/* What every version from 1 on can hold: a root and a setting. */
static void
seed(struct db *db, int version)
{
	if (version >= 1) {
		int64_t id;
		CHECK(db_root_add(db, "/photos", &id));
		CHECK(db_setting_set(db, "model", "m"));
	}
}

static void
check_kept(struct db *db, int version)
{
	if (version >= 1) {
		char *v = NULL;
		CHECK(db_setting_get(db, "model", &v));
		CHECK_STR(v, "m");
		free(v);
	}
}

int
main(void)
{
	int latest = db_schema_version();
	CHECK(latest >= 1);
	for (int v = 0; v <= latest; v++) {
		char name[32];
		snprintf(name, sizeof name, "v%d.db", v);
		char *cause = NULL;
		struct db *db = db_open_version(tmppath(name), v, &cause);
		CHECK(db != NULL);
		if (db == NULL) {
			fprintf(stderr, "%s\n", cause);
			free(cause);
			continue;
		}
		CHECK_INT(db_user_version(db), v);
		seed(db, v);
		db_close(db);

		db = db_open(tmppath(name), &cause);
		CHECK(db != NULL);
		if (db == NULL) {
			fprintf(stderr, "%s\n", cause);
			free(cause);
			continue;
		}
		CHECK_INT(db_user_version(db), latest);
		CHECK(db_integrity_ok(db));
		check_kept(db, v);
		/* The newest schema works after the migration. */
		int64_t root, folder;
		CHECK(db_root_add(db, "/more", &root));
		CHECK(db_folder_get(db, root, "/more/x", &folder));
		struct db_image img = {.folder_id = folder, .path = "/more/x/a.png"};
		CHECK(db_image_insert(db, &img));
		db_close(db);
	}
	return check_done();
}

/* cmd-import.c — tagcon import: caption files beside the images become
 * manual committed tags. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tag/import.h"
#include "db/db.h"
#include "tui/cli.h"
#include "tui/out.h"

static int exec_import(struct cli *cli, int argc, char **argv);

const struct cmd_entry cmd_import_entry = {
	.name = "import",
	.usage = "--format txt [--separator SEP] [--extension .EXT] [--dry-run] [--json] [DIR...]",
	.help = "caption files become manual committed tags",
	.exec = exec_import,
};

static void
on_error(void *ud, const char *path, const char *why)
{
	out_error("import: %s", why);
}

static void
add_counts(struct import_counts *sum, const struct import_counts *c)
{
	sum->images += c->images;
	sum->tags += c->tags;
	sum->unchanged += c->unchanged;
	sum->no_caption += c->no_caption;
	sum->failed += c->failed;
}

static void
summary(const struct import_counts *c, bool json, bool dry)
{
	if (json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "images", (double)c->images);
		cJSON_AddNumberToObject(o, "tags", (double)c->tags);
		cJSON_AddNumberToObject(o, "unchanged", (double)c->unchanged);
		cJSON_AddNumberToObject(o, "no_caption", (double)c->no_caption);
		cJSON_AddNumberToObject(o, "failed", (double)c->failed);
		cJSON_AddBoolToObject(o, "dry_run", dry);
		out_json(o);
	} else {
		printf("%s: %" PRId64 " tags into %" PRId64 " images, %" PRId64 " unchanged, %" PRId64
		    " without a caption, %" PRId64 " failed\n", dry ? "would import" : "imported",
		    c->tags, c->images, c->unchanged, c->no_caption, c->failed);
	}
}

/* Import reads captions of images the library knows: a folder never scanned
 * holds none, which is said (and is a failure: nothing the person asked
 * for happened) rather than counted as "0 tags into 0 images". */
static bool
known_images(const char *dir, const struct import_counts *c)
{
	if (c->images + c->unchanged + c->no_caption + c->failed > 0) {
		return true;
	}
	if (dir != NULL) {
		out_error("import: %s: no image of the library is in it; run tagcon scan %s first",
		    dir, dir);
	} else {
		out_error("import: the library has no images; run tagcon scan DIR first");
	}
	return false;
}

static int
exec_import(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = {"--format=", "--separator=", "--extension=",
		"--dry-run", "--json", NULL};
	bool flags[5] = {0};
	const char *values[5] = {0};
	argc = cli_options(&cmd_import_entry, argc, argv, names, flags, values);
	if (argc < 0) {
		return EXIT_USAGE;
	}
	if (values[0] == NULL || strcmp(values[0], "txt") != 0) {
		out_error("import: --format txt is the format import reads");
		return cli_usage(&cmd_import_entry);
	}
	if (values[2] != NULL && (values[2][0] != '.' || strchr(values[2], '/') != NULL)) {
		out_error("import: --extension must start with '.' (as in .txt or .caption)");
		return EXIT_USAGE;
	}
	struct db *db = cli_db(cli);
	if (db == NULL) {
		return EXIT_FAILURES;
	}
	struct import_opts o = {.separator = values[1], .extension = values[2],
		.dry_run = flags[3], .on_error = on_error};
	struct import_counts sum = {0}, c;
	int rc = EXIT_OK, unknown = 0;
	for (int i = 0; i < (argc > 0 ? argc : 1) && rc == EXIT_OK; i++) {
		char *dir = argc > 0 ? realpath(argv[i], NULL) : NULL;
		char *cause = NULL;
		if (argc > 0 && dir == NULL) {
			out_error("import: %s: no such directory", argv[i]);
			rc = EXIT_FAILURES;
		} else if (!import_run(db, dir, &o, &c, &cause)) {
			out_error("import: %s", cause != NULL ? cause : "failed");
			rc = db_busy(db) ? EXIT_BUSY : EXIT_FAILURES;
		} else {
			add_counts(&sum, &c);
			unknown += !known_images(argc > 0 ? argv[i] : NULL, &c);
		}
		free(cause);
		free(dir);
	}
	if (rc == EXIT_OK) {
		summary(&sum, flags[4], o.dry_run);
		rc = sum.failed > 0 || unknown > 0 ? EXIT_FAILURES : EXIT_OK;
	}
	return rc;
}

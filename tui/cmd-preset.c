/* cmd-preset.c — tagcon preset: named sets of settings, saved, listed,
 * applied for good, or used for one command with --preset NAME. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/preset.h"
#include "core/tag/rules.h"
#include "db/db.h"
#include "common/xalloc.h"
#include "tui/cli.h"
#include "tui/out.h"

static int exec_preset(struct cli *cli, int argc, char **argv);

const struct cmd_entry cmd_preset_entry = {
	.name = "preset",
	.usage = "[list [--json]] | show NAME [--json] | save NAME [KEY...] | set NAME KEY VALUE | "
	    "unset NAME KEY | apply NAME | delete NAME",
	.help = "named sets of settings",
	.exec = exec_preset,
};

struct listing {
	cJSON *doc;     /* --json: {name: {key: value}} */
	bool names;     /* list: one line per preset */
	char *last;     /* the preset of the previous row */
};

static void
list_row(void *ud, const char *name, const char *key, const char *value)
{
	struct listing *l = ud;
	bool first = l->last == NULL || strcmp(l->last, name) != 0;
	if (l->doc != NULL) {
		cJSON *p = cJSON_GetObjectItemCaseSensitive(l->doc, name);
		if (p == NULL) {
			p = cJSON_AddObjectToObject(l->doc, name);
		}
		cJSON_AddItemToObject(p, key, out_json_text(value));
	} else if (l->names) {
		printf("%s", first ? (l->last != NULL ? "\n" : "") : ", ");
		if (first) {
			out_safe(stdout, name);
			printf(": ");
		}
		printf("%s", key);
	} else {
		char *flat = xstrdup(value);
		for (char *c = flat; *c != '\0'; c++) {
			*c = *c == '\n' ? ' ' : *c;
		}
		printf("%-20s ", key);
		out_safe(stdout, flat);
		putchar('\n');
		free(flat);
	}
	if (first) {
		free(l->last);
		l->last = xstrdup(name);
	}
}

static int
preset_list(struct cli *cli, struct db *db, const char *name, bool json)
{
	struct listing l = {.doc = json ? cJSON_CreateObject() : NULL, .names = name == NULL};
	if (!db_presets_each(db, name, list_row, &l)) {
		cJSON_Delete(l.doc);
		free(l.last);
		return cli_db_error(cli);
	}
	int rc = EXIT_OK;
	if (name != NULL && l.last == NULL) {
		out_error("preset: no preset named '%s'", name);
		rc = EXIT_FAILURES;
	} else if (l.doc != NULL) {
		cJSON *doc = name != NULL ? cJSON_DetachItemFromObject(l.doc, name) : l.doc;
		out_json(doc);
		if (doc != l.doc) {
			cJSON_Delete(l.doc);
		}
		l.doc = NULL;
	} else if (l.names && l.last != NULL) {
		putchar('\n');
	}
	cJSON_Delete(l.doc);
	free(l.last);
	return rc;
}

/* save takes the settings' current values: say so, and which they are, so
 * nobody expects the keys to have been saved empty or with defaults. */
static int
saved(struct cli *cli, struct db *db, const char *name)
{
	printf("saved preset ");
	out_safe(stdout, name);
	printf(" with the current values (change one with: tagcon preset set ");
	out_safe(stdout, name);
	printf(" KEY VALUE):\n");
	return preset_list(cli, db, name, false);
}

static int
done(bool ok, char *cause)
{
	if (!ok) {
		out_error("preset: %s", cause != NULL ? cause : "failed");
	}
	free(cause);
	return ok ? EXIT_OK : EXIT_FAILURES;
}

static int
exec_preset(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = {"--json", NULL};
	static const struct { const char *verb; int min, max; } verbs[] = {
		{"list", 0, 0}, {"show", 1, 1}, {"save", 1, 1000}, {"set", 3, 3}, {"unset", 2, 2},
		{"apply", 1, 1}, {"delete", 1, 1},
	};
	bool json = false;
	argc = cli_options(&cmd_preset_entry, argc, argv, names, &json, NULL);
	if (argc < 0) {
		return EXIT_USAGE;
	}
	const char *verb = argc > 0 ? argv[0] : "list";
	size_t v = 0, nv = sizeof verbs / sizeof verbs[0];
	while (v < nv && strcmp(verbs[v].verb, verb) != 0) {
		v++;
	}
	int n = argc > 0 ? argc - 1 : 0;
	if (v == nv || n < verbs[v].min || n > verbs[v].max) {
		return cli_usage(&cmd_preset_entry);
	}
	char **a = argv + 1;
	struct db *db = cli_db(cli);
	if (db == NULL) {
		return EXIT_FAILURES;
	}
	char *cause = NULL;
	bool ok;
	switch (v) {
	case 0: return preset_list(cli, db, NULL, json);
	case 1: return preset_list(cli, db, a[0], json);
	case 2:
		ok = preset_save(db, a[0], (const char *const *)a + 1, (size_t)n - 1, &cause);
		if (ok) {
			return saved(cli, db, a[0]);
		}
		break;
	case 3: ok = preset_set(db, a[0], a[1], a[2], &cause); break;
	case 4: ok = preset_unset(db, a[0], a[1], &cause); break;
	case 5: ok = preset_apply(db, a[0], &cause); break;
	default: ok = preset_delete(db, a[0], &cause); break;
	}
	return done(ok, cause);
}

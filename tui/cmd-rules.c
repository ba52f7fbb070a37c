/* cmd-rules.c — tagcon rules: exclusions, aliases, pins and per-folder
 * overrides, listed and edited from the shell. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/tag/rules.h"
#include "db/db.h"
#include "common/xalloc.h"
#include "tui/cli.h"
#include "tui/out.h"

static int exec_rules(struct cli *cli, int argc, char **argv);

const struct cmd_entry cmd_rules_entry = {
	.name = "rules",
	.usage = "[list [--json]] | exclude [--folder DIR] PATTERN... | alias FROM TO | "
	    "pin --folder DIR TAG... | threshold [--folder DIR] TAG VALUE | "
	    "rm exclude|alias|pin|threshold [--folder DIR] TAG... | set DIR KEY VALUE | unset DIR KEY",
	.help = "tag rules and per-folder overrides",
	.exec = exec_rules,
};

/* An absolute folder for a DIR argument: realpath when it exists, else the
 * argument joined to the working directory (new string). */
static char *
folder_arg(const char *dir)
{
	char *real = realpath(dir, NULL);
	if (real != NULL) {
		return real;
	}
	if (dir[0] == '/') {
		return xstrdup(dir);
	}
	char *cwd = getcwd(NULL, 0);
	char *out = xasprintf("%s/%s", cwd != NULL ? cwd : "", dir);
	free(cwd);
	return out;
}

struct listing {
	cJSON *doc;
};

static cJSON *
array_of(cJSON *doc, const char *name)
{
	cJSON *a = cJSON_GetObjectItemCaseSensitive(doc, name);
	return a != NULL ? a : cJSON_AddArrayToObject(doc, name);
}

static void
list_rule(void *ud, const struct db_rule *r)
{
	struct listing *l = ud;
	static const char *const kinds[] = {"exclude", "alias", "pin", "threshold"};
	if (l->doc != NULL) {
		static const char *const arrays[] = {"exclusions", "aliases", "pins", "thresholds"};
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, r->kind == DB_RULE_ALIAS ? "from" : "tag",
		    out_json_text(r->tag));
		if (r->kind == DB_RULE_ALIAS) {
			cJSON_AddItemToObject(o, "to", out_json_text(r->target));
		} else {
			if (r->folder != NULL) {
				out_json_add_path(o, "folder", r->folder);
			} else {
				cJSON_AddNullToObject(o, "folder");
			}
		}
		if (r->kind == DB_RULE_THRESHOLD) {
			cJSON_AddNumberToObject(o, "value", r->value);
		}
		cJSON_AddItemToArray(array_of(l->doc, arrays[r->kind]), o);
		return;
	}
	printf("%-9s%s", kinds[r->kind], r->kind == DB_RULE_THRESHOLD ? " " : "");
	out_safe(stdout, r->tag);
	if (r->target != NULL) {
		printf(" -> ");
		out_safe(stdout, r->target);
	}
	if (r->kind == DB_RULE_THRESHOLD) {
		printf(" %g", r->value);
	}
	if (r->folder != NULL) {
		printf("  below ");
		out_safe(stdout, r->folder);
	}
	putchar('\n');
}

static void
list_override(void *ud, const char *folder, const char *key, const char *value)
{
	struct listing *l = ud;
	if (l->doc != NULL) {
		cJSON *o = cJSON_CreateObject();
		out_json_add_path(o, "folder", folder);
		cJSON_AddStringToObject(o, "key", key);
		cJSON_AddItemToObject(o, "value", out_json_text(value));
		cJSON_AddItemToArray(array_of(l->doc, "overrides"), o);
		return;
	}
	printf("%-9s", "set");
	out_safe(stdout, folder);
	printf("  %s = ", key);
	out_safe(stdout, value);
	putchar('\n');
}

static int
rules_list(struct cli *cli, struct db *db, bool json)
{
	struct listing l = {json ? cJSON_CreateObject() : NULL};
	if (l.doc != NULL) {
		const char *const names[] = {"exclusions", "aliases", "pins", "thresholds",
			"overrides"};
		for (size_t i = 0; i < 5; i++) {
			cJSON_AddArrayToObject(l.doc, names[i]);
		}
	}
	if (!db_rules_each(db, -1, list_rule, &l) || !db_overrides_each(db, list_override, &l)) {
		cJSON_Delete(l.doc);
		return cli_db_error(cli);
	}
	if (l.doc != NULL) {
		out_json(l.doc);
	}
	return EXIT_OK;
}

static int
done(bool ok, char *cause)
{
	if (!ok) {
		out_error("rules: %s", cause != NULL ? cause : "failed");
	}
	free(cause);
	return ok ? EXIT_OK : EXIT_FAILURES;
}

/* alias FROM TO, alias 'FROM -> TO' or alias FROM -> TO */
static int
rules_alias(struct db *db, int argc, char **argv)
{
	char *from = NULL, *to = NULL, *cause = NULL;
	if (argc == 1 && strstr(argv[0], "->") != NULL) {
		const char *arrow = strstr(argv[0], "->");
		from = xstrndup(argv[0], (size_t)(arrow - argv[0]));
		to = xstrdup(arrow + 2);
	} else if (argc == 2 || (argc == 3 && strcmp(argv[1], "->") == 0)) {
		from = xstrdup(argv[0]);
		to = xstrdup(argv[argc - 1]);
	} else {
		return cli_usage(&cmd_rules_entry);
	}
	bool ok = rules_add_alias(db, from, to, &cause);
	free(from);
	free(to);
	return done(ok, cause);
}

static int
rules_tags(struct db *db, const char *verb, const char *folder, int argc, char **argv)
{
	static const char *const kinds[] = {"exclude", "alias", "pin", "threshold"};
	if (argc < 1 || (strcmp(verb, "pin") == 0 && folder == NULL)) {
		return cli_usage(&cmd_rules_entry);
	}
	int rm = -1;
	if (strcmp(verb, "rm") == 0) {
		for (int k = 0; k < 4; k++) {
			rm = strcmp(argv[0], kinds[k]) == 0 ? k : rm;
		}
		if (rm < 0 || argc < 2) {
			return cli_usage(&cmd_rules_entry);
		}
		argc--;
		argv++;
	}
	char *f = folder != NULL ? folder_arg(folder) : NULL;
	int rc = EXIT_OK;
	for (int i = 0; i < argc && rc == EXIT_OK; i++) {
		char *cause = NULL;
		bool ok = rm >= 0 ? rules_remove(db, (enum db_rule_kind)rm, argv[i], f, &cause)
		    : verb[0] == 'e' ? rules_add_exclusion(db, argv[i], f, &cause)
		    : rules_add_pin(db, argv[i], f, &cause);
		rc = done(ok, cause);
	}
	free(f);
	return rc;
}

/* threshold [--folder DIR] TAG VALUE */
static int
rules_threshold(struct db *db, const char *folder, int argc, char **argv)
{
	if (argc != 2) {
		return cli_usage(&cmd_rules_entry);
	}
	char *f = folder != NULL ? folder_arg(folder) : NULL, *cause = NULL;
	bool ok = rules_add_threshold(db, argv[0], argv[1], f, &cause);
	free(f);
	return done(ok, cause);
}

static int
rules_override(struct db *db, const char *verb, int argc, char **argv)
{
	bool set = strcmp(verb, "set") == 0;
	if (argc != (set ? 3 : 2)) {
		return cli_usage(&cmd_rules_entry);
	}
	char *f = folder_arg(argv[0]), *cause = NULL;
	bool ok = set ? rules_override_set(db, f, argv[1], argv[2], &cause)
	    : rules_override_unset(db, f, argv[1], &cause);
	free(f);
	return done(ok, cause);
}

static int
exec_rules(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = {"--json", "--folder=", NULL};
	bool flags[2] = {0};
	const char *values[2] = {0};
	argc = cli_options(&cmd_rules_entry, argc, argv, names, flags, values);
	if (argc < 0) {
		return EXIT_USAGE;
	}
	const char *verb = argc > 0 ? argv[0] : "list";
	static const char *const verbs[] = {"list", "exclude", "alias", "pin", "rm", "set", "unset",
		"threshold", NULL};
	int v = 0;
	while (verbs[v] != NULL && strcmp(verbs[v], verb) != 0) {
		v++;
	}
	if (verbs[v] == NULL || (v == 0 && argc > 1)) {
		return cli_usage(&cmd_rules_entry);
	}
	struct db *db = cli_db(cli);
	if (db == NULL) {
		return EXIT_FAILURES;
	}
	if (argc > 0) {
		argc--;
		argv++;
	}
	switch (v) {
	case 0: return rules_list(cli, db, flags[0]);
	case 2: return rules_alias(db, argc, argv);
	case 5:
	case 6: return rules_override(db, verb, argc, argv);
	case 7: return rules_threshold(db, values[1], argc, argv);
	default: return rules_tags(db, verb, values[1], argc, argv);
	}
}

/* cmd-config.c — tagcon config get|set|reset|list: the settings table. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/batch/models.h"
#include "core/options.h"
#include "core/sanitize.h"
#include "core/settings.h"
#include "core/space/space.h"
#include "core/space/token.h"
#include "core/tag/impact.h"
#include "core/tag/rules.h"
#include "db/db.h"
#include "tui/cli.h"
#include "common/xalloc.h"
#include "tui/out.h"

/* The most `config set model` waits for the Spaces to say what they offer. */
#define MODEL_CHECK_MS 15000

static int exec_config(struct cli *cli, int argc, char **argv);

const struct cmd_entry cmd_config_entry = {
	.name = "config",
	.usage = "list [--json] | get NAME | set NAME VALUE | reset NAME |"
	    " effect NAME VALUE [--json]",
	.help = "show or change settings",
	.exec = exec_config,
};

static cJSON *
setting_json(const struct setting_def *d, const char *value)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", d->name);
	cJSON_AddStringToObject(o, "type", settings_type_name(d->type));
	cJSON_AddStringToObject(o, "value", value);
	cJSON_AddStringToObject(o, "default", d->def);
	if (d->type == SETTING_INT || d->type == SETTING_FLOAT) {
		cJSON_AddNumberToObject(o, "min", d->min);
		cJSON_AddNumberToObject(o, "max", d->max);
	}
	if (d->choices != NULL) {
		cJSON *c = cJSON_AddArrayToObject(o, "choices");
		for (const char *const *p = d->choices; *p; p++) {
			cJSON_AddItemToArray(c, cJSON_CreateString(*p));
		}
	}
	cJSON_AddStringToObject(o, "help", d->help);
	return o;
}

/* A value as a list shows it (new string): credentials in URLs masked
 * (spaces, notify_url), every line apart.  `config get` gives it whole. */
static char *
shown_value(const char *name, const char *v)
{
	if (strcmp(name, "spaces") != 0 && strcmp(name, "notify_url") != 0) {
		return xstrdup(v);
	}
	GString *g = g_string_new(NULL);
	char **lines = g_strsplit(v, "\n", -1);
	for (char **l = lines; *l != NULL; l++) {
		char *m = sanitize_url(*l);
		g_string_append_printf(g, "%s%s", l != lines ? "\n" : "", m);
		free(m);
	}
	g_strfreev(lines);
	return g_string_free(g, FALSE);
}

static int
config_list(struct db *db, bool json)
{
	size_t n;
	const struct setting_def *t = settings_table(&n);
	cJSON *arr = json ? cJSON_CreateArray() : NULL;
	for (size_t i = 0; i < n; i++) {
		char *stored = settings_get(db, t[i].name);
		if (stored == NULL) {
			cJSON_Delete(arr);
			return EXIT_FAILURES;
		}
		char *v = shown_value(t[i].name, stored);
		free(stored);
		if (arr != NULL) {
			cJSON_AddItemToArray(arr, setting_json(&t[i], v));
		} else {
			char *flat = xstrdup(v);
			for (char *p = flat; *p; p++) {
				*p = *p == '\n' ? ' ' : *p;
			}
			printf("%-20s = ", t[i].name);
			out_safe(stdout, flat);
			printf("%s\n", strcmp(v, t[i].def) == 0 ? "" : "   (changed)");
			free(flat);
		}
		free(v);
	}
	if (arr != NULL) {
		out_json(arr);
	}
	return EXIT_OK;
}

/*
 * A model no configured Space offers would make every batch fail (it is
 * refused there before any image is sent): say so now.  The value is set
 * all the same — the Spaces may be changed next, or be asleep.
 */
static void
warn_model(struct db *db, const char *model)
{
	size_t n;
	char **urls = settings_get_list(db, "spaces", &n);
	char *token = NULL, *cause = NULL;
	if (n == 0 || !token_load(&token, NULL, &cause)) {
		free(cause);
		settings_list_free(urls);
		return;
	}
	struct space_probe *probes = xcalloc(n, sizeof *probes);
	for (size_t i = 0; i < n; i++) {
		probes[i].url = urls[i];
	}
	struct net_opts no = {.idle_timeout_ms = MODEL_CHECK_MS, .deadline_ms = MODEL_CHECK_MS};
	space_probe_all(probes, n, token, &no);
	size_t answered = 0, offering = 0, first = n;
	for (size_t i = 0; i < n; i++) {
		if (probes[i].done && probes[i].info.err.cls == SPACEERR_NONE) {
			answered++;
			offering += models_offered(&probes[i].info, model);
			first = first < n ? first : i;
		}
	}
	if (answered == 0) {
		out_error("warning: could not check that the Spaces offer model %s: none answered "
		    "(see tagcon spaces)", model);
	} else if (offering == 0) {
		char *offer = models_offer_text(&probes[first].info);
		out_error("warning: no configured Space offers model %s; a batch will refuse it "
		    "(%s: %s)", model, urls[first], offer);
		free(offer);
	}
	for (size_t i = 0; i < n; i++) {
		space_probe_fini(&probes[i]);
	}
	free(probes);
	token_free(token);
	settings_list_free(urls);
}

/* `config effect NAME VALUE`: what the Settings screen shows for a cut
 * before it is saved, from stored scores (nothing is stored, no Space is
 * called): the library's pending suggestions before and after, and the
 * images whose suggestions change. */
static int
config_effect(struct cli *cli, struct db *db, const char *name, const char *value, bool json)
{
	char *cause = NULL;
	struct db_cut cand;
	if (!options_cut_if(db, name, value, &cand, &cause)) {
		out_error("config: %s", cause);
		free(cause);
		return EXIT_USAGE;
	}
	struct rules *r = rules_load(db, &cause);
	if (r == NULL) {
		out_error("config: %s", cause);
		free(cause);
		return EXIT_FAILURES;
	}
	char *model = settings_get(db, "model");
	struct db_cut old = rules_global_cut(r);
	int64_t before = 0, after = 0;
	struct impact imp;
	atomic_bool cancel = false;
	bool ok = model != NULL && impact_pending(db, model, r, old, cand, &before, &after) &&
	    impact_changed(db, model, r, old, cand, &cancel, &imp);
	rules_destroy(r);
	free(model);
	if (!ok) {
		return cli_db_error(cli);
	}
	if (json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "setting", name);
		cJSON_AddStringToObject(o, "value", value);
		cJSON_AddNumberToObject(o, "changed", (double)imp.changed);
		cJSON_AddNumberToObject(o, "images", (double)imp.images);
		cJSON_AddNumberToObject(o, "mcut_approximate", (double)imp.inexact);
		cJSON_AddNumberToObject(o, "pending_before", (double)before);
		cJSON_AddNumberToObject(o, "pending_after", (double)after);
		out_json(o);
		return EXIT_OK;
	}
	printf("%s %s: %lld of %lld tagged images change%s\n", name, value,
	    (long long)imp.changed, (long long)imp.images,
	    imp.inexact > 0 ? " (MCut approximate for some)" : "");
	printf("pending suggestions: %lld -> %lld\n", (long long)before, (long long)after);
	return EXIT_OK;
}

static int
exec_config(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = {"--json", NULL};
	bool flags[1] = {0};
	argc = cli_options(&cmd_config_entry, argc, argv, names, flags, NULL);
	if (argc < 1) {
		return argc < 0 ? EXIT_USAGE : cli_usage(&cmd_config_entry);
	}
	const char *verb = argv[0];
	bool list = strcmp(verb, "list") == 0 && argc == 1;
	bool get = strcmp(verb, "get") == 0 && argc == 2;
	bool set = strcmp(verb, "set") == 0 && argc == 3;
	bool reset = strcmp(verb, "reset") == 0 && argc == 2;
	bool effect = strcmp(verb, "effect") == 0 && argc == 3;
	if (!list && !get && !set && !reset && !effect) {
		return cli_usage(&cmd_config_entry);
	}
	if ((get || set || reset || effect) && settings_find(argv[1]) == NULL) {
		const char *now = settings_renamed(argv[1]);
		if (now != NULL) {
			out_error("config: %s is called %s now: %s", argv[1], now,
			    settings_find(now)->help);
		} else {
			out_error("config: no setting named '%s' (see tagcon config list)",
			    argv[1]);
		}
		return EXIT_USAGE;
	}
	struct db *db = cli_db(cli);
	if (db == NULL) {
		return EXIT_FAILURES;
	}
	if (list) {
		return config_list(db, flags[0]);
	}
	if (effect) {
		return config_effect(cli, db, argv[1], argv[2], flags[0]);
	}
	char *cause = NULL;
	if (get) {
		char *v = settings_get(db, argv[1]);
		if (v == NULL) {
			return cli_db_error(cli);
		}
		if (flags[0]) {
			out_json(setting_json(settings_find(argv[1]), v));
		} else {
			/* A list setting prints one item a line, as it is set. */
			char *save = NULL;
			for (char *line = strtok_r(v, "\n", &save); line != NULL;
			    line = strtok_r(NULL, "\n", &save)) {
				out_safe(stdout, line);
				putchar('\n');
			}
		}
		free(v);
		return EXIT_OK;
	}
	bool ok = set ? settings_set(db, argv[1], argv[2], &cause) :
	    settings_reset(db, argv[1], &cause);
	if (!ok) {
		out_error("config: %s", cause);
		free(cause);
		/* A refused value is the user's to fix (2); a locked or broken
		 * database is not (4, 1). */
		char *normal = NULL, *why = NULL;
		bool valid = !set || settings_validate(settings_find(argv[1]), argv[2], &normal, &why);
		free(normal);
		free(why);
		return !valid ? EXIT_USAGE : db_busy(db) ? EXIT_BUSY : EXIT_FAILURES;
	}
	if (set && strcmp(argv[1], "model") == 0) {
		char *model = settings_get(db, "model");
		if (model != NULL) {
			warn_model(db, model);
		}
		free(model);
	}
	return EXIT_OK;
}

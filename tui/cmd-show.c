/* cmd-show.c — tagcon show PATH: everything known about one image. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/image/probe.h"
#include "core/tag/rules.h"
#include "core/settings.h"
#include "core/tag/suggest.h"
#include "db/db.h"
#include "db/images.h"
#include "db/predictions.h"
#include "common/xalloc.h"
#include "tui/cli.h"
#include "tui/out.h"

static int exec_show(struct cli *cli, int argc, char **argv);

const struct cmd_entry cmd_show_entry = {
	.name = "show",
	.usage = "[--json] PATH",
	.help = "everything known about one image",
	.exec = exec_show,
};

static const char *const state_names[DB_N_STATES] = {
	"new", "tagged", "committed", "failed", "missing",
};

struct view {
	struct db_image img;
	bool tagged;
	struct db_tagged t;
	char *model;
	struct suggest_input in;
	struct rules *rules;
	struct suggest_result out; /* suggestions after the tag rules; borrows rules */
};

static cJSON *
view_json(const struct view *v)
{
	char hex[2 * DB_HASH_LEN + 1];
	cJSON *o = cJSON_CreateObject();
	out_json_add_path(o, "path", v->img.path);
	if (v->img.has_hash) {
		probe_hash_hex(v->img.hash, hex);
		cJSON_AddStringToObject(o, "hash", hex);
	} else {
		cJSON_AddNullToObject(o, "hash");
	}
	cJSON_AddNumberToObject(o, "size", (double)v->img.size);
	cJSON_AddItemToObject(o, "format", v->img.format ? cJSON_CreateString(v->img.format)
	    : cJSON_CreateNull());
	cJSON_AddNumberToObject(o, "width", v->img.width);
	cJSON_AddNumberToObject(o, "height", v->img.height);
	cJSON_AddItemToObject(o, "orientation", v->img.orientation == DB_ORIENT_UNKNOWN ?
	    cJSON_CreateNull() : cJSON_CreateString(probe_orientation_name(v->img.orientation)));
	cJSON_AddStringToObject(o, "state", state_names[v->img.state]);
	cJSON_AddItemToObject(o, "error", v->img.error ? out_json_text(v->img.error)
	    : cJSON_CreateNull());
	if (v->tagged) {
		cJSON *r = cJSON_AddObjectToObject(o, "rating");
		char label[2] = {rating_letter(rating_top(v->t.rating)), '\0'};
		cJSON_AddStringToObject(r, "label", label);
		cJSON *s = cJSON_AddObjectToObject(r, "scores");
		for (int i = 0; i < 4; i++) {
			cJSON_AddNumberToObject(s, rating_name(i), v->t.rating[i]);
		}
		cJSON_AddStringToObject(o, "model", v->model);
	} else {
		cJSON_AddNullToObject(o, "rating");
		cJSON_AddNullToObject(o, "model");
	}
	cJSON *preds = cJSON_AddArrayToObject(o, "predictions");
	for (size_t i = 0; i < v->in.n_preds; i++) {
		cJSON *p = cJSON_CreateObject();
		cJSON_AddItemToObject(p, "tag", out_json_text(v->in.preds[i].tag));
		cJSON_AddStringToObject(p, "category", db_category_name(v->in.preds[i].category));
		cJSON_AddNumberToObject(p, "score", v->in.preds[i].score);
		cJSON_AddItemToArray(preds, p);
	}
	cJSON *sug = cJSON_AddArrayToObject(o, "suggested");
	for (size_t i = 0; i < v->out.n; i++) {
		cJSON_AddItemToArray(sug, out_json_text(v->out.tags[i].tag));
	}
	cJSON *com = cJSON_AddArrayToObject(o, "committed");
	cJSON *rej = cJSON_AddArrayToObject(o, "rejected");
	for (size_t i = 0; i < v->in.n_decisions; i++) {
		const struct suggest_decision *d = &v->in.decisions[i];
		if (d->accepted) {
			cJSON *c = cJSON_CreateObject();
			cJSON_AddItemToObject(c, "tag", out_json_text(d->tag));
			cJSON_AddStringToObject(c, "source", d->manual ? "manual" : "auto");
			cJSON_AddItemToArray(com, c);
		} else {
			cJSON_AddItemToArray(rej, out_json_text(d->tag));
		}
	}
	return o;
}

static void
print_list(const char *title, const struct view *v, bool accepted)
{
	printf("%-12s", title);
	int n = 0;
	for (size_t i = 0; i < v->in.n_decisions; i++) {
		const struct suggest_decision *d = &v->in.decisions[i];
		if (d->accepted == accepted) {
			printf("%s", n++ ? ", " : " ");
			out_safe(stdout, d->tag);
			if (accepted && d->manual) {
				printf(" (manual)");
			}
		}
	}
	printf("%s\n", n ? "" : " -");
}

static void
view_print(const struct view *v)
{
	char hex[2 * DB_HASH_LEN + 1] = "-";
	if (v->img.has_hash) {
		probe_hash_hex(v->img.hash, hex);
	}
	printf("path         ");
	out_safe(stdout, v->img.path);
	printf("\nhash         %s\nsize         %lld bytes, %s\n", hex, (long long)v->img.size,
	    v->img.format ? v->img.format : "unknown format");
	printf("dimensions   %d×%d, %s\nstate        %s", v->img.width, v->img.height,
	    probe_orientation_name(v->img.orientation), state_names[v->img.state]);
	if (v->img.error != NULL) {
		printf(": ");
		out_safe(stdout, v->img.error);
	}
	printf("\n");
	if (!v->tagged) {
		printf("rating       - (no answer for ");
		out_safe(stdout, v->model);
		printf(")\n");
	} else {
		printf("rating       %c  (general %.3f, sensitive %.3f, questionable %.3f, explicit %.3f)\n",
		    rating_letter(rating_top(v->t.rating)), v->t.rating[0], v->t.rating[1],
		    v->t.rating[2], v->t.rating[3]);
		printf("model        ");
		out_safe(stdout, v->model);
		printf("\npredictions  %zu stored\nsuggested   ", v->in.n_preds);
		for (size_t i = 0; i < v->out.n; i++) {
			printf("%s", i ? ", " : " ");
			out_safe(stdout, v->out.tags[i].tag);
			if (v->out.tags[i].pinned) {
				printf(" (pinned)");
			} else {
				printf(" %.2f", v->out.tags[i].score);
			}
		}
		printf("%s\n", v->out.n ? "" : " -");
	}
	print_list("committed", v, true);
	print_list("rejected", v, false);
}

/* The absolute form of path, even when the file itself is gone (a missing
 * image): the folder is resolved, the name kept. */
static char *
absolute(const char *path)
{
	char *abs = realpath(path, NULL);
	if (abs != NULL) {
		return abs;
	}
	const char *slash = strrchr(path, '/');
	char *dir = slash != NULL ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path))
	    : xstrdup(".");
	char *real = realpath(dir, NULL);
	char *out = real != NULL ? xasprintf("%s/%s", strcmp(real, "/") == 0 ? "" : real,
	    slash != NULL ? slash + 1 : path) : xstrdup(path);
	free(real);
	free(dir);
	return out;
}

static int
exec_show(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = {"--json", NULL};
	bool flags[1] = {0};
	argc = cli_options(&cmd_show_entry, argc, argv, names, flags, NULL);
	if (argc != 1) {
		return argc < 0 ? EXIT_USAGE : cli_usage(&cmd_show_entry);
	}
	struct db *db = cli_db(cli);
	if (db == NULL) {
		return EXIT_FAILURES;
	}
	char *abs = absolute(argv[0]);
	struct view v = {.model = settings_get(db, "model")};
	bool found = false;
	int rc = EXIT_OK;
	if (v.model == NULL || !db_image_by_path(db, abs, &v.img, &found)) {
		rc = cli_db_error(cli);
		goto out;
	}
	if (!found) {
		out_error("%s: not in the library (run tagcon scan on its folder)", argv[0]);
		rc = EXIT_FAILURES;
		goto out;
	}
	if (!db_image_tagged(db, v.img.id, v.model, &v.t, &v.tagged) ||
	    !suggest_load(db, v.img.id, v.model, &v.in)) {
		rc = cli_db_error(cli);
		goto out;
	}
	v.rules = rules_load(db, NULL);
	if (v.rules == NULL) {
		rc = cli_db_error(cli);
		goto out;
	}
	suggest_image(v.rules, v.img.path, &v.in, &v.out);
	if (flags[0]) {
		out_json(view_json(&v));
	} else {
		view_print(&v);
	}
out:
	suggest_result_fini(&v.out);
	rules_destroy(v.rules);
	suggest_input_fini(&v.in);
	db_tagged_fini(&v.t);
	db_image_fini(&v.img);
	free(v.model);
	free(abs);
	return rc;
}

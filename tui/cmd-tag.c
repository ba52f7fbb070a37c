/*
 * cmd-tag.c — tagcon tag FILE...: tag these files now, store the answer,
 * print the rating and the tags that pass the user's thresholds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/image/prepare.h"
#include "core/batch/results.h"
#include "core/image/scan.h"
#include "core/settings.h"
#include "core/space/space.h"
#include "core/tag/rules.h"
#include "core/tag/suggest.h"
#include "core/space/token.h"
#include "db/db.h"
#include "db/images.h"
#include "db/predictions.h"
#include "common/xalloc.h"
#include "tui/cli.h"
#include "tui/out.h"

static int exec_tag(struct cli *cli, int argc, char **argv);

const struct cmd_entry cmd_tag_entry = {
	.name = "tag",
	.usage = "[--space URL]... [--model M] [--json] FILE...",
	.help = "tag these files now and print the result",
	.exec = exec_tag,
};

struct tagger {
	struct db *db;
	struct net_opts net;
	bool space_down; /* a file failed because no Space could answer */
	char *model;
	double floor;
	struct prepare_opts prep;
	struct space **spaces;
	size_t n_spaces;
	bool json;
	cJSON *out;
};

#define WAKE_POLL_S 5

/* The image row for path, indexing the file (and its folder as a root)
 * when the library does not have it yet. */
static bool
image_for(struct tagger *t, const char *path, int64_t *id, char **cause)
{
	struct db_image img;
	bool found;
	if (!db_image_by_path(t->db, path, &img, &found)) {
		*cause = xstrdup(db_errmsg(t->db));
		return false;
	}
	*id = img.id;
	db_image_fini(&img);
	if (found) {
		return true;
	}
	struct scan_opts so = {.pixel_limit = t->prep.pixel_limit};
	bool pending;
	if (!scan_file(t->db, path, &so, id, &pending, cause)) {
		free(*cause);
		*cause = NULL;
		char *dir = xstrdup(path);
		*strrchr(dir, '/') = '\0';
		int64_t root;
		bool ok = db_root_add(t->db, *dir ? dir : "/", &root) &&
		    scan_file(t->db, path, &so, id, &pending, cause);
		free(dir);
		if (!ok) {
			return false;
		}
	}
	if (*id == 0) {
		*cause = xasprintf("%s: not an image", path);
		return false;
	}
	return true;
}

/* Ask each Space in turn until one answers. */
static bool
ask(struct tagger *t, const struct prepare_result *pr, struct space_result *res,
    const char **space)
{
	struct space_image img = {pr->data, pr->len, pr->mime, pr->filename};
	size_t down = 0;
	for (size_t i = 0; i < t->n_spaces; i++) {
		if (i > 0) {
			space_result_fini(res);
		}
		*space = space_url(t->spaces[i]);
		/* A sleeping Space takes a while to start: poll it every 5 s
		 * for as long as request_timeout allows. */
		long waited = 0;
		for (;;) {
			if (space_tag_sync(t->spaces[i], &t->net, &img, t->model, t->floor, res)) {
				return true;
			}
			if (res->err.cls != SPACEERR_WAKING ||
			    (waited + WAKE_POLL_S) * 1000 > t->net.idle_timeout_ms) {
				break;
			}
			if (waited == 0 && isatty(STDERR_FILENO)) {
				out_error("%s is asleep or starting; waiting up to %ld s", *space,
				    t->net.idle_timeout_ms / 1000);
			}
			space_result_fini(res);
			sleep(WAKE_POLL_S);
			waited += WAKE_POLL_S;
		}
		/* Never ready (no /config): the Space, not this image, failed. */
		down += !space_ready(t->spaces[i]) || spaceerr_space_fatal(res->err.cls);
	}
	t->space_down = t->space_down || down == t->n_spaces;
	return false;
}

static void
print_result(struct tagger *t, const char *path, const char *space,
    const struct space_result *res, const struct suggest_result *sr)
{
	const struct answer *a = res->answer;
	int top = answer_rating_top(a);
	if (t->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "path", out_json_path(path));
		cJSON_AddStringToObject(o, "space", space);
		cJSON_AddStringToObject(o, "model", t->model);
		cJSON *r = cJSON_AddObjectToObject(o, "rating");
		char label[2] = {rating_letter(top), '\0'};
		cJSON_AddStringToObject(r, "label", label);
		cJSON *scores = cJSON_AddObjectToObject(r, "scores");
		for (int k = 0; k < 4; k++) {
			cJSON_AddNumberToObject(scores, rating_name(k), a->ratings[k]);
		}
		cJSON *chars = cJSON_AddArrayToObject(o, "character");
		cJSON *gen = cJSON_AddArrayToObject(o, "general");
		for (size_t k = 0; k < sr->n; k++) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddItemToObject(e, "tag", out_json_path(sr->tags[k].tag));
			cJSON_AddNumberToObject(e, "score", sr->tags[k].score);
			cJSON_AddItemToArray(sr->tags[k].category == DB_CAT_CHARACTER ? chars : gen, e);
		}
		cJSON_AddNumberToObject(o, "bytes_sent", (double)res->bytes_sent);
		cJSON_AddNumberToObject(o, "latency_ms", res->latency_ms);
		cJSON_AddItemToArray(t->out, o);
		return;
	}
	out_safe(stdout, path);
	printf("\n  rating     %c  (general %.3f, sensitive %.3f, questionable %.3f, explicit %.3f)\n",
	    rating_letter(top), a->ratings[0], a->ratings[1],
	    a->ratings[2], a->ratings[3]);
	for (int cat = 0; cat < 2; cat++) {
		enum db_category want = cat == 0 ? DB_CAT_CHARACTER : DB_CAT_GENERAL;
		printf("  %-10s", cat == 0 ? "character" : "general");
		int n = 0;
		for (size_t k = 0; k < sr->n; k++) {
			if (sr->tags[k].category == want) {
				printf("%s", n++ ? ", " : " ");
				out_safe(stdout, sr->tags[k].tag);
				printf(" %.2f", sr->tags[k].score);
			}
		}
		printf("%s\n", n ? "" : " -");
	}
	printf("  via        ");
	out_safe(stdout, space);
	printf(" in %u ms, %llu bytes sent\n", res->latency_ms, (unsigned long long)res->bytes_sent);
}

/* Tag one file; false after printing why. */
static bool
tag_one(struct tagger *t, const char *arg)
{
	char *path = realpath(arg, NULL), *cause = NULL;
	int64_t id;
	struct prepare_result *pr = NULL;
	struct space_result res = {0};
	const char *space = NULL;
	bool ok = false;
	if (path == NULL) {
		out_error("%s: no such file", arg);
		return false;
	}
	if (!image_for(t, path, &id, &cause) ||
	    (pr = prepare_file(path, &t->prep, &cause)) == NULL) {
		out_error("%s", cause);
		goto out;
	}
	if (!ask(t, pr, &res, &space)) {
		out_error("%s: %s", path, res.err.message != NULL ? res.err.message : "failed");
		goto out;
	}
	if (!results_store(t->db, id, t->model, t->floor, space, res.answer)) {
		out_error("%s", db_errmsg(t->db));
		goto out;
	}
	struct suggest_input in;
	struct suggest_result sr = {0};
	struct rules *rules = rules_load(t->db, &cause);
	if (rules != NULL && suggest_load(t->db, id, t->model, &in)) {
		suggest_image(rules, path, &in, &sr);
		print_result(t, path, space, &res, &sr);
		ok = true;
	}
	rules_destroy(rules);
	suggest_result_fini(&sr);
	suggest_input_fini(&in);
out:
	space_result_fini(&res);
	prepare_result_destroy(pr);
	free(cause);
	free(path);
	return ok;
}

static bool
make_spaces(struct tagger *t, const char **flagged, char **configured, const char *token)
{
	const char **list = flagged[0] != NULL ? flagged : (const char **)configured;
	for (; *list; list++) {
		char *cause = NULL;
		struct space *sp = space_create(*list, token, &cause);
		if (sp == NULL) {
			out_error("%s", cause);
			free(cause);
			return false;
		}
		t->spaces = xreallocarray(t->spaces, t->n_spaces + 1, sizeof *t->spaces);
		t->spaces[t->n_spaces++] = sp;
	}
	if (t->n_spaces == 0) {
		out_error("no Space configured (tagcon config set spaces URL, or --space URL)");
	}
	return t->n_spaces > 0;
}

static int
exec_tag(struct cli *cli, int argc, char **argv)
{
	static const char *const names[] = {"--json", "--model=", NULL};
	bool flags[2] = {0};
	const char *values[2] = {0};
	const char **flagged = cli_take_all(&cmd_tag_entry, &argc, argv, "--space");
	if (flagged == NULL) {
		return EXIT_USAGE;
	}
	argc = cli_options(&cmd_tag_entry, argc, argv, names, flags, values);
	if (argc <= 0) {
		free(flagged);
		return argc < 0 ? EXIT_USAGE : cli_usage(&cmd_tag_entry);
	}
	struct tagger t = {.db = cli_db(cli), .json = flags[0]};
	if (t.db == NULL) {
		free(flagged);
		return EXIT_FAILURES;
	}
	t.model = values[1] != NULL ? xstrdup(values[1]) : settings_get(t.db, "model");
	t.floor = settings_get_float(t.db, "score_floor");
	t.prep.upload_max_side = (unsigned)settings_get_int(t.db, "upload_max_side");
	t.prep.pixel_limit = (uint64_t)settings_get_int(t.db, "pixel_limit");
	t.net.idle_timeout_ms = settings_get_int(t.db, "request_timeout") * 1000;
	size_t n;
	char **configured = settings_get_list(t.db, "spaces", &n);
	char *token = NULL, *cause = NULL;
	int rc = EXIT_NO_SPACE;
	if (!token_load(&token, NULL, &cause)) {
		out_error("%s", cause);
		rc = EXIT_FAILURES;
	} else if (make_spaces(&t, flagged, configured, token)) {
		t.out = t.json ? cJSON_CreateArray() : NULL;
		int failed = 0;
		for (int i = 0; i < argc; i++) {
			failed += !tag_one(&t, argv[i]);
		}
		rc = failed == 0 ? EXIT_OK : failed == argc && t.space_down ? EXIT_NO_SPACE :
		    EXIT_FAILURES;
		if (t.out != NULL) {
			out_json(t.out);
		}
	}
	for (size_t i = 0; i < t.n_spaces; i++) {
		space_destroy(t.spaces[i]);
	}
	free(t.spaces);
	free(cause);
	token_free(token);
	settings_list_free(configured);
	free(t.model);
	free(flagged);
	return rc;
}

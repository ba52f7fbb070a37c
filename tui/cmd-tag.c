/*
 * cmd-tag.c — tagcon tag FILE...: tag these files now, store the answer,
 * print the rating and the tags suggested under the rules.
 *
 * The files go to the batch engine as an ad-hoc job (core/batch/batch.h):
 * the same scheduler as batch and watch picks the Spaces, fails over,
 * backs off and waits for a sleeping Space, here for as long as one
 * request may take (request_deadline).  Being no run, it works while a
 * `tagcon batch` holds the runner lock, and leaves no run behind.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/rating.h"
#include "common/xalloc.h"
#include "core/batch/batch.h"
#include "core/image/scan.h"
#include "core/options.h"
#include "core/space/token.h"
#include "core/tag/answer.h"
#include "core/tag/rules.h"
#include "core/tag/suggest.h"
#include "db/db.h"
#include "db/images.h"
#include "tui/cli.h"
#include "tui/out.h"

static int exec_tag(struct cli *cli, int argc, char **argv);

const struct cmd_entry cmd_tag_entry = {
	.name = "tag",
	.usage = "[--space URL]... [--model M] [--json] FILE...",
	.help = "tag these files now and print the result",
	.exec = exec_tag,
};

/* One FILE argument. */
struct file {
	char *path;    /* resolved; NULL when there is no such file */
	int64_t id;    /* its image; 0 when it could not be indexed */
	size_t next;   /* 1 + the index of the next file with this path, 0 none */
	bool settled;  /* tagged, or its failure said */
	bool tagged;
	char *message; /* the last error a Space gave about it */
	char *text;    /* its human result, held until the files before it are out */
	cJSON *json;
};

struct tagger {
	struct db *db;
	struct options_batch ob;
	struct rules *rules;
	bool json;
	struct file *files;
	size_t n_files;
	size_t printed;      /* files[0, printed) are out */
	GHashTable *by_path; /* path -> 1 + the index of its first file */
	GHashTable *told;    /* Spaces said to be asleep */
};

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
	struct scan_opts so = options_scan(t->db);
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

/* Resolve and index every FILE; the images to tag, each once, in *ids. */
static size_t
index_files(struct tagger *t, int argc, char **argv, int64_t **ids)
{
	size_t n = 0;
	t->files = xcalloc((size_t)argc, sizeof *t->files);
	t->n_files = (size_t)argc;
	*ids = xcalloc((size_t)argc, sizeof **ids);
	for (int i = 0; i < argc; i++) {
		struct file *f = &t->files[i];
		char *cause = NULL;
		f->path = realpath(argv[i], NULL);
		if (f->path == NULL || !image_for(t, f->path, &f->id, &cause)) {
			if (f->path == NULL) {
				out_error("%s: no such file", argv[i]);
			} else {
				out_error("%s", cause);
			}
			f->id = 0;
			f->settled = true;
			free(cause);
			continue;
		}
		/* The same file named twice is tagged once and printed twice. */
		size_t first = GPOINTER_TO_SIZE(g_hash_table_lookup(t->by_path, f->path));
		if (first == 0) {
			g_hash_table_insert(t->by_path, f->path, GSIZE_TO_POINTER((size_t)i + 1));
			(*ids)[n++] = f->id;
			continue;
		}
		struct file *last = &t->files[first - 1];
		while (last->next != 0) {
			last = &t->files[last->next - 1];
		}
		last->next = (size_t)i + 1;
	}
	return n;
}

/* The first file named path, then the others (NULL after the last). */
static struct file *
file_first(struct tagger *t, const char *path)
{
	size_t i = GPOINTER_TO_SIZE(g_hash_table_lookup(t->by_path, path));
	return i != 0 ? &t->files[i - 1] : NULL;
}

static struct file *
file_next(struct tagger *t, const struct file *f)
{
	return f->next != 0 ? &t->files[f->next - 1] : NULL;
}

static cJSON *
result_json(struct tagger *t, const char *path, const struct batch_event *ev,
    const struct suggest_result *sr)
{
	const struct answer *a = ev->answer;
	cJSON *o = cJSON_CreateObject();
	out_json_add_path(o, "path", path);
	cJSON_AddStringToObject(o, "space", ev->space);
	cJSON_AddStringToObject(o, "model", t->ob.opts.model);
	cJSON *r = cJSON_AddObjectToObject(o, "rating");
	char label[2] = {rating_letter(answer_rating_top(a)), '\0'};
	cJSON_AddStringToObject(r, "label", label);
	cJSON *scores = cJSON_AddObjectToObject(r, "scores");
	for (int k = 0; k < 4; k++) {
		cJSON_AddNumberToObject(scores, rating_name(k), a->ratings[k]);
	}
	cJSON *chars = cJSON_AddArrayToObject(o, "character");
	cJSON *gen = cJSON_AddArrayToObject(o, "general");
	for (size_t k = 0; k < sr->n; k++) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddItemToObject(e, "tag", out_json_text(sr->tags[k].tag));
		cJSON_AddNumberToObject(e, "score", sr->tags[k].score);
		cJSON_AddItemToArray(sr->tags[k].category == DB_CAT_CHARACTER ? chars : gen, e);
	}
	cJSON_AddNumberToObject(o, "bytes_sent", (double)ev->bytes_sent);
	cJSON_AddNumberToObject(o, "latency_ms", ev->latency_ms);
	return o;
}

static char *
result_text(const char *path, const struct batch_event *ev, const struct suggest_result *sr)
{
	const struct answer *a = ev->answer;
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);
	out_safe(f, path);
	fprintf(f, "\n  rating     %c  (general %.3f, sensitive %.3f, questionable %.3f, "
	    "explicit %.3f)\n", rating_letter(answer_rating_top(a)), a->ratings[0], a->ratings[1],
	    a->ratings[2], a->ratings[3]);
	for (int cat = 0; cat < 2; cat++) {
		enum db_category want = cat == 0 ? DB_CAT_CHARACTER : DB_CAT_GENERAL;
		fprintf(f, "  %-10s", cat == 0 ? "character" : "general");
		int n = 0;
		for (size_t k = 0; k < sr->n; k++) {
			if (sr->tags[k].category == want) {
				fprintf(f, "%s", n++ ? ", " : " ");
				out_safe(f, sr->tags[k].tag);
				fprintf(f, " %.2f", sr->tags[k].score);
			}
		}
		fprintf(f, "%s\n", n ? "" : " -");
	}
	fprintf(f, "  via        ");
	out_safe(f, ev->space);
	fprintf(f, " in %u ms, %llu bytes sent\n", ev->latency_ms,
	    (unsigned long long)ev->bytes_sent);
	fclose(f);
	return text;
}

/* Print the results whose turn has come: output follows the arguments. */
static void
flush(struct tagger *t)
{
	for (; t->printed < t->n_files && t->files[t->printed].settled; t->printed++) {
		struct file *f = &t->files[t->printed];
		if (f->text != NULL) {
			fputs(f->text, stdout);
			free(f->text);
			f->text = NULL;
		}
	}
	fflush(stdout);
}

/* The answer is stored: each file of path gets the suggestions it leads to. */
static void
settle_done(struct tagger *t, const struct batch_event *ev)
{
	for (struct file *f = file_first(t, ev->path); f != NULL; f = file_next(t, f)) {
		struct suggest_input in;
		struct suggest_result sr = {0};
		f->settled = true;
		if (!suggest_load(t->db, f->id, t->ob.opts.model, &in)) {
			out_error("%s", db_errmsg(t->db));
		} else {
			suggest_image(t->rules, f->path, &in, &sr);
			f->tagged = true;
			if (t->json) {
				f->json = result_json(t, f->path, ev, &sr);
			} else {
				f->text = result_text(f->path, ev, &sr);
			}
		}
		suggest_result_fini(&sr);
		suggest_input_fini(&in);
	}
	flush(t);
}

/* Say why the files of path were not tagged. */
static void
settle_failed(struct tagger *t, const char *path, const char *why)
{
	for (struct file *f = file_first(t, path); f != NULL; f = file_next(t, f)) {
		const char *msg = f->message != NULL ? f->message : why;
		size_t n = strlen(f->path);
		msg = msg != NULL ? msg : "not tagged";
		f->settled = true;
		/* A message about the file (from prepare) names it already. */
		if (strncmp(msg, f->path, n) == 0 && msg[n] == ':') {
			out_error("%s", msg);
		} else {
			out_error("%s: %s", f->path, msg);
		}
	}
	flush(t);
}

/* A try failed: the reason, should it be the last. */
static void
remember(struct tagger *t, const char *path, const char *message)
{
	for (struct file *f = file_first(t, path); f != NULL; f = file_next(t, f)) {
		free(f->message);
		f->message = message != NULL ? xstrdup(message) : NULL;
	}
}

static void
on_event(void *ud, const struct batch_event *ev)
{
	struct tagger *t = ud;
	switch (ev->kind) {
	case BATCH_EV_DONE:
		settle_done(t, ev);
		break;
	case BATCH_EV_FAILED:
		remember(t, ev->path, ev->message);
		settle_failed(t, ev->path, NULL);
		break;
	case BATCH_EV_RETRY:
		remember(t, ev->path, ev->message);
		break;
	case BATCH_EV_SPACE:
		/* On a terminal, a person waiting should know why. */
		if (strcmp(ev->state, "waking") == 0 && isatty(STDERR_FILENO) &&
		    !g_hash_table_contains(t->told, ev->space)) {
			g_hash_table_add(t->told, xstrdup(ev->space));
			out_error("%s is asleep or starting; waiting up to %ld s", ev->space,
			    t->ob.opts.patience_ms / 1000);
		}
		break;
	default:
		break;
	}
}

/* The ad-hoc job over ids; its outcome, *cause why it was not BATCH_OK. */
static enum batch_outcome
run(struct tagger *t, const int64_t *ids, size_t n, char **cause)
{
	struct batch_opts *o = &t->ob.opts;
	o->images = ids;
	o->n_images = n;
	/* A sleeping Space is waited for as long as one request may take. */
	o->patience_ms = o->deadline_ms;
	o->event = on_event;
	o->ud = t;
	enum batch_outcome outcome;
	struct batch *b = batch_create(o, &outcome, cause);
	if (b == NULL) {
		out_error("%s", *cause);
		return outcome;
	}
	outcome = batch_run(b, cause);
	batch_destroy(b);
	/* Files the run ended without (no Space left): the last word about them. */
	for (size_t i = 0; i < t->n_files; i++) {
		if (!t->files[i].settled) {
			settle_failed(t, t->files[i].path, *cause);
		}
	}
	return outcome;
}

static int
exit_status(struct tagger *t, enum batch_outcome outcome)
{
	size_t tagged = 0;
	cJSON *out = t->json ? cJSON_CreateArray() : NULL;
	for (size_t i = 0; i < t->n_files; i++) {
		tagged += t->files[i].tagged;
		if (out != NULL && t->files[i].json != NULL) {
			cJSON_AddItemToArray(out, t->files[i].json);
			t->files[i].json = NULL;
		}
	}
	if (out != NULL) {
		out_json(out);
	}
	if (tagged == t->n_files) {
		return EXIT_OK;
	}
	if (outcome == BATCH_BUSY) {
		return EXIT_BUSY;
	}
	return tagged == 0 && outcome == BATCH_NO_SPACE ? EXIT_NO_SPACE : EXIT_FAILURES;
}

/* Load the options, the token and the rules, index the files, tag them. */
static int
tag_files(struct tagger *t, const char **flagged, const char *model, int argc, char **argv)
{
	char *token = NULL, *cause = NULL;
	int64_t *ids = NULL;
	int rc = EXIT_FAILURES;
	options_batch_load(t->db, &t->ob);
	struct batch_opts *o = &t->ob.opts;
	options_batch_spaces(&t->ob, flagged);
	o->model = model != NULL ? model : o->model;
	if (!token_load(&token, NULL, &cause) || (t->rules = rules_load(t->db, &cause)) == NULL) {
		out_error("%s", cause);
		goto out;
	}
	o->token = token;
	size_t n = index_files(t, argc, argv, &ids);
	enum batch_outcome outcome = n > 0 ? run(t, ids, n, &cause) : BATCH_FAILURES;
	flush(t);
	rc = exit_status(t, outcome);
out:
	free(ids);
	free(cause);
	token_free(token);
	return rc;
}

static void
tagger_fini(struct tagger *t)
{
	g_hash_table_destroy(t->by_path); /* its keys are the files' paths */
	for (size_t i = 0; i < t->n_files; i++) {
		free(t->files[i].path);
		free(t->files[i].message);
		free(t->files[i].text);
		cJSON_Delete(t->files[i].json);
	}
	free(t->files);
	g_hash_table_destroy(t->told);
	rules_destroy(t->rules);
	options_batch_fini(&t->ob);
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
	struct db *db = cli_db(cli);
	if (db == NULL) {
		free(flagged);
		return EXIT_FAILURES;
	}
	struct tagger t = {
		.db = db,
		.json = flags[0],
		.by_path = g_hash_table_new(g_str_hash, g_str_equal),
		.told = g_hash_table_new_full(g_str_hash, g_str_equal, free, NULL),
	};
	int rc = tag_files(&t, flagged, values[1], argc, argv);
	tagger_fini(&t);
	free(flagged);
	return rc;
}

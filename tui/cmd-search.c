/* cmd-search.c — tagcon search QUERY: the images that match. */
#include "tui/cmd-search.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/preset.h"
#include "core/image/probe.h"
#include "core/tag/query.h"
#include "core/tag/rules.h"
#include "core/settings.h"
#include "db/db.h"
#include "common/xalloc.h"

static int exec_search(struct cli *cli, int argc, char **argv);

const struct cmd_entry cmd_search_entry = {
	.name = "search",
	.usage = "[--json|--long|--null|--count] [--limit N] [--offset N] [--sort KEY] "
	    "[--reverse] [--max-rating g|s|q|e|--all-ratings] [--preset NAME] [--explain] "
	    "[QUERY...]",
	.help = "images matching a query (tags, rating:, folder: ...)",
	.exec = exec_search,
};

static const char *const state_names[DB_N_STATES] = {
	"new", "tagged", "committed", "failed", "missing",
};

const char *
query_rating_name(int rating)
{
	static const char *const names[] = {"g", "s", "q", "e"};
	return rating >= 0 && rating < 4 ? names[rating] : NULL;
}

cJSON *
query_hit_json(const struct search_hit *h)
{
	char hex[2 * DB_HASH_LEN + 1];
	cJSON *o = cJSON_CreateObject();
	out_json_add_path(o, "path", h->path);
	if (h->has_hash) {
		probe_hash_hex(h->hash, hex);
		cJSON_AddStringToObject(o, "hash", hex);
	} else {
		cJSON_AddNullToObject(o, "hash");
	}
	cJSON_AddNumberToObject(o, "size", (double)h->size);
	cJSON_AddNumberToObject(o, "width", h->width);
	cJSON_AddNumberToObject(o, "height", h->height);
	cJSON_AddItemToObject(o, "orientation", h->orientation == DB_ORIENT_UNKNOWN ?
	    cJSON_CreateNull() : cJSON_CreateString(probe_orientation_name(h->orientation)));
	cJSON_AddStringToObject(o, "state", state_names[h->state]);
	const char *r = query_rating_name(h->rating);
	cJSON_AddItemToObject(o, "rating", r != NULL ? cJSON_CreateString(r) : cJSON_CreateNull());
	return o;
}

static char *
joined(int argc, char **argv)
{
	size_t n = 1;
	for (int i = 0; i < argc; i++) {
		n += strlen(argv[i]) + 1;
	}
	char *s = xcalloc(1, n);
	for (int i = 0; i < argc; i++) {
		strcat(s, argv[i]);
		if (i + 1 < argc) {
			strcat(s, " ");
		}
	}
	return s;
}

/* "tagcon: query: column 12: ..." and the query with a caret under it. */
static void
query_error(const char *text, const char *cause, int column)
{
	out_error("query: %s", cause);
	out_error("  %s", text);
	out_error("  %*s^", column - 1, "");
}

static int
max_rating_of(const char *v, int *out)
{
	*out = rating_parse(v);
	if (*out < 0) {
		out_error("--max-rating: '%s' is not one of g, s, q, e", v != NULL ? v : "");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* Settings side: preset, rules, model, rating filter. */
static int
query_cmd_settings(struct cli *cli, const struct query_flags *f, struct query_cmd *qc)
{
	char *cause = NULL;
	if (f->preset != NULL && !preset_use(qc->db, f->preset, &cause)) {
		out_error("%s", cause);
		free(cause);
		return EXIT_USAGE;
	}
	qc->rules = rules_load(qc->db, &cause);
	qc->model = settings_get(qc->db, "model");
	if (qc->rules == NULL || qc->model == NULL) {
		free(cause);
		return cli_db_error(cli);
	}
	search_opts_init(&qc->opts, qc->model);
	rules_search_opts(qc->rules, &qc->opts);
	if (f->all_ratings) {
		qc->opts.max_rating = RATING_E;
	} else if (f->max_rating != NULL) {
		return max_rating_of(f->max_rating, &qc->opts.max_rating);
	}
	return EXIT_OK;
}

int
query_cmd_open(struct cli *cli, const struct cmd_entry *e, int argc, char **argv,
    const struct query_flags *f, struct query_cmd *qc)
{
	memset(qc, 0, sizeof *qc);
	if (f->all_ratings && f->max_rating != NULL) {
		out_error("%s: --max-rating and --all-ratings exclude each other", e->name);
		return EXIT_USAGE;
	}
	qc->text = joined(argc, argv);
	char *cause = NULL, *cwd = getcwd(NULL, 0);
	int column = 0;
	bool parsed = query_parse(qc->text, cwd, &qc->q, &cause, &column);
	free(cwd);
	if (!parsed) {
		query_error(qc->text, cause, column);
		free(cause);
		return EXIT_USAGE;
	}
	qc->db = cli_db(cli);
	if (qc->db == NULL) {
		return EXIT_FAILURES;
	}
	return query_cmd_settings(cli, f, qc);
}

void
query_cmd_fini(struct query_cmd *qc)
{
	search_node_destroy(qc->q);
	rules_destroy(qc->rules);
	free(qc->model);
	free(qc->text);
	memset(qc, 0, sizeof *qc);
}

/* ---- tagcon search ------------------------------------------------------------- */

enum { O_JSON, O_LONG, O_NULL, O_NUL0, O_COUNT, O_LIMIT, O_OFFSET, O_SORT, O_REVERSE, O_MAXR, O_ALLR,
	O_PRESET, O_EXPLAIN, N_OPTS };

static const char *const search_options[] = {
	"--json", "--long", "--null", "-0", "--count", "--limit=", "--offset=", "--sort=", "--reverse",
	"--max-rating=", "--all-ratings", "--preset=", "--explain", NULL,
};

struct printer {
	int mode; /* O_JSON, O_LONG, O_NULL or -1 for plain paths */
	cJSON *images;
	int64_t n;
};

static void
print_long(const struct search_hit *h)
{
	const char *r = query_rating_name(h->rating);
	char dims[32], size[32];
	snprintf(dims, sizeof dims, "%dx%d", h->width, h->height);
	if (h->size >= 1 << 20) {
		snprintf(size, sizeof size, "%.1f MB", h->size / 1048576.0);
	} else {
		snprintf(size, sizeof size, "%.1f KB", h->size / 1024.0);
	}
	printf("%-2s %-11s %9s  %-9s  ", r != NULL ? r : "-", dims, size, state_names[h->state]);
	out_path_line(h->path, false);
}

static bool
print_hit(void *ud, const struct search_hit *h)
{
	struct printer *p = ud;
	p->n++;
	if (p->mode == O_JSON) {
		cJSON_AddItemToArray(p->images, query_hit_json(h));
	} else if (p->mode == O_LONG) {
		print_long(h);
	} else {
		/* For xargs (-0): the bytes as they are unless a terminal shows them. */
		out_path_line(h->path, p->mode == O_NULL);
	}
	return true;
}

static bool
number_opt(const char *name, const char *v, int64_t *out)
{
	char *end;
	long long x = v != NULL ? strtoll(v, &end, 10) : -1;
	if (v == NULL || *v == '\0' || *end != '\0' || x < 0) {
		out_error("search: %s needs a whole number, not '%s'", name, v != NULL ? v : "");
		return false;
	}
	*out = x;
	return true;
}

static bool
sort_opt(const char *v, struct search_opts *o)
{
	static const char *const keys[] = {"path", "added", "mtime", "size", "width", "height",
		"rating", "unsure", NULL};
	bool desc = v[0] == '-';
	for (int i = 0; keys[i] != NULL; i++) {
		if (strcmp(v + desc, keys[i]) == 0) {
			o->sort = (enum search_sort)i;
			o->descending = desc;
			return true;
		}
	}
	out_error("search: --sort: '%s' is not one of path, added, mtime, size, width, height, "
	    "rating, unsure (a leading '-' reverses)", v);
	return false;
}

static int
search_output(struct query_cmd *qc, const bool *flags)
{
	if (flags[O_COUNT]) {
		int64_t n;
		if (!db_search_count(qc->db, qc->q, &qc->opts, &n)) {
			return EXIT_FAILURES;
		}
		if (flags[O_JSON]) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddItemToObject(o, "query", out_json_text(qc->text));
			cJSON_AddNumberToObject(o, "count", (double)n);
			out_json(o);
		} else {
			printf("%" PRId64 "\n", n);
		}
		return EXIT_OK;
	}
	struct printer p = {.mode = flags[O_JSON] ? O_JSON : flags[O_LONG] ? O_LONG
	    : flags[O_NULL] ? O_NULL : -1};
	p.images = p.mode == O_JSON ? cJSON_CreateArray() : NULL;
	if (!db_search_each(qc->db, qc->q, &qc->opts, print_hit, &p)) {
		cJSON_Delete(p.images);
		return EXIT_FAILURES;
	}
	if (p.mode == O_JSON) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "query", out_json_text(qc->text));
		cJSON_AddNumberToObject(o, "count", (double)p.n);
		cJSON_AddItemToObject(o, "images", p.images);
		out_json(o);
	}
	return EXIT_OK;
}

static int
exec_search(struct cli *cli, int argc, char **argv)
{
	bool flags[N_OPTS] = {0};
	const char *values[N_OPTS] = {0};
	argc = cli_options(&cmd_search_entry, argc, argv, search_options, flags, values);
	if (argc < 0) {
		return EXIT_USAGE;
	}
	flags[O_NULL] |= flags[O_NUL0];
	if (flags[O_JSON] + flags[O_LONG] + flags[O_NULL] > 1) {
		out_error("search: choose one of --json, --long and --null");
		return EXIT_USAGE;
	}
	struct query_flags qf = {values[O_MAXR], flags[O_ALLR], values[O_PRESET]};
	struct query_cmd qc;
	int rc = query_cmd_open(cli, &cmd_search_entry, argc, argv, &qf, &qc);
	if (rc != EXIT_OK) {
		goto out;
	}
	rc = EXIT_USAGE;
	if ((flags[O_LIMIT] && !number_opt("--limit", values[O_LIMIT], &qc.opts.limit)) ||
	    (flags[O_OFFSET] && !number_opt("--offset", values[O_OFFSET], &qc.opts.offset)) ||
	    (flags[O_SORT] && !sort_opt(values[O_SORT], &qc.opts))) {
		goto out;
	}
	qc.opts.descending ^= flags[O_REVERSE];
	if (flags[O_EXPLAIN]) {
		char *text;
		rc = db_search_explain(qc.db, qc.q, &qc.opts, &text) ? EXIT_OK : EXIT_FAILURES;
		for (char *line = text, *nl; line != NULL && *line != '\0'; line = nl + 1) {
			nl = strchr(line, '\n');
			*nl = '\0';
			out_safe(stdout, line);
			putchar('\n');
		}
		free(text);
	} else {
		rc = search_output(&qc, flags);
	}
	if (rc == EXIT_FAILURES) {
		rc = cli_db_error(cli);
	}
out:
	query_cmd_fini(&qc);
	return rc;
}

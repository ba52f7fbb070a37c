/* options.c — the settings as each module's options (see options.h). */
#include "core/options.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "core/settings.h"
#include "db/db.h"

/* The five cut settings and where each goes in a struct db_cut: the one
 * table options_cut() and options_cut_if() read. */
enum cut_kind { CUT_REAL, CUT_FLAG, CUT_INT };
static const struct {
	const char *name;
	enum cut_kind kind;
	size_t at;
} cut_keys[] = {
	{"general_threshold", CUT_REAL, offsetof(struct db_cut, general_threshold)},
	{"character_threshold", CUT_REAL, offsetof(struct db_cut, character_threshold)},
	{"general_mcut", CUT_FLAG, offsetof(struct db_cut, general_mcut)},
	{"character_mcut", CUT_FLAG, offsetof(struct db_cut, character_mcut)},
	{"max_tags", CUT_INT, offsetof(struct db_cut, max_tags)},
};
#define N_CUT_KEYS (sizeof cut_keys / sizeof cut_keys[0])

/* Field k of c set from a stored or validated value's text. */
static void
cut_set(struct db_cut *c, size_t k, const char *text)
{
	char *field = (char *)c + cut_keys[k].at;
	switch (cut_keys[k].kind) {
	case CUT_REAL: *(double *)(void *)field = strtod(text, NULL); break;
	case CUT_FLAG:
		*(bool *)(void *)field = settings_parse_bool(text,
		    settings_find(cut_keys[k].name)->def);
		break;
	case CUT_INT: *(int *)(void *)field = (int)strtod(text, NULL); break;
	}
}

struct db_cut
options_cut(struct db *db)
{
	struct db_cut c = {0};
	for (size_t k = 0; k < N_CUT_KEYS; k++) {
		char *v = settings_get(db, cut_keys[k].name);
		cut_set(&c, k, v != NULL ? v : settings_find(cut_keys[k].name)->def);
		free(v);
	}
	return c;
}

bool
options_cut_if(struct db *db, const char *name, const char *value, struct db_cut *out,
    char **cause)
{
	size_t k = 0;
	while (k < N_CUT_KEYS && strcmp(cut_keys[k].name, name) != 0) {
		k++;
	}
	const struct setting_def *d = settings_find(name);
	if (k == N_CUT_KEYS || d == NULL) {
		*cause = xasprintf("%s is not one of the suggestion cuts (general_threshold,"
		    " character_threshold, general_mcut, character_mcut, max_tags)", name);
		return false;
	}
	char *normal = NULL;
	if (!settings_validate(d, value, &normal, cause)) {
		return false;
	}
	*out = options_cut(db);
	cut_set(out, k, normal);
	free(normal);
	return true;
}

struct review_opts
options_review(struct db *db)
{
	struct review_opts o = {.min_score = settings_get_float(db, "review_min_score"),
		.margin = settings_get_float(db, "confident_margin")};
	char *mode = settings_get(db, "review_mode");
	o.mode = review_mode_parse(mode);
	free(mode);
	return o;
}

struct scan_opts
options_scan(struct db *db)
{
	return (struct scan_opts){.pixel_limit = (uint64_t)settings_get_int(db, "pixel_limit")};
}

struct prepare_opts
options_prepare(struct db *db)
{
	return (struct prepare_opts){
		.upload_max_side = (unsigned)settings_get_int(db, "upload_max_side"),
		.pixel_limit = (uint64_t)settings_get_int(db, "pixel_limit"),
	};
}

struct net_opts
options_net(struct db *db)
{
	return (struct net_opts){
		.idle_timeout_ms = settings_get_int(db, "silence_timeout") * 1000,
		.deadline_ms = settings_get_int(db, "request_deadline") * 1000,
		.max_wait_ms = settings_get_int(db, "max_wait") * 1000LL,
	};
}

/* The public Space is everyone's: one request at a time while it is the
 * only Space (space_inflight is for one's own duplicates). */
static void
public_inflight(struct options_batch *ob)
{
	if (ob->opts.n_spaces == 1 && settings_public_space(ob->opts.spaces[0])) {
		ob->opts.inflight = 1;
	}
}

void
options_batch_load(struct db *db, struct options_batch *ob)
{
	memset(ob, 0, sizeof *ob);
	size_t n = 0;
	ob->model = settings_get(db, "model");
	ob->spaces = settings_get_list(db, "spaces", &n);
	ob->notify_url = settings_get(db, "notify_url");
	ob->target_folder = settings_get(db, "target_folder");
	struct prepare_opts prep = options_prepare(db);
	struct net_opts net = options_net(db);
	ob->opts = (struct batch_opts){
		.db_path = db_path(db),
		.model = ob->model,
		.spaces = (const char *const *)ob->spaces,
		.n_spaces = n,
		.inflight = (int)settings_get_int(db, "space_inflight"),
		.max_attempts = (int)settings_get_int(db, "max_attempts"),
		.floor = settings_get_float(db, "score_floor"),
		.upload_max_side = prep.upload_max_side,
		.pixel_limit = prep.pixel_limit,
		.idle_timeout_ms = net.idle_timeout_ms,
		.deadline_ms = net.deadline_ms,
		.max_wait_ms = net.max_wait_ms,
		.notify_url = ob->notify_url,
		.notify_each = settings_get_bool(db, "notify_each"),
	};
	ob->space_inflight = ob->opts.inflight;
	public_inflight(ob);
}

void
options_batch_spaces(struct options_batch *ob, const char *const *flagged)
{
	if (flagged == NULL || flagged[0] == NULL) {
		return;
	}
	ob->opts.spaces = flagged;
	ob->opts.n_spaces = 0;
	while (flagged[ob->opts.n_spaces] != NULL) {
		ob->opts.n_spaces++;
	}
	ob->opts.inflight = (int)ob->space_inflight;
	public_inflight(ob);
}

void
options_batch_fini(struct options_batch *ob)
{
	free(ob->model);
	settings_list_free(ob->spaces);
	free(ob->notify_url);
	free(ob->target_folder);
	memset(ob, 0, sizeof *ob);
}

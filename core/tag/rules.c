/*
 * rules.c — validating and applying tag rules, folder overrides, presets.
 */
#include "core/tag/rules.h"

#include <ctype.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "core/settings.h"
#include "core/tag/tagname.h"
#include "db/db.h"
#include "common/xalloc.h"

const char *const rules_override_keys[] = {
	"general_threshold", "character_threshold", "general_mcut", "character_mcut", "auto_tag",
	NULL,
};

static bool
db_error(struct db *db, char **cause)
{
	if (cause != NULL) {
		*cause = xstrdup(db_errmsg(db));
	}
	return false;
}

static bool
refuse(char **cause, char *message)
{
	if (cause != NULL) {
		*cause = message;
	} else {
		free(message);
	}
	return false;
}

/* Canonical name (new string), or NULL with *cause. */
static char *
canonical(const char *name, bool star, char **cause)
{
	char *c = tagname_from_space(name);
	if (c == NULL) {
		refuse(cause, xasprintf("'%s' is not a tag name (empty, too long, not UTF-8 or "
		    "with control characters)", name));
		return NULL;
	}
	if (!star && strchr(c, '*') != NULL) {
		refuse(cause, xasprintf("'%s': wildcards only work in exclusions", name));
		free(c);
		return NULL;
	}
	return c;
}

/* folder without trailing '/' (new string); NULL stays NULL. */
static bool
folder_of(const char *folder, char **out, char **cause)
{
	*out = NULL;
	if (folder == NULL) {
		return true;
	}
	if (folder[0] != '/') {
		return refuse(cause, xasprintf("'%s' is not an absolute folder", folder));
	}
	size_t n = strlen(folder);
	while (n > 1 && folder[n - 1] == '/') {
		n--;
	}
	*out = xstrndup(folder, n);
	return true;
}

static bool
add_rule(struct db *db, enum db_rule_kind kind, const char *tag, const char *target,
    const char *folder, char **cause)
{
	char *f;
	if (!folder_of(folder, &f, cause)) {
		return false;
	}
	/* "/" means everywhere: store it as no folder. */
	if (f != NULL && strcmp(f, "/") == 0) {
		free(f);
		f = NULL;
	}
	struct db_rule rule = {.kind = kind, .tag = tag, .target = target, .folder = f};
	bool added;
	bool ok = db_rule_add(db, &rule, &added) || db_error(db, cause);
	free(f);
	return ok;
}

bool
rules_add_exclusion(struct db *db, const char *pattern, const char *folder, char **cause)
{
	char *tag = canonical(pattern, true, cause);
	bool ok = tag != NULL && add_rule(db, DB_RULE_EXCLUDE, tag, NULL, folder, cause);
	free(tag);
	return ok;
}

bool
rules_add_pin(struct db *db, const char *tag, const char *folder, char **cause)
{
	char *t = canonical(tag, false, cause);
	bool ok = t != NULL && add_rule(db, DB_RULE_PIN, t, NULL, folder, cause);
	free(t);
	return ok;
}

struct alias_check {
	const char *from;
	const char *to;
	char *problem;
};

static void
check_alias(void *ud, const struct db_rule *r)
{
	struct alias_check *a = ud;
	if (a->problem != NULL || strcmp(r->tag, a->from) == 0) {
		return;
	}
	if (strcmp(r->tag, a->to) == 0) {
		a->problem = xasprintf("%s is itself an alias of %s: alias %s to %s instead",
		    a->to, r->target, a->from, r->target);
	} else if (strcmp(r->target, a->from) == 0) {
		a->problem = xasprintf("%s is already aliased to %s: aliases do not chain", r->tag,
		    a->from);
	}
}

bool
rules_add_alias(struct db *db, const char *from, const char *to, char **cause)
{
	char *f = canonical(from, false, cause);
	char *t = f != NULL ? canonical(to, false, cause) : NULL;
	bool ok = false;
	if (t == NULL) {
		goto out;
	}
	if (strcmp(f, t) == 0) {
		refuse(cause, xasprintf("an alias from %s to itself does nothing", f));
		goto out;
	}
	struct alias_check a = {.from = f, .to = t};
	if (!db_rules_each(db, DB_RULE_ALIAS, check_alias, &a)) {
		db_error(db, cause);
		goto out;
	}
	if (a.problem != NULL) {
		refuse(cause, a.problem);
		goto out;
	}
	ok = add_rule(db, DB_RULE_ALIAS, f, t, NULL, cause);
out:
	free(f);
	free(t);
	return ok;
}

bool
rules_remove(struct db *db, enum db_rule_kind kind, const char *tag, const char *folder,
    char **cause)
{
	static const char *const kinds[] = {"exclusion", "alias", "pin"};
	char *t = canonical(tag, kind == DB_RULE_EXCLUDE, cause), *f = NULL;
	bool found = false, ok = false;
	if (t == NULL || !folder_of(folder, &f, cause)) {
		goto out;
	}
	if (f != NULL && strcmp(f, "/") == 0) {
		free(f);
		f = NULL;
	}
	if (!db_rule_remove(db, kind, t, f, &found)) {
		db_error(db, cause);
	} else if (!found) {
		refuse(cause, xasprintf("no %s for %s%s%s", kinds[kind], t, f ? " on " : "",
		    f ? f : ""));
	} else {
		ok = true;
	}
out:
	free(t);
	free(f);
	return ok;
}

static bool
override_key(const char *key, char **cause)
{
	for (const char *const *k = rules_override_keys; *k != NULL; k++) {
		if (strcmp(*k, key) == 0) {
			return true;
		}
	}
	return refuse(cause, xasprintf("'%s' cannot be set per folder (only general_threshold, "
	    "character_threshold, general_mcut, character_mcut, auto_tag)", key));
}

bool
rules_override_set(struct db *db, const char *folder, const char *key, const char *value,
    char **cause)
{
	char *f = NULL, *normal = NULL, *why = NULL;
	bool ok = false;
	if (!folder_of(folder, &f, cause) || !override_key(key, cause)) {
		goto out;
	}
	if (!settings_validate(settings_find(key), value, &normal, &why)) {
		refuse(cause, why);
		goto out;
	}
	ok = db_override_set(db, f, key, normal) || db_error(db, cause);
out:
	free(f);
	free(normal);
	return ok;
}

bool
rules_override_unset(struct db *db, const char *folder, const char *key, char **cause)
{
	char *f = NULL;
	bool found = false, ok = false;
	if (folder_of(folder, &f, cause)) {
		if (!db_override_unset(db, f, key, &found)) {
			db_error(db, cause);
		} else if (!found) {
			refuse(cause, xasprintf("%s has no override of %s", f, key));
		} else {
			ok = true;
		}
	}
	free(f);
	return ok;
}

/* ---- presets ---------------------------------------------------------------- */

static bool
preset_name(const char *name, char **cause)
{
	size_t n = strlen(name);
	bool ok = n >= 1 && n <= 64;
	for (size_t i = 0; ok && i < n; i++) {
		ok = isalnum((unsigned char)name[i]) || strchr("._-", name[i]) != NULL;
	}
	return ok || refuse(cause, xasprintf("'%s' is not a preset name (1 to 64 letters, "
	    "digits, '.', '_' or '-')", name));
}

bool
rules_preset_set(struct db *db, const char *name, const char *key, const char *value,
    char **cause)
{
	const struct setting_def *d = settings_find(key);
	char *normal = NULL, *why = NULL;
	if (!preset_name(name, cause)) {
		return false;
	}
	if (d == NULL) {
		return refuse(cause, xasprintf("no setting named '%s' (see tagcon config list)", key));
	}
	if (!settings_validate(d, value, &normal, &why)) {
		return refuse(cause, why);
	}
	bool ok = db_preset_set(db, name, key, normal) || db_error(db, cause);
	free(normal);
	return ok;
}

bool
rules_preset_unset(struct db *db, const char *name, const char *key, char **cause)
{
	bool found;
	if (!db_preset_unset(db, name, key, &found)) {
		return db_error(db, cause);
	}
	return found || refuse(cause, xasprintf("preset %s has no %s", name, key));
}

/* Rows of preset name: keys[i] with values[i], or with its stored value
 * when values is NULL (every setting when n is 0). */
static bool
save_keys(struct db *db, const char *name, const char *const *keys,
    const char *const *values, size_t n, char **cause)
{
	size_t all;
	const struct setting_def *table = settings_table(&all);
	for (size_t i = 0; i < (n > 0 ? n : all); i++) {
		const char *key = n > 0 ? keys[i] : table[i].name;
		if (settings_find(key) == NULL) {
			return refuse(cause, xasprintf("no setting named '%s' (see tagcon config list)",
			    key));
		}
		if (values != NULL) {
			if (!rules_preset_set(db, name, key, values[i], cause)) {
				return false;
			}
			continue;
		}
		char *v = settings_get(db, key);
		bool ok = v != NULL && db_preset_set(db, name, key, v);
		free(v);
		if (!ok) {
			return db_error(db, cause);
		}
	}
	return true;
}

/* The preset as a whole: what it held before goes. */
static bool
replace_preset(struct db *db, const char *name, const char *const *keys,
    const char *const *values, size_t n, char **cause)
{
	bool found;
	if (!preset_name(name, cause)) {
		return false;
	}
	if (!db_begin(db)) {
		return db_error(db, cause);
	}
	if (!db_preset_delete(db, name, &found)) {
		db_rollback(db);
		return db_error(db, cause);
	}
	if (!save_keys(db, name, keys, values, n, cause)) {
		db_rollback(db);
		return false;
	}
	return db_commit(db) || db_error(db, cause);
}

bool
rules_preset_save(struct db *db, const char *name, const char *const *keys, size_t n,
    char **cause)
{
	return replace_preset(db, name, keys, NULL, n, cause);
}

bool
rules_preset_save_values(struct db *db, const char *name, const char *const *keys,
    const char *const *values, size_t n, char **cause)
{
	if (n == 0) {
		return refuse(cause, xstrdup("a preset needs at least one setting"));
	}
	return replace_preset(db, name, keys, values, n, cause);
}

struct preset_walk {
	void (*fn)(void *ud, const char *name, const char *keys);
	void *ud;
	GString *keys;
	char *name;
};

static void
flush_preset(struct preset_walk *w)
{
	if (w->name != NULL) {
		w->fn(w->ud, w->name, w->keys->str);
		free(w->name);
		w->name = NULL;
	}
	g_string_truncate(w->keys, 0);
}

static void
preset_row(void *ud, const char *name, const char *key, const char *value)
{
	(void)value;
	struct preset_walk *w = ud;
	if (w->name == NULL || strcmp(w->name, name) != 0) {
		flush_preset(w);
		w->name = xstrdup(name);
	}
	g_string_append_printf(w->keys, "%s%s", w->keys->len > 0 ? ", " : "", key);
}

bool
rules_presets_each(struct db *db, void (*fn)(void *ud, const char *name, const char *keys),
    void *ud)
{
	/* Rows come by name, then key: one call per run of a name. */
	struct preset_walk w = {.fn = fn, .ud = ud, .keys = g_string_new(NULL)};
	bool ok = db_presets_each(db, NULL, preset_row, &w);
	if (ok) {
		flush_preset(&w);
	}
	free(w.name);
	g_string_free(w.keys, TRUE);
	return ok;
}

bool
rules_preset_delete(struct db *db, const char *name, char **cause)
{
	bool found;
	if (!db_preset_delete(db, name, &found)) {
		return db_error(db, cause);
	}
	return found || refuse(cause, xasprintf("no preset named '%s'", name));
}

struct kv {
	char **keys;
	char **values;
	size_t n;
};

static void
add_kv(void *ud, const char *name, const char *key, const char *value)
{
	struct kv *kv = ud;
	kv->keys = xreallocarray(kv->keys, kv->n + 1, sizeof *kv->keys);
	kv->values = xreallocarray(kv->values, kv->n + 1, sizeof *kv->values);
	kv->keys[kv->n] = xstrdup(key);
	kv->values[kv->n++] = xstrdup(value);
}

static void
kv_fini(struct kv *kv)
{
	for (size_t i = 0; i < kv->n; i++) {
		free(kv->keys[i]);
		free(kv->values[i]);
	}
	free(kv->keys);
	free(kv->values);
}

bool
rules_preset_apply(struct db *db, const char *name, char **cause)
{
	struct kv kv = {0};
	bool ok = false;
	if (!db_presets_each(db, name, add_kv, &kv)) {
		db_error(db, cause);
		goto out;
	}
	if (kv.n == 0) {
		refuse(cause, xasprintf("no preset named '%s'", name));
		goto out;
	}
	if (!db_begin(db)) {
		db_error(db, cause);
		goto out;
	}
	for (size_t i = 0; i < kv.n; i++) {
		if (!settings_set(db, kv.keys[i], kv.values[i], cause)) {
			db_rollback(db);
			goto out;
		}
	}
	ok = db_commit(db) || db_error(db, cause);
out:
	kv_fini(&kv);
	return ok;
}

bool
rules_preset_use(struct db *db, const char *name, char **cause)
{
	bool found;
	if (!db_preset_overlay(db, name, &found)) {
		return db_error(db, cause);
	}
	return found || refuse(cause, xasprintf("no preset named '%s' (see tagcon preset list)",
	    name));
}

/* ---- a snapshot, and suggestions under it ---------------------------------------- */

struct rule {
	enum db_rule_kind kind;
	char *tag;
	char *target;
	char *folder; /* NULL: everywhere */
};

struct folder_cut {
	char *folder;
	struct db_cut cut;
	bool auto_tag;
};

struct rules {
	struct db_cut global;
	bool auto_tag;
	int max_rating;
	struct rule *rules;
	size_t n_rules;
	struct folder_cut *folders; /* deepest first */
	size_t n_folders;
	struct search_override *search; /* the same, as db/search.h wants them */
	struct kv overrides;            /* raw rows: key "folder\nkey" */
};

/* Whether path is at or below folder (NULL or "/": everything). */
static bool
covers(const char *folder, const char *path)
{
	if (folder == NULL || strcmp(folder, "/") == 0) {
		return true;
	}
	size_t n = strlen(folder);
	return strncmp(path, folder, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static void
add_rule_copy(void *ud, const struct db_rule *r)
{
	struct rules *rs = ud;
	rs->rules = xreallocarray(rs->rules, rs->n_rules + 1, sizeof *rs->rules);
	rs->rules[rs->n_rules++] = (struct rule){
		.kind = r->kind,
		.tag = xstrdup(r->tag),
		.target = r->target != NULL ? xstrdup(r->target) : NULL,
		.folder = r->folder != NULL ? xstrdup(r->folder) : NULL,
	};
}

static void
add_override(void *ud, const char *folder, const char *key, const char *value)
{
	struct rules *rs = ud;
	char *k = xasprintf("%s\n%s", folder, key);
	add_kv(&rs->overrides, NULL, k, value);
	free(k);
}

static void
apply_key(struct folder_cut *fc, const char *key, const char *value)
{
	bool yes = strcmp(value, "true") == 0;
	if (strcmp(key, "general_threshold") == 0) {
		fc->cut.general_threshold = strtod(value, NULL);
	} else if (strcmp(key, "character_threshold") == 0) {
		fc->cut.character_threshold = strtod(value, NULL);
	} else if (strcmp(key, "general_mcut") == 0) {
		fc->cut.general_mcut = yes;
	} else if (strcmp(key, "character_mcut") == 0) {
		fc->cut.character_mcut = yes;
	} else if (strcmp(key, "auto_tag") == 0) {
		fc->auto_tag = yes;
	}
}

/* The settings in force at folder f: the global ones, then every override
 * of f or an ancestor, shallowest first. */
static void
resolve(struct rules *rs, struct folder_cut *fc)
{
	fc->cut = rs->global;
	fc->auto_tag = rs->auto_tag;
	for (size_t depth = 0; depth <= strlen(fc->folder); depth++) {
		for (size_t i = 0; i < rs->overrides.n; i++) {
			const char *k = rs->overrides.keys[i], *nl = strchr(k, '\n');
			char *folder = xstrndup(k, (size_t)(nl - k));
			if (strlen(folder) == depth && covers(folder, fc->folder)) {
				apply_key(fc, nl + 1, rs->overrides.values[i]);
			}
			free(folder);
		}
	}
}

static int
deeper_first(const void *a, const void *b)
{
	size_t x = strlen(((const struct folder_cut *)a)->folder);
	size_t y = strlen(((const struct folder_cut *)b)->folder);
	return (x < y) - (x > y);
}

static void
build_folders(struct rules *rs)
{
	for (size_t i = 0; i < rs->overrides.n; i++) {
		const char *k = rs->overrides.keys[i];
		char *folder = xstrndup(k, strcspn(k, "\n"));
		if (rs->n_folders > 0 && strcmp(rs->folders[rs->n_folders - 1].folder, folder) == 0) {
			free(folder);
			continue;
		}
		rs->folders = xreallocarray(rs->folders, rs->n_folders + 1, sizeof *rs->folders);
		rs->folders[rs->n_folders++] = (struct folder_cut){.folder = folder};
	}
	for (size_t i = 0; i < rs->n_folders; i++) {
		resolve(rs, &rs->folders[i]);
	}
	if (rs->n_folders > 1) {
		qsort(rs->folders, rs->n_folders, sizeof *rs->folders, deeper_first);
	}
	rs->search = xcalloc(rs->n_folders + 1, sizeof *rs->search);
	for (size_t i = 0; i < rs->n_folders; i++) {
		rs->search[i] = (struct search_override){rs->folders[i].folder, rs->folders[i].cut};
	}
}

static int
rating_index(const char *v)
{
	int r = rating_parse(v);
	return r >= 0 ? r : RATING_E;
}

struct rules *
rules_load(struct db *db, char **cause)
{
	struct rules *rs = xcalloc(1, sizeof *rs);
	rs->global = suggest_opts_from_settings(db);
	rs->auto_tag = settings_get_bool(db, "auto_tag");
	char *max = settings_get(db, "max_rating");
	rs->max_rating = rating_index(max);
	free(max);
	if (!db_rules_each(db, -1, add_rule_copy, rs) ||
	    !db_overrides_each(db, add_override, rs)) {
		db_error(db, cause);
		rules_destroy(rs);
		return NULL;
	}
	build_folders(rs);
	return rs;
}

void
rules_destroy(struct rules *rs)
{
	if (rs == NULL) {
		return;
	}
	for (size_t i = 0; i < rs->n_rules; i++) {
		free(rs->rules[i].tag);
		free(rs->rules[i].target);
		free(rs->rules[i].folder);
	}
	for (size_t i = 0; i < rs->n_folders; i++) {
		free(rs->folders[i].folder);
	}
	free(rs->rules);
	free(rs->folders);
	free(rs->search);
	kv_fini(&rs->overrides);
	free(rs);
}

static const struct folder_cut *
folder_for(const struct rules *rs, const char *path)
{
	for (size_t i = 0; i < rs->n_folders; i++) {
		if (covers(rs->folders[i].folder, path)) {
			return &rs->folders[i];
		}
	}
	return NULL;
}

struct db_cut
rules_cut_for(const struct rules *rs, const char *path)
{
	const struct folder_cut *fc = folder_for(rs, path);
	return fc != NULL ? fc->cut : rs->global;
}

bool
rules_auto_tag_for(const struct rules *rs, const char *path)
{
	const struct folder_cut *fc = folder_for(rs, path);
	return fc != NULL ? fc->auto_tag : rs->auto_tag;
}

bool
rules_auto_tag_anywhere(const struct rules *rs)
{
	bool any = rs->auto_tag;
	for (size_t i = 0; i < rs->n_folders && !any; i++) {
		any = rs->folders[i].auto_tag;
	}
	return any;
}

void
rules_search_opts(const struct rules *rs, struct search_opts *o)
{
	o->max_rating = rs->max_rating;
	o->cut = rs->global;
	o->overrides = rs->search;
	o->n_overrides = rs->n_folders;
}

bool
rules_match(const char *pattern, const char *name)
{
	/* Iterative '*' matching with one backtrack point: linear enough for
	 * tag names and never recursive on hostile patterns. */
	const char *star = NULL, *retry = NULL;
	while (*name != '\0') {
		if (*pattern == '*') {
			star = pattern++;
			retry = name;
		} else if (*pattern == *name) {
			pattern++;
			name++;
		} else if (star != NULL) {
			pattern = star + 1;
			name = ++retry;
		} else {
			return false;
		}
	}
	while (*pattern == '*') {
		pattern++;
	}
	return *pattern == '\0';
}

bool
rules_pinned(const struct rules *rs, const char *path, const char *tag)
{
	for (size_t i = 0; i < rs->n_rules; i++) {
		const struct rule *r = &rs->rules[i];
		if (r->kind == DB_RULE_PIN && strcmp(r->tag, tag) == 0 && covers(r->folder, path)) {
			return true;
		}
	}
	return false;
}

static const char *
alias_of(const struct rules *rs, const char *tag)
{
	for (size_t i = 0; i < rs->n_rules; i++) {
		if (rs->rules[i].kind == DB_RULE_ALIAS && strcmp(rs->rules[i].tag, tag) == 0) {
			return rs->rules[i].target;
		}
	}
	return tag;
}

static bool
excluded(const struct rules *rs, const char *path, const char *a, const char *b)
{
	for (size_t i = 0; i < rs->n_rules; i++) {
		const struct rule *r = &rs->rules[i];
		if (r->kind == DB_RULE_EXCLUDE && covers(r->folder, path) &&
		    (rules_match(r->tag, a) || rules_match(r->tag, b))) {
			return true;
		}
	}
	return false;
}

static bool
listed(const struct rules_result *out, const char *tag)
{
	for (size_t i = 0; i < out->n; i++) {
		if (strcmp(out->tags[i].tag, tag) == 0) {
			return true;
		}
	}
	return false;
}

static void
add_pins(const struct rules *rs, const char *path, const struct suggest_input *in,
    struct rules_result *out)
{
	for (size_t i = 0; i < rs->n_rules; i++) {
		const struct rule *r = &rs->rules[i];
		if (r->kind != DB_RULE_PIN || !covers(r->folder, path) || suggest_decided(in, r->tag) ||
		    listed(out, r->tag)) {
			continue;
		}
		/* A pin keeps the category its name has among the predictions. */
		enum db_category cat = DB_CAT_USER;
		for (size_t k = 0; k < in->n_preds; k++) {
			if (strcmp(in->preds[k].tag, r->tag) == 0) {
				cat = in->preds[k].category;
			}
		}
		out->tags[out->n++] = (struct rules_tag){r->tag, cat, -1.0f, true};
	}
}

void
rules_suggest(const struct rules *rs, const char *path, const struct suggest_input *in,
    struct rules_result *out)
{
	memset(out, 0, sizeof *out);
	/* Thresholds and MCut first, with decisions left for after aliases. */
	struct suggest_input bare = *in;
	bare.n_decisions = 0;
	struct suggest_result base;
	suggest_apply(&bare, rules_cut_for(rs, path), &base);
	out->general_cut = base.general_cut;
	out->character_cut = base.character_cut;
	out->exact = base.exact;
	out->tags = xcalloc(base.n_suggested + rs->n_rules + 1, sizeof *out->tags);
	add_pins(rs, path, in, out);
	for (size_t i = 0; i < base.n_suggested; i++) {
		const struct suggest_pred *p = base.suggested[i];
		const char *name = alias_of(rs, p->tag);
		if (!suggest_decided(in, name) && !excluded(rs, path, p->tag, name) && !listed(out, name)) {
			out->tags[out->n++] = (struct rules_tag){name, p->category, p->score, false};
		}
	}
	suggest_result_fini(&base);
}

void
rules_result_fini(struct rules_result *out)
{
	free(out->tags);
	memset(out, 0, sizeof *out);
}

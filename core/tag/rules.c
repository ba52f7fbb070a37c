/*
 * rules.c — validating and applying tag rules, folder overrides, presets.
 */
#include "core/tag/rules.h"

#include <ctype.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "common/rating.h"
#include "common/xalloc.h"
#include "core/options.h"
#include "core/settings.h"
#include "core/tag/tagname.h"
#include "db/db.h"

const char *const rules_override_keys[] = {
	"general_threshold", "character_threshold", "general_mcut", "character_mcut", "auto_tag",
	"max_tags", NULL,
};

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
    const char *folder, double value, char **cause)
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
	struct db_rule rule = {.kind = kind, .tag = tag, .target = target, .folder = f,
		.value = value};
	bool added;
	bool ok = db_rule_add(db, &rule, &added) || db_cause(db, cause);
	free(f);
	return ok;
}

bool
rules_add_exclusion(struct db *db, const char *pattern, const char *folder, char **cause)
{
	char *tag = canonical(pattern, true, cause);
	bool ok = tag != NULL && add_rule(db, DB_RULE_EXCLUDE, tag, NULL, folder, 0, cause);
	free(tag);
	return ok;
}

struct named {
	const char *tag;
	bool found;
	char *target;
	char *folder;
};

static void
check_named(void *ud, const struct db_rule *r)
{
	struct named *n = ud;
	if (!n->found && strcmp(r->tag, n->tag) == 0) {
		n->found = true;
		n->target = xstrdup(r->target != NULL ? r->target : "");
		n->folder = xstrdup(r->folder != NULL ? r->folder : "/");
	}
}

/* The first rule of kind that names tag, in *n (free n->target, n->folder). */
static bool
named_by(struct db *db, enum db_rule_kind kind, const char *tag, struct named *n,
    char **cause)
{
	*n = (struct named){.tag = tag};
	return db_rules_each(db, kind, check_named, n) || db_cause(db, cause);
}

bool
rules_add_pin(struct db *db, const char *tag, const char *folder, char **cause)
{
	/* A pin is a name the person chose, not a prediction: an alias would
	 * not rename it, so pinning an alias's source would commit the very
	 * name the alias does away with. */
	char *t = canonical(tag, false, cause);
	struct named n = {0};
	bool ok = t != NULL && named_by(db, DB_RULE_ALIAS, t, &n, cause);
	if (ok && n.found) {
		ok = refuse(cause, xasprintf("%s is aliased to %s: pin %s instead", t, n.target,
		    n.target));
	}
	ok = ok && add_rule(db, DB_RULE_PIN, t, NULL, folder, 0, cause);
	free(n.target);
	free(n.folder);
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
	struct named pin;
	if (!named_by(db, DB_RULE_PIN, f, &pin, cause)) {
		goto out;
	}
	if (pin.found) {
		refuse(cause, xasprintf("%s is pinned on %s: unpin it first (an alias renames "
		    "predictions, not pins)", f, pin.folder));
		free(pin.target);
		free(pin.folder);
		goto out;
	}
	struct alias_check a = {.from = f, .to = t};
	if (!db_rules_each(db, DB_RULE_ALIAS, check_alias, &a)) {
		db_cause(db, cause);
		goto out;
	}
	if (a.problem != NULL) {
		refuse(cause, a.problem);
		goto out;
	}
	ok = add_rule(db, DB_RULE_ALIAS, f, t, NULL, 0, cause);
out:
	free(f);
	free(t);
	return ok;
}

bool
rules_add_threshold(struct db *db, const char *tag, const char *value, const char *folder,
    char **cause)
{
	char *end = NULL;
	double v = value != NULL ? strtod(value, &end) : 0;
	if (value == NULL || end == value || *end != '\0' || !(v >= 0 && v <= 1)) {
		return refuse(cause, xasprintf("'%s' is not a threshold (a number from 0 to 1)",
		    value != NULL ? value : ""));
	}
	char *t = canonical(tag, false, cause);
	bool ok = t != NULL && add_rule(db, DB_RULE_THRESHOLD, t, NULL, folder, v, cause);
	free(t);
	return ok;
}

bool
rules_remove(struct db *db, enum db_rule_kind kind, const char *tag, const char *folder,
    char **cause)
{
	static const char *const kinds[] = {"exclusion", "alias", "pin", "threshold"};
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
		db_cause(db, cause);
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
	    "character_threshold, general_mcut, character_mcut, auto_tag, max_tags)", key));
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
	ok = db_override_set(db, f, key, normal) || db_cause(db, cause);
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
			db_cause(db, cause);
		} else if (!found) {
			refuse(cause, xasprintf("%s has no override of %s", f, key));
		} else {
			ok = true;
		}
	}
	free(f);
	return ok;
}

/* ---- a snapshot, and what the suggestion engine asks of it ------------------------ */

/* One folder_overrides row, as stored. */
struct override {
	char *folder;
	char *key;
	char *value;
};

struct rule {
	enum db_rule_kind kind;
	char *tag;
	char *target;
	char *folder; /* NULL: everywhere */
	double value; /* THRESHOLD */
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
	struct override *overrides;     /* the rows, by folder */
	size_t n_overrides;
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
		.value = r->value,
	};
}

static void
add_override(void *ud, const char *folder, const char *key, const char *value)
{
	struct rules *rs = ud;
	rs->overrides = xreallocarray(rs->overrides, rs->n_overrides + 1, sizeof *rs->overrides);
	rs->overrides[rs->n_overrides++] = (struct override){xstrdup(folder), xstrdup(key),
		xstrdup(value)};
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
	} else if (strcmp(key, "max_tags") == 0) {
		fc->cut.max_tags = (int)strtol(value, NULL, 10);
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
		for (size_t i = 0; i < rs->n_overrides; i++) {
			const struct override *o = &rs->overrides[i];
			if (strlen(o->folder) == depth && covers(o->folder, fc->folder)) {
				apply_key(fc, o->key, o->value);
			}
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
	for (size_t i = 0; i < rs->n_overrides; i++) {
		const char *folder = rs->overrides[i].folder;
		if (rs->n_folders > 0 && strcmp(rs->folders[rs->n_folders - 1].folder, folder) == 0) {
			continue;
		}
		rs->folders = xreallocarray(rs->folders, rs->n_folders + 1, sizeof *rs->folders);
		rs->folders[rs->n_folders++] = (struct folder_cut){.folder = xstrdup(folder)};
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

struct rules *
rules_load(struct db *db, char **cause)
{
	struct rules *rs = xcalloc(1, sizeof *rs);
	rs->global = options_cut(db);
	rs->auto_tag = settings_get_bool(db, "auto_tag");
	char *max = settings_get(db, "max_rating");
	rs->max_rating = rating_parse(max) >= 0 ? rating_parse(max) : RATING_E;
	free(max);
	if (!db_rules_each(db, -1, add_rule_copy, rs) ||
	    !db_overrides_each(db, add_override, rs)) {
		db_cause(db, cause);
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
	for (size_t i = 0; i < rs->n_overrides; i++) {
		free(rs->overrides[i].folder);
		free(rs->overrides[i].key);
		free(rs->overrides[i].value);
	}
	free(rs->overrides);
	free(rs);
}

struct rules *
rules_dup_with_cut(const struct rules *from, struct db_cut global)
{
	struct rules *rs = xcalloc(1, sizeof *rs);
	rs->global = global;
	rs->auto_tag = from->auto_tag;
	rs->max_rating = from->max_rating;
	for (size_t i = 0; i < from->n_rules; i++) {
		const struct rule *r = &from->rules[i];
		add_rule_copy(rs, &(struct db_rule){.kind = r->kind, .tag = r->tag,
		    .target = r->target, .folder = r->folder, .value = r->value});
	}
	for (size_t i = 0; i < from->n_overrides; i++) {
		const struct override *o = &from->overrides[i];
		add_override(rs, o->folder, o->key, o->value);
	}
	build_folders(rs);
	return rs;
}

struct rules *
rules_dup(const struct rules *r)
{
	return rules_dup_with_cut(r, r->global);
}

struct db_cut
rules_global_cut(const struct rules *rs)
{
	return rs->global;
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

const char *
rules_alias_of(const struct rules *rs, const char *tag)
{
	for (size_t i = 0; i < rs->n_rules; i++) {
		if (rs->rules[i].kind == DB_RULE_ALIAS && strcmp(rs->rules[i].tag, tag) == 0) {
			return rs->rules[i].target;
		}
	}
	return tag;
}

bool
rules_excluded(const struct rules *rs, const char *path, const char *tag, const char *target)
{
	for (size_t i = 0; i < rs->n_rules; i++) {
		const struct rule *r = &rs->rules[i];
		if (r->kind == DB_RULE_EXCLUDE && covers(r->folder, path) &&
		    (rules_match(r->tag, tag) || rules_match(r->tag, target))) {
			return true;
		}
	}
	return false;
}

bool
rules_tag_threshold(const struct rules *rs, const char *path, const char *tag, double *cut)
{
	size_t best = 0;
	bool found = false;
	for (size_t i = 0; i < rs->n_rules; i++) {
		const struct rule *r = &rs->rules[i];
		size_t depth = r->folder != NULL ? strlen(r->folder) : 0;
		if (r->kind == DB_RULE_THRESHOLD && strcmp(r->tag, tag) == 0 &&
		    covers(r->folder, path) && (!found || depth > best)) {
			*cut = r->value;
			best = depth;
			found = true;
		}
	}
	return found;
}

bool
rules_any_threshold(const struct rules *rs)
{
	for (size_t i = 0; i < rs->n_rules; i++) {
		if (rs->rules[i].kind == DB_RULE_THRESHOLD) {
			return true;
		}
	}
	return false;
}

void
rules_pins_each(const struct rules *rs, const char *path,
    void (*fn)(void *ud, const char *tag), void *ud)
{
	for (size_t i = 0; i < rs->n_rules; i++) {
		const struct rule *r = &rs->rules[i];
		if (r->kind == DB_RULE_PIN && covers(r->folder, path)) {
			fn(ud, r->tag);
		}
	}
}

size_t
rules_count(const struct rules *rs)
{
	return rs->n_rules;
}

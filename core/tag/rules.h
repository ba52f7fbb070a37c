/*
 * rules.h — tag rules, per-folder overrides and presets: what a person
 * tells tagcon about tags beyond the thresholds.
 *
 *   exclusion  `text`, `*_background`: never suggested (below folder, or
 *              everywhere); matched on canonical names, so "simple
 *              background" and "simple_background" are one rule.
 *   alias      `a -> b`: a prediction of a is suggested as b (and a search
 *              for either finds both).  No chains: b may not be an alias.
 *   pin        `wip` on /srv/img/drafts: suggested for every image below the
 *              folder whatever the scores, until decided.
 *   override   general_threshold, character_threshold, general_mcut,
 *              character_mcut, auto_tag for the images below a folder; the
 *              nearest folder with a value for a key wins.
 *   preset     a named set of settings, applied for good (`preset apply`) or
 *              for one connection (`--preset`, rules_preset_use()).
 *
 * Rules act on suggestions at once: nothing is stored per image, so adding
 * an exclusion hides the tag everywhere without any Space call.  Exclusions
 * weigh the name before and after its alias; a pin wins over an exclusion.
 */
#ifndef TAGCON_RULES_H
#define TAGCON_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/tag/suggest.h"
#include "db/rules.h"
#include "db/search.h"

struct db;
struct rules;

/* Writing rules; names are canonicalised, folders must be absolute. */
bool rules_add_exclusion(struct db *db, const char *pattern, const char *folder, char **cause);
bool rules_add_alias(struct db *db, const char *from, const char *to, char **cause);
bool rules_add_pin(struct db *db, const char *tag, const char *folder, char **cause);
/* Remove one rule; false with *cause when there is no such rule. */
bool rules_remove(struct db *db, enum db_rule_kind kind, const char *tag, const char *folder,
    char **cause);

/* The settings a folder may override, NULL-terminated. */
extern const char *const rules_override_keys[];
bool rules_override_set(struct db *db, const char *folder, const char *key, const char *value,
    char **cause);
bool rules_override_unset(struct db *db, const char *folder, const char *key, char **cause);

/* Presets: names are letters, digits, '.', '_' and '-' (1 to 64). */
bool rules_preset_set(struct db *db, const char *name, const char *key, const char *value,
    char **cause);
bool rules_preset_unset(struct db *db, const char *name, const char *key, char **cause);
/* Save the current values of keys (every setting when n is 0) as name. */
bool rules_preset_save(struct db *db, const char *name, const char *const *keys, size_t n,
    char **cause);
/* Save keys[i] = values[i] (validated, n >= 1) as name, in place of what
 * it held. */
bool rules_preset_save_values(struct db *db, const char *name, const char *const *keys,
    const char *const *values, size_t n, char **cause);
bool rules_preset_delete(struct db *db, const char *name, char **cause);
/* Every preset's name, in order. */
bool rules_presets_each(struct db *db, void (*fn)(void *ud, const char *name, const char *keys),
    void *ud);
/* Write the preset's values into the settings, for good. */
bool rules_preset_apply(struct db *db, const char *name, char **cause);
/* Read settings through the preset on this connection only (db/rules.h). */
bool rules_preset_use(struct db *db, const char *name, char **cause);

/*
 * A snapshot of the rules, the overrides and the global suggestion settings,
 * for deriving suggestions of many images.  NULL with *cause on db error.
 */
struct rules *rules_load(struct db *db, char **cause);
void rules_destroy(struct rules *r);

/* The suggestion settings and auto_tag in force for the image at path. */
struct db_cut rules_cut_for(const struct rules *r, const char *path);
bool rules_auto_tag_for(const struct rules *r, const char *path);
/* Whether auto_tag is on for some folder (globally, or by an override). */
bool rules_auto_tag_anywhere(const struct rules *r);

/* Fill the suggestion and rating parts of o (pointers into r). */
void rules_search_opts(const struct rules *r, struct search_opts *o);

struct rules_tag {
	const char *tag;           /* the name after aliases; borrowed from in or r */
	enum db_category category;
	float score;               /* < 0 for a pin */
	bool pinned;
};

struct rules_result {
	struct rules_tag *tags; /* pins, then characters, then general, each by score */
	size_t n;
	double general_cut;
	double character_cut;
	bool exact;             /* as suggest_result.exact */
};

/*
 * The suggestions of the image at path whose predictions and decisions are
 * in: suggest_apply() under the folder's cut, then aliases, exclusions,
 * decisions of the renamed tags, and pins.  Without rules or overrides this
 * is exactly suggest_apply().
 */
void rules_suggest(const struct rules *r, const char *path, const struct suggest_input *in,
    struct rules_result *out);
void rules_result_fini(struct rules_result *out);

/* Whether tag is pinned on a folder above path. */
bool rules_pinned(const struct rules *r, const char *path, const char *tag);

/* '*' matches any run of characters; nothing else is special. */
bool rules_match(const char *pattern, const char *name);

#endif

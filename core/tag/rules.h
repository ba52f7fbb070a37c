/*
 * rules.h — tag rules and per-folder overrides: what a person tells tagcon
 * about tags beyond the thresholds.
 *
 *   exclusion  `text`, `*_background`: never suggested (below folder, or
 *              everywhere); matched on canonical names, so "simple
 *              background" and "simple_background" are one rule.
 *   alias      `a -> b`: a prediction of a is suggested as b (and a search
 *              for either finds both).  No chains: b may not be an alias.
 *   pin        `wip` on /srv/img/drafts: suggested for every image below the
 *              folder whatever the scores, until decided.
 *   threshold  `holding 0.6` (below folder, or everywhere): the tag's own
 *              cut, in place of its category's threshold or MCut, so a tag
 *              the model is over-confident about needs a higher score.  It
 *              names the model's tag (before aliases); the nearest folder
 *              with a threshold for the tag wins, and a tag's threshold
 *              wins over the category's (the tag is the narrower key).
 *   override   general_threshold, character_threshold, general_mcut,
 *              character_mcut, auto_tag, max_tags for the images below a
 *              folder; the nearest folder with a value for a key wins.
 *
 * Rules act on suggestions at once: nothing is stored per image, so adding
 * an exclusion hides the tag everywhere without any Space call.  Exclusions
 * weigh the name before and after its alias; a pin wins over an exclusion.
 * How they combine with thresholds and decisions is the suggestion
 * engine's (core/tag/suggest.h); presets are named settings
 * (core/preset.h).
 */
#ifndef TAGCON_RULES_H
#define TAGCON_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "db/predictions.h"
#include "db/rules.h"
#include "db/search.h"

struct db;
struct rules;

/* Writing rules; names are canonicalised, folders must be absolute. */
bool rules_add_exclusion(struct db *db, const char *pattern, const char *folder, char **cause);
bool rules_add_alias(struct db *db, const char *from, const char *to, char **cause);
bool rules_add_pin(struct db *db, const char *tag, const char *folder, char **cause);
/* value: a number from 0 to 1, as typed; an existing one is replaced. */
bool rules_add_threshold(struct db *db, const char *tag, const char *value, const char *folder,
    char **cause);
/* Remove one rule; false with *cause when there is no such rule. */
bool rules_remove(struct db *db, enum db_rule_kind kind, const char *tag, const char *folder,
    char **cause);

/* The settings a folder may override, NULL-terminated. */
extern const char *const rules_override_keys[];
bool rules_override_set(struct db *db, const char *folder, const char *key, const char *value,
    char **cause);
bool rules_override_unset(struct db *db, const char *folder, const char *key, char **cause);


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

/* A copy of the snapshot, to keep beyond r's life. */
struct rules *rules_dup(const struct rules *r);
/*
 * The same snapshot with other global cuts (what Settings shows before it
 * saves): folder overrides keep the keys they set and take the rest from
 * global.
 */
struct rules *rules_dup_with_cut(const struct rules *r, struct db_cut global);
/* The global cuts of the snapshot. */
struct db_cut rules_global_cut(const struct rules *r);

/* What the suggestion engine (core/tag/suggest.h) asks of the rules. */
/* The name a prediction of tag is suggested as: its alias target, or tag. */
const char *rules_alias_of(const struct rules *r, const char *tag);
/* Whether an exclusion at path matches tag or its alias target. */
bool rules_excluded(const struct rules *r, const char *path, const char *tag,
    const char *target);
/* fn(ud, tag) for every tag pinned on a folder at or above path. */
void rules_pins_each(const struct rules *r, const char *path,
    void (*fn)(void *ud, const char *tag), void *ud);
/* The cut of tag's own threshold rule nearest path, in *cut; false when
 * no threshold rule for tag covers path. */
bool rules_tag_threshold(const struct rules *r, const char *path, const char *tag, double *cut);
/* Whether there is any threshold rule. */
bool rules_any_threshold(const struct rules *r);
/* The number of rules of every kind (a bound on the pins of one image). */
size_t rules_count(const struct rules *r);
/* Whether tag is pinned on a folder above path. */
bool rules_pinned(const struct rules *r, const char *path, const char *tag);

/* '*' matches any run of characters; nothing else is special. */
bool rules_match(const char *pattern, const char *name);

#endif

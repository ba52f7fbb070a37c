/*
 * settings.c — the settings table and its validation.
 *
 * This table is the single description of every setting: `tagcon config`
 * lists it, the console builds its forms from it, and every write passes
 * settings_validate() first.
 */
#include "core/settings.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "core/space/spaceurl.h"
#include "db/db.h"
#include "db/settings.h"
#include "common/xalloc.h"

const char *const settings_known_models[] = {
	"SmilingWolf/wd-swinv2-tagger-v3",
	"SmilingWolf/wd-convnext-tagger-v3",
	"SmilingWolf/wd-vit-tagger-v3",
	"SmilingWolf/wd-vit-large-tagger-v3",
	"SmilingWolf/wd-eva02-large-tagger-v3",
	"SmilingWolf/wd-v1-4-moat-tagger-v2",
	"SmilingWolf/wd-v1-4-swinv2-tagger-v2",
	"SmilingWolf/wd-v1-4-convnext-tagger-v2",
	"SmilingWolf/wd-v1-4-convnextv2-tagger-v2",
	"SmilingWolf/wd-v1-4-vit-tagger-v2",
	"deepghs/idolsankaku-swinv2-tagger-v1",
	"deepghs/idolsankaku-eva02-large-tagger-v1",
	NULL,
};

static const char *const review_modes[] = {"required", "auto", "auto-above", "auto-confident",
	NULL};
/* max_rating, max_preview_rating: the letters of common/rating.h. */
static const char *const ratings[] = {"g", "s", "q", "e", NULL};
static const char *const themes[] = {"default", "light", "high-contrast", "monochrome", NULL};
static const char *const preview_protocols[] = {"auto", "symbols", "sixel", "kitty", "iterm",
	NULL};

/* This table lists every setting; keep it in the order the forms show them. */
static const struct setting_def table[] = {
	/* A first start works: SmilingWolf's own Space, shared and slower than a
	 * duplicate (the Library and Batch screens say how to add one). */
	{"spaces", SETTING_URLS, SETTINGS_PUBLIC_SPACE, 0, 0, NULL,
	    "Space URLs, one per line (page, *.hf.space, any Gradio app, a1111+http://); "
	    "empty: none"},
	{"model", SETTING_STRING, "SmilingWolf/wd-swinv2-tagger-v3", 1, 200, NULL,
	    "model repo the Spaces run"},
	{"general_threshold", SETTING_FLOAT, "0.35", 0, 1, NULL,
	    "general tags are suggested above this score"},
	{"character_threshold", SETTING_FLOAT, "0.85", 0, 1, NULL,
	    "character tags are suggested above this score"},
	{"general_mcut", SETTING_BOOL, "false", 0, 0, NULL,
	    "MCut picks the general threshold per image"},
	{"character_mcut", SETTING_BOOL, "false", 0, 0, NULL,
	    "MCut picks the character threshold per image (at least 0.15)"},
	{"max_tags", SETTING_INT, "0", 0, 1000, NULL,
	    "at most this many general tags suggested per image, highest scores first (0: no cap)"},
	{"calibration_target", SETTING_FLOAT, "0.95", 0.5, 1, NULL,
	    "precision tagcon calibrate aims each tag's threshold at"},
	{"confident_margin", SETTING_FLOAT, "0.1", 0, 1, NULL,
	    "commit --confident takes images whose every score is this far from its cut"},
	{"score_floor", SETTING_FLOAT, "0.05", 0.01, 0.5, NULL,
	    "scores below this are not stored"},
	{"upload_max_side", SETTING_INT, "448", 0, 16384, NULL,
	    "side of the square sent to a Space, at most 448 as the models see (0 sends the "
	    "original file)"},
	{"auto_tag", SETTING_BOOL, "false", 0, 0, NULL,
	    "tag images as they arrive (tagcon watch)"},
	{"target_folder", SETTING_PATH, "", 0, 4096, NULL,
	    "folder a batch tags (empty: every root)"},
	{"review_mode", SETTING_ENUM, "required", 0, 0, review_modes,
	    "required: a person commits; auto: commit at once; auto-above: commit above "
	    "review_min_score; auto-confident: commit images sure by confident_margin"},
	{"review_min_score", SETTING_FLOAT, "0.9", 0, 1, NULL,
	    "auto-above commits suggestions scoring at least this"},
	{"max_preview_rating", SETTING_ENUM, "e", 0, 0, ratings,
	    "previews of images rated above this stay hidden until revealed"},
	{"preview_protocol", SETTING_ENUM, "auto", 0, 0, preview_protocols,
	    "how the console draws previews: auto (what the terminal answers), symbols, sixel, "
	    "kitty, iterm"},
	{"max_rating", SETTING_ENUM, "e", 0, 0, ratings,
	    "search, random and export skip images rated above this"},
	{"theme", SETTING_ENUM, "default", 0, 0, themes, "console colours"},
	{"pixel_limit", SETTING_INT, "100000000", 1, 1e12, NULL,
	    "images with more pixels than this are refused (decompression bombs)"},
	{"space_inflight", SETTING_INT, "2", 1, 16, NULL,
	    "requests each Space has in flight at once"},
	{"max_attempts", SETTING_INT, "4", 1, 50, NULL,
	    "tries per image before it is marked failed"},
	{"request_deadline", SETTING_INT, "120", 5, 3600, NULL,
	    "seconds one request may take in all, however it trickles (then another Space gets it)"},
	{"silence_timeout", SETTING_INT, "35", 16, 3600, NULL,
	    "seconds a Space may send nothing, not even a heartbeat (Gradio's come every 15 s)"},
	{"max_wait", SETTING_INT, "3600", 1, 604800, NULL,
	    "seconds a Space may make a run wait before the next try, whatever it asks for"},
	{"notify_url", SETTING_STRING, "", 0, 2048, NULL,
	    "URL that gets a JSON POST when a run finishes"},
	{"notify_each", SETTING_BOOL, "false", 0, 0, NULL,
	    "also notify for every image tagged or failed"},
};

#define N_SETTINGS (sizeof table / sizeof table[0])

/* Settings that changed name; schema 6 moved their stored values. */
static const char *const renamed[][2] = {
	/* It only ever caught silence; what its help promised is the deadline. */
	{"request_timeout", "request_deadline"},
};

const char *
settings_renamed(const char *old)
{
	for (size_t i = 0; i < sizeof renamed / sizeof renamed[0]; i++) {
		if (strcmp(renamed[i][0], old) == 0) {
			return renamed[i][1];
		}
	}
	return NULL;
}

const struct setting_def *
settings_table(size_t *n)
{
	*n = N_SETTINGS;
	return table;
}

bool
settings_public_space(const char *url)
{
	static const char *const forms[] = {SETTINGS_PUBLIC_SPACE,
		"https://smilingwolf-wd-tagger.hf.space"};
	size_t n = url != NULL ? strlen(url) : 0;
	while (n > 0 && url[n - 1] == '/') {
		n--;
	}
	for (size_t i = 0; i < 2; i++) {
		if (n == strlen(forms[i]) && strncasecmp(url, forms[i], n) == 0) {
			return true;
		}
	}
	return false;
}

const struct setting_def *
settings_find(const char *name)
{
	for (size_t i = 0; i < N_SETTINGS; i++) {
		if (strcmp(table[i].name, name) == 0) {
			return &table[i];
		}
	}
	return NULL;
}

const char *
settings_type_name(enum setting_type type)
{
	static const char *const names[] = {"bool", "int", "float", "string", "enum",
		"urls", "path"};
	return names[type];
}

static bool
parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

static bool
has_control(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			return true;
		}
	}
	return false;
}

static bool
validate_number(const struct setting_def *d, const char *v, char **normal, char **cause)
{
	char *end;
	errno = 0;
	double x = strtod(v, &end);
	while (isspace((unsigned char)*end)) {
		end++;
	}
	if (*v == '\0' || *end != '\0' || errno != 0 || !isfinite(x)) {
		*cause = xasprintf("%s: '%s' is not a number", d->name, v);
		return false;
	}
	if (d->type == SETTING_INT && x != floor(x)) {
		*cause = xasprintf("%s: '%s' is not a whole number", d->name, v);
		return false;
	}
	if (x < d->min || x > d->max) {
		*cause = xasprintf("%s: %s is out of range (%g to %g)", d->name, v, d->min, d->max);
		return false;
	}
	if (d->type == SETTING_INT) {
		*normal = xasprintf("%.0f", x);
	} else {
		*normal = xasprintf("%g", x);
	}
	return true;
}

static bool
validate_enum(const struct setting_def *d, const char *v, char **normal, char **cause)
{
	size_t len = 0;
	for (const char *const *c = d->choices; *c; c++) {
		if (strcasecmp(*c, v) == 0) {
			*normal = xstrdup(*c);
			return true;
		}
		len += strlen(*c) + 2;
	}
	char *list = xcalloc(1, len + 1);
	for (const char *const *c = d->choices; *c; c++) {
		strcat(list, *c);
		if (c[1] != NULL) {
			strcat(list, ", ");
		}
	}
	*cause = xasprintf("%s: '%s' is not one of %s", d->name, v, list);
	free(list);
	return false;
}

/* One URL per line (commas too); blank lines dropped; each one must be a
 * form core/spaceurl.h accepts, and is stored normalised. */
static bool
validate_urls(const struct setting_def *d, const char *v, char **normal, char **cause)
{
	char *copy = xstrdup(v), *save = NULL, *out = xstrdup("");
	bool ok = true;
	for (char *line = strtok_r(copy, "\n,", &save); line; line = strtok_r(NULL, "\n,", &save)) {
		char *text = g_strstrip(line);
		if (*text == '\0') {
			continue;
		}
		char *why = NULL;
		if (strchr(text, '\\') != NULL) {
			*cause = xasprintf("%s: '%s' holds a backslash; give one URL per line",
			    d->name, text);
			ok = false;
			break;
		}
		struct spaceurl *u = spaceurl_create(text, &why);
		if (u == NULL) {
			*cause = xasprintf("%s: %s", d->name, why);
			free(why);
			ok = false;
			break;
		}
		char *joined = xasprintf("%s%s%s", out, *out ? "\n" : "", spaceurl_text(u));
		spaceurl_destroy(u);
		free(out);
		out = joined;
	}
	free(copy);
	if (!ok) {
		free(out);
		return false;
	}
	*normal = out;
	return true;
}

bool
settings_validate(const struct setting_def *d, const char *v, char **normal, char **cause)
{
	*normal = NULL;
	*cause = NULL;
	switch (d->type) {
	case SETTING_BOOL: {
		bool b;
		if (!parse_bool(v, &b)) {
			*cause = xasprintf("%s: '%s' is not true or false", d->name, v);
			return false;
		}
		*normal = xstrdup(b ? "true" : "false");
		return true;
	}
	case SETTING_INT:
	case SETTING_FLOAT:
		return validate_number(d, v, normal, cause);
	case SETTING_ENUM:
		return validate_enum(d, v, normal, cause);
	case SETTING_URLS:
		return validate_urls(d, v, normal, cause);
	case SETTING_STRING:
	case SETTING_PATH:
		if (has_control(v) || strlen(v) < d->min || strlen(v) > d->max) {
			*cause = xasprintf("%s: must be %g to %g characters with no control "
			    "characters", d->name, d->min, d->max);
			return false;
		}
		*normal = xstrdup(v);
		return true;
	}
	return false;
}

char *
settings_get(struct db *db, const char *name)
{
	const struct setting_def *d = settings_find(name);
	if (d == NULL) {
		return NULL;
	}
	char *v;
	if (!db_setting_get(db, name, &v)) {
		return NULL;
	}
	return v != NULL ? v : xstrdup(d->def);
}

bool
settings_set(struct db *db, const char *name, const char *value, char **cause)
{
	const struct setting_def *d = settings_find(name);
	if (d == NULL) {
		*cause = xasprintf("no setting named '%s' (see tagcon config list)", name);
		return false;
	}
	char *normal;
	if (!settings_validate(d, value, &normal, cause)) {
		return false;
	}
	bool ok = db_setting_set(db, name, normal);
	free(normal);
	if (!ok) {
		*cause = xstrdup(db_errmsg(db));
	}
	return ok;
}

bool
settings_reset(struct db *db, const char *name, char **cause)
{
	if (settings_find(name) == NULL) {
		*cause = xasprintf("no setting named '%s' (see tagcon config list)", name);
		return false;
	}
	if (!db_setting_unset(db, name)) {
		*cause = xstrdup(db_errmsg(db));
		return false;
	}
	return true;
}

bool
settings_parse_bool(const char *v, const char *def)
{
	bool b = false;
	if (v == NULL || !parse_bool(v, &b)) {
		parse_bool(def != NULL ? def : "false", &b);
	}
	return b;
}

bool
settings_get_bool(struct db *db, const char *name)
{
	char *v = settings_get(db, name);
	const struct setting_def *d = settings_find(name);
	bool b = settings_parse_bool(v, d != NULL ? d->def : NULL);
	free(v);
	return b;
}

double
settings_get_float(struct db *db, const char *name)
{
	char *v = settings_get(db, name);
	const struct setting_def *d = settings_find(name);
	double x = strtod(v != NULL ? v : (d != NULL ? d->def : "0"), NULL);
	free(v);
	return x;
}

long
settings_get_int(struct db *db, const char *name)
{
	return (long)settings_get_float(db, name);
}

char **
settings_get_list(struct db *db, const char *name, size_t *n)
{
	char *v = settings_get(db, name);
	char **list = xcalloc(1, sizeof *list);
	*n = 0;
	char *save = NULL;
	for (char *line = v != NULL ? strtok_r(v, "\n", &save) : NULL; line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		list = xreallocarray(list, *n + 2, sizeof *list);
		list[(*n)++] = xstrdup(line);
		list[*n] = NULL;
	}
	free(v);
	return list;
}

void
settings_list_free(char **list)
{
	for (char **p = list; p != NULL && *p != NULL; p++) {
		free(*p);
	}
	free(list);
}

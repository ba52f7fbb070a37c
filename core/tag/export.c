/*
 * export.c — what an image exports (tags in order, rating) and the three
 * renderings of it.  XMP lives in export-xmp.c, files and the run in
 * export-run.c.
 */
#include "core/tag/export.h"
#include "core/tag/export-private.h"

#include <stdlib.h>
#include <string.h>

#include "core/image/probe.h"
#include "core/tag/rules.h"
#include "core/sanitize.h"
#include "core/tag/suggest.h"
#include "core/tag/tagname.h"
#include "db/db.h"
#include "common/xalloc.h"


struct loader {
	struct export_item *item;
	const struct suggest_input *in;
	const struct rules *rules;
};

static float
score_of(const struct suggest_input *in, const char *tag)
{
	for (size_t i = 0; i < in->n_preds; i++) {
		if (strcmp(in->preds[i].tag, tag) == 0) {
			return in->preds[i].score;
		}
	}
	return -1.0f;
}

static void
add_tag(struct export_item *item, const char *tag, enum db_category cat, float score,
    enum export_source source, bool pinned)
{
	for (size_t i = 0; i < item->n_tags; i++) {
		if (strcmp(item->tags[i].tag, tag) == 0) {
			return;
		}
	}
	item->tags = xreallocarray(item->tags, item->n_tags + 1, sizeof *item->tags);
	item->tags[item->n_tags++] = (struct export_tag){xstrdup(tag), cat, score, source, pinned};
}

static void
add_committed(void *ud, const struct db_decision *d)
{
	struct loader *l = ud;
	if (d->verdict == DB_ACCEPTED) {
		add_tag(l->item, d->tag, d->category, score_of(l->in, d->tag),
		    d->source == DB_SOURCE_MANUAL ? EXPORT_MANUAL : EXPORT_AUTO,
		    l->rules != NULL && rules_pinned(l->rules, l->item->hit.path, d->tag));
	}
}

static int
group_of(const struct export_tag *t)
{
	if (t->pinned) {
		return 0;
	}
	return t->category == DB_CAT_CHARACTER ? 1 : t->category == DB_CAT_GENERAL ? 2 : 3;
}

/* Pinned, characters, general, the rest; each by score, then by name. */
static int
export_order(const void *a, const void *b)
{
	const struct export_tag *x = a, *y = b;
	if (group_of(x) != group_of(y)) {
		return group_of(x) - group_of(y);
	}
	if (x->score != y->score) {
		return x->score < y->score ? 1 : -1;
	}
	return strcmp(x->tag, y->tag);
}

static void
add_suggested(struct export_item *item, const struct rules *rules,
    const struct suggest_input *in)
{
	struct suggest_result res;
	suggest_image(rules, item->hit.path, in, &res);
	for (size_t i = 0; i < res.n; i++) {
		const struct suggest_tag *t = &res.tags[i];
		add_tag(item, t->tag, t->category, t->score, EXPORT_SUGGESTED, t->pinned);
	}
	suggest_result_fini(&res);
}

bool
export_item_load(struct db *db, const struct rules *rules, const char *model,
    const struct search_hit *hit, bool include_suggested, struct export_item *item,
    char **cause)
{
	memset(item, 0, sizeof *item);
	item->hit = *hit;
	item->hit.path = xstrdup(hit->path);
	item->model = xstrdup(model);
	struct db_tagged t;
	struct suggest_input in;
	bool ok = db_image_tagged(db, hit->id, model, &t, &item->rated) &&
	    suggest_load(db, hit->id, model, &in);
	if (ok) {
		memcpy(item->rating, t.rating, sizeof item->rating);
		struct loader l = {item, &in, rules};
		ok = db_image_decisions(db, hit->id, add_committed, &l);
		if (ok && include_suggested && rules != NULL) {
			add_suggested(item, rules, &in);
		}
		suggest_input_fini(&in);
	}
	db_tagged_fini(&t);
	if (!ok) {
		if (cause != NULL) {
			*cause = xstrdup(db_errmsg(db));
		}
		export_item_fini(item);
		return false;
	}
	if (item->n_tags > 1) {
		qsort(item->tags, item->n_tags, sizeof *item->tags, export_order);
	}
	return true;
}

void
export_item_fini(struct export_item *item)
{
	for (size_t i = 0; i < item->n_tags; i++) {
		free(item->tags[i].tag);
	}
	free(item->tags);
	free((char *)item->hit.path);
	free(item->model);
	memset(item, 0, sizeof *item);
}

char *
export_caption(const struct export_item *item, const struct export_opts *o)
{
	const char *sep = o->separator != NULL ? o->separator : ", ";
	int flags = (o->spaces ? TAGNAME_SPACES : 0) | (o->escape ? TAGNAME_ESCAPE : 0);
	char *line = xstrdup("");
	if (o->rating_tag && item->rated) {
		free(line);
		line = xstrdup(rating_name(rating_top(item->rating)));
	}
	for (size_t i = 0; i < item->n_tags; i++) {
		char *shown = tagname_display(item->tags[i].tag, flags);
		char *more = xasprintf("%s%s%s", line, *line != '\0' ? sep : "", shown);
		free(shown);
		free(line);
		line = more;
	}
	return line;
}

static cJSON *
utf8_string(const char *s)
{
	char *u = sanitize_utf8(s);
	cJSON *j = cJSON_CreateString(u);
	free(u);
	return j;
}

static cJSON *
rating_json(const struct export_item *item)
{
	if (!item->rated) {
		return cJSON_CreateNull();
	}
	cJSON *r = cJSON_CreateObject();
	char label[2] = {rating_letter(rating_top(item->rating)), '\0'};
	cJSON_AddStringToObject(r, "label", label);
	cJSON *s = cJSON_AddObjectToObject(r, "scores");
	for (int i = 0; i < 4; i++) {
		cJSON_AddNumberToObject(s, rating_name(i), item->rating[i]);
	}
	return r;
}

cJSON *
export_json(const struct export_item *item)
{
	static const char *const sources[] = {"auto", "manual", "suggested"};
	const struct search_hit *h = &item->hit;
	char hex[2 * DB_HASH_LEN + 1];
	cJSON *o = cJSON_CreateObject();
	sanitize_json_add_path(o, "path", h->path);
	if (h->has_hash) {
		probe_hash_hex(h->hash, hex);
	}
	cJSON_AddItemToObject(o, "hash", h->has_hash ? cJSON_CreateString(hex) : cJSON_CreateNull());
	cJSON_AddNumberToObject(o, "width", h->width);
	cJSON_AddNumberToObject(o, "height", h->height);
	cJSON_AddNumberToObject(o, "size", (double)h->size);
	cJSON_AddItemToObject(o, "orientation", h->orientation == DB_ORIENT_UNKNOWN ?
	    cJSON_CreateNull() : cJSON_CreateString(probe_orientation_name(h->orientation)));
	cJSON_AddItemToObject(o, "rating", rating_json(item));
	cJSON_AddItemToObject(o, "model", item->rated ? utf8_string(item->model)
	    : cJSON_CreateNull());
	cJSON *tags = cJSON_AddArrayToObject(o, "tags");
	for (size_t i = 0; i < item->n_tags; i++) {
		const struct export_tag *t = &item->tags[i];
		cJSON *j = cJSON_CreateObject();
		cJSON_AddItemToObject(j, "tag", utf8_string(t->tag));
		cJSON_AddStringToObject(j, "category", db_category_name(t->category));
		cJSON_AddStringToObject(j, "source", sources[t->source]);
		cJSON_AddItemToObject(j, "score", t->score >= 0 ? cJSON_CreateNumber(t->score)
		    : cJSON_CreateNull());
		cJSON_AddBoolToObject(j, "pinned", t->pinned);
		cJSON_AddItemToArray(tags, j);
	}
	return o;
}

const char *
export_rating_label(const struct export_item *item)
{
	return item->rated ? rating_name(rating_top(item->rating)) : NULL;
}

char *
export_canonical(const char *shown)
{
	char *plain = tagname_unescape(shown);
	char *c = tagname_from_space(plain);
	free(plain);
	return c;
}

bool
export_has(char *const *names, size_t n, const char *canonical)
{
	for (size_t i = 0; i < n; i++) {
		if (names[i] != NULL && strcmp(names[i], canonical) == 0) {
			return true;
		}
	}
	return false;
}

/*
 * answer.c — Space and A1111 answers into checked predictions.
 */
#include "core/tag/answer.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/rating.h"
#include "core/tag/tagname.h"
#include "common/xalloc.h"

struct builder {
	struct answer *a;
	size_t cap;
	double floor;
};

int
answer_rating_top(const struct answer *a)
{
	int top = -1;
	for (int r = 0; r < RATING_COUNT; r++) {
		if ((a->rating_mask & (1u << r)) && (top < 0 || a->ratings[r] > a->ratings[top])) {
			top = r;
		}
	}
	return top;
}

void
answer_destroy(struct answer *a)
{
	if (a == NULL) {
		return;
	}
	for (size_t i = 0; i < a->count; i++) {
		free(a->predictions[i].name);
	}
	free(a->predictions);
	free(a);
}

bool
answer_json_too_big(const char *json, size_t len, size_t max_nodes)
{
	size_t nodes = 1;
	bool in_string = false;
	for (size_t i = 0; i < len; i++) {
		char c = json[i];
		if (in_string) {
			if (c == '\\') {
				i++;
			} else if (c == '"') {
				in_string = false;
			}
		} else if (c == '"') {
			in_string = true;
		} else if (c == ',' || c == '[' || c == '{' || c == ':') {
			if (++nodes > max_nodes) {
				return true;
			}
		}
	}
	return false;
}

static cJSON *
parse_json(const char *json, size_t len, const char *what, char **cause)
{
	if (answer_json_too_big(json, len, ANSWER_MAX_NODES)) {
		*cause = xasprintf("%s has too many values", what);
		return NULL;
	}
	cJSON *j = cJSON_ParseWithLength(json, len);
	if (j == NULL) {
		*cause = xasprintf("%s is not valid JSON", what);
	}
	return j;
}

static bool
check_score(const cJSON *v, const char *name, const char *what, char **cause)
{
	if (!cJSON_IsNumber(v)) {
		*cause = xasprintf("%s: score of a tag is not a number", what);
		return false;
	}
	if (!isfinite(v->valuedouble) || v->valuedouble < 0.0 || v->valuedouble > 1.0) {
		*cause = xasprintf("%s: score %g out of range [0, 1]", what, v->valuedouble);
		return false;
	}
	(void)name;
	return true;
}

static void
add(struct builder *b, char *name, double score, enum answer_category cat)
{
	struct answer *a = b->a;
	if (a->count == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		a->predictions = xreallocarray(a->predictions, b->cap, sizeof *a->predictions);
	}
	a->predictions[a->count++] = (struct answer_prediction){name, score, cat};
}

/* Drop tags under the floor (never ratings) and count what is left. */
static void
apply_floor(struct builder *b)
{
	struct answer *a = b->a;
	size_t kept = 0;
	for (size_t i = 0; i < a->count; i++) {
		struct answer_prediction *p = &a->predictions[i];
		if (p->category != ANSWER_RATING && p->score < b->floor) {
			free(p->name);
			continue;
		}
		a->ngeneral += p->category == ANSWER_GENERAL;
		a->ncharacter += p->category == ANSWER_CHARACTER;
		a->predictions[kept++] = *p;
	}
	a->count = kept;
}

static bool
add_rating(struct builder *b, const char *raw, double score, const char *what, char **cause)
{
	int r = rating_from_label(raw);
	if (r >= 0) {
		if (b->a->rating_mask & (1u << r)) {
			*cause = xasprintf("%s: rating \"%s\" twice", what, raw);
			return false;
		}
		b->a->rating_mask |= 1u << r;
		b->a->ratings[r] = score;
		add(b, xstrdup(rating_name(r)), score, ANSWER_RATING);
		return true;
	}
	*cause = xasprintf("%s: unknown rating name", what);
	return false;
}

/* One (name, score) of any category; the name is raw outside text. */
static bool
add_entry(struct builder *b, const char *raw, const cJSON *v, enum answer_category cat,
    const char *what, char **cause)
{
	if (!check_score(v, raw, what, cause)) {
		return false;
	}
	if (cat == ANSWER_RATING) {
		return add_rating(b, raw, v->valuedouble, what, cause);
	}
	char *name = tagname_from_space(raw);
	if (name == NULL) {
		*cause = xasprintf("%s: bad tag name (empty, too long, not UTF-8 or controls)",
		    what);
		return false;
	}
	/* Kept even below the floor until the duplicate check has seen it. */
	add(b, name, v->valuedouble, cat);
	return true;
}

/* A Label: {} or {"label":…, "confidences":[{"label":…,"confidence":…}…]}. */
static bool
parse_label(struct builder *b, const cJSON *label, enum answer_category cat, const char *what,
    char **cause)
{
	if (!cJSON_IsObject(label)) {
		*cause = xasprintf("%s is not a Label object", what);
		return false;
	}
	const cJSON *conf = cJSON_GetObjectItemCaseSensitive(label, "confidences");
	if (conf == NULL || cJSON_IsNull(conf)) {
		return true; /* {} (nothing found) or a bare {"label": "x"} */
	}
	if (!cJSON_IsArray(conf)) {
		*cause = xasprintf("%s: confidences is not a list", what);
		return false;
	}
	if (cJSON_GetArraySize(conf) > ANSWER_MAX_TAGS) {
		*cause = xasprintf("%s: more than %d tags", what, ANSWER_MAX_TAGS);
		return false;
	}
	const cJSON *item;
	cJSON_ArrayForEach(item, conf) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(item, "label");
		const cJSON *score = cJSON_GetObjectItemCaseSensitive(item, "confidence");
		if (!cJSON_IsString(name)) {
			*cause = xasprintf("%s: an entry has no label", what);
			return false;
		}
		if (!add_entry(b, name->valuestring, score, cat, what, cause)) {
			return false;
		}
	}
	return true;
}

/* A1111: {"name": score, …}. */
static bool
parse_map(struct builder *b, const cJSON *map, enum answer_category cat, const char *what,
    char **cause)
{
	if (!cJSON_IsObject(map)) {
		*cause = xasprintf("%s is not an object", what);
		return false;
	}
	if (cJSON_GetArraySize(map) > ANSWER_MAX_TAGS) {
		*cause = xasprintf("%s: more than %d tags", what, ANSWER_MAX_TAGS);
		return false;
	}
	const cJSON *item;
	cJSON_ArrayForEach(item, map) {
		enum answer_category c = cat;
		if (cat == ANSWER_GENERAL && b->a->uncategorised && rating_from_label(item->string) >= 0) {
			c = ANSWER_RATING;
		}
		if (!add_entry(b, item->string, item, c, what, cause)) {
			return false;
		}
	}
	return true;
}

/* Ratings first, then every tag by name whatever its category: a name
 * twice, even once as a character and once as general, is adjacent. */
static int
by_name(const void *x, const void *y)
{
	const struct answer_prediction *a = x, *b = y;
	bool ra = a->category == ANSWER_RATING, rb = b->category == ANSWER_RATING;
	if (ra || rb) {
		return rb - ra;
	}
	return strcmp(a->name, b->name);
}

static int
by_order(const void *x, const void *y)
{
	static const int rank[] = {[ANSWER_RATING] = 0, [ANSWER_CHARACTER] = 1,
	    [ANSWER_GENERAL] = 2};
	const struct answer_prediction *a = x, *b = y;
	if (a->category != b->category) {
		return rank[a->category] - rank[b->category];
	}
	if (a->category == ANSWER_RATING) {
		return rating_from_label(a->name) - rating_from_label(b->name);
	}
	if (a->score != b->score) {
		return a->score > b->score ? -1 : 1;
	}
	return strcmp(a->name, b->name);
}

/* Refuse a name twice among the tags, even under the floor (ratings were
 * checked on the way), then apply the floor and put everything in the
 * documented order. */
static bool
finish(struct builder *b, const char *what, char **cause)
{
	struct answer *a = b->a;
	if (a->count > 1) {
		qsort(a->predictions, a->count, sizeof *a->predictions, by_name);
	}
	for (size_t i = 1; i < a->count; i++) {
		const struct answer_prediction *p = &a->predictions[i - 1], *q = &a->predictions[i];
		if (p->category != ANSWER_RATING && q->category != ANSWER_RATING &&
		    strcmp(p->name, q->name) == 0) {
			*cause = xasprintf("%s: a tag appears twice", what);
			return false;
		}
	}
	apply_floor(b);
	if (a->count > 1) {
		qsort(a->predictions, a->count, sizeof *a->predictions, by_order);
	}
	return true;
}

static struct answer *
begin(struct builder *b, double floor)
{
	memset(b, 0, sizeof *b);
	b->a = xcalloc(1, sizeof *b->a);
	b->floor = floor;
	return b->a;
}

/* The four outputs as a cJSON array. */
static bool
parse_outputs(const cJSON *data, double floor, struct answer **out, char **cause)
{
	struct builder b;
	begin(&b, floor);
	if (!cJSON_IsArray(data) || cJSON_GetArraySize(data) != 4) {
		*cause = xstrdup("answer is not the 4 outputs of wd-tagger");
		goto fail;
	}
	if (!parse_label(&b, cJSON_GetArrayItem(data, 1), ANSWER_RATING, "rating output", cause) ||
	    !parse_label(&b, cJSON_GetArrayItem(data, 2), ANSWER_CHARACTER, "character output",
	    cause) ||
	    !parse_label(&b, cJSON_GetArrayItem(data, 3), ANSWER_GENERAL, "general output",
	    cause) ||
	    !finish(&b, "answer", cause)) {
		goto fail;
	}
	*out = b.a;
	return true;
fail:
	answer_destroy(b.a);
	*out = NULL;
	return false;
}

bool
answer_parse_gradio(const char *json, size_t len, double floor, struct answer **out,
    char **cause)
{
	*out = NULL;
	cJSON *j = parse_json(json, len, "answer", cause);
	if (j == NULL) {
		return false;
	}
	bool ok = parse_outputs(j, floor, out, cause);
	cJSON_Delete(j);
	return ok;
}

static char *
queue_error(const cJSON *output)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(output, "error");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(output, "title");
	if (cJSON_IsString(e) && cJSON_IsString(t) && *t->valuestring != '\0') {
		return xasprintf("%s: %s", t->valuestring, e->valuestring);
	}
	return xstrdup(cJSON_IsString(e) ? e->valuestring : "no details");
}

bool
answer_parse_queue(const char *json, size_t len, double floor, struct answer **out,
    char **run_error, char **cause)
{
	*out = NULL;
	*run_error = NULL;
	cJSON *j = parse_json(json, len, "queue message", cause);
	if (j == NULL) {
		return false;
	}
	bool ok = false;
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(j, "msg");
	const cJSON *output = cJSON_GetObjectItemCaseSensitive(j, "output");
	if (!cJSON_IsString(msg) || strcmp(msg->valuestring, "process_completed") != 0) {
		*cause = xstrdup("queue message is not process_completed");
	} else if (!cJSON_IsObject(output)) {
		*cause = xstrdup("process_completed has no output");
	} else if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "success"))) {
		*run_error = queue_error(output);
		ok = true;
	} else {
		ok = parse_outputs(cJSON_GetObjectItemCaseSensitive(output, "data"), floor, out,
		    cause);
	}
	cJSON_Delete(j);
	return ok;
}

static bool
parse_caption(struct builder *b, const cJSON *caption, char **cause)
{
	const cJSON *tag = cJSON_GetObjectItemCaseSensitive(caption, "tag");
	const cJSON *rating = cJSON_GetObjectItemCaseSensitive(caption, "rating");
	if (cJSON_IsObject(tag) && cJSON_IsObject(rating)) {
		/* picobyte: the model's ratings and tags apart. */
		return parse_map(b, rating, ANSWER_RATING, "A1111 rating", cause) &&
		    parse_map(b, tag, ANSWER_GENERAL, "A1111 tags", cause);
	}
	/* toriato: one map; the four rating names are ratings, the rest
	 * tags whose category the API does not say. */
	b->a->uncategorised = true;
	return parse_map(b, caption, ANSWER_GENERAL, "A1111 caption", cause);
}

bool
answer_parse_a1111(const char *json, size_t len, double floor, struct answer **out,
    char **cause)
{
	*out = NULL;
	cJSON *j = parse_json(json, len, "A1111 answer", cause);
	if (j == NULL) {
		return false;
	}
	struct builder b;
	begin(&b, floor);
	const cJSON *caption = cJSON_GetObjectItemCaseSensitive(j, "caption");
	bool ok = false;
	if (!cJSON_IsObject(caption)) {
		*cause = xstrdup("A1111 answer has no caption object");
	} else {
		ok = parse_caption(&b, caption, cause) && finish(&b, "A1111 answer", cause);
	}
	cJSON_Delete(j);
	if (!ok) {
		answer_destroy(b.a);
		return false;
	}
	*out = b.a;
	return true;
}

char *
answer_error_message(const char *json, size_t len)
{
	cJSON *j = answer_json_too_big(json, len, ANSWER_MAX_NODES) ? NULL :
	    cJSON_ParseWithLength(json, len);
	if (j == NULL) {
		/* Not JSON: the raw text is the best there is. */
		return len > 0 ? xstrndup(json, len) : NULL;
	}
	char *msg = NULL;
	if (cJSON_IsString(j)) {
		msg = xstrdup(j->valuestring);
	} else if (cJSON_IsObject(j) &&
	    cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "error"))) {
		msg = queue_error(j);
	}
	cJSON_Delete(j);
	return msg;
}

/*
 * a1111.c — A1111 WD14 tagger: request body, model list, model names.
 */
#include "core/space/a1111.h"

#include <cjson/cJSON.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "core/tag/answer.h"
#include "common/xalloc.h"

#define MAX_MODELS 512

/* Space repo id → the extension's keys: toriato's, then picobyte's. */
static const struct {
	const char *repo;
	const char *keys[3];
} aliases[] = {
	{"SmilingWolf/wd-v1-4-vit-tagger-v2", {"wd14-vit-v2", "wd14-vit.v2", NULL}},
	{"SmilingWolf/wd-v1-4-convnext-tagger-v2", {"wd14-convnext-v2", "wd14-convnext.v2", NULL}},
	{"SmilingWolf/wd-v1-4-swinv2-tagger-v2", {"wd14-swinv2-v2", "wd14-swinv2-v1", NULL}},
	{"SmilingWolf/wd-v1-4-convnextv2-tagger-v2", {"wd14-convnextv2-v2", "wd14-convnextv2.v1",
	    NULL}},
	{"SmilingWolf/wd-v1-4-moat-tagger-v2", {"wd-v1-4-moat-tagger.v2", "wd14-moat-v2", NULL}},
};

char *
a1111_interrogate_body(const void *image, size_t len, const char *model, double floor)
{
	gchar *b64 = g_base64_encode(image, len);
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "image", b64);
	g_free(b64);
	cJSON_AddStringToObject(root, "model", model);
	cJSON_AddNumberToObject(root, "threshold", floor);
	char *text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (text == NULL) {
		abort(); /* cJSON fails only without memory */
	}
	char *out = xstrdup(text);
	cJSON_free(text);
	return out;
}

void
a1111_free_models(char **models, size_t n)
{
	if (models == NULL) {
		return;
	}
	for (size_t i = 0; i < n; i++) {
		free(models[i]);
	}
	free(models);
}

static bool
printable(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 256 || !g_utf8_validate(s, (gssize)n, NULL)) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			return false;
		}
	}
	return true;
}

bool
a1111_parse_models(const char *body, size_t len, char ***models, size_t *n,
    struct spaceerr *err)
{
	*models = NULL;
	*n = 0;
	cJSON *j = answer_json_too_big(body, len, 4 * MAX_MODELS) ? NULL :
	    cJSON_ParseWithLength(body, len);
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, "models");
	if (!cJSON_IsArray(list)) {
		cJSON_Delete(j);
		spaceerr_set(err, SPACEERR_NOT_TAGGER, "interrogators answer has no model list: "
		    "not the WD14 tagger API");
		return false;
	}
	const cJSON *m;
	cJSON_ArrayForEach(m, list) {
		if (cJSON_IsString(m) && printable(m->valuestring) && *n < MAX_MODELS) {
			*models = xreallocarray(*models, *n + 1, sizeof **models);
			(*models)[(*n)++] = xstrdup(m->valuestring);
		}
	}
	cJSON_Delete(j);
	return true;
}

static const char *
find(char *const *offered, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(offered[i], name) == 0) {
			return offered[i];
		}
	}
	return NULL;
}

const char *
a1111_pick_model(char *const *offered, size_t n, const char *model, struct spaceerr *err)
{
	const char *slash = strrchr(model, '/');
	const char *hit = find(offered, n, model);
	if (hit == NULL && slash != NULL) {
		hit = find(offered, n, slash + 1);
	}
	for (size_t i = 0; hit == NULL && i < sizeof aliases / sizeof aliases[0]; i++) {
		if (strcmp(aliases[i].repo, model) != 0) {
			continue;
		}
		for (int k = 0; hit == NULL && aliases[i].keys[k] != NULL; k++) {
			hit = find(offered, n, aliases[i].keys[k]);
		}
	}
	if (hit == NULL) {
		char *list = xstrdup("");
		size_t i;
		for (i = 0; i < n && strlen(list) < 160; i++) {
			char *more = xasprintf("%s%s%s", list, i ? ", " : "", offered[i]);
			free(list);
			list = more;
		}
		char *m = spaceerr_quote(model, strlen(model));
		char *l = spaceerr_quote(list, strlen(list));
		spaceerr_set(err, SPACEERR_BAD_INPUT, "model %s is not offered by this A1111 tagger "
		    "(it offers %zu: %s%s)", m, n, l, i < n ? ", …" : "");
		free(l);
		free(m);
		free(list);
	}
	return hit;
}

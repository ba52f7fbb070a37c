/*
 * gradio.c — Gradio /config, /upload, /call answers and the /call stream.
 */
#include "core/space/gradio.h"

#include <cjson/cJSON.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/space/sse.h"
#include "core/space/spaceurl.h"
#include "common/xalloc.h"

/* A dropdown with more choices than this is not wd-tagger's (it has 12). */
#define MAX_MODELS 256
#define MAX_MODEL_LEN 256

struct gradio_config {
	char *version;
	char *prefix;
	char *protocol;
	char *space_id;
	int fn_index;
	char **models;
	size_t nmodels;
	char *default_model;
};

/* wd-tagger's predict(): component types of inputs and outputs (§1.1). */
static const char *const want_inputs[] = {
	"image", "dropdown", "slider", "checkbox", "slider", "checkbox", NULL,
};
static const char *const want_outputs[] = {"textbox", "label", "label", "label", NULL};

void
gradio_config_destroy(struct gradio_config *cfg)
{
	if (cfg == NULL) {
		return;
	}
	free(cfg->version);
	free(cfg->prefix);
	free(cfg->protocol);
	free(cfg->space_id);
	for (size_t i = 0; i < cfg->nmodels; i++) {
		free(cfg->models[i]);
	}
	free(cfg->models);
	free(cfg->default_model);
	free(cfg);
}

/* A short token made of the given characters only. */
static bool
plain(const char *s, const char *extra, size_t max)
{
	size_t n = 0;
	for (; s[n] != '\0'; n++) {
		char c = s[n];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr(extra, c) != NULL;
		if (!ok || n >= max) {
			return false;
		}
	}
	return true;
}

static const char *
string_of(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* version, protocol, api_prefix, space_id: present and sane, or absent. */
static bool
read_header(struct gradio_config *cfg, const cJSON *j, struct spaceerr *err)
{
	const char *version = string_of(j, "version");
	const char *protocol = string_of(j, "protocol");
	const char *prefix = string_of(j, "api_prefix");
	const char *space_id = string_of(j, "space_id");
	if (version == NULL || !plain(version, ".+-", 32)) {
		spaceerr_set(err, SPACEERR_MALFORMED, "config has no usable Gradio version");
		return false;
	}
	if ((protocol != NULL && !plain(protocol, "._-", 32)) ||
	    (prefix != NULL && *prefix != '\0' && (*prefix != '/' || !plain(prefix, "/_-", 64)))) {
		spaceerr_set(err, SPACEERR_MALFORMED, "config has an odd protocol or api_prefix");
		return false;
	}
	cfg->version = xstrdup(version);
	cfg->protocol = xstrdup(protocol ? protocol : "");
	cfg->prefix = xstrdup(prefix ? prefix : "");
	if (space_id != NULL && spaceurl_valid_repo(space_id)) {
		cfg->space_id = xstrdup(space_id);
	}
	return true;
}

static bool
version_ok(const char *version, struct spaceerr *err)
{
	int major = 0, minor = 0;
	if (sscanf(version, "%d.%d", &major, &minor) < 1) {
		spaceerr_set(err, SPACEERR_MALFORMED, "config's Gradio version \"%s\" is not a "
		    "version", version);
		return false;
	}
	if (major < 4 || (major == 4 && minor < 20)) {
		spaceerr_set(err, SPACEERR_UNSUPPORTED, "unsupported Gradio version %s (needs ≥ 4.20)",
		    version);
		return false;
	}
	return true;
}

static const cJSON *
component(const cJSON *components, int id)
{
	const cJSON *c;
	cJSON_ArrayForEach(c, components) {
		const cJSON *cid = cJSON_GetObjectItemCaseSensitive(c, "id");
		if (cJSON_IsNumber(cid) && cid->valueint == id) {
			return c;
		}
	}
	return NULL;
}

/* Whether ids (a list of component ids) have exactly the types want. */
static bool
types_match(const cJSON *components, const cJSON *ids, const char *const *want)
{
	int n = 0;
	while (want[n] != NULL) {
		n++;
	}
	if (!cJSON_IsArray(ids) || cJSON_GetArraySize(ids) != n) {
		return false;
	}
	for (int i = 0; i < n; i++) {
		const cJSON *id = cJSON_GetArrayItem(ids, i);
		const cJSON *c = cJSON_IsNumber(id) ? component(components, id->valueint) : NULL;
		const char *type = string_of(c, "type");
		if (type == NULL || strcmp(type, want[i]) != 0) {
			return false;
		}
	}
	return true;
}

/* One dropdown choice: "x", or ["display", "value"] from Gradio 4 on. */
static const char *
choice_value(const cJSON *choice)
{
	if (cJSON_IsArray(choice) && cJSON_GetArraySize(choice) == 2) {
		choice = cJSON_GetArrayItem(choice, 1);
	}
	if (!cJSON_IsString(choice) || strlen(choice->valuestring) > MAX_MODEL_LEN ||
	    !g_utf8_validate(choice->valuestring, -1, NULL)) {
		return NULL;
	}
	for (const char *c = choice->valuestring; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			return NULL;
		}
	}
	return choice->valuestring;
}

static void
read_models(struct gradio_config *cfg, const cJSON *dropdown)
{
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(dropdown, "props");
	const cJSON *choices = cJSON_GetObjectItemCaseSensitive(props, "choices");
	const cJSON *c;
	cJSON_ArrayForEach(c, choices) {
		const char *v = choice_value(c);
		if (v == NULL || cfg->nmodels == MAX_MODELS) {
			continue;
		}
		cfg->models = xreallocarray(cfg->models, cfg->nmodels + 1, sizeof *cfg->models);
		cfg->models[cfg->nmodels++] = xstrdup(v);
	}
	const char *def = choice_value(cJSON_GetObjectItemCaseSensitive(props, "value"));
	cfg->default_model = def != NULL ? xstrdup(def) : NULL;
}

/* Find predict() among the dependencies and check it is wd-tagger's. */
static bool
read_predict(struct gradio_config *cfg, const cJSON *j, struct spaceerr *err)
{
	const cJSON *components = cJSON_GetObjectItemCaseSensitive(j, "components");
	const cJSON *deps = cJSON_GetObjectItemCaseSensitive(j, "dependencies");
	const cJSON *dep, *found = NULL;
	int index = 0, found_index = -1;
	cJSON_ArrayForEach(dep, deps) {
		const char *api_name = string_of(dep, "api_name");
		if (found == NULL && api_name != NULL && strcmp(api_name, "predict") == 0) {
			found = dep;
			found_index = index;
		}
		index++;
	}
	if (found == NULL) {
		spaceerr_set(err, SPACEERR_NOT_TAGGER, "no \"predict\" endpoint: not the wd-tagger "
		    "app");
		return false;
	}
	const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(found, "inputs");
	if (!types_match(components, inputs, want_inputs) ||
	    !types_match(components, cJSON_GetObjectItemCaseSensitive(found, "outputs"),
	    want_outputs)) {
		spaceerr_set(err, SPACEERR_NOT_TAGGER, "\"predict\" does not take wd-tagger's "
		    "inputs (image, model, threshold, MCut, threshold, MCut) and give its outputs");
		return false;
	}
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(found, "id");
	cfg->fn_index = cJSON_IsNumber(id) ? id->valueint : found_index;
	read_models(cfg, component(components, cJSON_GetArrayItem(inputs, 1)->valueint));
	return true;
}

bool
gradio_config_parse(const char *body, size_t len, struct gradio_config **out,
    struct spaceerr *err)
{
	*out = NULL;
	size_t i = 0;
	while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t')) {
		i++;
	}
	if (i < len && body[i] == '<') {
		spaceerr_set(err, SPACEERR_MALFORMED, "config is an HTML page, not Gradio's JSON");
		return false;
	}
	if (answer_json_too_big(body, len, ANSWER_MAX_NODES)) {
		spaceerr_set(err, SPACEERR_MALFORMED, "config has too many values");
		return false;
	}
	cJSON *j = cJSON_ParseWithLength(body, len);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		spaceerr_set(err, SPACEERR_MALFORMED, "config is not a JSON object");
		return false;
	}
	struct gradio_config *cfg = xcalloc(1, sizeof *cfg);
	bool ok = read_header(cfg, j, err) && version_ok(cfg->version, err) &&
	    read_predict(cfg, j, err);
	cJSON_Delete(j);
	if (!ok) {
		gradio_config_destroy(cfg);
		return false;
	}
	*out = cfg;
	return true;
}

const char *
gradio_config_version(const struct gradio_config *cfg)
{
	return cfg->version;
}

const char *
gradio_config_prefix(const struct gradio_config *cfg)
{
	return cfg->prefix;
}

const char *
gradio_config_protocol(const struct gradio_config *cfg)
{
	return cfg->protocol;
}

const char *
gradio_config_space_id(const struct gradio_config *cfg)
{
	return cfg->space_id;
}

int
gradio_config_fn_index(const struct gradio_config *cfg)
{
	return cfg->fn_index;
}

const char *const *
gradio_config_models(const struct gradio_config *cfg, size_t *n)
{
	*n = cfg->nmodels;
	return (const char *const *)cfg->models;
}

const char *
gradio_config_default_model(const struct gradio_config *cfg)
{
	return cfg->default_model;
}

bool
gradio_config_offers(const struct gradio_config *cfg, const char *model)
{
	for (size_t i = 0; i < cfg->nmodels; i++) {
		if (strcmp(cfg->models[i], model) == 0) {
			return true;
		}
	}
	return cfg->nmodels == 0;
}

char *
gradio_url(const char *base, const struct gradio_config *cfg, const char *route)
{
	return xasprintf("%s%s%s", base, cfg != NULL ? cfg->prefix : "", route);
}

char *
gradio_call_body(const char *path, const char *model, double floor)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *data = cJSON_AddArrayToObject(root, "data");
	cJSON *file = cJSON_CreateObject();
	cJSON_AddStringToObject(file, "path", path);
	cJSON *meta = cJSON_AddObjectToObject(file, "meta");
	cJSON_AddStringToObject(meta, "_type", "gradio.FileData");
	cJSON_AddItemToArray(data, file);
	cJSON_AddItemToArray(data, cJSON_CreateString(model));
	cJSON_AddItemToArray(data, cJSON_CreateNumber(floor));
	cJSON_AddItemToArray(data, cJSON_CreateFalse());
	cJSON_AddItemToArray(data, cJSON_CreateNumber(floor));
	cJSON_AddItemToArray(data, cJSON_CreateFalse());
	char *text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (text == NULL) {
		abort(); /* cJSON fails only without memory */
	}
	char *out = xstrdup(text);
	cJSON_free(text);
	return out;
}

bool
gradio_parse_upload(const char *body, size_t len, char **path, struct spaceerr *err)
{
	*path = NULL;
	cJSON *j = answer_json_too_big(body, len, 1024) ? NULL : cJSON_ParseWithLength(body, len);
	const cJSON *first = cJSON_GetArrayItem(j, 0);
	if (cJSON_IsArray(j) && cJSON_IsString(first) && *first->valuestring != '\0' &&
	    strlen(first->valuestring) < 4096) {
		*path = xstrdup(first->valuestring);
	}
	cJSON_Delete(j);
	if (*path == NULL) {
		spaceerr_set(err, SPACEERR_MALFORMED, "upload answer is not a list of paths");
		return false;
	}
	return true;
}

bool
gradio_parse_event_id(const char *body, size_t len, char **id, struct spaceerr *err)
{
	*id = NULL;
	cJSON *j = answer_json_too_big(body, len, 1024) ? NULL : cJSON_ParseWithLength(body, len);
	const char *v = string_of(j, "event_id");
	if (v != NULL && *v != '\0' && plain(v, "-_", 128)) {
		*id = xstrdup(v);
	}
	cJSON_Delete(j);
	if (*id == NULL) {
		spaceerr_set(err, SPACEERR_MALFORMED, "call answer has no usable event_id");
		return false;
	}
	return true;
}

enum stream_state {
	STREAM_PENDING,
	STREAM_COMPLETE,
	STREAM_FAILED,
};

struct gradio_stream {
	struct sse *sse;
	double floor;
	enum stream_state state;
	struct answer *answer;
	struct spaceerr err;
};

static bool
on_event(void *arg, const char *type, const char *data, size_t len, const char *id)
{
	struct gradio_stream *st = arg;
	char *cause = NULL;
	if (strcmp(type, "complete") == 0) {
		if (answer_parse_gradio(data, len, st->floor, &st->answer, &cause)) {
			st->state = STREAM_COMPLETE;
		} else {
			st->state = STREAM_FAILED;
			spaceerr_set(&st->err, SPACEERR_MALFORMED, "%s", cause);
		}
		free(cause);
		return false;
	}
	if (strcmp(type, "error") == 0) {
		char *msg = answer_error_message(data, len);
		spaceerr_from_run(&st->err, msg != NULL ? msg : "no details");
		free(msg);
		st->state = STREAM_FAILED;
		return false;
	}
	return true; /* heartbeat, generating, anything newer */
}

struct gradio_stream *
gradio_stream_create(double floor)
{
	struct gradio_stream *st = xcalloc(1, sizeof *st);
	st->sse = sse_create(GRADIO_MAX_EVENT, on_event, st);
	st->floor = floor;
	st->err = (struct spaceerr)SPACEERR_INIT;
	return st;
}

void
gradio_stream_destroy(struct gradio_stream *st)
{
	if (st == NULL) {
		return;
	}
	sse_destroy(st->sse);
	answer_destroy(st->answer);
	spaceerr_fini(&st->err);
	free(st);
}

bool
gradio_stream_feed(struct gradio_stream *st, const char *buf, size_t len)
{
	if (st->state != STREAM_PENDING) {
		return false;
	}
	char *cause = NULL;
	if (!sse_feed(st->sse, buf, len, &cause) && cause != NULL) {
		st->state = STREAM_FAILED;
		spaceerr_set(&st->err, SPACEERR_MALFORMED, "answer too large (%s)", cause);
	}
	free(cause);
	return st->state == STREAM_PENDING;
}

bool
gradio_stream_result(struct gradio_stream *st, struct answer **answer, struct spaceerr *err)
{
	*answer = NULL;
	switch (st->state) {
	case STREAM_COMPLETE:
		*answer = st->answer;
		st->answer = NULL;
		return true;
	case STREAM_FAILED:
		spaceerr_copy(err, &st->err);
		return false;
	default:
		spaceerr_set(err, SPACEERR_DROPPED, "stream ended without an answer (%zu bytes read)",
		    sse_bytes(st->sse));
		return false;
	}
}

/*
 * hub.c — Hugging Face hub answers: app host, runtime stage.
 */
#include "core/space/hub.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/tag/answer.h"
#include "core/space/spaceurl.h"
#include "common/xalloc.h"

char *
hub_space_url(const char *repo, const char *route, char **cause)
{
	char *hub = spaceurl_hub_endpoint(cause);
	if (hub == NULL) {
		return NULL;
	}
	char *url = xasprintf("%s/api/spaces/%s/%s", hub, repo, route);
	free(hub);
	return url;
}

/* body's top-level string field key (new string), or NULL. */
static char *
string_field(const char *body, size_t len, const char *key)
{
	if (answer_json_too_big(body, len, ANSWER_MAX_NODES)) {
		return NULL;
	}
	cJSON *j = cJSON_ParseWithLength(body, len);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
	char *out = cJSON_IsString(v) && *v->valuestring != '\0' ? xstrdup(v->valuestring) : NULL;
	cJSON_Delete(j);
	return out;
}

bool
hub_parse_host(const char *body, size_t len, char **host, struct spaceerr *err)
{
	*host = string_field(body, len, "host");
	if (*host == NULL) {
		spaceerr_set(err, SPACEERR_MALFORMED, "the hub's answer names no host");
		return false;
	}
	return true;
}

bool
hub_parse_stage(const char *body, size_t len, char **stage, struct spaceerr *err)
{
	*stage = string_field(body, len, "stage");
	if (*stage == NULL) {
		spaceerr_set(err, SPACEERR_MALFORMED, "the hub's answer names no stage");
		return false;
	}
	/* Shown to people: keep it to the hub's upper-case names. */
	for (char *c = *stage; *c != '\0'; c++) {
		if (!((*c >= 'A' && *c <= 'Z') || *c == '_') || c - *stage > 40) {
			free(*stage);
			*stage = NULL;
			spaceerr_set(err, SPACEERR_MALFORMED, "the hub's stage is not a stage name");
			return false;
		}
	}
	return true;
}

enum hub_stage_kind
hub_stage_kind(const char *stage)
{
	static const char *const ready[] = {"RUNNING", "RUNNING_BUILDING",
	    "RUNNING_APP_STARTING", NULL};
	static const char *const waking[] = {"SLEEPING", "STOPPED", "BUILDING", "APP_STARTING",
	    NULL};
	static const char *const broken[] = {"PAUSED", "NO_APP_FILE", "CONFIG_ERROR",
	    "BUILD_ERROR", "RUNTIME_ERROR", "DELETING", NULL};
	for (int i = 0; ready[i] != NULL; i++) {
		if (strcmp(stage, ready[i]) == 0) {
			return HUB_STAGE_READY;
		}
	}
	for (int i = 0; waking[i] != NULL; i++) {
		if (strcmp(stage, waking[i]) == 0) {
			return HUB_STAGE_WAKING;
		}
	}
	for (int i = 0; broken[i] != NULL; i++) {
		if (strcmp(stage, broken[i]) == 0) {
			return HUB_STAGE_BROKEN;
		}
	}
	return HUB_STAGE_UNKNOWN;
}

void
hub_stage_error(struct spaceerr *err, const char *stage)
{
	switch (hub_stage_kind(stage)) {
	case HUB_STAGE_WAKING:
		spaceerr_set(err, SPACEERR_WAKING, "Space is %s, waiting for it to run", stage);
		break;
	case HUB_STAGE_BROKEN:
		spaceerr_set(err, SPACEERR_UNSUPPORTED, "Space is %s and will not run until "
		    "its owner acts", stage);
		break;
	default:
		spaceerr_set(err, SPACEERR_WAKING, "Space is %s, not running yet", stage);
		break;
	}
}

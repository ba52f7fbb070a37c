/*
 * hub.h — the Hugging Face hub's answers about a Space (space-protocol.md
 * §3): its app host and its runtime stage.
 *
 * Routes: $HF_ENDPOINT/api/spaces/OWNER/NAME/host → {"host":"https://…"}
 * and …/runtime → {"stage":"RUNNING",…}.  The hub rate-limits its API
 * (500 calls per 5 minutes anonymous), so tagcon asks it once per Space for
 * the host and only when probing for the stage.
 */
#ifndef TAGCON_HUB_H
#define TAGCON_HUB_H

#include <stdbool.h>
#include <stddef.h>

#include "core/space/spaceerr.h"

/* Largest hub answer read. */
#define HUB_MAX_ANSWER (256 * 1024)

/* $HF_ENDPOINT/api/spaces/REPO/ROUTE (new string); NULL with *cause when
 * HF_ENDPOINT is unusable. */
char *hub_space_url(const char *repo, const char *route, char **cause);

/* The "host" of a /host answer (new string), MALFORMED otherwise. */
bool hub_parse_host(const char *body, size_t len, char **host, struct spaceerr *err);

/* The "stage" of a /runtime answer (new string), MALFORMED otherwise. */
bool hub_parse_stage(const char *body, size_t len, char **stage, struct spaceerr *err);

enum hub_stage_kind {
	HUB_STAGE_READY,   /* RUNNING, RUNNING_BUILDING, RUNNING_APP_STARTING */
	HUB_STAGE_WAKING,  /* SLEEPING, STOPPED, BUILDING, APP_STARTING: will come up */
	HUB_STAGE_BROKEN,  /* PAUSED, *_ERROR, NO_APP_FILE, DELETING: will not */
	HUB_STAGE_UNKNOWN, /* a stage this version does not know */
};

enum hub_stage_kind hub_stage_kind(const char *stage);

/*
 * Error for a Space whose stage is not ready: WAKING ("Space is SLEEPING,
 * waking it up") or UNSUPPORTED for a broken one ("Space is PAUSED").
 */
void hub_stage_error(struct spaceerr *err, const char *stage);

#endif

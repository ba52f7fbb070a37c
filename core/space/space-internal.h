/*
 * space-internal.h — what space.c and spaceprobe.c share; not an API.
 *
 * struct space caches what one Space told once (host, config, models);
 * struct space_job is one tag or probe operation in flight.
 */
#ifndef TAGCON_SPACE_INTERNAL_H
#define TAGCON_SPACE_INTERNAL_H

#include <sys/queue.h>

#include "core/space/gradio.h"
#include "core/space/space.h"

enum space_setup {
	SPACE_SETUP_NONE,
	SPACE_SETUP_RUNNING,
	SPACE_SETUP_READY,
};

enum space_job_kind {
	SPACE_JOB_TAG,
	SPACE_JOB_PROBE,
};

enum space_step {
	SPACE_STEP_WAIT,   /* for the space's setup */
	SPACE_STEP_RESOLVE,
	SPACE_STEP_CONFIG,
	SPACE_STEP_RUNTIME,
	SPACE_STEP_UPLOAD,
	SPACE_STEP_CALL,
	SPACE_STEP_STREAM,
	SPACE_STEP_INTERROGATE,
	SPACE_STEP_DONE,
};

struct space {
	struct spaceurl *url;
	char *token;
	enum space_setup setup;
	struct net_request *setup_req;
	struct net *setup_net;
	struct gradio_config *cfg;
	char **a1111_models;
	size_t na1111;
	TAILQ_HEAD(, space_job) jobs;
};

struct space_job {
	struct space *sp;
	struct net *net;
	enum space_job_kind kind;
	enum space_step step;
	struct net_request *req;
	struct net_call *call; /* pending delivery */

	unsigned char *image;
	size_t image_len;
	char *mime;
	char *filename;
	char *model;
	double floor;
	char *base;
	char *prefix;
	struct gradio_stream *stream;
	struct space_result res;
	struct space_info info;

	double t_start;
	space_tag_cb tag_cb;
	space_probe_cb probe_cb;
	void *arg;
	TAILQ_ENTRY(space_job) entry;
};

/* Monotonic milliseconds. */
double space_now_ms(void);

/* Free the cached config / model list (state untouched). */
void space_drop_cache(struct space *sp);

/* A request to the app (token where allowed, Basic auth, max bytes). */
struct net_request *space_app_request(struct space *sp, struct net_request *req, size_t max);
/* GET $HF_ENDPOINT/api/spaces/REPO/ROUTE, NULL with err when HF_ENDPOINT is bad. */
struct net_request *space_hub_request(struct space *sp, const char *route, struct spaceerr *err);
/* GET /config, or /tagger/v1/interrogators for A1111. */
struct net_request *space_config_request(struct space *sp);

/* Prefix a message with what and remove every secret from it. */
void space_tidy(struct space *sp, struct spaceerr *err, const char *what);
/* The hub's /host answer as the Space's app host, if it may be one
 * (spaceurl_token_host()); false with err when not. */
bool space_take_host(struct space *sp, const char *body, size_t len, struct spaceerr *err);
/* Whether req failed (network or non-2xx); err says how, tidied. */
bool space_failed(struct space *sp, struct net_request *req, struct spaceerr *err);
/* Read a /config (Gradio: *cfg) or /interrogators (A1111: *models) answer. */
bool space_read_config(struct space *sp, struct net_request *req, struct gradio_config **cfg,
    char ***models, size_t *nmodels, struct spaceerr *err);

/* A new job on sp's list; the caller sets its callback and starts it. */
struct space_job *space_job_new(struct space *sp, struct net *net, enum space_job_kind kind,
    void *arg);
/* The job has its outcome: deliver it from the next net_poll. */
void space_job_done(struct space_job *job);

#endif

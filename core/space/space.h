/*
 * space.h — one tagger endpoint (a wd-tagger Gradio Space, or an A1111
 * WD14 tagger), and the operations on it: tag one image, probe.
 *
 * An operation is a job: a small state machine advanced by libcurl
 * completions inside net_poll() (see net.h), on the network thread:
 *
 *   tag, Gradio:  [hub: resolve page URL] → GET /config (once per Space,
 *                 shared by all jobs) → POST {prefix}/upload →
 *                 POST {prefix}/call/predict → GET {prefix}/call/predict/{id}
 *                 (SSE) → complete | error
 *   tag, A1111:   GET /tagger/v1/interrogators (once) → POST /tagger/v1/interrogate
 *   probe:        [hub: resolve] → GET /config (timed) → hub runtime stage
 *                 (when OWNER/NAME is known, from the URL or config's space_id)
 *
 * The predict call asks with both thresholds at the caller's score floor
 * and MCut off, so every score ≥ floor comes back; thresholds are applied
 * locally.  Every failure is a classified struct spaceerr (spaceerr.h).
 *
 * Threading: a space and its jobs belong to the one thread that runs the
 * net they use; use one net per space (the sync wrappers make their own).
 * Callbacks are always called from net_poll, never from the call that
 * started the job.  Destroy spaces before the net.
 *
 * Use from the network thread:
 *
 *	struct net *net = net_create(NULL);
 *	struct space *sp = space_create(url, token, &cause);
 *	space_tag_start(sp, net, &img, model, floor, on_result, ctx);
 *	while (!stopping)
 *		net_poll(net, -1, &wake, 1);  (other threads: net_wakeup(net))
 *	space_destroy(sp);
 *	net_destroy(net);
 *
 * The Hugging Face token goes only to the hub and to Space hosts
 * (spaceurl_token_ok), as "Authorization: Bearer"; it never appears in a
 * message.
 */
#ifndef TAGCON_SPACE_H
#define TAGCON_SPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tag/answer.h"
#include "core/space/net.h"
#include "core/space/spaceerr.h"
#include "core/space/spaceurl.h"

struct space;
struct space_job;

/* The image as it is to be sent (e.g. from prepare_file); copied. */
struct space_image {
	const void *data;
	size_t len;
	const char *mime;     /* "image/jpeg" */
	const char *filename; /* "image.jpg" */
};

struct space_result {
	struct answer *answer; /* on success; take it by setting it to NULL */
	struct spaceerr err;   /* err.cls == SPACEERR_NONE on success */
	uint64_t bytes_sent;   /* request bodies of this job: upload, call, ... */
	uint64_t image_bytes;  /* the image alone */
	unsigned latency_ms;   /* from start to answer (config wait included) */
};

struct space_info {
	enum spaceurl_kind kind;
	char *url;            /* as configured, normalised */
	char *host;           /* the app's base URL (resolved), or NULL */
	char *repo;           /* OWNER/NAME or NULL */
	char *gradio_version; /* NULL for A1111 */
	char *api_prefix;
	char *protocol;
	char *stage;          /* hub runtime stage, NULL when unknown */
	char **models;        /* dropdown choices / interrogators */
	size_t nmodels;
	char *default_model;
	unsigned config_ms;   /* /config (or /interrogators) answer time */
	struct spaceerr err;  /* cls NONE when the Space is ready to tag */
};

typedef void (*space_tag_cb)(struct space_result *res, void *arg);
typedef void (*space_probe_cb)(struct space_info *info, void *arg);

/* url in any form of spaceurl.h; token may be NULL (copied). */
struct space *space_create(const char *url, const char *token, char **cause);
/* Cancels its jobs (no callbacks). */
void space_destroy(struct space *sp);

const char *space_url(const struct space *sp);
enum spaceurl_kind space_kind(const struct space *sp);
/* Whether /config (or the A1111 model list) is cached. */
bool space_ready(const struct space *sp);
/* Drop what was learnt (config, resolved host): the next job asks again.
 * Done by itself after WAKING, UNREACHABLE and NOT_TAGGER failures. */
void space_forget(struct space *sp);

/*
 * Tag one image with model (a repo id such as
 * "SmilingWolf/wd-swinv2-tagger-v3"; for A1111 mapped onto its names),
 * keeping scores ≥ floor.  cb gets the result once, unless cancelled.
 */
struct space_job *space_tag_start(struct space *sp, struct net *net,
    const struct space_image *img, const char *model, double floor, space_tag_cb cb,
    void *arg);
/* Probe: what `tagcon spaces` shows; refreshes the cached config. */
struct space_job *space_probe_start(struct space *sp, struct net *net, space_probe_cb cb,
    void *arg);
/* One URL of space_probe_all(). */
struct space_probe {
	const char *url;        /* borrowed */
	char *cause;            /* the URL is refused (no Space), else NULL */
	struct space_info info; /* what the probe found (its err when it failed) */
	bool done;
};
/*
 * Probe every URL at once over one private curl multi handle (opts NULL
 * for the defaults; each request bounded by them), until all have ended:
 * what `tagcon spaces` and `config set model` ask.  Fini each.
 */
void space_probe_all(struct space_probe *probes, size_t n, const char *token,
    const struct net_opts *opts);
void space_probe_fini(struct space_probe *p);

/* Stop a job; its callback will not be called.  Not from its own callback. */
void space_job_cancel(struct space_job *job);

void space_result_fini(struct space_result *res);
void space_info_fini(struct space_info *info);

/*
 * Blocking forms for the headless commands: run a private net until the
 * job ends.  opts NULL for the defaults.  True when it succeeded; *res or
 * *info are filled either way (fini them).
 */
bool space_tag_sync(struct space *sp, const struct net_opts *opts,
    const struct space_image *img, const char *model, double floor, struct space_result *res);
bool space_probe_sync(struct space *sp, const struct net_opts *opts, struct space_info *info);

#endif

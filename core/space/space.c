/*
 * space.c — the space object, its one-time setup and the tag job, over
 * net.c, for Gradio Spaces and A1111 (the probe is in spaceprobe.c).
 *
 * A space caches what it learnt once (the hub's host for a page URL,
 * /config or the A1111 model list): the first tag job starts that "setup",
 * later ones wait for it, and all of them go on (or fail) together.
 */
#include "core/space/space.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/space/a1111.h"
#include "core/space/gradio.h"
#include "core/space/hub.h"
#include "core/sanitize.h"
#include "core/space/space-internal.h"
#include "core/space/token.h"
#include "common/xalloc.h"

static void setup_fetch(struct space *sp);
static void tag_run(struct space_job *job);

double
space_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct space *
space_create(const char *url, const char *token, char **cause)
{
	struct spaceurl *u = spaceurl_create(url, cause);
	if (u == NULL) {
		return NULL;
	}
	struct space *sp = xcalloc(1, sizeof *sp);
	sp->url = u;
	sp->token = token != NULL && *token != '\0' ? xstrdup(token) : NULL;
	TAILQ_INIT(&sp->jobs);
	return sp;
}

void
space_drop_cache(struct space *sp)
{
	gradio_config_destroy(sp->cfg);
	sp->cfg = NULL;
	a1111_free_models(sp->a1111_models, sp->na1111);
	sp->a1111_models = NULL;
	sp->na1111 = 0;
}

void
space_destroy(struct space *sp)
{
	if (sp == NULL) {
		return;
	}
	struct space_job *job;
	while ((job = TAILQ_FIRST(&sp->jobs)) != NULL) {
		space_job_cancel(job);
	}
	net_request_destroy(sp->setup_req);
	space_drop_cache(sp);
	spaceurl_destroy(sp->url);
	token_free(sp->token);
	free(sp);
}

const char *
space_url(const struct space *sp)
{
	return spaceurl_text(sp->url);
}

enum spaceurl_kind
space_kind(const struct space *sp)
{
	return spaceurl_kind(sp->url);
}

bool
space_ready(const struct space *sp)
{
	return sp->setup == SPACE_SETUP_READY;
}

void
space_forget(struct space *sp)
{
	if (sp->setup == SPACE_SETUP_READY) {
		space_drop_cache(sp);
		sp->setup = SPACE_SETUP_NONE;
	}
}

/* --- requests ------------------------------------------------------------ */

/* A request to the app itself, with the token where it may go. */
struct net_request *
space_app_request(struct space *sp, struct net_request *req, size_t max)
{
	if (sp->token != NULL && spaceurl_token_ok(sp->url)) {
		net_request_set_bearer(req, sp->token);
	}
	if (spaceurl_userpwd(sp->url) != NULL) {
		net_request_set_basic(req, spaceurl_userpwd(sp->url));
	}
	net_request_set_max_bytes(req, max);
	return req;
}

/* GET $HF_ENDPOINT/api/spaces/REPO/ROUTE; NULL with err if HF_ENDPOINT is bad. */
struct net_request *
space_hub_request(struct space *sp, const char *route, struct spaceerr *err)
{
	char *cause = NULL;
	const char *repo = spaceurl_repo(sp->url);
	char *url = hub_space_url(repo, route, &cause);
	if (url == NULL) {
		spaceerr_set(err, SPACEERR_UNREACHABLE, "%s", cause);
		free(cause);
		return NULL;
	}
	char *what = xasprintf("GET hub /api/spaces/%s/%s", repo, route);
	struct net_request *req = net_request_get(url, what);
	if (sp->token != NULL && spaceurl_token_host(url)) {
		net_request_set_bearer(req, sp->token);
	}
	net_request_set_max_bytes(req, HUB_MAX_ANSWER);
	free(what);
	free(url);
	return req;
}

/* Keep secrets out of a finished message and say which request it was. */
void
space_tidy(struct space *sp, struct spaceerr *err, const char *what)
{
	if (what != NULL) {
		spaceerr_prefix(err, what);
	}
	spaceerr_redact(err, sp->token);
	spaceerr_redact(err, spaceurl_userpwd(sp->url));
}

static void
net_error(struct spaceerr *err, struct net_request *req)
{
	const char *why = net_request_error(req);
	switch (net_request_failure(req)) {
	case NET_UNREACHABLE:
		spaceerr_set(err, SPACEERR_UNREACHABLE, "cannot connect (%s)", why);
		break;
	case NET_TLS:
		spaceerr_set(err, SPACEERR_UNREACHABLE, "TLS failed (%s)", why);
		break;
	case NET_TIMEOUT_CONNECT:
		spaceerr_set(err, SPACEERR_TIMEOUT, "connect timed out (%s)", why);
		break;
	case NET_TIMEOUT_IDLE:
		spaceerr_set(err, SPACEERR_TIMEOUT, "timed out: %s", why);
		break;
	case NET_TOO_LARGE:
		spaceerr_set(err, SPACEERR_MALFORMED, "answer too large (%s)", why);
		break;
	case NET_DROPPED:
		spaceerr_set(err, SPACEERR_DROPPED, "connection dropped (%s)", why);
		break;
	default:
		spaceerr_set(err, SPACEERR_DROPPED, "transfer failed (%s)", why);
		break;
	}
}

/*
 * Whether req failed, at the network or with a non-2xx status; err then
 * says how (prefixed with the request).  The body of a 2xx answer is the
 * caller's to judge.
 */
bool
space_failed(struct space *sp, struct net_request *req, struct spaceerr *err)
{
	enum net_failure f = net_request_failure(req);
	int status = net_request_status(req);
	if (f != NET_OK && f != NET_STOPPED) {
		net_error(err, req);
	} else if (status < 200 || status > 299) {
		size_t len;
		const char *body = net_request_body(req, &len);
		int creds = net_request_sent_token(req) ? SPACEERR_SENT_TOKEN :
		    sp->token != NULL ? SPACEERR_HELD_TOKEN : 0;
		if (spaceurl_kind(sp->url) == SPACEURL_A1111) {
			creds = SPACEERR_BASIC_AUTH |
			    (spaceurl_userpwd(sp->url) != NULL ? SPACEERR_SENT_BASIC : 0);
		}
		spaceerr_from_http(err, status, net_request_content_type(req), body, len,
		    net_request_retry_after(req), creds);
	} else {
		return false;
	}
	space_tidy(sp, err, net_request_what(req));
	return true;
}

/* --- jobs ---------------------------------------------------------------- */

static void
job_free(struct space_job *job)
{
	net_request_destroy(job->req);
	gradio_stream_destroy(job->stream);
	space_result_fini(&job->res);
	space_info_fini(&job->info);
	free(job->image);
	free(job->mime);
	free(job->filename);
	free(job->model);
	free(job->base);
	free(job->prefix);
	free(job);
}

/* From net_poll: hand the outcome over, then the job is gone. */
static void
deliver(void *arg)
{
	struct space_job *job = arg;
	job->call = NULL;
	TAILQ_REMOVE(&job->sp->jobs, job, entry);
	/* Once more, whatever path the message took. */
	space_tidy(job->sp, &job->res.err, NULL);
	space_tidy(job->sp, &job->info.err, NULL);
	if (job->kind == SPACE_JOB_TAG) {
		job->res.latency_ms = (unsigned)(space_now_ms() - job->t_start);
		job->tag_cb(&job->res, job->arg);
	} else {
		job->probe_cb(&job->info, job->arg);
	}
	job_free(job);
}

void
space_job_done(struct space_job *job)
{
	job->step = SPACE_STEP_DONE;
	net_request_destroy(job->req);
	job->req = NULL;
	job->call = net_defer(job->net, deliver, job);
}

/* A tag job failed with err (copied).  Failures that mean the Space is
 * not what was cached make the next job ask again. */
static void
tag_fail(struct space_job *job, const struct spaceerr *err)
{
	spaceerr_copy(&job->res.err, err);
	answer_destroy(job->res.answer);
	job->res.answer = NULL;
	enum spaceerr_class cls = err->cls;
	if (cls == SPACEERR_WAKING || cls == SPACEERR_UNREACHABLE || cls == SPACEERR_NOT_TAGGER) {
		space_forget(job->sp);
	}
	space_job_done(job);
}

void
space_job_cancel(struct space_job *job)
{
	if (job == NULL) {
		return;
	}
	net_defer_cancel(job->net, job->call);
	TAILQ_REMOVE(&job->sp->jobs, job, entry);
	job_free(job);
}

void
space_result_fini(struct space_result *res)
{
	answer_destroy(res->answer);
	spaceerr_fini(&res->err);
	memset(res, 0, sizeof *res);
	res->err = (struct spaceerr)SPACEERR_INIT;
}

void
space_info_fini(struct space_info *info)
{
	free(info->url);
	free(info->host);
	free(info->repo);
	free(info->gradio_version);
	free(info->api_prefix);
	free(info->protocol);
	free(info->stage);
	for (size_t i = 0; i < info->nmodels; i++) {
		free(info->models[i]);
	}
	free(info->models);
	free(info->default_model);
	spaceerr_fini(&info->err);
	memset(info, 0, sizeof *info);
	info->err = (struct spaceerr)SPACEERR_INIT;
}

struct space_job *
space_job_new(struct space *sp, struct net *net, enum space_job_kind kind, void *arg)
{
	struct space_job *job = xcalloc(1, sizeof *job);
	job->sp = sp;
	job->net = net;
	job->kind = kind;
	job->arg = arg;
	job->t_start = space_now_ms();
	job->res.err = (struct spaceerr)SPACEERR_INIT;
	job->info.err = (struct spaceerr)SPACEERR_INIT;
	TAILQ_INSERT_TAIL(&sp->jobs, job, entry);
	return job;
}

/* --- setup: host, then /config or the A1111 models, once per space ------- */

/* The setup ended: wake every waiting job. */
static void
setup_done(struct space *sp, const struct spaceerr *err)
{
	sp->setup = err == NULL ? SPACE_SETUP_READY : SPACE_SETUP_NONE;
	sp->setup_req = NULL;
	struct space_job *job;
	TAILQ_FOREACH(job, &sp->jobs, entry) {
		if (job->kind != SPACE_JOB_TAG || job->step != SPACE_STEP_WAIT) {
			continue;
		}
		if (err == NULL) {
			tag_run(job);
		} else {
			tag_fail(job, err);
		}
	}
}

bool
space_take_host(struct space *sp, const char *body, size_t len, struct spaceerr *err)
{
	char *host = NULL, *cause = NULL;
	if (!hub_parse_host(body, len, &host, err)) {
		return false;
	}
	if (!spaceurl_token_host(host)) {
		/* Whoever answers for the hub (a proxy, a plain-http HF_ENDPOINT)
		 * must not choose where the token goes, nor where images go: a
		 * Space's app lives on *.hf.space. */
		char *shown = sanitize_str(host);
		spaceerr_set(err, SPACEERR_UNSUPPORTED, "the hub named %s as the app host of %s: "
		    "not an https *.hf.space host, refused", shown, spaceurl_repo(sp->url));
		free(shown);
	} else if (!spaceurl_set_base(sp->url, host, &cause)) {
		spaceerr_set(err, SPACEERR_MALFORMED, "%s", cause);
	}
	free(host);
	free(cause);
	return err->cls == SPACEERR_NONE;
}

static void
on_setup_host(struct net_request *req, void *arg)
{
	struct space *sp = arg;
	struct spaceerr err = SPACEERR_INIT;
	size_t len;
	const char *body = net_request_body(req, &len);
	bool ok = !space_failed(sp, req, &err);
	if (ok && !space_take_host(sp, body, len, &err)) {
		space_tidy(sp, &err, net_request_what(req));
		ok = false;
	}
	net_request_destroy(req);
	sp->setup_req = NULL;
	if (ok) {
		setup_fetch(sp);
	} else {
		setup_done(sp, &err);
	}
	spaceerr_fini(&err);
}

/* Read a /config (or /interrogators) answer into cfg / models. */
bool
space_read_config(struct space *sp, struct net_request *req, struct gradio_config **cfg,
    char ***models, size_t *nmodels, struct spaceerr *err)
{
	if (space_failed(sp, req, err)) {
		if (err->http_status == 404) {
			spaceerr_set(err, SPACEERR_NOT_TAGGER, "%s: no %s there (HTTP 404)",
			    net_request_what(req), spaceurl_kind(sp->url) == SPACEURL_A1111 ?
			    "WD14 tagger API" : "Gradio app");
		}
		return false;
	}
	size_t len;
	const char *body = net_request_body(req, &len);
	bool ok = spaceurl_kind(sp->url) == SPACEURL_A1111 ?
	    a1111_parse_models(body, len, models, nmodels, err) :
	    gradio_config_parse(body, len, cfg, err);
	if (!ok) {
		space_tidy(sp, err, net_request_what(req));
	} else if (*cfg != NULL && spaceurl_kind(sp->url) == SPACEURL_HF_SPACE &&
	    spaceurl_repo(sp->url) == NULL && gradio_config_space_id(*cfg) != NULL) {
		/* Only an *.hf.space host is the hub's Space; a self-hosted
		 * copy says the space_id of the Space it was copied from. */
		spaceurl_set_repo(sp->url, gradio_config_space_id(*cfg));
	}
	return ok;
}

static void
on_setup_config(struct net_request *req, void *arg)
{
	struct space *sp = arg;
	struct spaceerr err = SPACEERR_INIT;
	space_drop_cache(sp);
	bool ok = space_read_config(sp, req, &sp->cfg, &sp->a1111_models, &sp->na1111, &err);
	net_request_destroy(req);
	sp->setup_req = NULL;
	setup_done(sp, ok ? NULL : &err);
	spaceerr_fini(&err);
}

struct net_request *
space_config_request(struct space *sp)
{
	const char *base = spaceurl_base(sp->url);
	if (spaceurl_kind(sp->url) == SPACEURL_A1111) {
		char *url = xasprintf("%s/tagger/v1/interrogators", base);
		struct net_request *req = net_request_get(url, "GET /tagger/v1/interrogators");
		free(url);
		return space_app_request(sp, req, A1111_MAX_MODELS_ANSWER);
	}
	char *url = xasprintf("%s/config", base);
	struct net_request *req = net_request_get(url, "GET /config");
	free(url);
	return space_app_request(sp, req, GRADIO_MAX_CONFIG);
}

static void
setup_fetch(struct space *sp)
{
	sp->setup_req = space_config_request(sp);
	net_start(sp->setup_net, sp->setup_req, on_setup_config, sp);
}

static void
setup_start(struct space *sp, struct net *net)
{
	struct spaceerr err = SPACEERR_INIT;
	sp->setup = SPACE_SETUP_RUNNING;
	sp->setup_net = net;
	if (spaceurl_base(sp->url) != NULL) {
		setup_fetch(sp);
		return;
	}
	sp->setup_req = space_hub_request(sp, "host", &err);
	if (sp->setup_req == NULL) {
		setup_done(sp, &err);
		spaceerr_fini(&err);
		return;
	}
	net_start(net, sp->setup_req, on_setup_host, sp);
}

/* --- tag ----------------------------------------------------------------- */

/* Common end of a step: false (and the job failed) when req failed. */
static bool
step_ok(struct space_job *job, struct net_request *req)
{
	job->req = NULL;
	job->res.bytes_sent += net_request_bytes_sent(req);
	struct spaceerr err = SPACEERR_INIT;
	bool ok = !space_failed(job->sp, req, &err);
	if (!ok && job->step == SPACE_STEP_INTERROGATE && err.http_status == 404) {
		/* The extension's 404s are about the request ("Model not
		 * found", "Image not found"), not a missing API. */
		err.cls = SPACEERR_BAD_INPUT;
	}
	if (!ok) {
		tag_fail(job, &err);
	}
	spaceerr_fini(&err);
	return ok;
}

/* Fail with a message about what req answered (its body was wrong). */
static void
step_malformed(struct space_job *job, struct net_request *req, struct spaceerr *err)
{
	space_tidy(job->sp, err, net_request_what(req));
	tag_fail(job, err);
}

static void
start_step(struct space_job *job, enum space_step step, struct net_request *req,
    net_done_cb done)
{
	job->step = step;
	job->req = space_app_request(job->sp, req, step == SPACE_STEP_INTERROGATE ? A1111_MAX_ANSWER :
	    GRADIO_MAX_SMALL);
	net_start(job->net, job->req, done, job);
}

static bool
on_stream_data(void *arg, const char *data, size_t len)
{
	struct space_job *job = arg;
	return gradio_stream_feed(job->stream, data, len);
}

static void
on_stream(struct net_request *req, void *arg)
{
	struct space_job *job = arg;
	struct spaceerr err = SPACEERR_INIT;
	job->req = NULL;
	job->res.bytes_sent += net_request_bytes_sent(req);
	/* What the stream said wins: a complete answer is good even if the
	 * connection then broke. */
	bool ok = gradio_stream_result(job->stream, &job->res.answer, &err);
	if (!ok && err.cls == SPACEERR_DROPPED) {
		struct spaceerr net = SPACEERR_INIT;
		if (space_failed(job->sp, req, &net)) {
			if (net.http_status == 404) {
				spaceerr_set(&net, SPACEERR_DROPPED, "%s: the Space no longer knows this "
				    "event (HTTP 404)", net_request_what(req));
			}
			spaceerr_copy(&err, &net);
		} else {
			space_tidy(job->sp, &err, net_request_what(req));
		}
		spaceerr_fini(&net);
	} else if (!ok) {
		space_tidy(job->sp, &err, net_request_what(req));
	}
	if (ok) {
		space_job_done(job);
	} else {
		tag_fail(job, &err);
	}
	spaceerr_fini(&err);
	net_request_destroy(req);
}

static void
on_call(struct net_request *req, void *arg)
{
	struct space_job *job = arg;
	struct spaceerr err = SPACEERR_INIT;
	char *id = NULL;
	size_t len;
	if (step_ok(job, req)) {
		const char *body = net_request_body(req, &len);
		if (!gradio_parse_event_id(body, len, &id, &err)) {
			step_malformed(job, req, &err);
		} else {
			char *url = xasprintf("%s%s/call/predict/%s", job->base, job->prefix, id);
			char *what = xasprintf("GET %s/call/predict/ID", job->prefix);
			struct net_request *next = net_request_get(url, what);
			job->stream = gradio_stream_create(job->floor);
			net_request_set_stream(next, on_stream_data, job);
			start_step(job, SPACE_STEP_STREAM, next, on_stream);
			free(what);
			free(url);
		}
	}
	free(id);
	spaceerr_fini(&err);
	net_request_destroy(req);
}

static void
on_upload(struct net_request *req, void *arg)
{
	struct space_job *job = arg;
	struct spaceerr err = SPACEERR_INIT;
	char *path = NULL;
	size_t len;
	if (step_ok(job, req)) {
		const char *body = net_request_body(req, &len);
		if (!gradio_parse_upload(body, len, &path, &err)) {
			step_malformed(job, req, &err);
		} else {
			char *json = gradio_call_body(path, job->model, job->floor);
			char *url = xasprintf("%s%s/call/predict", job->base, job->prefix);
			char *what = xasprintf("POST %s/call/predict", job->prefix);
			start_step(job, SPACE_STEP_CALL, net_request_post_json(url, what, json), on_call);
			free(what);
			free(url);
			free(json);
		}
	}
	free(path);
	spaceerr_fini(&err);
	net_request_destroy(req);
}

static void
on_interrogate(struct net_request *req, void *arg)
{
	struct space_job *job = arg;
	struct spaceerr err = SPACEERR_INIT;
	char *cause = NULL;
	size_t len;
	if (step_ok(job, req)) {
		const char *body = net_request_body(req, &len);
		if (answer_parse_a1111(body, len, job->floor, &job->res.answer, &cause)) {
			space_job_done(job);
		} else {
			spaceerr_set(&err, SPACEERR_MALFORMED, "%s", cause);
			step_malformed(job, req, &err);
		}
	}
	free(cause);
	spaceerr_fini(&err);
	net_request_destroy(req);
}

/* "model X is not offered here (it offers A, B, …)", the list shortened. */
static void
not_offered(struct space_job *job)
{
	struct spaceerr err = SPACEERR_INIT;
	size_t n;
	const char *const *models = gradio_config_models(job->sp->cfg, &n);
	char *list = xstrdup("");
	size_t i;
	for (i = 0; i < n && strlen(list) < 160; i++) {
		char *more = xasprintf("%s%s%s", list, i ? ", " : "", models[i]);
		free(list);
		list = more;
	}
	char *model = spaceerr_quote(job->model, strlen(job->model));
	char *shown = spaceerr_quote(list, strlen(list));
	spaceerr_set(&err, SPACEERR_BAD_INPUT, "model %s is not offered by this Space (it offers "
	    "%zu: %s%s)", model, n, shown, i < n ? ", …" : "");
	free(shown);
	free(model);
	free(list);
	tag_fail(job, &err);
	spaceerr_fini(&err);
}

static void
run_a1111(struct space_job *job)
{
	struct space *sp = job->sp;
	struct spaceerr err = SPACEERR_INIT;
	const char *model = a1111_pick_model(sp->a1111_models, sp->na1111, job->model, &err);
	if (model == NULL) {
		tag_fail(job, &err);
		spaceerr_fini(&err);
		return;
	}
	char *json = a1111_interrogate_body(job->image, job->image_len, model, job->floor);
	char *url = xasprintf("%s/tagger/v1/interrogate", job->base);
	start_step(job, SPACE_STEP_INTERROGATE,
	    net_request_post_json(url, "POST /tagger/v1/interrogate", json), on_interrogate);
	free(url);
	free(json);
}

/* The space is set up: go. */
static void
tag_run(struct space_job *job)
{
	struct space *sp = job->sp;
	job->base = xstrdup(spaceurl_base(sp->url));
	if (spaceurl_kind(sp->url) == SPACEURL_A1111) {
		run_a1111(job);
		return;
	}
	if (!gradio_config_offers(sp->cfg, job->model)) {
		not_offered(job);
		return;
	}
	job->prefix = xstrdup(gradio_config_prefix(sp->cfg));
	char *url = xasprintf("%s%s/upload", job->base, job->prefix);
	char *what = xasprintf("POST %s/upload", job->prefix);
	start_step(job, SPACE_STEP_UPLOAD, net_request_post_file(url, what, "files", job->filename,
	    job->mime, job->image, job->image_len), on_upload);
	free(what);
	free(url);
}

struct space_job *
space_tag_start(struct space *sp, struct net *net, const struct space_image *img,
    const char *model, double floor, space_tag_cb cb, void *arg)
{
	struct space_job *job = space_job_new(sp, net, SPACE_JOB_TAG, arg);
	job->tag_cb = cb;
	job->image = xmemdup(img->data, img->len);
	job->image_len = img->len;
	job->res.image_bytes = img->len;
	job->mime = xstrdup(img->mime != NULL ? img->mime : "application/octet-stream");
	job->filename = xstrdup(img->filename != NULL ? img->filename : "image");
	job->model = xstrdup(model);
	job->floor = floor;
	job->step = SPACE_STEP_WAIT;
	if (sp->setup == SPACE_SETUP_READY) {
		tag_run(job);
	} else if (sp->setup == SPACE_SETUP_NONE) {
		setup_start(sp, net);
	}
	return job;
}


/*
 * spaceprobe.c — the probe job (`tagcon spaces`) and the blocking forms
 * of the space API.
 */
#include <stdlib.h>
#include <string.h>

#include "core/space/a1111.h"
#include "core/space/hub.h"
#include "core/space/space-internal.h"
#include "common/xalloc.h"

/* --- probe --------------------------------------------------------------- */

static char **
copy_list(const char *const *list, size_t n)
{
	char **out = xreallocarray(NULL, n + 1, sizeof *out);
	for (size_t i = 0; i < n; i++) {
		out[i] = xstrdup(list[i]);
	}
	return out;
}

/* What /config (or the model list) told, into the probe's info. */
static void
info_from_config(struct space_info *info, const struct gradio_config *cfg,
    char *const *models, size_t n)
{
	if (cfg == NULL) {
		info->models = copy_list((const char *const *)models, n);
		info->nmodels = n;
		return;
	}
	const char *def = gradio_config_default_model(cfg);
	info->gradio_version = xstrdup(gradio_config_version(cfg));
	info->api_prefix = xstrdup(gradio_config_prefix(cfg));
	info->protocol = xstrdup(gradio_config_protocol(cfg));
	info->default_model = def != NULL ? xstrdup(def) : NULL;
	const char *const *list = gradio_config_models(cfg, &n);
	info->models = copy_list(list, n);
	info->nmodels = n;
}

/* URL, host and repo: last, as the config may have named the repo. */
static void
info_from_url(struct space_info *info, const struct spaceurl *u)
{
	const char *base = spaceurl_base(u), *repo = spaceurl_repo(u);
	info->kind = spaceurl_kind(u);
	info->url = xstrdup(spaceurl_text(u));
	info->host = base != NULL ? xstrdup(base) : NULL;
	info->repo = repo != NULL ? xstrdup(repo) : NULL;
}

static void
probe_finish(struct space_job *job)
{
	info_from_url(&job->info, job->sp->url);
	space_job_done(job);
}

static void
on_probe_runtime(struct net_request *req, void *arg)
{
	struct space_job *job = arg;
	struct spaceerr err = SPACEERR_INIT;
	size_t len;
	const char *body = net_request_body(req, &len);
	job->req = NULL;
	/* The hub's answer only refines a failed probe ("Space is SLEEPING"
	 * says more than "HTTP 503"); a hub failure fails nothing. */
	if (!space_failed(job->sp, req, &err) && hub_parse_stage(body, len, &job->info.stage, &err) &&
	    job->info.err.cls != SPACEERR_NONE &&
	    hub_stage_kind(job->info.stage) != HUB_STAGE_READY) {
		hub_stage_error(&job->info.err, job->info.stage);
	}
	spaceerr_fini(&err);
	net_request_destroy(req);
	probe_finish(job);
}

static void
probe_runtime(struct space_job *job)
{
	struct spaceerr err = SPACEERR_INIT;
	struct net_request *req = NULL;
	if (spaceurl_repo(job->sp->url) != NULL && spaceurl_kind(job->sp->url) != SPACEURL_A1111) {
		req = space_hub_request(job->sp, "runtime", &err);
	}
	spaceerr_fini(&err);
	if (req == NULL) {
		probe_finish(job);
		return;
	}
	job->step = SPACE_STEP_RUNTIME;
	job->req = req;
	net_start(job->net, req, on_probe_runtime, job);
}

static void
on_probe_config(struct net_request *req, void *arg)
{
	struct space_job *job = arg;
	struct space *sp = job->sp;
	struct gradio_config *cfg = NULL;
	char **models = NULL;
	size_t n = 0;
	job->req = NULL;
	job->info.config_ms = net_request_elapsed_ms(req);
	if (space_read_config(sp, req, &cfg, &models, &n, &job->info.err)) {
		info_from_config(&job->info, cfg, models, n);
		if (sp->setup != SPACE_SETUP_RUNNING) {
			/* Fresh: the cache takes it (a setup under way will itself). */
			space_drop_cache(sp);
			sp->cfg = cfg;
			sp->a1111_models = models;
			sp->na1111 = n;
			sp->setup = SPACE_SETUP_READY;
			cfg = NULL;
			models = NULL;
			n = 0;
		}
	} else if (sp->setup == SPACE_SETUP_READY) {
		space_forget(sp);
	}
	gradio_config_destroy(cfg);
	a1111_free_models(models, n);
	net_request_destroy(req);
	probe_runtime(job);
}

static void
probe_config(struct space_job *job)
{
	job->step = SPACE_STEP_CONFIG;
	job->req = space_config_request(job->sp);
	net_start(job->net, job->req, on_probe_config, job);
}

static void
on_probe_host(struct net_request *req, void *arg)
{
	struct space_job *job = arg;
	struct space *sp = job->sp;
	size_t len;
	const char *body = net_request_body(req, &len);
	job->req = NULL;
	bool ok = !space_failed(sp, req, &job->info.err);
	if (ok && !space_take_host(sp, body, len, &job->info.err)) {
		space_tidy(sp, &job->info.err, net_request_what(req));
		ok = false;
	}
	net_request_destroy(req);
	if (ok) {
		probe_config(job);
	} else {
		probe_runtime(job);
	}
}

struct space_job *
space_probe_start(struct space *sp, struct net *net, space_probe_cb cb, void *arg)
{
	struct space_job *job = space_job_new(sp, net, SPACE_JOB_PROBE, arg);
	job->probe_cb = cb;
	if (spaceurl_base(sp->url) != NULL) {
		probe_config(job);
		return job;
	}
	job->step = SPACE_STEP_RESOLVE;
	job->req = space_hub_request(sp, "host", &job->info.err);
	if (job->req == NULL) {
		probe_finish(job);
	} else {
		net_start(net, job->req, on_probe_host, job);
	}
	return job;
}

/* --- blocking forms ------------------------------------------------------ */

struct sync {
	bool done;
	struct space_result *res;
	struct space_info *info;
};

static void
sync_tag_done(struct space_result *res, void *arg)
{
	struct sync *s = arg;
	*s->res = *res;
	memset(res, 0, sizeof *res); /* moved */
	res->err = (struct spaceerr)SPACEERR_INIT;
	s->done = true;
}

static void
sync_probe_done(struct space_info *info, void *arg)
{
	struct sync *s = arg;
	*s->info = *info;
	memset(info, 0, sizeof *info);
	info->err = (struct spaceerr)SPACEERR_INIT;
	s->done = true;
}

/* Run net until the job is done, then drop it. */
static void
run_sync(struct net *net, struct sync *s)
{
	while (!s->done) {
		net_poll(net, 1000, NULL, 0);
	}
	net_destroy(net);
}

bool
space_tag_sync(struct space *sp, const struct net_opts *opts,
    const struct space_image *img, const char *model, double floor, struct space_result *res)
{
	memset(res, 0, sizeof *res);
	res->err = (struct spaceerr)SPACEERR_INIT;
	struct net *net = net_create(opts);
	if (net == NULL) {
		spaceerr_set(&res->err, SPACEERR_UNREACHABLE, "cannot start libcurl");
		return false;
	}
	struct sync s = {.res = res};
	space_tag_start(sp, net, img, model, floor, sync_tag_done, &s);
	run_sync(net, &s);
	return res->err.cls == SPACEERR_NONE;
}

bool
space_probe_sync(struct space *sp, const struct net_opts *opts, struct space_info *info)
{
	memset(info, 0, sizeof *info);
	info->err = (struct spaceerr)SPACEERR_INIT;
	struct net *net = net_create(opts);
	if (net == NULL) {
		spaceerr_set(&info->err, SPACEERR_UNREACHABLE, "cannot start libcurl");
		return false;
	}
	struct sync s = {.info = info};
	space_probe_start(sp, net, sync_probe_done, &s);
	run_sync(net, &s);
	return info->err.cls == SPACEERR_NONE;
}

struct probe_slot {
	struct space *sp;
	struct space_probe *p;
};

static void
on_probe_all(struct space_info *info, void *arg)
{
	struct space_probe *p = arg;
	p->info = *info;
	memset(info, 0, sizeof *info);
	p->done = true;
}

void
space_probe_all(struct space_probe *probes, size_t n, const char *token,
    const struct net_opts *opts)
{
	struct net *net = net_create(opts);
	struct space **sp = xcalloc(n + 1, sizeof *sp);
	size_t running = 0;
	for (size_t i = 0; i < n; i++) {
		probes[i].done = false;
		sp[i] = space_create(probes[i].url, token, &probes[i].cause);
		if (sp[i] != NULL) {
			space_probe_start(sp[i], net, on_probe_all, &probes[i]);
			running++;
		}
	}
	while (running > 0) {
		net_poll(net, 1000, NULL, 0);
		running = 0;
		for (size_t i = 0; i < n; i++) {
			running += sp[i] != NULL && !probes[i].done;
		}
	}
	for (size_t i = 0; i < n; i++) {
		space_destroy(sp[i]);
	}
	free(sp);
	net_destroy(net);
}

void
space_probe_fini(struct space_probe *p)
{
	space_info_fini(&p->info);
	free(p->cause);
	p->cause = NULL;
}

/*
 * screen-settings-live.c — Space probes and threshold effects for the
 * Settings form, computed off the UI thread.
 *
 * A probe runs `tagcon --db DB spaces --json URL...` as a child and reads
 * its objects as they come (one per line, or one array at the end).  The
 * library-wide effect of a threshold comes from stored scores only, in two
 * parts: first, from the query lane in a fraction of a second, the pending
 * suggestions of the whole library before and after (db_search_suggestions:
 * the suggestion histogram, exact with rules, folder overrides and
 * decisions); then, on the stats lane, the images whose suggestions change
 * (for fixed thresholds one indexed band query; with MCut every image's cut
 * differs, so all scores are streamed once).
 */
#include "tui/screen-settings.h"

#include <cjson/cJSON.h>
#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core/options.h"
#include "core/tag/impact.h"
#include "core/tag/review.h"
#include "core/tag/rules.h"
#include "core/settings.h"
#include "db/browse.h"
#include "db/db.h"
#include "db/search.h"
#include "common/xalloc.h"
#include "tui/console.h"
#include "tui/term.h"


struct live {
	struct console *c;
	struct live_probe *probes;
	size_t n_probes;

	bool impact_running;
	bool have_impact;
	struct db_cut impact_cand;
	int64_t changed;
	int64_t images;
	int64_t inexact;
	char *impact_error;

	bool pending_running;
	bool have_pending;
	struct db_cut pending_cand;
	int64_t pending_old;
	int64_t pending_new;
	/* images the model answered for: read once, then kept current by
	 * every changed-images answer */
	int64_t tagged;
	char *tagged_model;

	struct review *image_review; /* of the Library's cursor image, when none is reviewed */

	struct pending_memo *memo; /* the query lane's */
};

/*
 * Pending counts worked out already, for one model and one state of the
 * library (the query lane's PRAGMA data_version, which moves with every
 * commit of another connection: a batch, a review, a rule saved).  Every
 * step compares with the saved cut, and a person steps back and forth
 * around a value: each count is one index range per tag of the category,
 * read from disk when the page cache has let them go (0.5 s at 1M).
 * Only the query lane's jobs touch it, one at a time.
 */
enum { MEMO_CUTS = 8 };

struct pending_memo {
	char *model;
	int64_t version;
	size_t n;
	size_t next;
	struct {
		struct db_cut cut;
		int64_t count;
	} e[MEMO_CUTS];
};

struct live *
live_create(struct console *c)
{
	struct live *l = xcalloc(1, sizeof *l);
	l->c = c;
	l->memo = xcalloc(1, sizeof *l->memo);
	return l;
}

static void
probe_fini(struct live_probe *p)
{
	free(p->url);
	free(p->host);
	free(p->gradio_version);
	free(p->api_prefix);
	free(p->protocol);
	free(p->stage);
	g_strfreev(p->models);
	free(p->error);
	memset(p, 0, sizeof *p);
}

void
live_destroy(struct live *l)
{
	if (l == NULL) {
		return;
	}
	for (size_t i = 0; i < l->n_probes; i++) {
		probe_fini(&l->probes[i]);
	}
	free(l->probes);
	free(l->impact_error);
	free(l->tagged_model);
	review_destroy(l->image_review);
	if (l->memo != NULL) {
		free(l->memo->model);
		free(l->memo);
	}
	free(l);
}

/* --- probes ------------------------------------------------------------- */

static struct live_probe *
probe_slot(struct live *l, const char *url)
{
	for (size_t i = 0; i < l->n_probes; i++) {
		if (strcmp(l->probes[i].url, url) == 0) {
			return &l->probes[i];
		}
	}
	l->probes = xreallocarray(l->probes, l->n_probes + 1, sizeof *l->probes);
	struct live_probe *p = &l->probes[l->n_probes++];
	memset(p, 0, sizeof *p);
	p->url = xstrdup(url);
	return p;
}

const struct live_probe *
live_probe_of(const struct live *l, const char *url)
{
	for (size_t i = 0; i < l->n_probes; i++) {
		if (strcmp(l->probes[i].url, url) == 0) {
			return &l->probes[i];
		}
	}
	return NULL;
}

void
live_probed_models(const struct live *l, void (*fn)(void *ud, const char *model), void *ud)
{
	for (size_t i = 0; i < l->n_probes; i++) {
		for (char **m = l->probes[i].models; m != NULL && *m != NULL; m++) {
			fn(ud, *m);
		}
	}
}

static char *
json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? xstrdup(v->valuestring) : NULL;
}

/* One object of `tagcon spaces --json` into its URL's slot. */
static void
apply_object(struct live *l, const cJSON *o)
{
	char *url = json_str(o, "url");
	if (url == NULL) {
		return;
	}
	struct live_probe *p = probe_slot(l, url);
	free(url);
	char *keep = p->url;
	p->url = NULL;
	probe_fini(p);
	p->url = keep;
	p->host = json_str(o, "host");
	p->gradio_version = json_str(o, "gradio_version");
	p->api_prefix = json_str(o, "api_prefix");
	p->protocol = json_str(o, "protocol");
	p->stage = json_str(o, "stage");
	const cJSON *ms = cJSON_GetObjectItemCaseSensitive(o, "config_ms");
	p->config_ms = cJSON_IsNumber(ms) ? ms->valuedouble : -1;
	const cJSON *models = cJSON_GetObjectItemCaseSensitive(o, "models"), *m;
	GPtrArray *a = g_ptr_array_new();
	cJSON_ArrayForEach(m, models) {
		if (cJSON_IsString(m)) {
			g_ptr_array_add(a, g_strdup(m->valuestring));
		}
	}
	g_ptr_array_add(a, NULL);
	p->models = (char **)g_ptr_array_free(a, FALSE);
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(o, "error");
	if (cJSON_IsObject(err)) {
		char *cls = json_str(err, "class"), *msg = json_str(err, "message");
		p->error = xasprintf("%s: %s", cls ? cls : "error", msg ? msg : "");
		free(cls);
		free(msg);
	}
}

static void
apply_json(struct live *l, const cJSON *doc)
{
	if (cJSON_IsArray(doc)) {
		const cJSON *o;
		cJSON_ArrayForEach(o, doc) {
			apply_object(l, o);
		}
	} else if (cJSON_IsObject(doc)) {
		const cJSON *spaces = cJSON_GetObjectItemCaseSensitive(doc, "spaces");
		if (cJSON_IsArray(spaces)) {
			apply_json(l, spaces);
		} else {
			apply_object(l, doc);
		}
	}
}

struct probe_child {
	struct live *l;
	GString *out;
	char **urls;
};

static void
probe_line(void *ud, const char *line)
{
	struct probe_child *pc = ud;
	g_string_append_printf(pc->out, "%s\n", line);
	cJSON *doc = cJSON_Parse(line);
	if (doc != NULL) {
		apply_json(pc->l, doc);
		cJSON_Delete(doc);
		console_redraw(pc->l->c);
	}
}

static void
probe_exited(void *ud, int status)
{
	struct probe_child *pc = ud;
	struct live *l = pc->l;
	cJSON *doc = cJSON_Parse(pc->out->str);
	if (doc != NULL) {
		apply_json(l, doc);
		cJSON_Delete(doc);
	}
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	for (char **u = pc->urls; *u != NULL; u++) {
		struct live_probe *p = probe_slot(l, *u);
		if (p->running) {
			p->running = false;
			p->error = code == 2 ? xstrdup("this tagcon has no `spaces` command yet")
			    : xasprintf("no answer from tagcon spaces (exit %d)", code);
		}
	}
	g_strfreev(pc->urls);
	g_string_free(pc->out, TRUE);
	free(pc);
	console_redraw(l->c);
}

static const struct console_child_ops probe_ops = {probe_line, probe_exited};

void
live_probe(struct live *l, char *const *urls, size_t n)
{
	if (n == 0) {
		return;
	}
	GPtrArray *argv = g_ptr_array_new();
	g_ptr_array_add(argv, (char *)console_exe(l->c));
	g_ptr_array_add(argv, "--db");
	g_ptr_array_add(argv, (char *)console_db_path(l->c));
	g_ptr_array_add(argv, "spaces");
	g_ptr_array_add(argv, "--json");
	struct probe_child *pc = xcalloc(1, sizeof *pc);
	pc->l = l;
	pc->out = g_string_new(NULL);
	pc->urls = g_new0(char *, n + 1);
	for (size_t i = 0; i < n; i++) {
		pc->urls[i] = g_strdup(urls[i]);
		g_ptr_array_add(argv, urls[i]);
		struct live_probe *p = probe_slot(l, urls[i]);
		char *keep = p->url;
		p->url = NULL;
		probe_fini(p);
		p->url = keep;
		p->running = true;
	}
	g_ptr_array_add(argv, NULL);
	char *cause = NULL;
	if (!console_spawn(l->c, (char *const *)argv->pdata, &probe_ops, pc, &cause)) {
		console_message(l->c, CONSOLE_ERROR, "%s", cause);
		free(cause);
		probe_exited(pc, 127 << 8);
	}
	g_ptr_array_free(argv, TRUE);
}

/* --- library-wide effect of a threshold --------------------------------- */

struct impact_job {
	struct live *l;
	char *model;
	struct db_cut old;
	struct db_cut cand;
	bool ok;
	struct impact res;
};

static void
impact_work(void *arg, const struct console_job_ctx *ctx)
{
	struct impact_job *j = arg;
	struct rules *r = ctx->db != NULL ? rules_load(ctx->db, NULL) : NULL;
	j->ok = r != NULL &&
	    impact_changed(ctx->db, j->model, r, j->old, j->cand, ctx->cancel, &j->res);
	rules_destroy(r);
}

static void
impact_done(void *arg, bool cancelled)
{
	struct impact_job *j = arg;
	struct live *l = j->l;
	if (!cancelled) {
		l->impact_running = false;
		l->have_impact = j->ok;
		l->impact_cand = j->cand;
		l->changed = j->res.changed;
		l->images = j->res.images;
		l->inexact = j->res.inexact;
		/* The same count of tagged images, from the score bands at no
		 * cost: the pending line needs not count it again (seconds at
		 * millions of images) while the steps go on. */
		if (j->ok && j->model != NULL) {
			free(l->tagged_model);
			l->tagged_model = xstrdup(j->model);
			l->tagged = j->res.images;
		}
		console_redraw(l->c);
	}
	free(j->model);
	free(j);
}

struct pending_job {
	struct live *l;
	char *model;
	struct db_cut old;
	struct db_cut cand;
	int64_t n_old;
	int64_t n_new;
	int64_t images; /* in: the cached count, or -1 to read it */
	bool ok;
};

static bool
same_cut(struct db_cut a, struct db_cut b)
{
	return a.general_threshold == b.general_threshold &&
	    a.character_threshold == b.character_threshold &&
	    a.general_mcut == b.general_mcut && a.character_mcut == b.character_mcut &&
	    a.max_tags == b.max_tags;
}

/* The pending count under cut: from the memo, else counted into it. */
static bool
memo_count(struct pending_memo *m, struct db *db, const char *model, const struct rules *r,
    struct db_cut cut, int64_t *n)
{
	for (size_t i = 0; i < m->n; i++) {
		if (same_cut(m->e[i].cut, cut)) {
			*n = m->e[i].count;
			return true;
		}
	}
	if (!impact_pending_under(db, model, r, cut, n)) {
		return false;
	}
	m->e[m->next].cut = cut;
	m->e[m->next].count = *n;
	m->next = (m->next + 1) % MEMO_CUTS;
	m->n += m->n < MEMO_CUTS;
	return true;
}

static void
pending_work(void *arg, const struct console_job_ctx *ctx)
{
	struct pending_job *j = arg;
	struct pending_memo *m = j->l->memo;
	int64_t version = 0;
	struct rules *r = NULL;
	j->ok = ctx->db != NULL && db_browse_version(ctx->db, &version) &&
	    (r = rules_load(ctx->db, NULL)) != NULL;
	if (j->ok && (m->model == NULL || strcmp(m->model, j->model) != 0 ||
	    m->version != version)) {
		free(m->model);
		m->model = xstrdup(j->model);
		m->version = version;
		m->n = m->next = 0;
	}
	j->ok = j->ok && memo_count(m, ctx->db, j->model, r, j->old, &j->n_old) &&
	    memo_count(m, ctx->db, j->model, r, j->cand, &j->n_new) &&
	    (j->images >= 0 || db_browse_tagged(ctx->db, j->model, &j->images));
	rules_destroy(r);
}

static void
pending_done(void *arg, bool cancelled)
{
	struct pending_job *j = arg;
	struct live *l = j->l;
	if (!cancelled) {
		l->pending_running = false;
		l->have_pending = j->ok;
		l->pending_cand = j->cand;
		l->pending_old = j->n_old;
		l->pending_new = j->n_new;
		if (j->ok && (l->tagged_model == NULL || strcmp(l->tagged_model, j->model) != 0 ||
		    l->tagged != j->images)) {
			free(l->tagged_model);
			l->tagged_model = xstrdup(j->model);
			l->tagged = j->images;
		}
		console_redraw(l->c);
	}
	free(j->model);
	free(j);
}

void
live_impact(struct live *l, struct db_cut old, struct db_cut cand)
{
	struct pending_job *p = xcalloc(1, sizeof *p);
	*p = (struct pending_job){.l = l, .old = old, .cand = cand,
		.model = settings_get(console_db(l->c), "model")};
	if (p->model == NULL) {
		p->model = xstrdup("");
	}
	/* The count of tagged images is read once per model; every answer of
	 * the changed-images line (from the bands, at no cost) keeps it
	 * current, so no step waits to count it again (seconds at 5M). */
	bool known = l->tagged_model != NULL && strcmp(l->tagged_model, p->model) == 0;
	p->images = known ? l->tagged : -1;
	l->pending_running = true;
	console_job(l->c, LANE_QUERY, JOB_IMPACT_PENDING, pending_work, pending_done, p);

	struct impact_job *j = xcalloc(1, sizeof *j);
	j->l = l;
	j->model = settings_get(console_db(l->c), "model");
	if (j->model == NULL) {
		j->model = xstrdup("");
	}
	j->old = old;
	j->cand = cand;
	l->impact_running = true;
	console_job(l->c, LANE_STATS, JOB_IMPACT, impact_work, impact_done, j);
}

struct diff_text {
	GString *added;
	GString *removed;
	int n_added;
	int n_removed;
};

static void
diff_tag(void *ud, const char *tag, bool added)
{
	struct diff_text *d = ud;
	GString *g = added ? d->added : d->removed;
	g_string_append_printf(g, "%s%s", g->len ? ", " : "", tag);
	*(added ? &d->n_added : &d->n_removed) += 1;
}

/* The review to preview on: the Review screen's, else the Library cursor's. */
static const struct review *
current_review(struct live *l)
{
	const struct review *r = console_review(l->c);
	if (r != NULL) {
		return r;
	}
	int64_t id = console_image(l->c);
	if (id == 0) {
		return NULL;
	}
	if (l->image_review == NULL || review_image(l->image_review) != id) {
		struct db *db = console_db(l->c);
		char *model = settings_get(db, "model"), *cause = NULL;
		struct review_opts o = options_review(db);
		const struct rules *rules = console_rules(l->c);
		review_destroy(l->image_review);
		l->image_review = rules == NULL ? NULL :
		    review_create(db, id, model != NULL ? model : "", rules, &o, &cause);
		free(cause);
		free(model);
	}
	return l->image_review;
}

static void
draw_image_effect(struct live *l, WINDOW *w, int y, int x, int width, int height,
    struct db_cut cand)
{
	const struct review *r = current_review(l);
	if (r == NULL) {
		term_put(w, y, x, width, "This image: none picked (Library or Review)",
		    console_attr(l->c, THEME_DIM), false);
		return;
	}
	const struct rules *now = console_rules(l->c);
	if (now == NULL) {
		return;
	}
	struct diff_text d = {g_string_new(NULL), g_string_new(NULL), 0, 0};
	struct rules *with = rules_dup_with_cut(now, cand);
	review_diff(r, with, diff_tag, &d);
	rules_destroy(with);
	char *line = d.n_added + d.n_removed == 0 ? xstrdup("This image: no change")
	    : xasprintf("This image: %d added, %d removed", d.n_added, d.n_removed);
	term_put(w, y, x, width, line, console_attr(l->c, THEME_NORMAL), false);
	free(line);
	if (d.n_added > 0 && height > 1) {
		line = xasprintf("  + %s", d.added->str);
		term_put(w, y + 1, x, width, line, console_attr(l->c, THEME_ACCEPTED), false);
		free(line);
	}
	if (d.n_removed > 0 && height > 1 + (d.n_added > 0)) {
		line = xasprintf("  - %s", d.removed->str);
		term_put(w, y + 1 + (d.n_added > 0), x, width, line,
		    console_attr(l->c, THEME_REJECTED),
		    false);
		free(line);
	}
	g_string_free(d.added, TRUE);
	g_string_free(d.removed, TRUE);
}

static bool
same_opts(struct db_cut a, struct db_cut b)
{
	return a.general_threshold == b.general_threshold &&
	    a.character_threshold == b.character_threshold &&
	    a.general_mcut == b.general_mcut && a.character_mcut == b.character_mcut;
}

/* "1,234,567": counts of a million read at a glance. */
static void
grouped(char *buf, size_t size, int64_t n)
{
	char digits[32];
	int len = snprintf(digits, sizeof digits, "%lld", (long long)(n < 0 ? -n : n));
	size_t k = 0;
	if (n < 0 && k + 1 < size) {
		buf[k++] = '-';
	}
	for (int i = 0; i < len && k + 2 < size; i++) {
		if (i > 0 && (len - i) % 3 == 0) {
			buf[k++] = ',';
		}
		buf[k++] = digits[i];
	}
	buf[k] = '\0';
}

static void
draw_pending(struct live *l, WINDOW *w, int y, int x, int width, struct db_cut cand)
{
	char *line, a[32], b[32];
	if (l->pending_running || !same_opts(l->pending_cand, cand)) {
		line = xstrdup("Pending suggestions in the library: counting…");
	} else if (!l->have_pending) {
		line = xstrdup("Pending suggestions in the library: could not count");
	} else {
		grouped(a, sizeof a, l->pending_old);
		grouped(b, sizeof b, l->pending_new);
		double pct = l->pending_old > 0 ? 100.0 * (double)(l->pending_new - l->pending_old) /
		    (double)l->pending_old : 0;
		double n = l->tagged > 0 ? (double)l->tagged : 1;
		line = xasprintf("Pending suggestions in the library: %s → %s (%+.1f %%), "
		    "%.1f → %.1f per tagged image", a, b, pct, (double)l->pending_old / n,
		    (double)l->pending_new / n);
	}
	term_put(w, y, x, width, line, console_attr(l->c, THEME_NORMAL), false);
	free(line);
}

void
live_draw_impact(struct live *l, WINDOW *w, int y, int x, int width, int height,
    struct db_cut cand)
{
	if (height < 1) {
		return;
	}
	char *line;
	if (l->impact_running || !same_opts(l->impact_cand, cand)) {
		line = xstrdup("Library: counting from stored scores…");
	} else if (!l->have_impact) {
		line = xstrdup("Library: could not count (see the Log)");
	} else {
		line = xasprintf("Library: %lld of %lld tagged images change%s",
		    (long long)l->changed, (long long)l->images,
		    l->inexact > 0 ? " (MCut approximate for some)" : "");
	}
	term_put(w, y, x, width, line, console_attr(l->c, THEME_TITLE), false);
	free(line);
	if (height > 1) {
		draw_pending(l, w, y + 1, x, width, cand);
	}
	draw_image_effect(l, w, y + 2, x, width, height - 2, cand);
}

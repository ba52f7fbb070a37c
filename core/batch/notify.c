/* notify.c — a delivery thread with its own curl multi handle. */
#include "core/batch/notify.h"

#include <glib.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "core/space/net.h"
#include "core/sanitize.h"
#include "common/xalloc.h"

#define TRIES 5
#define BODY_MAX (64 * 1024)

struct letter {
	char *json;
	int tries;
	int64_t due; /* ms, monotonic */
};

struct notify {
	char *url;
	void (*warn)(void *ud, const char *msg);
	void *ud;
	GAsyncQueue *inbox;
	GThread *thread;
	struct net *net;
	atomic_long deadline; /* 0 while running; then ms to give up at */
	GQueue waiting;       /* thread only: letters due later */
	struct letter *out;   /* thread only: the one in flight */
	struct net_request *req;
};

static void
letter_free(struct letter *l)
{
	free(l->json);
	free(l);
}

static void
on_done(struct net_request *req, void *arg)
{
	struct notify *n = arg;
	struct letter *l = n->out;
	int status = net_request_status(req);
	bool ok = net_request_failure(req) == NET_OK && status >= 200 && status < 300;
	n->out = NULL;
	if (ok) {
		letter_free(l);
	} else if (++l->tries >= TRIES) {
		if (n->warn != NULL) {
			char *msg = xasprintf("notify: %s: gave up after %d tries (%s)", n->url, TRIES,
			    status ? "HTTP error" : net_request_error(req));
			char *safe = sanitize_str(msg);
			n->warn(n->ud, safe);
			free(safe);
			free(msg);
		}
		letter_free(l);
	} else {
		l->due = clock_ms() + (1000 << (l->tries - 1));
		g_queue_push_tail(&n->waiting, l);
	}
	net_request_destroy(n->req);
	n->req = NULL;
}

/* Start the next letter that is due; returns ms until one will be. */
static long
send_next(struct notify *n)
{
	struct letter *l;
	while ((l = g_async_queue_try_pop(n->inbox)) != NULL) {
		g_queue_push_tail(&n->waiting, l);
	}
	if (n->out != NULL) {
		return 1000;
	}
	int64_t now = clock_ms(), wait = 1000;
	for (GList *it = n->waiting.head; it != NULL; it = it->next) {
		l = it->data;
		if (l->due <= now) {
			g_queue_delete_link(&n->waiting, it);
			n->out = l;
			n->req = net_request_post_json(n->url, "POST notify", l->json);
			net_request_set_max_bytes(n->req, BODY_MAX);
			net_start(n->net, n->req, on_done, n);
			return 0;
		}
		wait = MIN(wait, l->due - now);
	}
	return (long)wait;
}

static gpointer
notify_main(gpointer arg)
{
	struct notify *n = arg;
	for (;;) {
		long wait = send_next(n);
		long deadline = atomic_load(&n->deadline);
		bool idle = n->out == NULL && g_queue_is_empty(&n->waiting) &&
		    g_async_queue_length(n->inbox) <= 0;
		if (deadline != 0 && (idle || clock_ms() >= deadline)) {
			break;
		}
		net_poll(n->net, (int)MIN(wait, 250), NULL, 0);
	}
	return NULL;
}

struct notify *
notify_create(const char *url, void (*warn)(void *ud, const char *msg), void *ud,
    char **cause)
{
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
		*cause = xasprintf("notify_url: '%s' is not an http(s) URL", url);
		return NULL;
	}
	struct notify *n = xcalloc(1, sizeof *n);
	n->url = xstrdup(url);
	n->warn = warn;
	n->ud = ud;
	n->inbox = g_async_queue_new();
	struct net_opts o = {.connect_timeout_ms = 5000, .idle_timeout_ms = 10000};
	n->net = net_create(&o);
	g_queue_init(&n->waiting);
	n->thread = g_thread_new("tagcon-notify", notify_main, n);
	return n;
}

void
notify_post(struct notify *n, const char *json)
{
	struct letter *l = xcalloc(1, sizeof *l);
	l->json = xstrdup(json);
	g_async_queue_push(n->inbox, l);
	net_wakeup(n->net);
}

void
notify_destroy(struct notify *n, long deadline_ms)
{
	if (n == NULL) {
		return;
	}
	atomic_store(&n->deadline, (long)(clock_ms() + (deadline_ms > 0 ? deadline_ms : 1)));
	net_wakeup(n->net);
	g_thread_join(n->thread);
	net_request_destroy(n->req);
	if (n->out != NULL) {
		letter_free(n->out);
	}
	struct letter *l;
	while ((l = g_queue_pop_head(&n->waiting)) != NULL) {
		letter_free(l);
	}
	while ((l = g_async_queue_try_pop(n->inbox)) != NULL) {
		letter_free(l);
	}
	g_async_queue_unref(n->inbox);
	net_destroy(n->net);
	free(n->url);
	free(n);
}

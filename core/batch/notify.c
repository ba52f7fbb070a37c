/*
 * notify.c — a delivery thread with its own curl multi handle.
 *
 * Several letters travel at once (SLOTS), so one a receiver is slow to
 * answer holds no other beyond its own timeout.  The letter posted with
 * notify_post_last() (a batch's "finish") goes last: only once every
 * earlier one is delivered or given up, so no retried per-image event can
 * arrive after it.  Its poster marks it: the thread cannot tell it from
 * the others by when notify_destroy() is called, since the thread may take
 * it from the inbox before that call (and did, sending "finish" beside
 * per-image letters still in flight).  Once closing, a letter that fails is not tried again,
 * and when the receiver cannot be reached at all every letter left is
 * dropped at once: a dead receiver never holds the command's exit.  What
 * is not delivered is said, in one warning, with the URL's credentials
 * masked.
 */
#include "core/batch/notify.h"

#include <glib.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/xalloc.h"
#include "core/sanitize.h"
#include "core/space/net.h"

#define TRIES 5
#define SLOTS 4
#define BODY_MAX (64 * 1024)

struct letter {
	char *json;
	long seq;
	int tries;
	int64_t due; /* ms, monotonic */
	bool last;   /* goes once every other letter is delivered or given up */
};

struct slot {
	struct notify *n;
	struct letter *l;
	struct net_request *req;
};

struct notify {
	char *url;
	char *shown;          /* url with its credentials masked */
	void (*warn)(void *ud, const char *msg);
	void *ud;
	GAsyncQueue *inbox;
	GThread *thread;
	struct net *net;
	atomic_long posted;   /* letters posted: the last one's seq */
	atomic_long deadline; /* 0 while running; then ms to give up at */
	/* thread only */
	GQueue waiting;       /* letters not in flight, by seq */
	struct slot slots[SLOTS];
	bool unreachable;     /* closing: the receiver could not be reached */
	int lost;
	bool lost_final;
};

static void
letter_free(struct letter *l)
{
	free(l->json);
	free(l);
}

static void
warn(struct notify *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
warn(struct notify *n, const char *fmt, ...)
{
	if (n->warn == NULL) {
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	char *safe = sanitize_str(msg);
	n->warn(n->ud, safe);
	free(safe);
	free(msg);
}

static bool
closing(const struct notify *n)
{
	return atomic_load(&n->deadline) != 0;
}

/* A letter that will not be delivered: counted, said at the end. */
static void
lose(struct notify *n, struct letter *l)
{
	n->lost++;
	n->lost_final |= l->last;
	letter_free(l);
}

/* Keep waiting letters in the order they were posted. */
static void
wait_again(struct notify *n, struct letter *l)
{
	GList *it = n->waiting.head;
	while (it != NULL && ((struct letter *)it->data)->seq < l->seq) {
		it = it->next;
	}
	g_queue_insert_before(&n->waiting, it, l);
}

static void
on_done(struct net_request *req, void *arg)
{
	struct slot *s = arg;
	struct notify *n = s->n;
	struct letter *l = s->l;
	int status = net_request_status(req);
	enum net_failure f = net_request_failure(req);
	bool ok = f == NET_OK && status >= 200 && status < 300;
	s->l = NULL;
	if (ok) {
		letter_free(l);
	} else if (closing(n)) {
		/* No retries once closing; no receiver, no point in the rest. */
		n->unreachable |= f != NET_OK;
		lose(n, l);
	} else if (++l->tries >= TRIES) {
		warn(n, "notify: %s: gave up after %d tries (%s)", n->shown, TRIES,
		    status ? "HTTP error" : net_request_error(req));
		lose(n, l);
	} else {
		l->due = clock_ms() + (1000 << (l->tries - 1));
		wait_again(n, l);
	}
	net_request_destroy(s->req);
	s->req = NULL;
}

static int
in_flight(const struct notify *n)
{
	int k = 0;
	for (int i = 0; i < SLOTS; i++) {
		k += n->slots[i].l != NULL;
	}
	return k;
}

static void
send(struct notify *n, struct slot *s, struct letter *l)
{
	s->l = l;
	s->req = net_request_post_json(n->url, "POST notify", l->json);
	net_request_set_max_bytes(s->req, BODY_MAX);
	net_start(n->net, s->req, on_done, s);
}

/* Whether l may go now (the last letter waits for every other one). */
static bool
may_go(const struct notify *n, const struct letter *l, int64_t now)
{
	if (l->last) {
		/* By seq, the last letter is the last one waiting. */
		return in_flight(n) == 0 && n->waiting.length == 1 &&
		    g_async_queue_length(n->inbox) <= 0;
	}
	return l->due <= now || closing(n);
}

/* Start what is due in the free slots; returns ms until a letter will be. */
static long
send_due(struct notify *n)
{
	struct letter *l;
	while ((l = g_async_queue_try_pop(n->inbox)) != NULL) {
		wait_again(n, l);
	}
	int64_t now = clock_ms(), wait = 1000;
	for (int i = 0; i < SLOTS; i++) {
		if (n->slots[i].l != NULL) {
			continue;
		}
		GList *it = n->waiting.head;
		while (it != NULL && !may_go(n, it->data, now)) {
			l = it->data;
			wait = MIN(wait, l->due > now ? l->due - now : 1000);
			it = it->next;
		}
		if (it == NULL) {
			break;
		}
		l = it->data;
		g_queue_delete_link(&n->waiting, it);
		send(n, &n->slots[i], l);
		wait = 0;
	}
	return (long)wait;
}

static bool
idle(const struct notify *n)
{
	return in_flight(n) == 0 && n->waiting.length == 0 &&
	    g_async_queue_length(n->inbox) <= 0;
}

static gpointer
notify_main(gpointer arg)
{
	struct notify *n = arg;
	for (;;) {
		if (n->unreachable) {
			struct letter *l;
			while ((l = g_async_queue_try_pop(n->inbox)) != NULL) {
				wait_again(n, l);
			}
			while ((l = g_queue_pop_head(&n->waiting)) != NULL) {
				lose(n, l);
			}
		}
		long wait = send_due(n);
		long deadline = atomic_load(&n->deadline);
		if (deadline != 0 && (idle(n) || clock_ms() >= deadline)) {
			break;
		}
		net_poll(n->net, (int)MIN(wait, 250), NULL, 0);
	}
	return NULL;
}

struct notify *
notify_create(const char *url, void (*warn_fn)(void *ud, const char *msg), void *ud,
    char **cause)
{
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
		char *shown = sanitize_url(url);
		*cause = xasprintf("notify_url: '%s' is not an http(s) URL", shown);
		free(shown);
		return NULL;
	}
	struct notify *n = xcalloc(1, sizeof *n);
	n->url = xstrdup(url);
	n->shown = sanitize_url(url);
	n->warn = warn_fn;
	n->ud = ud;
	n->inbox = g_async_queue_new();
	struct net_opts o = {.connect_timeout_ms = 5000, .idle_timeout_ms = 10000};
	n->net = net_create(&o);
	g_queue_init(&n->waiting);
	for (int i = 0; i < SLOTS; i++) {
		n->slots[i].n = n;
	}
	n->thread = g_thread_new("tagcon-notify", notify_main, n);
	return n;
}

static void
post(struct notify *n, const char *json, bool last)
{
	struct letter *l = xcalloc(1, sizeof *l);
	/* Valid UTF-8 and no terminal control, whatever a path held. */
	l->json = sanitize_json(json);
	l->seq = atomic_fetch_add(&n->posted, 1) + 1;
	l->last = last;
	g_async_queue_push(n->inbox, l);
	net_wakeup(n->net);
}

void
notify_post(struct notify *n, const char *json)
{
	post(n, json, false);
}

void
notify_post_last(struct notify *n, const char *json)
{
	post(n, json, true);
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
	struct letter *l;
	for (int i = 0; i < SLOTS; i++) {
		net_request_destroy(n->slots[i].req);
		if (n->slots[i].l != NULL) {
			lose(n, n->slots[i].l);
		}
	}
	while ((l = g_queue_pop_head(&n->waiting)) != NULL) {
		lose(n, l);
	}
	while ((l = g_async_queue_try_pop(n->inbox)) != NULL) {
		lose(n, l);
	}
	if (n->lost > 0) {
		warn(n, "notify: %s: %d message%s not delivered%s%s", n->shown, n->lost,
		    n->lost == 1 ? "" : "s", n->lost_final ? ", the finish notice among them" : "",
		    n->unreachable ? " (the receiver could not be reached)" : "");
	}
	g_async_queue_unref(n->inbox);
	net_destroy(n->net);
	free(n->url);
	free(n->shown);
	free(n);
}

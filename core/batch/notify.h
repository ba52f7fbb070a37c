/*
 * notify.h — POST JSON documents to a notification URL (the notify_url
 * setting, as Cloudinary's notification_url), off the caller's thread.
 *
 * Delivery is retried with backoff (1, 2, 4, 8 s; five tries), bounded in
 * time and size, and never blocks the caller: notify_post() only queues.
 * A document that cannot be delivered is dropped with a warning.
 */
#ifndef TAGCON_NOTIFY_H
#define TAGCON_NOTIFY_H

struct notify;

/* NULL with *cause when url is not an http(s) URL. */
struct notify *notify_create(const char *url, void (*warn)(void *ud, const char *msg),
    void *ud, char **cause);
/* Queue one JSON document (copied). */
void notify_post(struct notify *n, const char *json);
/* Queue the last document (a batch's "finish"): it goes only once every
 * other is delivered or given up.  Nothing is posted after it. */
void notify_post_last(struct notify *n, const char *json);
/* Deliver what is queued for at most deadline_ms, then stop. */
void notify_destroy(struct notify *n, long deadline_ms);

#endif

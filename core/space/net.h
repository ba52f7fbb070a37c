/*
 * net.h — HTTP requests over one libcurl multi handle, driven by one thread.
 *
 * A struct net owns a CURLM; requests are added from the thread that calls
 * net_poll(), which waits for network activity (or net_wakeup() from any
 * other thread, or extra descriptors), runs the transfers and calls each
 * finished request's done callback.  Callbacks run inside net_poll, on that
 * thread; they may start new requests and destroy the one that finished.
 *
 * Every request is bounded: the answer body (max_bytes; more fails the
 * request with NET_TOO_LARGE, never grows memory), the connect time
 * (connect_timeout_ms), silence (idle_timeout_ms: no byte either way for
 * that long; must exceed Gradio's 15 s SSE heartbeat, and the default lets
 * two heartbeats go missing) and its whole length (deadline_ms, from start
 * to the last byte: a peer that trickles bytes or sends heartbeats for
 * ever is cut off too).  Both time limits fail the request with
 * NET_TIMEOUT_IDLE, its message saying which.  TLS is always verified.  Redirects are followed for GET only
 * (at most 3, http and https only); libcurl does not carry a custom
 * Authorization header to another host.
 */
#ifndef TAGCON_NET_H
#define TAGCON_NET_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct net;
struct net_request;

/* Gradio sends a heartbeat every 15 s: silence is two missed, and 5 s for
 * the road. */
#define NET_DEFAULT_IDLE_MS 35000
#define NET_DEFAULT_DEADLINE_MS 120000
#define NET_DEFAULT_MAX_WAIT_MS (3600 * 1000LL)

struct net_opts {
	long connect_timeout_ms; /* 0: 10 s */
	long idle_timeout_ms;    /* silence; 0: NET_DEFAULT_IDLE_MS */
	long deadline_ms;        /* a request in all; 0: NET_DEFAULT_DEADLINE_MS */
	const char *user_agent;  /* NULL: "tagcon/VERSION" */
	/* A Retry-After asking for longer is read as this; 0: NET_DEFAULT_MAX_WAIT_MS. */
	long long max_wait_ms;
};

enum net_failure {
	NET_OK,              /* an HTTP answer arrived (any status) */
	NET_UNREACHABLE,     /* DNS, refused, no route */
	NET_TLS,             /* certificate or handshake */
	NET_TIMEOUT_CONNECT,
	NET_TIMEOUT_IDLE,    /* silent too long, or past the deadline */
	NET_TOO_LARGE,       /* the body passed max_bytes */
	NET_DROPPED,         /* connection closed or reset mid-answer */
	NET_STOPPED,         /* the stream callback asked to stop */
	NET_OTHER,
};

typedef void (*net_done_cb)(struct net_request *req, void *arg);
/* Streamed body bytes (2xx answers only); return false to stop. */
typedef bool (*net_data_cb)(void *arg, const char *data, size_t len);

struct net *net_create(const struct net_opts *opts);
/* Stops and detaches every request still running (no callbacks); destroy
 * the requests themselves before or after. */
void net_destroy(struct net *net);

/*
 * Wait up to timeout_ms (-1: until something happens) for activity on the
 * transfers, the nfds extra descriptors (revents filled in) or a wake-up,
 * then run transfers, done callbacks and deferred calls.  Returns the
 * number of requests still running plus deferred calls pending: 0 means
 * nothing more will happen without new work.
 */
int net_poll(struct net *net, int timeout_ms, struct pollfd *fds, unsigned nfds);
/* Make a net_poll in progress (or the next one) return; any thread. */
void net_wakeup(struct net *net);
/* Requests running plus deferred calls pending. */
size_t net_running(const struct net *net);

/*
 * Run cb(arg) from the next net_poll, after the transfers: lets an
 * operation report an outcome known at once without calling its caller
 * back from inside the call that started it.
 */
typedef void (*net_call_cb)(void *arg);
struct net_call;
struct net_call *net_defer(struct net *net, net_call_cb cb, void *arg);
/* Forget a deferred call that has not run yet. */
void net_defer_cancel(struct net *net, struct net_call *call);

/* A GET of url; what names it in messages ("GET /config"). */
struct net_request *net_request_get(const char *url, const char *what);
/* A POST of a JSON text (copied). */
struct net_request *net_request_post_json(const char *url, const char *what, const char *json);
/* A multipart/form-data POST of one file part (data copied). */
struct net_request *net_request_post_file(const char *url, const char *what, const char *field,
    const char *filename, const char *mime, const void *data, size_t len);
/* Stops it if running (no callback). */
void net_request_destroy(struct net_request *req);

/* Before net_start: */
void net_request_set_bearer(struct net_request *req, const char *token);
void net_request_set_basic(struct net_request *req, const char *userpwd);
void net_request_set_max_bytes(struct net_request *req, size_t max);
void net_request_set_stream(struct net_request *req, net_data_cb cb, void *arg);
void net_start(struct net *net, struct net_request *req, net_done_cb done, void *arg);

/* After done: */
enum net_failure net_request_failure(const struct net_request *req);
/* libcurl's own words for a failure, safe to print ("" when none). */
const char *net_request_error(const struct net_request *req);
const char *net_request_what(const struct net_request *req);
int net_request_status(const struct net_request *req);
/* The buffered body (not for streamed 2xx answers), NUL terminated. */
const char *net_request_body(const struct net_request *req, size_t *len);
const char *net_request_content_type(const struct net_request *req); /* or NULL */
/* Retry-After in ms from when it arrived (at most max_wait_ms), -1 when
 * absent or unreadable. */
long long net_request_retry_after(const struct net_request *req);
bool net_request_sent_token(const struct net_request *req);
uint64_t net_request_bytes_sent(const struct net_request *req);
unsigned net_request_elapsed_ms(const struct net_request *req);

#endif

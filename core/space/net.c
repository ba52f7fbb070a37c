/*
 * net.c — libcurl multi transfers with bounded answers, silence timeouts and
 * deadlines.
 */
#include "core/space/net.h"

#include <curl/curl.h>
#include <errno.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <time.h>

#include "core/sanitize.h"
#include "common/xalloc.h"

#ifndef TAGCON_VERSION
#define TAGCON_VERSION "dev"
#endif

#define DEFAULT_CONNECT_MS 10000
#define DEFAULT_MAX_BYTES (1024 * 1024)
/* What is kept of a non-2xx answer to a streamed request: enough for
 * the "detail" of an error. */
#define STREAM_ERROR_BODY (64 * 1024)

struct net_call {
	net_call_cb cb;
	void *arg;
	TAILQ_ENTRY(net_call) entry;
};

struct net {
	CURLM *multi;
	TAILQ_HEAD(, net_call) calls;
	size_t ncalls;
	long connect_ms;
	long idle_ms;
	long deadline_ms;
	long long max_wait_ms;
	char *user_agent;
	TAILQ_HEAD(, net_request) running;
	size_t nrunning;
};

struct net_request {
	struct net *net;
	CURL *easy;
	curl_mime *mime;
	struct curl_slist *headers;
	char *url;
	char *what;
	char *json;
	char *bearer;  /* "Authorization: Bearer …" */
	char *userpwd;
	bool is_get;

	char *body;
	size_t len;
	size_t cap;
	size_t max;
	net_data_cb stream;
	void *stream_arg;

	int status;
	char *content_type;
	long long retry_after;
	enum net_failure failure;
	char errbuf[CURL_ERROR_SIZE];
	char *error;
	bool too_large;
	bool stopped;
	enum { EXPIRED_NO, EXPIRED_SILENT, EXPIRED_DEADLINE } expired;
	uint64_t sent;
	double t_start;
	double t_activity;
	unsigned elapsed_ms;
	curl_off_t seen_dl;
	curl_off_t seen_ul;

	net_done_cb done;
	void *done_arg;
	bool running;
	TAILQ_ENTRY(net_request) entry;
};

static double
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static GOnce curl_once = G_ONCE_INIT;

static gpointer
init_curl(gpointer unused)
{
	(void)unused;
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? GINT_TO_POINTER(1) : NULL;
}

struct net *
net_create(const struct net_opts *opts)
{
	if (g_once(&curl_once, init_curl, NULL) == NULL) {
		return NULL;
	}
	struct net *net = xcalloc(1, sizeof *net);
	net->multi = curl_multi_init();
	if (net->multi == NULL) {
		free(net);
		return NULL;
	}
	net->connect_ms = opts && opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms :
	    DEFAULT_CONNECT_MS;
	net->idle_ms = opts && opts->idle_timeout_ms > 0 ? opts->idle_timeout_ms :
	    NET_DEFAULT_IDLE_MS;
	net->deadline_ms = opts && opts->deadline_ms > 0 ? opts->deadline_ms :
	    NET_DEFAULT_DEADLINE_MS;
	net->max_wait_ms = opts && opts->max_wait_ms > 0 ? opts->max_wait_ms :
	    NET_DEFAULT_MAX_WAIT_MS;
	net->user_agent = xstrdup(opts && opts->user_agent ? opts->user_agent :
	    "tagcon/" TAGCON_VERSION);
	TAILQ_INIT(&net->running);
	TAILQ_INIT(&net->calls);
	return net;
}

static void
detach(struct net_request *req)
{
	if (!req->running) {
		return;
	}
	curl_multi_remove_handle(req->net->multi, req->easy);
	TAILQ_REMOVE(&req->net->running, req, entry);
	req->net->nrunning--;
	req->running = false;
}

void
net_destroy(struct net *net)
{
	if (net == NULL) {
		return;
	}
	struct net_request *req;
	while ((req = TAILQ_FIRST(&net->running)) != NULL) {
		detach(req);
		req->net = NULL;
	}
	struct net_call *call;
	while ((call = TAILQ_FIRST(&net->calls)) != NULL) {
		TAILQ_REMOVE(&net->calls, call, entry);
		free(call);
	}
	curl_multi_cleanup(net->multi);
	free(net->user_agent);
	free(net);
}

void
net_wakeup(struct net *net)
{
	curl_multi_wakeup(net->multi);
}

size_t
net_running(const struct net *net)
{
	return net->nrunning + net->ncalls;
}

struct net_call *
net_defer(struct net *net, net_call_cb cb, void *arg)
{
	struct net_call *call = xcalloc(1, sizeof *call);
	call->cb = cb;
	call->arg = arg;
	TAILQ_INSERT_TAIL(&net->calls, call, entry);
	net->ncalls++;
	return call;
}

void
net_defer_cancel(struct net *net, struct net_call *call)
{
	if (call != NULL) {
		TAILQ_REMOVE(&net->calls, call, entry);
		net->ncalls--;
		free(call);
	}
}

/* Deferred calls, including those they defer in turn. */
static void
run_calls(struct net *net)
{
	struct net_call *call;
	while ((call = TAILQ_FIRST(&net->calls)) != NULL) {
		TAILQ_REMOVE(&net->calls, call, entry);
		net->ncalls--;
		net_call_cb cb = call->cb;
		void *arg = call->arg;
		free(call);
		cb(arg);
	}
}

/* Retry-After: delta-seconds or an HTTP-date (curl_getdate reads those),
 * at most max ms: a peer may not park the run for longer than the user
 * allows (a number too large to read is that too). */
static long long
retry_after_ms(const char *value, long long max)
{
	while (*value == ' ' || *value == '\t') {
		value++;
	}
	if (*value >= '0' && *value <= '9') {
		char *end;
		errno = 0;
		long long s = strtoll(value, &end, 10);
		end += strspn(end, " \t\r\n");
		if (*end != '\0') {
			return -1;
		}
		return errno == ERANGE || s > max / 1000 ? max : s * 1000;
	}
	time_t when = curl_getdate(value, NULL);
	if (when == (time_t)-1) {
		return -1;
	}
	time_t now = time(NULL);
	if (when <= now) {
		return 0;
	}
	/* Compared before the multiply: a date in the year 3e8 overflows it. */
	long long s = (long long)when - now;
	return s > max / 1000 ? max : s * 1000;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct net_request *req = arg;
	size_t len = size * n;
	req->t_activity = now_ms();
	if (len >= 5 && strncasecmp(p, "HTTP/", 5) == 0) {
		req->retry_after = -1; /* a new answer (after 100 or a redirect) */
	} else if (len > 12 && len < 256 && strncasecmp(p, "retry-after:", 12) == 0) {
		char value[256];
		memcpy(value, p + 12, len - 12);
		value[len - 12] = '\0';
		value[strcspn(value, "\r\n")] = '\0';
		req->retry_after = retry_after_ms(value, req->net->max_wait_ms);
	}
	return len;
}

static bool
append(struct net_request *req, const char *p, size_t len)
{
	if (req->len + len + 1 > req->cap) {
		size_t cap = req->cap ? req->cap : 4096;
		while (cap < req->len + len + 1) {
			cap *= 2;
		}
		req->body = xrealloc(req->body, cap);
		req->cap = cap;
	}
	memcpy(req->body + req->len, p, len);
	req->len += len;
	req->body[req->len] = '\0';
	return true;
}

static size_t
on_write(char *p, size_t size, size_t n, void *arg)
{
	struct net_request *req = arg;
	size_t len = size * n;
	req->t_activity = now_ms();
	long status = 0;
	curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &status);
	if (req->stream != NULL && status >= 200 && status < 300) {
		if (!req->stream(req->stream_arg, p, len)) {
			req->stopped = true;
			return 0;
		}
		return len;
	}
	if (req->stream != NULL) {
		/* An error answer to a stream: its start says enough. */
		size_t room = STREAM_ERROR_BODY - req->len;
		append(req, p, len < room ? len : room);
		return len;
	}
	if (req->len + len > req->max) {
		req->too_large = true;
		return 0;
	}
	append(req, p, len);
	return len;
}

/* Any byte either way is activity (uploads show only here). */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct net_request *req = arg;
	(void)dltotal;
	(void)ultotal;
	if (dlnow != req->seen_dl || ulnow != req->seen_ul) {
		req->seen_dl = dlnow;
		req->seen_ul = ulnow;
		req->t_activity = now_ms();
	}
	return 0;
}

static struct net_request *
request_new(const char *url, const char *what)
{
	struct net_request *req = xcalloc(1, sizeof *req);
	req->easy = curl_easy_init();
	if (req->easy == NULL) {
		abort(); /* only without memory */
	}
	req->url = xstrdup(url);
	req->what = xstrdup(what);
	req->max = DEFAULT_MAX_BYTES;
	req->retry_after = -1;
	return req;
}

struct net_request *
net_request_get(const char *url, const char *what)
{
	struct net_request *req = request_new(url, what);
	req->is_get = true;
	return req;
}

struct net_request *
net_request_post_json(const char *url, const char *what, const char *json)
{
	struct net_request *req = request_new(url, what);
	req->json = xstrdup(json);
	return req;
}

struct net_request *
net_request_post_file(const char *url, const char *what, const char *field,
    const char *filename, const char *mime, const void *data, size_t len)
{
	struct net_request *req = request_new(url, what);
	req->mime = curl_mime_init(req->easy);
	curl_mimepart *part = curl_mime_addpart(req->mime);
	curl_mime_name(part, field);
	curl_mime_filename(part, filename);
	curl_mime_type(part, mime);
	curl_mime_data(part, data, len); /* copies */
	return req;
}

static void
wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void
net_request_destroy(struct net_request *req)
{
	if (req == NULL) {
		return;
	}
	if (req->net != NULL) {
		detach(req);
	}
	curl_easy_cleanup(req->easy);
	curl_mime_free(req->mime);
	for (struct curl_slist *h = req->headers; h != NULL; h = h->next) {
		explicit_bzero(h->data, strlen(h->data));
	}
	curl_slist_free_all(req->headers);
	wipe_free(req->bearer);
	wipe_free(req->userpwd);
	free(req->url);
	free(req->what);
	free(req->json);
	free(req->body);
	free(req->content_type);
	free(req->error);
	free(req);
}

void
net_request_set_bearer(struct net_request *req, const char *token)
{
	wipe_free(req->bearer);
	req->bearer = token != NULL ? xasprintf("Authorization: Bearer %s", token) : NULL;
}

void
net_request_set_basic(struct net_request *req, const char *userpwd)
{
	wipe_free(req->userpwd);
	req->userpwd = userpwd != NULL ? xstrdup(userpwd) : NULL;
}

void
net_request_set_max_bytes(struct net_request *req, size_t max)
{
	req->max = max;
}

void
net_request_set_stream(struct net_request *req, net_data_cb cb, void *arg)
{
	req->stream = cb;
	req->stream_arg = arg;
}

static struct curl_slist *
build_headers(const struct net_request *req)
{
	/* No "Expect: 100-continue": small uploads, and a server that never
	 * answers 100 would cost a second per request. */
	struct curl_slist *h = curl_slist_append(NULL, "Expect:");
	if (req->json != NULL) {
		h = curl_slist_append(h, "Content-Type: application/json");
	}
	if (req->stream != NULL) {
		h = curl_slist_append(h, "Accept: text/event-stream");
	}
	if (req->bearer != NULL) {
		h = curl_slist_append(h, req->bearer);
	}
	return h;
}

static void
set_options(struct net *net, struct net_request *req)
{
	CURL *e = req->easy;
	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, req);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, req->is_get ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, 3L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, net->connect_ms);
	curl_easy_setopt(e, CURLOPT_USERAGENT, net->user_agent);
	if (req->stream == NULL) {
		/* Bounded after decoding; never on streams, whose events a
		 * compressor could hold back. */
		curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	}
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, req->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, req);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, req);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, req);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	req->headers = build_headers(req);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, req->headers);
	if (req->json != NULL) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->json);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(req->json));
	}
	if (req->mime != NULL) {
		curl_easy_setopt(e, CURLOPT_MIMEPOST, req->mime);
	}
	if (req->userpwd != NULL) {
		curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(e, CURLOPT_USERPWD, req->userpwd);
	}
}

void
net_start(struct net *net, struct net_request *req, net_done_cb done, void *arg)
{
	req->net = net;
	req->done = done;
	req->done_arg = arg;
	set_options(net, req);
	req->t_start = req->t_activity = now_ms();
	req->running = true;
	TAILQ_INSERT_TAIL(&net->running, req, entry);
	net->nrunning++;
	curl_multi_add_handle(net->multi, req->easy);
}

static enum net_failure
classify(struct net_request *req, CURLcode rc)
{
	switch (rc) {
	case CURLE_OK:
		return NET_OK;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return NET_UNREACHABLE;
	case CURLE_OPERATION_TIMEDOUT: {
		curl_off_t connect = 0;
		curl_easy_getinfo(req->easy, CURLINFO_CONNECT_TIME_T, &connect);
		return connect == 0 ? NET_TIMEOUT_CONNECT : NET_TIMEOUT_IDLE;
	}
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
		return NET_TLS;
	case CURLE_WRITE_ERROR:
		return req->too_large ? NET_TOO_LARGE : req->stopped ? NET_STOPPED : NET_OTHER;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return NET_DROPPED;
	default:
		return NET_OTHER;
	}
}

/* Record the outcome, take the request off the multi handle, call back. */
static void
complete(struct net_request *req, CURLcode rc)
{
	long status = 0;
	const char *ctype = NULL;
	curl_off_t sent = 0;
	curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(req->easy, CURLINFO_CONTENT_TYPE, &ctype);
	curl_easy_getinfo(req->easy, CURLINFO_SIZE_UPLOAD_T, &sent);
	req->status = (int)status;
	req->content_type = ctype != NULL ? xstrdup(ctype) : NULL;
	req->sent = sent > 0 ? (uint64_t)sent : 0;
	req->elapsed_ms = (unsigned)(now_ms() - req->t_start);
	if (req->expired != EXPIRED_NO) {
		req->failure = NET_TIMEOUT_IDLE;
		req->error = req->expired == EXPIRED_SILENT ?
		    xasprintf("no data for %g s", req->net->idle_ms / 1e3) :
		    xasprintf("no complete answer within %g s", req->net->deadline_ms / 1e3);
	} else {
		req->failure = classify(req, rc);
		const char *why = req->errbuf[0] != '\0' ? req->errbuf : curl_easy_strerror(rc);
		if (req->failure == NET_TOO_LARGE) {
			req->error = xasprintf("over %zu KiB", req->max / 1024);
		} else {
			req->error = rc != CURLE_OK ? sanitize_str(why) : xstrdup("");
		}
	}
	detach(req);
	if (req->done != NULL) {
		req->done(req, req->done_arg);
	}
}

static void
read_completions(struct net *net)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(net->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE) {
			continue;
		}
		struct net_request *req = NULL;
		CURLcode rc = m->data.result;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &req);
		complete(req, rc);
	}
}

/* Why req is to be cut off at now, if it is: silence is checked first, as a
 * dead peer is the likelier story. */
static int
expiry(const struct net *net, const struct net_request *req, double now)
{
	if (now - req->t_activity >= net->idle_ms) {
		return EXPIRED_SILENT;
	}
	return now - req->t_start >= net->deadline_ms ? EXPIRED_DEADLINE : EXPIRED_NO;
}

/* Fail requests silent for too long or past their deadline.  A callback may
 * destroy other requests, so the scan restarts after each one. */
static void
expire_idle(struct net *net)
{
	bool again = true;
	while (again) {
		again = false;
		double now = now_ms();
		struct net_request *req;
		TAILQ_FOREACH(req, &net->running, entry) {
			int why = expiry(net, req, now);
			if (why != EXPIRED_NO) {
				req->expired = why;
				complete(req, CURLE_OPERATION_TIMEDOUT);
				again = true;
				break;
			}
		}
	}
}

/* Milliseconds until the first silence limit or deadline (capped at limit). */
static int
next_deadline(struct net *net, int limit)
{
	double now = now_ms();
	struct net_request *req;
	TAILQ_FOREACH(req, &net->running, entry) {
		double silent = req->t_activity + net->idle_ms - now;
		double total = req->t_start + net->deadline_ms - now;
		double left = silent < total ? silent : total;
		if (left < limit) {
			limit = left > 0 ? (int)left + 1 : 0;
		}
	}
	return limit;
}

int
net_poll(struct net *net, int timeout_ms, struct pollfd *fds, unsigned nfds)
{
	struct curl_waitfd *extra = nfds > 0 ? xcalloc(nfds, sizeof *extra) : NULL;
	for (unsigned i = 0; i < nfds; i++) {
		extra[i].fd = fds[i].fd;
		extra[i].events = (fds[i].events & POLLIN ? CURL_WAIT_POLLIN : 0) |
		    (fds[i].events & POLLPRI ? CURL_WAIT_POLLPRI : 0) |
		    (fds[i].events & POLLOUT ? CURL_WAIT_POLLOUT : 0);
	}
	int wait = next_deadline(net, timeout_ms < 0 ? 3600 * 1000 : timeout_ms);
	if (!TAILQ_EMPTY(&net->calls)) {
		wait = 0;
	}
	curl_multi_poll(net->multi, extra, nfds, wait, NULL);
	for (unsigned i = 0; i < nfds; i++) {
		fds[i].revents = (extra[i].revents & CURL_WAIT_POLLIN ? POLLIN : 0) |
		    (extra[i].revents & CURL_WAIT_POLLPRI ? POLLPRI : 0) |
		    (extra[i].revents & CURL_WAIT_POLLOUT ? POLLOUT : 0);
	}
	free(extra);
	int still;
	curl_multi_perform(net->multi, &still);
	read_completions(net);
	expire_idle(net);
	run_calls(net);
	return (int)(net->nrunning + net->ncalls);
}

enum net_failure
net_request_failure(const struct net_request *req)
{
	return req->failure;
}

const char *
net_request_error(const struct net_request *req)
{
	return req->error != NULL ? req->error : "";
}

const char *
net_request_what(const struct net_request *req)
{
	return req->what;
}

int
net_request_status(const struct net_request *req)
{
	return req->status;
}

const char *
net_request_body(const struct net_request *req, size_t *len)
{
	*len = req->len;
	return req->body != NULL ? req->body : "";
}

const char *
net_request_content_type(const struct net_request *req)
{
	return req->content_type;
}

long long
net_request_retry_after(const struct net_request *req)
{
	return req->retry_after;
}

bool
net_request_sent_token(const struct net_request *req)
{
	return req->bearer != NULL;
}

uint64_t
net_request_bytes_sent(const struct net_request *req)
{
	return req->sent;
}

unsigned
net_request_elapsed_ms(const struct net_request *req)
{
	return req->elapsed_ms;
}

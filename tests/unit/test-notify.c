/*
 * test-notify.c — the notification queue (core/batch/notify.c) against a
 * real HTTP receiver: python3's http.server, started here on 127.0.0.1.
 *
 * The receiver writes "got ID" to a log when a letter arrives and "done ID"
 * when it answers (after holding it, or with a 500 the first time when the
 * letter asks).  The contract checked: the last letter arrives only after
 * every other one is answered, whether they are slow, retried, or still in
 * the inbox when the caller closes; a dead receiver does not hold the close;
 * what is lost is said once, with the URL's password masked.
 *
 * The caller waits between posting the last letter and closing, as a batch
 * may: the notification thread then takes the last letter before it knows
 * the queue is closing (the race that sent a batch's "finish" before a
 * per-image letter).  Without python3 the test fails, never skips.
 */
#include <glib.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "core/batch/notify.h"
#include "tests/unit/check.h"
#include "tests/unit/child.h"
#include "tests/unit/tmpdir.h"

static const char receiver_py[] =
    "import http.server, json, sys, threading, time\n"
    "log = open(sys.argv[1], 'a', buffering=1)\n"
    "lock = threading.Lock()\n"
    "seen = set()\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    def do_POST(self):\n"
    "        doc = json.loads(self.rfile.read(int(self.headers['Content-Length'])))\n"
    "        with lock:\n"
    "            log.write('got %s\\n' % doc['id'])\n"
    "            again = doc['id'] in seen\n"
    "            seen.add(doc['id'])\n"
    "        time.sleep(doc.get('hold_ms', 0) / 1000.0)\n"
    "        status = 500 if doc.get('fail_first') and not again else 204\n"
    "        with lock:\n"
    "            log.write('done %s %d\\n' % (doc['id'], status))\n"
    "        self.send_response(status)\n"
    "        self.send_header('Content-Length', '0')\n"
    "        self.end_headers()\n"
    "    def log_message(self, *a):\n"
    "        pass\n"
    "srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)\n"
    "print('PORT %d' % srv.server_address[1], flush=True)\n"
    "srv.serve_forever()\n";

struct receiver {
	pid_t pid;
	char url[96];
	char *log;
	size_t taken; /* bytes of the log already read */
};

static bool
receiver_start(struct receiver *r, const char *dir)
{
	r->log = g_build_filename(dir, "receiver.log", NULL);
	r->taken = 0;
	const char *argv[] = {"python3", "-c", receiver_py, r->log, NULL};
	int port;
	if (!child_start("the receiver", argv, false, &r->pid, &port)) {
		return false;
	}
	snprintf(r->url, sizeof r->url, "http://hook:s3cret-pw@127.0.0.1:%d/hook", port);
	return true;
}

static void
receiver_stop(struct receiver *r)
{
	kill(r->pid, SIGTERM);
	waitpid(r->pid, NULL, 0);
	g_free(r->log);
}

/* The receiver's log since the last call, one entry per line. */
static char **
receiver_take(struct receiver *r)
{
	char *text = NULL;
	gsize len = 0;
	if (!g_file_get_contents(r->log, &text, &len, NULL)) {
		text = g_strdup("");
		len = 0;
	}
	char *fresh = text + MIN(r->taken, len);
	r->taken = len;
	g_strchomp(fresh);
	char **lines = *fresh == '\0' ? g_new0(char *, 1) : g_strsplit(fresh, "\n", -1);
	g_free(text);
	return lines;
}

static int
index_of(char **lines, const char *line)
{
	for (int i = 0; lines[i] != NULL; i++) {
		if (strcmp(lines[i], line) == 0) {
			return i;
		}
	}
	return -1;
}

/* The last "done" line of an id that was answered status. */
static int
last_done(char **lines, const char *id)
{
	char *prefix = g_strdup_printf("done %s ", id);
	int at = -1;
	for (int i = 0; lines[i] != NULL; i++) {
		if (g_str_has_prefix(lines[i], prefix)) {
			at = i;
		}
	}
	g_free(prefix);
	return at;
}

static GPtrArray *warnings;

static void
on_warn(void *ud, const char *msg)
{
	(void)ud;
	g_ptr_array_add(warnings, g_strdup(msg));
}

static struct notify *
open_queue(const char *url)
{
	char *cause = NULL;
	struct notify *n = notify_create(url, on_warn, NULL, &cause);
	CHECK(n != NULL);
	if (n == NULL) {
		fprintf(stderr, "    %s\n", cause);
		free(cause);
		exit(1);
	}
	return n;
}

static void
post(struct notify *n, const char *id, const char *extra, bool last)
{
	char *json = g_strdup_printf("{\"id\":\"%s\"%s%s}", id, *extra ? "," : "", extra);
	(last ? notify_post_last : notify_post)(n, json);
	g_free(json);
}

/* Slow letters in flight and one in the inbox: the last waits for them. */
static void
last_after_slow(struct receiver *r)
{
	struct notify *n = open_queue(r->url);
	post(n, "a", "\"hold_ms\":700", false);
	post(n, "b", "\"hold_ms\":700", false);
	post(n, "c", "\"hold_ms\":700", false);
	post(n, "d", "", false);
	post(n, "e", "", false);
	post(n, "fin", "", true);
	g_usleep(300 * 1000);
	notify_destroy(n, 10000);
	char **lines = receiver_take(r);
	int fin = index_of(lines, "got fin");
	CHECK(fin >= 0);
	CHECK_INT(g_strv_length(lines), 12);
	const char *ids[] = {"a", "b", "c", "d", "e"};
	for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
		int done = last_done(lines, ids[i]);
		if (!check_(done >= 0 && done < fin, "each letter answered before the last arrives",
		    __FILE__, __LINE__)) {
			fprintf(stderr, "    %s: done at %d, fin got at %d\n", ids[i], done, fin);
		}
	}
	g_strfreev(lines);
}

/* A letter answered 500 is tried again (after 1 s) before the last goes. */
static void
last_after_retry(struct receiver *r)
{
	struct notify *n = open_queue(r->url);
	post(n, "x", "\"fail_first\":true", false);
	post(n, "fin", "", true);
	g_usleep(1600 * 1000);
	notify_destroy(n, 10000);
	char **lines = receiver_take(r);
	CHECK_INT(index_of(lines, "got x"), 0);
	CHECK_INT(index_of(lines, "done x 500"), 1);
	CHECK_INT(index_of(lines, "done x 204"), 3);
	CHECK_INT(index_of(lines, "got fin"), 4);
	CHECK_INT(g_strv_length(lines), 6);
	g_strfreev(lines);
}

/* Nothing listens: the close is not held, the loss is said once, masked. */
static void
dead_receiver(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof a;
	bind(s, (struct sockaddr *)&a, sizeof a);
	getsockname(s, (struct sockaddr *)&a, &alen);
	close(s);
	char url[96];
	snprintf(url, sizeof url, "http://hook:s3cret-pw@127.0.0.1:%d/hook", ntohs(a.sin_port));
	g_ptr_array_set_size(warnings, 0);
	struct notify *n = open_queue(url);
	post(n, "a", "", false);
	post(n, "b", "", false);
	post(n, "fin", "", true);
	int64_t t0 = clock_ms();
	notify_destroy(n, 15000);
	int64_t took = clock_ms() - t0;
	if (!check_(took < 5000, "a refused connection does not hold the close", __FILE__,
	    __LINE__)) {
		fprintf(stderr, "    closed in %lld ms\n", (long long)took);
	}
	bool said = false, leaked = false;
	for (guint i = 0; i < warnings->len; i++) {
		const char *w = warnings->pdata[i];
		said |= strstr(w, "not delivered, the finish notice among them") != NULL;
		leaked |= strstr(w, "s3cret-pw") != NULL;
	}
	CHECK(said);
	CHECK(!leaked);
}

int
main(void)
{
	warnings = g_ptr_array_new_with_free_func(g_free);
	struct receiver r;
	if (!receiver_start(&r, tmpdir())) {
		CHECK(!"the receiver (python3 http.server) starts");
		return check_done();
	}
	last_after_slow(&r);
	last_after_retry(&r);
	receiver_stop(&r);
	dead_receiver();
	g_ptr_array_free(warnings, true);
	return check_done();
}

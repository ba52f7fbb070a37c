/*
 * console-work.c — the loop's services: timers, worker lanes (threads with
 * their own database handles), posts back to the UI thread, and children
 * whose output the loop reads.
 */
#include "tui/console-private.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/preset.h"
#include "core/tag/rules.h"
#include "db/db.h"
#include "db/search.h"
#include "common/clock.h"
#include "common/xalloc.h"

#define JOIN_WAIT_MS 300

bool
work_init(struct console *c, char **cause)
{
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->wake_fd < 0) {
		*cause = xasprintf("eventfd: %s", strerror(errno));
		return false;
	}
	pthread_mutex_init(&c->post_mu, NULL);
	c->posts_tail = &c->posts;
	for (int i = 0; i < LANE_COUNT; i++) {
		c->lanes[i].console = c;
		pthread_mutex_init(&c->lanes[i].mu, NULL);
		pthread_cond_init(&c->lanes[i].cond, NULL);
	}
	return true;
}

/* --- timers ------------------------------------------------------------- */

int
console_timer_add(struct console *c, int ms, bool repeat, console_timer_fn fn, void *ud)
{
	for (int i = 0; i < MAX_TIMERS; i++) {
		if (c->timers[i].fn == NULL) {
			c->timers[i] = (struct timer){
				.id = ++c->next_timer_id, .due_ms = clock_ms() + ms,
				.interval_ms = ms, .repeat = repeat, .fn = fn, .ud = ud,
			};
			return c->timers[i].id;
		}
	}
	abort(); /* more timers than MAX_TIMERS is a programming error */
}

void
console_timer_cancel(struct console *c, int id)
{
	for (int i = 0; i < MAX_TIMERS; i++) {
		if (c->timers[i].fn != NULL && c->timers[i].id == id) {
			c->timers[i].fn = NULL;
		}
	}
}

int
work_run_timers(struct console *c)
{
	int64_t now = clock_ms(), next = -1;
	for (int i = 0; i < MAX_TIMERS; i++) {
		struct timer *t = &c->timers[i];
		if (t->fn != NULL && t->due_ms <= now) {
			console_timer_fn fn = t->fn;
			void *ud = t->ud;
			if (t->repeat) {
				t->due_ms = now + t->interval_ms;
			} else {
				t->fn = NULL;
			}
			fn(ud);
		}
	}
	for (int i = 0; i < MAX_TIMERS; i++) {
		if (c->timers[i].fn != NULL && (next < 0 || c->timers[i].due_ms < next)) {
			next = c->timers[i].due_ms;
		}
	}
	return next < 0 ? -1 : (int)(next > now ? next - now : 0);
}

/* --- posts and lanes ---------------------------------------------------- */

void
console_post(struct console *c, void (*fn)(void *arg), void *arg)
{
	struct post *p = xcalloc(1, sizeof *p);
	p->fn = fn;
	p->arg = arg;
	pthread_mutex_lock(&c->post_mu);
	*c->posts_tail = p;
	c->posts_tail = &p->next;
	pthread_mutex_unlock(&c->post_mu);
	uint64_t one = 1;
	ssize_t n = write(c->wake_fd, &one, sizeof one);
	(void)n; /* a full counter already wakes the loop */
}

void
work_run_posts(struct console *c)
{
	uint64_t count;
	ssize_t n = read(c->wake_fd, &count, sizeof count);
	(void)n;
	pthread_mutex_lock(&c->post_mu);
	struct post *p = c->posts;
	c->posts = NULL;
	c->posts_tail = &c->posts;
	pthread_mutex_unlock(&c->post_mu);
	while (p != NULL) {
		struct post *next = p->next;
		p->fn(p->arg);
		free(p);
		p = next;
	}
}

static void
job_finished(void *arg)
{
	struct job *j = arg;
	j->done(j->arg, atomic_load(&j->cancel));
	free(j);
}

struct rules *
console_search_opts(struct db *db, const char *model, struct search_opts *o)
{
	struct rules *r = db != NULL ? rules_load(db, NULL) : NULL;
	if (r != NULL) {
		search_opts_init(o, model);
		rules_search_opts(r, o);
		o->max_rating = RATING_E;
	}
	return r;
}

/* A lane's own handle, reading settings through --preset like the UI's
 * (a handle that cannot take it is no handle: jobs see NULL). */
static struct db *
open_lane_db(const struct console_opts *o)
{
	struct db *db = db_open(o->db_path, NULL);
	if (db != NULL && o->preset != NULL && !preset_use(db, o->preset, NULL)) {
		db_close(db);
		db = NULL;
	}
	return db;
}

static void *
lane_main(void *arg)
{
	struct lane *l = arg;
	for (;;) {
		pthread_mutex_lock(&l->mu);
		while (l->head == NULL && !l->stop) {
			pthread_cond_wait(&l->cond, &l->mu);
		}
		if (l->stop) {
			pthread_mutex_unlock(&l->mu);
			break;
		}
		struct job *j = l->head;
		l->head = j->next;
		l->running = j;
		pthread_mutex_unlock(&l->mu);
		if (l->db == NULL) {
			l->db = open_lane_db(l->console->opts);
		}
		struct console_job_ctx ctx = {l->console, l->db, &j->cancel};
		j->work(j->arg, &ctx);
		pthread_mutex_lock(&l->mu);
		l->running = NULL;
		pthread_mutex_unlock(&l->mu);
		console_post(l->console, job_finished, j);
	}
	db_close(l->db);
	l->db = NULL;
	return NULL;
}

void
console_job(struct console *c, enum console_lane lane, enum console_job_kind kind,
    console_work_fn work, console_done_fn done, void *arg)
{
	struct lane *l = &c->lanes[lane];
	struct job *j = xcalloc(1, sizeof *j), *dropped = NULL;
	*j = (struct job){.kind = kind, .work = work, .done = done, .arg = arg};
	pthread_mutex_lock(&l->mu);
	if (l->stop) {
		/* Leaving: results posted during shutdown may ask for more work. */
		pthread_mutex_unlock(&l->mu);
		done(arg, true);
		free(j);
		return;
	}
	if (!l->started) {
		l->started = pthread_create(&l->thread, NULL, lane_main, l) == 0;
	}
	struct job **pp = &l->head;
	while (*pp != NULL) {
		if (kind != 0 && (*pp)->kind == kind) {
			struct job *d = *pp;
			*pp = d->next;
			d->next = dropped;
			dropped = d;
		} else {
			pp = &(*pp)->next;
		}
	}
	*pp = j;
	if (kind != 0 && l->running != NULL && l->running->kind == kind) {
		atomic_store(&l->running->cancel, true);
	}
	pthread_cond_signal(&l->cond);
	pthread_mutex_unlock(&l->mu);
	while (dropped != NULL) {
		struct job *next = dropped->next;
		dropped->done(dropped->arg, true);
		free(dropped);
		dropped = next;
	}
}

/* Stop every lane; a lane stuck in long work (a scan) is left to exit() so
 * that leaving never waits on it: nothing it has committed is lost. */
void
work_fini(struct console *c)
{
	for (int i = 0; i < LANE_COUNT; i++) {
		struct lane *l = &c->lanes[i];
		pthread_mutex_lock(&l->mu);
		l->stop = true;
		if (l->running != NULL) {
			atomic_store(&l->running->cancel, true);
		}
		pthread_cond_signal(&l->cond);
		pthread_mutex_unlock(&l->mu);
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += JOIN_WAIT_MS * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	for (int i = 0; i < LANE_COUNT; i++) {
		struct lane *l = &c->lanes[i];
		if (l->started && pthread_timedjoin_np(l->thread, NULL, &ts) != 0) {
			pthread_detach(l->thread);
		}
		for (struct job *j = l->head, *next; j != NULL; j = next) {
			next = j->next;
			j->done(j->arg, true);
			free(j);
		}
		l->head = NULL;
	}
	/* Finished jobs posted their results: hand them over so they are freed. */
	work_run_posts(c);
	close(c->wake_fd);
	for (int i = 0; i < MAX_CHILDREN; i++) {
		struct child *ch = &c->children[i];
		if (ch->pid != 0) {
			kill(ch->pid, SIGTERM);
			waitpid(ch->pid, NULL, 0);
			if (ch->fd >= 0) {
				close(ch->fd);
			}
			free(ch->buf);
		}
	}
}

/* --- children ----------------------------------------------------------- */

static void
child_exec(char *const argv[], int out_fd, const char *log)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	int devnull = open("/dev/null", O_RDWR);
	int out = log != NULL ? open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600) : out_fd;
	if (devnull < 0 || out < 0) {
		_exit(127);
	}
	dup2(devnull, STDIN_FILENO);
	dup2(out, STDOUT_FILENO);
	dup2(log != NULL ? out : devnull, STDERR_FILENO);
	execv(argv[0], argv);
	_exit(127);
}

bool
console_spawn(struct console *c, char *const argv[], const struct console_child_ops *ops,
    void *ud, char **cause)
{
	struct child *slot = NULL;
	for (int i = 0; i < MAX_CHILDREN && slot == NULL; i++) {
		slot = c->children[i].pid == 0 ? &c->children[i] : NULL;
	}
	int fds[2];
	if (slot == NULL || pipe2(fds, O_CLOEXEC) != 0) {
		*cause = xasprintf("cannot start %s: %s", argv[0],
		    slot == NULL ? "too many children" : strerror(errno));
		return false;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		child_exec(argv, fds[1], NULL);
	}
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		*cause = xasprintf("cannot start %s: %s", argv[0], strerror(errno));
		return false;
	}
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	*slot = (struct child){.pid = pid, .fd = fds[0], .ops = ops, .ud = ud};
	return true;
}

bool
console_spawn_detached(struct console *c, char *const argv[], const char *log, int *pid,
    char **cause)
{
	(void)c;
	int fds[2];
	*pid = 0;
	if (pipe2(fds, O_CLOEXEC) != 0) {
		*cause = xasprintf("cannot start %s: %s", argv[0], strerror(errno));
		return false;
	}
	pid_t middle = fork();
	if (middle == 0) {
		/* A grandchild in its own session outlives the console and any
		 * SIGHUP of this terminal; the middle child is reaped at once,
		 * after telling the grandchild's pid (the Batch screen watches
		 * it to tell a runner that could not start at once). */
		close(fds[0]);
		setsid();
		pid_t runner = fork();
		if (runner == 0) {
			close(fds[1]);
			child_exec(argv, -1, log);
		}
		int32_t v = runner > 0 ? (int32_t)runner : 0;
		ssize_t n = write(fds[1], &v, sizeof v);
		_exit(n == (ssize_t)sizeof v ? 0 : 1);
	}
	close(fds[1]);
	if (middle < 0) {
		close(fds[0]);
		*cause = xasprintf("cannot start %s: %s", argv[0], strerror(errno));
		return false;
	}
	int32_t v = 0;
	ssize_t n;
	do {
		n = read(fds[0], &v, sizeof v);
	} while (n < 0 && errno == EINTR);
	close(fds[0]);
	waitpid(middle, NULL, 0);
	if (n != (ssize_t)sizeof v || v <= 0) {
		*cause = xasprintf("cannot start %s: fork failed", argv[0]);
		return false;
	}
	*pid = (int)v;
	return true;
}

static void
child_read(struct child *ch)
{
	char tmp[4096];
	ssize_t n;
	while ((n = read(ch->fd, tmp, sizeof tmp)) > 0) {
		ch->buf = xrealloc(ch->buf, ch->len + (size_t)n + 1);
		memcpy(ch->buf + ch->len, tmp, (size_t)n);
		ch->len += (size_t)n;
	}
	size_t start = 0;
	for (size_t i = 0; i < ch->len; i++) {
		if (ch->buf[i] == '\n') {
			ch->buf[i] = '\0';
			ch->ops->line(ch->ud, ch->buf + start);
			start = i + 1;
		}
	}
	memmove(ch->buf, ch->buf + start, ch->len - start);
	ch->len -= start;
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		if (ch->len > 0) {
			ch->buf[ch->len] = '\0';
			ch->ops->line(ch->ud, ch->buf);
		}
		close(ch->fd);
		ch->fd = -1;
	}
}

static bool
reap_children(struct console *c)
{
	bool waiting = false;
	for (int i = 0; i < MAX_CHILDREN; i++) {
		struct child *ch = &c->children[i];
		int status;
		if (ch->pid == 0 || ch->fd >= 0) {
			continue;
		}
		if (waitpid(ch->pid, &status, WNOHANG) == ch->pid) {
			const struct console_child_ops *ops = ch->ops;
			void *ud = ch->ud;
			free(ch->buf);
			memset(ch, 0, sizeof *ch);
			ops->exited(ud, status);
		} else {
			waiting = true;
		}
	}
	return waiting;
}


int
work_child_fds(struct console *c, struct pollfd *fds, int max)
{
	int n = 0;
	for (int i = 0; i < MAX_CHILDREN && n < max; i++) {
		if (c->children[i].pid != 0 && c->children[i].fd >= 0) {
			fds[n++] = (struct pollfd){.fd = c->children[i].fd, .events = POLLIN};
		}
	}
	return n;
}

bool
work_children(struct console *c, const struct pollfd *fds, int n)
{
	for (int k = 0; k < n; k++) {
		if (fds[k].revents == 0) {
			continue;
		}
		for (int i = 0; i < MAX_CHILDREN; i++) {
			if (c->children[i].pid != 0 && c->children[i].fd == fds[k].fd) {
				child_read(&c->children[i]);
			}
		}
	}
	return reap_children(c);
}

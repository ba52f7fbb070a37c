/*
 * batch-log.c — see batch-log.h.  stdout and stderr become one stream
 * (fopencookie) whose writes are cut into lines here and prefixed, so every
 * line the runner prints, through out.h or not, carries its time and run.
 */
#include "tui/batch-log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/xalloc.h"

static struct {
	int fd;
	int64_t run;
	char partial[4096]; /* a line not yet ended */
	size_t len;
} lg = {.fd = -1};

static void
emit(const char *line, size_t n)
{
	char when[32], who[40];
	time_t now = time(NULL);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&now));
	if (lg.run > 0) {
		snprintf(who, sizeof who, "run #%lld", (long long)lg.run);
	} else {
		snprintf(who, sizeof who, "launch");
	}
	char *text = xasprintf("%s %s: %.*s\n", when, who, (int)n, line);
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t w = write(lg.fd, text + off, len - off);
		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w <= 0) {
			break; /* a full disk loses log lines, never the run */
		}
		off += (size_t)w;
	}
	free(text);
}

static ssize_t
cookie_write(void *cookie, const char *buf, size_t size)
{
	(void)cookie;
	for (size_t i = 0; i < size; i++) {
		if (buf[i] == '\n' || lg.len == sizeof lg.partial) {
			emit(lg.partial, lg.len);
			lg.len = 0;
			if (buf[i] == '\n') {
				continue;
			}
		}
		lg.partial[lg.len++] = buf[i];
	}
	return (ssize_t)size;
}

bool
batch_log_open(const char *path, char **cause)
{
	lg.fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (lg.fd < 0) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return false;
	}
	FILE *f = fopencookie(NULL, "w", (cookie_io_functions_t){.write = cookie_write});
	if (f == NULL) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		close(lg.fd);
		lg.fd = -1;
		return false;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	fflush(stdout);
	fflush(stderr);
	stdout = f;
	stderr = f;
	return true;
}

void
batch_log_set_run(int64_t id)
{
	fflush(stdout);
	lg.run = id;
}

void
batch_log_close(int status)
{
	if (lg.fd < 0) {
		return;
	}
	fprintf(stdout, "exit status %d\n", status);
	fflush(stdout);
	if (lg.len > 0) {
		emit(lg.partial, lg.len);
		lg.len = 0;
	}
}

/*
 * child.h — a test's server child (the fake Space, a webhook receiver):
 * started with its stdout on a pipe, its port read from the first line it
 * prints, "PORT n".
 */
#ifndef TAGCON_CHILD_H
#define TAGCON_CHILD_H

#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/*
 * Run argv (argv[0] looked up in PATH) and read "PORT n" from its stdout
 * within 20 s.  quiet sends its stderr to /dev/null.  *pid is the child's
 * (also on failure, when it started: the caller stops it); false, with
 * what and the line it printed said on stderr, when no port came.
 */
static inline bool
child_start(const char *what, const char *const *argv, bool quiet, pid_t *pid, int *port)
{
	int out[2];
	*pid = -1;
	if (pipe(out) != 0) {
		return false;
	}
	*pid = fork();
	if (*pid == 0) {
		dup2(out[1], 1);
		if (quiet) {
			int null = open("/dev/null", O_WRONLY);
			dup2(null, 2);
		}
		close(out[0]);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	char line[64] = "";
	size_t len = 0;
	struct pollfd pfd = {out[0], POLLIN, 0};
	while (*pid > 0 && len < sizeof line - 1 && strchr(line, '\n') == NULL &&
	    poll(&pfd, 1, 20000) > 0) {
		ssize_t k = read(out[0], line + len, sizeof line - 1 - len);
		if (k <= 0) {
			break;
		}
		len += (size_t)k;
		line[len] = '\0';
	}
	close(out[0]);
	if (sscanf(line, "PORT %d", port) != 1) {
		fprintf(stderr, "%s did not start (\"%s\")\n", what, line);
		return false;
	}
	return true;
}

#endif

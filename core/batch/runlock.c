/* runlock.c — flock()-based runner lock beside the database. */
#include "core/batch/runlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/sanitize.h"
#include "common/xalloc.h"

struct runlock {
	int fd;
	char *path;
};

static char *
read_holder(int fd)
{
	char buf[256];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	if (n <= 0) {
		return xstrdup("another process");
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return sanitize_str(buf);
}

struct runlock *
runlock_acquire(const char *db_path, char **cause)
{
	char *path = xasprintf("%s.lock", db_path);
	/* Never through a link planted there (it would truncate its target),
	 * and only a plain file of ours. */
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		fd = -1;
		errno = EINVAL;
	}
	if (fd < 0) {
		*cause = xasprintf("%s: %s", path, errno == ELOOP ? "a symbolic link: not followed, "
		    "refused" : errno == EINVAL ? "not a plain file, refused" : strerror(errno));
		free(path);
		return NULL;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		char *who = read_holder(fd);
		*cause = xasprintf("a batch is already running on this library (pid %s)", who);
		free(who);
		close(fd);
		free(path);
		return NULL;
	}
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	char line[320];
	int n = snprintf(line, sizeof line, "%d on %s\n", (int)getpid(), host);
	if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)n, 0) != n) {
		/* The lock holds without the note; only the message suffers. */
	}
	struct runlock *lock = xmalloc(sizeof *lock);
	lock->fd = fd;
	lock->path = path;
	return lock;
}

void
runlock_release(struct runlock *lock)
{
	if (lock == NULL) {
		return;
	}
	if (ftruncate(lock->fd, 0) != 0) {
		/* Nothing to do: the next holder overwrites it. */
	}
	close(lock->fd);
	free(lock->path);
	free(lock);
}

char *
runlock_holder(const char *db_path)
{
	char *path = xasprintf("%s.lock", db_path);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	free(path);
	if (fd < 0) {
		return NULL;
	}
	char *who = NULL;
	if (flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
		who = read_holder(fd);
	}
	close(fd);
	return who;
}

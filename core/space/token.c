/*
 * token.c — HF_TOKEN, the Hugging Face token file, tagcon's credentials.
 */
#include "core/space/token.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/sanitize.h"
#include "common/xalloc.h"

/* A token is ~40 characters; anything much longer is not one. */
#define TOKEN_FILE_MAX 4096

const char *
token_source_name(enum token_source source)
{
	switch (source) {
	case TOKEN_ENV:
		return "HF_TOKEN";
	case TOKEN_HF_FILE:
		return "the Hugging Face token file";
	case TOKEN_CREDENTIALS:
		return "tagcon's credentials file";
	default:
		return "nowhere";
	}
}

void
token_free(char *token)
{
	if (token != NULL) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
}

/* $VAR/rest, or $HOME/fallback/rest; NULL without HOME. */
static char *
path_in(const char *var, const char *fallback, const char *rest)
{
	const char *dir = getenv(var);
	if (dir != NULL && *dir != '\0') {
		return xasprintf("%s/%s", dir, rest);
	}
	const char *home = getenv("HOME");
	return home != NULL && *home != '\0' ? xasprintf("%s/%s/%s", home, fallback, rest) : NULL;
}

/* The first line that is not blank or a comment, trimmed; NULL if none.
 * Checks that a token is plain printable ASCII. */
static char *
first_token(char *text, bool comments, bool *bad)
{
	*bad = false;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		while (*line == ' ' || *line == '\t') {
			line++;
		}
		size_t n = strlen(line);
		while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r')) {
			line[--n] = '\0';
		}
		if (n == 0 || (comments && *line == '#')) {
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			*bad |= (unsigned char)line[i] <= 0x20 || (unsigned char)line[i] >= 0x7f;
		}
		return *bad ? NULL : xstrdup(line);
	}
	return NULL;
}

/* Read a small file whole; -1 with errno, or 0 with *text. */
static int
slurp(int fd, char **text)
{
	char *buf = xmalloc(TOKEN_FILE_MAX + 1);
	size_t len = 0;
	ssize_t n;
	while (len < TOKEN_FILE_MAX &&
	    ((n = read(fd, buf + len, TOKEN_FILE_MAX - len)) > 0 || (n < 0 && errno == EINTR))) {
		len += n > 0 ? (size_t)n : 0;
	}
	if (n < 0) {
		int e = errno;
		free(buf);
		errno = e;
		return -1;
	}
	buf[len] = '\0';
	*text = buf;
	return 0;
}

/*
 * Read the token in path.  1 found, 0 no such file (or no token in it),
 * -1 unusable with *cause.  private_only refuses a file group or others
 * may read.
 */
static int
read_file(const char *path, bool private_only, bool comments, char **token, char **cause)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR) {
			return 0;
		}
		*cause = xasprintf("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	char *text = NULL;
	int rc = -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		*cause = xasprintf("%s is not a regular file", path);
	} else if (private_only && (st.st_mode & 077) != 0) {
		*cause = xasprintf("%s is readable by others (mode %03o); not using it: "
		    "chmod 600 it", path, (unsigned)(st.st_mode & 0777));
	} else if (slurp(fd, &text) != 0) {
		*cause = xasprintf("cannot read %s: %s", path, strerror(errno));
	} else {
		bool bad;
		*token = first_token(text, comments, &bad);
		rc = *token != NULL;
		if (bad) {
			*cause = xasprintf("%s does not hold a token (blanks or control characters "
			    "inside)", path);
			rc = -1;
		}
		explicit_bzero(text, strlen(text));
	}
	free(text);
	close(fd);
	return rc;
}

static int
try_file(const char *var, const char *fallback, const char *rest, bool private_only,
    char **token, char **cause)
{
	char *path = path_in(var, fallback, rest);
	if (path == NULL) {
		return 0;
	}
	char *raw = NULL;
	int rc = read_file(path, private_only, private_only, token, &raw);
	if (rc < 0) {
		*cause = sanitize_str(raw);
	}
	free(raw);
	free(path);
	return rc;
}

bool
token_load(char **token, enum token_source *source, char **cause)
{
	enum token_source dummy;
	source = source != NULL ? source : &dummy;
	*token = NULL;
	*source = TOKEN_NONE;
	const char *env = getenv("HF_TOKEN");
	if (env != NULL && *env != '\0') {
		char *copy = xstrdup(env), *t;
		bool bad;
		t = first_token(copy, false, &bad);
		token_free(copy);
		if (t == NULL) {
			*cause = xstrdup("HF_TOKEN does not hold a token (blanks or control characters)");
			return false;
		}
		*token = t;
		*source = TOKEN_ENV;
		return true;
	}
	int rc = try_file("HF_HOME", ".cache/huggingface", "token", false, token, cause);
	if (rc != 0) {
		*source = TOKEN_HF_FILE;
		return rc > 0;
	}
	rc = try_file("XDG_CONFIG_HOME", ".config", "tagcon/credentials", true, token, cause);
	if (rc != 0) {
		*source = TOKEN_CREDENTIALS;
		return rc > 0;
	}
	return true;
}

char *
token_mask(const char *token)
{
	if (token == NULL) {
		return xstrdup("(none)");
	}
	size_t n = strlen(token);
	if (n < 16) {
		return xstrdup("****");
	}
	bool hf = strncmp(token, "hf_", 3) == 0;
	return xasprintf("%s****…%s", hf ? "hf_" : "", token + n - 4);
}

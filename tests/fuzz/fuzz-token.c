/*
 * fuzz-token.c — libFuzzer target for the token files (core/space/token.c):
 * token_load() reading the Hugging Face token file, tagcon's credentials
 * file or $HF_TOKEN, and token_mask().
 *
 * The target owns a temporary directory (removed at exit) that stands in
 * for $HOME, $HF_HOME and $XDG_CONFIG_HOME, so no real token is ever read.
 * Input: byte 0 picks where the rest goes: $HF_HOME/token, the credentials
 * file with mode 0600, the credentials file with mode 0644 (refused
 * whatever it holds), or $HF_TOKEN (up to a NUL).
 *
 * Checks, against the rule token.h states: the token is the first line that
 * is not blank (nor a '#' comment, in the credentials file) with blanks
 * and the line end trimmed, within the file's first 4096 bytes; a line
 * with a blank or a control character inside is refused with a one-line
 * cause that does not quote it; a token never holds a blank, a control or
 * a non-ASCII byte; its mask never shows it.
 *
 *   meson setup build-fuzz -Dfuzz=true ... && ninja -C build-fuzz
 *   build-fuzz/tests/fuzz/fuzz-token -max_total_time=60 tests/fuzz/corpus/token
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/space/token.h"

/* What token.c reads of a file (TOKEN_FILE_MAX there). */
#define READ_MAX 4096

static char dir[256], hf_file[300], cred_file[300];

static void
cleanup(void)
{
	unlink(hf_file);
	unlink(cred_file);
	char path[300];
	snprintf(path, sizeof path, "%s/config/tagcon", dir);
	rmdir(path);
	snprintf(path, sizeof path, "%s/config", dir);
	rmdir(path);
	snprintf(path, sizeof path, "%s/hf", dir);
	rmdir(path);
	rmdir(dir);
}

static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/tagcon-fuzz-token.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("fuzz-token: mkdtemp");
		abort();
	}
	char path[300];
	snprintf(path, sizeof path, "%s/hf", dir);
	mkdir(path, 0700);
	setenv("HF_HOME", path, 1);
	snprintf(hf_file, sizeof hf_file, "%s/token", path);
	snprintf(path, sizeof path, "%s/config", dir);
	mkdir(path, 0700);
	setenv("XDG_CONFIG_HOME", path, 1);
	snprintf(path, sizeof path, "%s/config/tagcon", dir);
	mkdir(path, 0700);
	snprintf(cred_file, sizeof cred_file, "%s/credentials", path);
	setenv("HOME", dir, 1);
	unsetenv("HF_TOKEN");
	atexit(cleanup);
}

static void
write_file(const char *path, const uint8_t *data, size_t size, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, mode) != 0 ||
	    (size > 0 && write(fd, data, size) != (ssize_t)size) || close(fd) != 0) {
		perror(path);
		abort();
	}
}

/*
 * The rule, written apart from token.c: the first line that counts in
 * text[0..n) as a new string in *line; false when there is none.
 */
static bool
expected_line(const char *text, size_t n, bool comments, char **line)
{
	size_t i = 0;
	while (i < n) {
		size_t end = i;
		while (end < n && text[end] != '\n') {
			end++;
		}
		size_t a = i, b = end;
		while (a < b && (text[a] == ' ' || text[a] == '\t')) {
			a++;
		}
		while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\t' || text[b - 1] == '\r')) {
			b--;
		}
		if (b > a && !(comments && text[a] == '#')) {
			*line = strndup(text + a, b - a);
			return true;
		}
		i = end + 1;
	}
	return false;
}

static bool
clean(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p <= 0x20 || *p >= 0x7f) {
			return false;
		}
	}
	return true;
}

_Noreturn static void
fail(const char *why, const char *token, const char *cause)
{
	fprintf(stderr, "fuzz-token: %s (token \"%s\", cause \"%s\")\n", why,
	    token != NULL ? token : "(null)", cause != NULL ? cause : "(null)");
	abort();
}

static void
check_mask(const char *token)
{
	char *mask = token_mask(token);
	size_t n = strlen(token);
	if (mask == NULL || (n > 4 && strstr(mask, token) != NULL) ||
	    (n >= 16 && strcmp(mask + strlen(mask) - 4, token + n - 4) != 0)) {
		fail("a mask that shows the token, or not its end", token, mask);
	}
	free(mask);
}

/* Whether the cause quotes line (beyond what its own words may contain). */
static bool
quotes(const char *cause, const char *line)
{
	static const char words[] = "HF_TOKEN does not hold a token (blanks or control "
	    "characters inside) (blanks or control characters) is readable by others "
	    "(mode 644); not using it: chmod 600 it cannot read is not a regular file";
	return strlen(line) >= 4 && strstr(cause, line) != NULL && strstr(words, line) == NULL &&
	    strstr(dir, line) == NULL && strstr(cred_file, line) == NULL &&
	    strstr(hf_file, line) == NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (dir[0] == '\0') {
		setup();
	}
	if (size < 1) {
		return 0;
	}
	int where = data[0] % 4;
	unlink(hf_file);
	unlink(cred_file);
	unsetenv("HF_TOKEN");
	const char *text = (const char *)data + 1;
	size_t n = size - 1;
	char *env = NULL;
	enum token_source want_source = TOKEN_NONE;
	switch (where) {
	case 0:
		write_file(hf_file, data + 1, n, 0644);
		want_source = TOKEN_HF_FILE;
		break;
	case 1:
	case 2:
		write_file(cred_file, data + 1, n, where == 1 ? 0600 : 0644);
		want_source = TOKEN_CREDENTIALS;
		break;
	default:
		env = strndup(text, n);
		setenv("HF_TOKEN", env, 1);
		want_source = *env != '\0' ? TOKEN_ENV : TOKEN_NONE;
		break;
	}
	/* What token.c sees: a file's first 4096 bytes, up to a NUL. */
	n = env != NULL ? strlen(env) : strnlen(text, n < READ_MAX ? n : READ_MAX);
	char *line = NULL;
	bool has_line = expected_line(text, n, where == 1 || where == 2, &line);
	bool want_ok = where == 2 ? false : !has_line || clean(line);
	if (env != NULL && *env != '\0') {
		want_ok = has_line && clean(line); /* a set HF_TOKEN must hold one */
	} else if (!has_line && where != 2) {
		want_source = TOKEN_NONE;
	}

	char *token = NULL, *cause = NULL;
	enum token_source source;
	bool ok = token_load(&token, &source, &cause);
	if (ok != want_ok) {
		fail(ok ? "a token taken that breaks the rule" : "a token refused", token, cause);
	}
	if (ok) {
		if (source != want_source || cause != NULL ||
		    (has_line ? token == NULL || strcmp(token, line) != 0 : token != NULL)) {
			fail("not the first line that counts", token, line);
		}
		if (token != NULL) {
			if (!clean(token)) {
				fail("a blank or control in a token", token, NULL);
			}
			check_mask(token);
		}
	} else {
		if (token != NULL || cause == NULL || strchr(cause, '\n') != NULL) {
			fail("a refusal without its cause", token, cause);
		}
		if (has_line && quotes(cause, line)) {
			fail("the cause quotes the token", line, cause);
		}
	}
	token_free(token);
	free(cause);
	free(line);
	free(env);
	return 0;
}

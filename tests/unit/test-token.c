/* test-token.c — where the token comes from, the 0600 rule, the mask. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/space/token.h"
#include "tests/unit/check.h"
#include "tests/unit/tmpdir.h"

#define TOKEN_A "hf_AAAAbbbbCCCCddddEEEEffffGGGGhhhh1234"
#define TOKEN_B "hf_BBBBccccDDDDeeeeFFFFggggHHHHiiii5678"

static void
write_text(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
	chmod(path, mode);
}

static void
load_expect(const char *want, enum token_source want_source)
{
	char *token = NULL, *cause = NULL;
	enum token_source source;
	CHECK(token_load(&token, &source, &cause));
	if (cause != NULL) {
		fprintf(stderr, "    cause: %s\n", cause);
	}
	CHECK_STR(token, want);
	CHECK_INT(source, want_source);
	token_free(token);
	free(cause);
}

static void
load_refused(const char *want)
{
	char *token = NULL, *cause = NULL;
	CHECK(!token_load(&token, NULL, &cause));
	CHECK(token == NULL);
	CHECK(cause != NULL && strstr(cause, want) != NULL);
	/* The refusal never shows the token itself. */
	CHECK(cause != NULL && strstr(cause, "hf_") == NULL);
	if (cause != NULL && strstr(cause, want) == NULL) {
		fprintf(stderr, "    \"%s\" lacks \"%s\"\n", cause, want);
	}
	free(cause);
}

static void
test_order(void)
{
	char hf_home[512], xdg[512], cred_dir[600];
	snprintf(hf_home, sizeof hf_home, "%s", tmppath("hf"));
	snprintf(xdg, sizeof xdg, "%s", tmppath("config"));
	snprintf(cred_dir, sizeof cred_dir, "%s/tagcon", xdg);
	mkdir(hf_home, 0700);
	mkdir(xdg, 0700);
	mkdir(cred_dir, 0700);
	setenv("HOME", tmpdir(), 1);
	setenv("HF_HOME", hf_home, 1);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	unsetenv("HF_TOKEN");

	load_expect(NULL, TOKEN_NONE); /* nothing anywhere: fine, public Spaces */

	char cred[700];
	snprintf(cred, sizeof cred, "%s/credentials", cred_dir);
	write_text(cred, "# tagcon credentials\n\n  " TOKEN_B "  \n", 0600);
	load_expect(TOKEN_B, TOKEN_CREDENTIALS);
	chmod(cred, 0400);
	load_expect(TOKEN_B, TOKEN_CREDENTIALS);
	chmod(cred, 0644);
	load_refused("chmod 600");
	chmod(cred, 0640);
	load_refused("readable by others");
	chmod(cred, 0600);

	char hf_token[600];
	snprintf(hf_token, sizeof hf_token, "%s/token", hf_home);
	write_text(hf_token, TOKEN_A "\n", 0644); /* the HF tools' own file: their mode rules */
	load_expect(TOKEN_A, TOKEN_HF_FILE);

	setenv("HF_TOKEN", " " TOKEN_B "\n", 1);
	load_expect(TOKEN_B, TOKEN_ENV);
	setenv("HF_TOKEN", "", 1); /* empty: as if unset */
	load_expect(TOKEN_A, TOKEN_HF_FILE);
	setenv("HF_TOKEN", "hf_with space", 1);
	load_refused("HF_TOKEN");
	unsetenv("HF_TOKEN");

	write_text(hf_token, "hf_x\x01y\n", 0644);
	load_refused("does not hold a token");
	write_text(hf_token, "\n\n", 0644); /* empty file: look further */
	load_expect(TOKEN_B, TOKEN_CREDENTIALS);

	/* Defaults under HOME when the variables are unset. */
	unsetenv("HF_HOME");
	unsetenv("XDG_CONFIG_HOME");
	char dot[600];
	snprintf(dot, sizeof dot, "%s/.cache", tmpdir());
	mkdir(dot, 0700);
	snprintf(dot, sizeof dot, "%s/.cache/huggingface", tmpdir());
	mkdir(dot, 0700);
	snprintf(dot, sizeof dot, "%s/.cache/huggingface/token", tmpdir());
	write_text(dot, TOKEN_A, 0600);
	load_expect(TOKEN_A, TOKEN_HF_FILE);
}

static void
check_mask(const char *token, const char *want)
{
	char *m = token_mask(token);
	CHECK_STR(m, want);
	free(m);
}

int
main(void)
{
	test_order();
	check_mask(TOKEN_A, "hf_****…1234");
	check_mask("abcdefghijklmnopqrstuvwxyz", "****…wxyz");
	check_mask("hf_short", "****");
	check_mask("", "****");
	check_mask(NULL, "(none)");
	CHECK_STR(token_source_name(TOKEN_ENV), "HF_TOKEN");
	token_free(NULL);
	return check_done();
}

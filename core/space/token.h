/*
 * token.h — the Hugging Face token, and how to show it without showing it.
 *
 * Looked for, in order: $HF_TOKEN; the Hugging Face tools' token file
 * $HF_HOME/token (default ~/.cache/huggingface/token); tagcon's own
 * credentials file $XDG_CONFIG_HOME/tagcon/credentials (default
 * ~/.config/tagcon/credentials), which must not be readable by group or
 * others (0600 or 0400): a looser one is refused, not used.  Each holds the
 * token alone (surrounding blanks and the line end are trimmed; in the
 * credentials file, blank lines and lines starting with '#' are skipped).
 *
 * A token is never printed, logged or put in a message: show token_mask().
 */
#ifndef TAGCON_TOKEN_H
#define TAGCON_TOKEN_H

#include <stdbool.h>

/* Where the token came from. */
enum token_source {
	TOKEN_NONE,
	TOKEN_ENV,
	TOKEN_HF_FILE,
	TOKEN_CREDENTIALS,
};

/*
 * Find the token.  True with *token (new string) and *source, or with
 * *token NULL and TOKEN_NONE when there is none anywhere (public Spaces
 * need none).  False with *cause when a file exists but cannot be used
 * (unreadable, credentials file with loose permissions, a token with
 * control characters).  source may be NULL.
 */
bool token_load(char **token, enum token_source *source, char **cause);

/* "HF_TOKEN", "~/.cache/huggingface/token" ... for messages. */
const char *token_source_name(enum token_source source);

/*
 * A display form (new string): "hf_****…abcd" — the "hf_" prefix when
 * there is one and at most the last 4 characters, and those only when the
 * token is at least 16 characters long; "****" otherwise, "(none)" for NULL.
 */
char *token_mask(const char *token);

/* Overwrite and free a token. */
void token_free(char *token);

#endif

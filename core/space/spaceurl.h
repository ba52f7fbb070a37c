/*
 * spaceurl.h — what a configured Space URL points at.
 *
 * Accepted forms (anything else is refused with a message listing them):
 *
 *   https://huggingface.co/spaces/OWNER/NAME   a Space page: its app host is
 *                                               asked of the hub
 *                                               ($HF_ENDPOINT/api/spaces/OWNER/NAME/host);
 *                                               the page form on $HF_ENDPOINT's
 *                                               own host is the same thing
 *   https://OWNER-NAME.hf.space                 a Space's app host
 *   http(s)://host[:port][/path]                any wd-tagger Gradio app
 *   a1111+http(s)://[user:pass@]host[:port][/path]  the A1111 WD14 tagger API
 *                                               (with --api-auth credentials)
 *
 * Parsing and validation are libcurl's URL API; this module only picks the
 * kind and normalises: lower-case scheme and host, default port dropped,
 * trailing slashes, query and fragment removed, huggingface.co and hf.space
 * always https.  User names and passwords are taken only in a1111+ URLs,
 * kept apart (spaceurl_userpwd) and masked in spaceurl_text.
 */
#ifndef TAGCON_SPACEURL_H
#define TAGCON_SPACEURL_H

#include <stdbool.h>

enum spaceurl_kind {
	SPACEURL_HUB_PAGE, /* huggingface.co/spaces/OWNER/NAME */
	SPACEURL_HF_SPACE, /* OWNER-NAME.hf.space */
	SPACEURL_GRADIO,   /* any other Gradio app */
	SPACEURL_A1111,    /* a1111+http(s):// */
};

struct spaceurl;

/* Parse text; NULL with *cause (one line) when it is none of the forms. */
struct spaceurl *spaceurl_create(const char *text, char **cause);
void spaceurl_destroy(struct spaceurl *u);

enum spaceurl_kind spaceurl_kind(const struct spaceurl *u);
/* The normalised URL as the user would write it (a1111+ prefix kept,
 * password masked). */
const char *spaceurl_text(const struct spaceurl *u);
/*
 * The app's base URL, requests go to base + "/config" etc.: NULL for a
 * page URL until spaceurl_set_base() gives the hub's answer.
 */
const char *spaceurl_base(const struct spaceurl *u);
/*
 * "OWNER/NAME" when known: from a page URL, or set later (a Gradio app on
 * Spaces names itself in /config's space_id).  An OWNER-NAME.hf.space host
 * does not say where OWNER ends, so it starts unknown.
 */
const char *spaceurl_repo(const struct spaceurl *u);

/* "user:password" of an a1111+ URL, or NULL.  Never show it. */
const char *spaceurl_userpwd(const struct spaceurl *u);

/* Record the app host the hub gave for a page URL (validated like any
 * URL; false with *cause if it is not an http(s) URL). */
bool spaceurl_set_base(struct spaceurl *u, const char *base, char **cause);
/* Record OWNER/NAME learnt elsewhere; false if it is not of that form. */
bool spaceurl_set_repo(struct spaceurl *u, const char *repo);

/*
 * Whether the Hugging Face token may go to this Space's app host (a
 * *.hf.space URL, or the host the hub named for a page URL) under
 * spaceurl_token_host().  A self-hosted Gradio app or an A1111 server never
 * gets it.
 */
bool spaceurl_token_ok(const struct spaceurl *u);

/*
 * Whether url may receive the token at all (DESIGN.md §5): https to a
 * NAME.hf.space host or to the hub's own host ($HF_ENDPOINT, when that is
 * https); a loopback host only when $HF_ENDPOINT is loopback too, which is
 * how tests run.  Nothing else, whatever a hub answers.
 */
bool spaceurl_token_host(const char *url);

/* Whether url is https, or http to a loopback host (127.0.0.0/8, ::1,
 * localhost): fit to carry a token. */
bool spaceurl_is_secure(const char *url);

/* Whether "OWNER/NAME" has the hub's repo-id form. */
bool spaceurl_valid_repo(const char *repo);

/* The hub's base URL (new string): $HF_ENDPOINT normalised, default
 * https://huggingface.co.  NULL with *cause when HF_ENDPOINT is not an
 * http(s) URL. */
char *spaceurl_hub_endpoint(char **cause);

#endif

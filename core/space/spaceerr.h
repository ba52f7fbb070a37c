/*
 * spaceerr.h — why a request to a Space failed, in terms a scheduler can
 * act on.
 *
 * Every failure of the Space client is one class plus a one-line message
 * naming the request ("POST /gradio_api/call/predict: queue full (HTTP 503:
 * Queue is full. Max size is 10 and size is 10.)").  Server text quoted in
 * messages is sanitised (no control characters, no invalid UTF-8) and
 * shortened; tokens and passwords never appear in them (credentials are
 * removed from the whole text before it is shortened, see spaceerr_quote).
 */
#ifndef TAGCON_SPACEERR_H
#define TAGCON_SPACEERR_H

#include <stdbool.h>
#include <stddef.h>

enum spaceerr_class {
	SPACEERR_NONE = 0,
	SPACEERR_WAKING,       /* asleep, building, starting (503 page, 502 "Bad Gateway"
	                        * of Gradio's Node proxy): poll, then go on */
	SPACEERR_QUEUE_FULL,   /* 503 "Queue is full": retry soon */
	SPACEERR_RATE_LIMITED, /* 429 (retry_after_ms) or a ZeroGPU quota message */
	SPACEERR_SERVER_ERROR, /* 5xx, an "error" event */
	SPACEERR_TIMEOUT,      /* connect timeout, or silent longer than the heartbeat allows */
	SPACEERR_MALFORMED,    /* bad JSON or shape, too large, HTML where JSON belongs */
	SPACEERR_DROPPED,      /* connection or stream ended before the answer */
	SPACEERR_AUTH,         /* 401/403: needs a valid token, or the token is refused */
	SPACEERR_NOT_TAGGER,   /* no wd-tagger "predict" endpoint there */
	SPACEERR_UNSUPPORTED,  /* Gradio too old (no /call), or a stage that will not run */
	SPACEERR_UNREACHABLE,  /* DNS, connection refused, TLS failure */
	SPACEERR_BAD_INPUT,    /* this image or model was refused (413, 422, unknown model) */
	SPACEERR_CANCELLED,    /* ended with no verdict on the Space or the image: the
	                        * caller stopped it, or the Space no longer had it (an
	                        * event expired, or lost in a restart): send it again */
};

struct spaceerr {
	enum spaceerr_class cls;
	char *message;            /* one line, or NULL when cls is SPACEERR_NONE */
	long long retry_after_ms; /* from Retry-After or the message; -1 unknown */
	int http_status;          /* 0 when no HTTP answer */
};

#define SPACEERR_INIT { SPACEERR_NONE, NULL, -1, 0 }

/* Short lower-case name of a class ("queue-full"), for logs and JSON. */
const char *spaceerr_class_name(enum spaceerr_class cls);

/*
 * Hints for the scheduler.  space_fatal: do not use this Space again until
 * the user acts (auth, not a tagger, unsupported).  image_fault: the
 * request itself was refused; sending the same image elsewhere is worth
 * one more try at most and the Space is not to blame.  Anything else is
 * transient for the Space: back off, send the image to another one.
 */
bool spaceerr_space_fatal(enum spaceerr_class cls);
bool spaceerr_image_fault(enum spaceerr_class cls);

/* Set err (freeing an earlier message); the format's arguments must
 * already be safe to show (see spaceerr_quote). */
void spaceerr_set(struct spaceerr *err, enum spaceerr_class cls, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void spaceerr_fini(struct spaceerr *err);
void spaceerr_copy(struct spaceerr *dst, const struct spaceerr *src);
/* Prefix the message with "what: ". */
void spaceerr_prefix(struct spaceerr *err, const char *what);

/*
 * Outside text made fit for one line of a message (new string): every
 * credential in the whole text replaced by "[token]" (an Authorization
 * value, a Bearer value, a Hugging Face token "hf_…"), then the first 200
 * characters or so, controls and invalid bytes escaped, blank runs
 * collapsed, "…" where it was cut.  Never NULL (s NULL gives "").
 */
char *spaceerr_quote(const char *s, size_t n);

/*
 * Replace every occurrence of secret in the message by "[token]", and a
 * head of it (4 characters or more) that a quote's cut left before its
 * "…": a secret of a shape the quote does not know may have been cut.
 */
void spaceerr_redact(struct spaceerr *err, const char *secret);

/* What went with a request, for the wording of 401/403 messages. */
#define SPACEERR_SENT_TOKEN 0x1 /* an HF token (Bearer) */
#define SPACEERR_BASIC_AUTH 0x2 /* the server wants a user and password (A1111) */
#define SPACEERR_SENT_BASIC 0x4 /* and they were sent */
#define SPACEERR_HELD_TOKEN 0x8 /* a token exists, but this host may not have it */

/*
 * Classify a non-2xx HTTP answer.  body/len is what arrived (may be
 * truncated), content_type may be NULL, retry_after_ms from the header
 * (-1 none), creds the SPACEERR_SENT_* / SPACEERR_BASIC_AUTH bits.  A 503
 * that is not JSON and a 502 saying only "Bad Gateway" are WAKING.
 */
void spaceerr_from_http(struct spaceerr *err, int status, const char *content_type,
    const char *body, size_t len, long long retry_after_ms, int creds);

/*
 * Classify a message a Space reported as a failed run ("error" event,
 * process_completed success:false): SERVER_ERROR, or RATE_LIMITED for the
 * ZeroGPU quota messages (with the wait they name), QUEUE_FULL when no GPU
 * was free, CANCELLED when the Space no longer has the event ("404: Not
 * Found" in 5.x and 6.x, "404: Session not found." in 4.x: it expired or
 * the Space restarted), BAD_INPUT when the model is not one of the
 * dropdown's choices.  msg is raw server text ("Title: text" for the
 * error objects of Gradio >= 6.13, as answer_error_message gives them).
 */
void spaceerr_from_run(struct spaceerr *err, const char *msg);

#endif

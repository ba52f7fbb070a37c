/*
 * spaceerr.c — failure classes, HTTP status mapping, safe messages.
 */
#include "core/space/spaceerr.h"

#include <cjson/cJSON.h>
#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/tag/answer.h"
#include "core/sanitize.h"
#include "common/xalloc.h"

/* How much server text a message quotes. */
#define QUOTE_MAX 200

static const char *const class_names[] = {
	[SPACEERR_NONE] = "ok",
	[SPACEERR_WAKING] = "waking",
	[SPACEERR_QUEUE_FULL] = "queue-full",
	[SPACEERR_RATE_LIMITED] = "rate-limited",
	[SPACEERR_SERVER_ERROR] = "server-error",
	[SPACEERR_TIMEOUT] = "timeout",
	[SPACEERR_MALFORMED] = "malformed",
	[SPACEERR_DROPPED] = "dropped",
	[SPACEERR_AUTH] = "auth",
	[SPACEERR_NOT_TAGGER] = "not-tagger",
	[SPACEERR_UNSUPPORTED] = "unsupported",
	[SPACEERR_UNREACHABLE] = "unreachable",
	[SPACEERR_BAD_INPUT] = "bad-input",
	[SPACEERR_CANCELLED] = "cancelled",
};

const char *
spaceerr_class_name(enum spaceerr_class cls)
{
	if ((size_t)cls >= sizeof class_names / sizeof class_names[0]) {
		return "unknown";
	}
	return class_names[cls];
}

bool
spaceerr_space_fatal(enum spaceerr_class cls)
{
	return cls == SPACEERR_AUTH || cls == SPACEERR_NOT_TAGGER || cls == SPACEERR_UNSUPPORTED;
}

bool
spaceerr_image_fault(enum spaceerr_class cls)
{
	return cls == SPACEERR_BAD_INPUT;
}

void
spaceerr_set(struct spaceerr *err, enum spaceerr_class cls, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	free(err->message);
	err->message = msg;
	err->cls = cls;
}

void
spaceerr_fini(struct spaceerr *err)
{
	if (err == NULL) {
		return;
	}
	free(err->message);
	*err = (struct spaceerr)SPACEERR_INIT;
}

void
spaceerr_copy(struct spaceerr *dst, const struct spaceerr *src)
{
	free(dst->message);
	*dst = *src;
	dst->message = src->message != NULL ? xstrdup(src->message) : NULL;
}

void
spaceerr_prefix(struct spaceerr *err, const char *what)
{
	char *msg = xasprintf("%s: %s", what, err->message ? err->message : "failed");
	free(err->message);
	err->message = msg;
}

char *
spaceerr_quote(const char *s, size_t n)
{
	if (s == NULL) {
		return xstrdup("");
	}
	/* Blanks (including line ends) collapse to one space: one line out. */
	char *flat = xmalloc(n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n && k < QUOTE_MAX + 8; i++) {
		bool blank = s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r';
		if (blank && (k == 0 || flat[k - 1] == ' ')) {
			continue;
		}
		flat[k++] = blank ? ' ' : s[i];
	}
	while (k > 0 && flat[k - 1] == ' ') {
		k--;
	}
	bool cut = k > QUOTE_MAX;
	if (cut) {
		/* Cut at a character boundary. */
		k = QUOTE_MAX;
		while (k > 0 && ((unsigned char)flat[k] & 0xc0) == 0x80) {
			k--;
		}
	}
	char *safe = sanitize_dup(flat, k);
	free(flat);
	if (cut) {
		char *more = xasprintf("%s…", safe);
		free(safe);
		safe = more;
	}
	return safe;
}

void
spaceerr_redact(struct spaceerr *err, const char *secret)
{
	if (err->message == NULL || secret == NULL || *secret == '\0') {
		return;
	}
	size_t slen = strlen(secret);
	char *p;
	while ((p = strstr(err->message, secret)) != NULL) {
		*p = '\0';
		char *msg = xasprintf("%s[token]%s", err->message, p + slen);
		free(err->message);
		err->message = msg;
	}
}

/* A non-empty string member of obj, or NULL. */
static const char *
text_member(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (cJSON_IsArray(v)) {
		/* FastAPI validation errors: [{"loc":…,"msg":…,"type":…}] */
		v = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(v, 0), "msg");
	}
	return cJSON_IsString(v) && *v->valuestring != '\0' ? v->valuestring : NULL;
}

/* The most telling text of an error body: FastAPI's "detail", Gradio's
 * "error", A1111's "errors", or NULL (*is_json says whether it parsed). */
static char *
body_detail(const char *body, size_t len, bool *is_json)
{
	*is_json = false;
	cJSON *j = body != NULL && !answer_json_too_big(body, len, 4096) ?
	    cJSON_ParseWithLength(body, len) : NULL;
	if (j == NULL) {
		return NULL;
	}
	*is_json = true;
	static const char *const keys[] = {"detail", "error", "errors", "message", NULL};
	const char *text = NULL;
	for (int i = 0; keys[i] != NULL && text == NULL; i++) {
		text = text_member(j, keys[i]);
	}
	/* A1111's API: {"error": "RuntimeError", "errors": "what happened"}. */
	const char *kind = text_member(j, "error"), *what = text_member(j, "errors");
	char *out = kind != NULL && what != NULL && text == kind ?
	    xasprintf("%s: %s", kind, what) : text != NULL ? xstrdup(text) : NULL;
	cJSON_Delete(j);
	return out;
}

static bool
looks_html(const char *content_type, const char *body, size_t len)
{
	if (content_type != NULL && strncasecmp(content_type, "text/html", 9) == 0) {
		return true;
	}
	size_t i = 0;
	while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t')) {
		i++;
	}
	return i < len && body[i] == '<';
}

/* " (STATUS: detail)" or " (STATUS)" — the tail of most messages. */
static char *
status_text(int status, const char *detail)
{
	if (detail == NULL || *detail == '\0') {
		return xasprintf("HTTP %d", status);
	}
	char *q = spaceerr_quote(detail, strlen(detail));
	char *s = xasprintf("HTTP %d: %s", status, q);
	free(q);
	return s;
}

static void
auth(struct spaceerr *err, const char *tail, int creds)
{
	if (creds & SPACEERR_BASIC_AUTH) {
		spaceerr_set(err, SPACEERR_AUTH, (creds & SPACEERR_SENT_BASIC) ?
		    "user name or password refused (%s)" : "needs a user name and password (%s); "
		    "write them in the URL: a1111+http://USER:PASS@HOST:PORT", tail);
	} else {
		spaceerr_set(err, SPACEERR_AUTH, (creds & SPACEERR_SENT_TOKEN) ?
		    "token refused (%s)" : (creds & SPACEERR_HELD_TOKEN) ?
		    "needs a token (%s), and tagcon gives the Hugging Face token only to the "
		    "hub and to *.hf.space hosts" : "needs a valid token (%s); set HF_TOKEN", tail);
	}
}

static void
from_4xx(struct spaceerr *err, int status, const char *tail, int creds)
{
	if (status == 401 || status == 403) {
		auth(err, tail, creds);
	} else if (status == 404) {
		spaceerr_set(err, SPACEERR_NOT_TAGGER, "not found (%s)", tail);
	} else if (status == 408) {
		spaceerr_set(err, SPACEERR_TIMEOUT, "server timed out waiting (%s)", tail);
	} else if (status == 413) {
		spaceerr_set(err, SPACEERR_BAD_INPUT, "image too large for the Space (%s)", tail);
	} else if (status == 429) {
		spaceerr_set(err, SPACEERR_RATE_LIMITED, "rate limited (%s)", tail);
	} else {
		spaceerr_set(err, SPACEERR_BAD_INPUT, "request refused (%s)", tail);
	}
}

void
spaceerr_from_http(struct spaceerr *err, int status, const char *content_type,
    const char *body, size_t len, long long retry_after_ms, int creds)
{
	bool is_json;
	char *detail = body_detail(body, len, &is_json);
	bool html = !is_json && len > 0 && looks_html(content_type, body, len);
	if (detail == NULL && !is_json && !html && len > 0) {
		detail = xstrndup(body, len);
	}
	char *tail = status_text(status, detail);
	err->http_status = status;
	err->retry_after_ms = retry_after_ms;
	if (status >= 400 && status < 500) {
		from_4xx(err, status, tail, creds);
	} else if (status == 503 && detail != NULL && strstr(detail, "Queue is full") != NULL) {
		spaceerr_set(err, SPACEERR_QUEUE_FULL, "queue full (%s)", tail);
	} else if (status == 503 && !is_json) {
		spaceerr_set(err, SPACEERR_WAKING, "Space not running yet (%s%s)", tail,
		    html ? ", HTML page" : "");
	} else if (status >= 500) {
		spaceerr_set(err, SPACEERR_SERVER_ERROR, "server error (%s)", tail);
	} else {
		spaceerr_set(err, SPACEERR_MALFORMED, "unexpected answer (%s)", tail);
	}
	if (retry_after_ms >= 0) {
		char *msg = xasprintf("%s; retry in %lld s", err->message,
		    (retry_after_ms + 999) / 1000);
		free(err->message);
		err->message = msg;
	}
	free(tail);
	free(detail);
}

/* "Try again in 0:12:34" (ZeroGPU) → milliseconds, -1 if absent. */
static long long
zerogpu_wait(const char *msg)
{
	const char *p = strstr(msg, "Try again in ");
	int h, m, s;
	if (p == NULL || sscanf(p + 13, "%d:%d:%d", &h, &m, &s) != 3 || h < 0 || m < 0 || s < 0) {
		return -1;
	}
	return ((long long)h * 3600 + m * 60 + s) * 1000;
}

void
spaceerr_from_run(struct spaceerr *err, const char *msg)
{
	char *q = spaceerr_quote(msg, strlen(msg));
	err->retry_after_ms = -1;
	if (strstr(msg, "GPU quota") != NULL) {
		err->retry_after_ms = zerogpu_wait(msg);
		spaceerr_set(err, SPACEERR_RATE_LIMITED, "GPU quota exhausted (%s)", q);
	} else if (strstr(msg, "No GPU was available") != NULL) {
		spaceerr_set(err, SPACEERR_QUEUE_FULL, "no GPU available (%s)", q);
	} else if (strstr(msg, "Session not found") != NULL) {
		/* The event is gone (expired, or the Space restarted): ask again. */
		spaceerr_set(err, SPACEERR_DROPPED, "the Space lost the request (%s)", q);
	} else if (strstr(msg, "not in the list of choices") != NULL) {
		spaceerr_set(err, SPACEERR_BAD_INPUT, "input refused (%s)", q);
	} else {
		spaceerr_set(err, SPACEERR_SERVER_ERROR, "the Space failed (%s)", q);
	}
	free(q);
}
